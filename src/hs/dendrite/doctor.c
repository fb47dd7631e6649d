/* SPDX-License-Identifier: Apache-2.0 */
/* doctor's checks of a Dendrite userapi database: one row per check, its
 * statements in sql/dendrite/BACKEND/doctor.sql under the same block.
 * Adding a check is a row here and a block there. The facts behind each
 * "why" are in the reference (dendrite-schema.md §2, §3, §7) and were seen
 * on the real Dendrite v0.13.8 (tests/e2e/dendrite/test_dendrite_doctor.py). */
#include "dendrite.h"

const struct hs_check dendrite_checks[] = {
	{ "dendrite-orphan-devices", HS_ERROR, "device(s) of accounts that do not exist",
	  "Dendrite has no foreign keys: an account row deleted by hand leaves its devices, and every request made "
	  "with their access tokens fails with 500",
	  "--fix deletes the devices (their tokens cannot work without the account)", NULL, HS_ARG_NONE,
	  "doctor_den_orphan_devices", { "doctor_den_orphan_devices_fix" }, "devices", NULL, 0 },
	{ "dendrite-orphan-profiles", HS_WARNING, "profile(s) of accounts that do not exist",
	  "profile look-ups still answer them, and registering the localpart again fails half-way: Dendrite "
	  "answers 200 with a token but stores no account (whoami 500, login 403)",
	  "once decided: DELETE FROM userapi_profiles WHERE localpart = 'LOCALPART' AND server_name = 'SERVER'", NULL,
	  HS_ARG_NONE, "doctor_den_orphan_profiles", { NULL }, NULL, NULL, 0 },
	{ "dendrite-orphan-account-data", HS_NOTE, "account data row(s) of accounts that do not exist",
	  "an account registered again under the localpart inherits them (push rules, direct chats, ignored users)",
	  "once decided: DELETE FROM userapi_account_datas WHERE localpart = 'LOCALPART' AND server_name = 'SERVER'",
	  NULL, HS_ARG_NONE, "doctor_den_orphan_account_data", { NULL }, NULL, NULL, 0 },
	{ "dendrite-null-deactivated", HS_ERROR, "account(s) with is_deactivated NULL",
	  "Dendrite looks the password hash up with is_deactivated = false, which NULL never is: these users cannot "
	  "log in (403) although they are not deactivated",
	  "--fix sets it to false (the column's default and what Dendrite writes)", NULL, HS_ARG_NONE,
	  "doctor_den_null_deactivated", { "doctor_den_null_deactivated_fix" }, "deactivated", "deactivated", 0 },
	{ "dendrite-null-password-hash", HS_ERROR, "account(s) with password_hash NULL",
	  "Dendrite reads the hash into a Go string, which cannot hold NULL: their password logins answer 500 "
	  "(\"Unable to fetch account by password\")",
	  "--fix sets it to '' (Dendrite's own \"no password\"); then set one with mxdba user passwd USER", NULL,
	  HS_ARG_NONE, "doctor_den_null_password", { "doctor_den_null_password_fix" }, "password_hash", NULL, 0 },
	{ "dendrite-null-account-type", HS_ERROR, "account(s) with account_type NULL",
	  "Dendrite reads account_type into an integer, which cannot hold NULL: their logins answer 500 (\"Unable "
	  "to fetch account by password\") and so does every request made with their tokens (a table without its "
	  "NOT NULL: rebuilt by hand or restored from an older dump)",
	  "--fix sets what Dendrite's own account_type migration gives: 4 for an appservice's account, 1 (user) "
	  "otherwise; promote admins again after",
	  NULL, HS_ARG_NONE, "doctor_den_null_type", { "doctor_den_null_type_fix" }, "account_type", "admin", 0 },
	{ "dendrite-null-profile-fields", HS_ERROR, "profile(s) with a NULL display_name or avatar_url",
	  "Dendrite reads both into Go strings, which cannot hold NULL: it answers their profile look-ups 404 \"does "
	  "not have a profile\"",
	  "--fix sets the NULL ones to '' (what Dendrite writes for none)", NULL, HS_ARG_NONE,
	  "doctor_den_null_profile", { "doctor_den_null_profile_fix" }, "profile", NULL, 0 },
	{ "dendrite-accounts-without-profile", HS_ERROR, "account(s) without a userapi_profiles row",
	  "Dendrite needs the row: seen on the real v0.13.8, joining a room answers 500 (\"Unable to query user "
	  "profile, no profile found.\"), so do creating a room and setting a display name, and the profile "
	  "look-up answers 404; an account inserted by hand, or a profile row deleted, leaves it so",
	  "--fix creates the row as Dendrite's account creation leaves it: display name the localpart, no avatar",
	  NULL, HS_ARG_NONE, "doctor_den_no_profile", { "doctor_den_no_profile_fix" }, "profile", NULL, 1 },
	{ "dendrite-foreign-server-name", HS_WARNING, "account(s) or device(s) under another server_name",
	  "Dendrite looks accounts up under its configured server_name: these users cannot log in (403) and their "
	  "tokens answer 401; usually the server_name was changed after they registered, and on SQLite with server "
	  "notices on Dendrite does not even start (\"unable to get account for sending server notices\")",
	  "put the old server_name back in dendrite.yaml (and [homeserver] server_name); user IDs cannot be renamed",
	  NULL, HS_ARG_SERVER, "doctor_den_foreign_server", { NULL }, NULL, NULL, 0 },
	{ "dendrite-missing-migrations", HS_WARNING, "userapi migration(s) without their db_migrations row",
	  "Dendrite runs a migration whose row is missing again at its next start, on tables that already have "
	  "what it adds: on SQLite that fails and Dendrite does not start (\"failed to connect to accounts db … "
	  "unable to execute migration\"); a database restored without db_migrations or created by hand looks "
	  "like this",
	  "once the columns are checked: INSERT INTO db_migrations (version, time, dendrite_version) VALUES "
	  "('NAME', 'NOW', '0.13.8') for each",
	  NULL, HS_ARG_NONE, "doctor_den_missing_migrations", { NULL }, NULL, NULL, 0 },
	{ "dendrite-no-active-admin", HS_NOTE, "no active admin",
	  "nobody can use the admin endpoints until one exists",
	  "mxdba user create NAME --admin, or mxdba user promote USER", NULL, HS_ARG_SERVER, "doctor_den_no_admin",
	  { NULL }, NULL, NULL, 0 },
	{ NULL } /* end */
};
