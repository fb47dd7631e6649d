/* SPDX-License-Identifier: Apache-2.0 */
/* doctor's checks of a Synapse database: one row per check, its statements
 * in sql/synapse/BACKEND/doctor.sql under the same block. Adding a check is
 * a row here and a block there. The facts behind each "why" are in the
 * reference (synapse-schema.md §2-§4) and were seen on the real Synapse
 * 1.163.2 (tests/e2e/synapse/test_synapse_doctor.py). */
#include "synapse.h"

const struct hs_check synapse_checks[] = {
	{ "synapse-missing-profile", HS_ERROR, "active user(s) without a profiles row",
	  "Synapse answers 404 \"No row found (profiles)\" to GET /profile for them and shows no display name in "
	  "rooms until they set one (a user created by hand with only a users row)",
	  "--fix creates the row as registration does (display name = the localpart)", NULL, HS_ARG_SERVER,
	  "doctor_syn_missing_profile", { "doctor_syn_missing_profile_fix" }, "profile", NULL, 1 },
	{ "synapse-profile-full-user-id", HS_ERROR, "profiles row(s) without full_user_id",
	  "Synapse reads profiles by full_user_id: it answers 404 \"No row found (profiles)\" to GET /profile for "
	  "these users, as if they had none (a profile inserted by hand with only user_id)",
	  "--fix fills it in where the user exists under this server_name; a profile of no user can be deleted "
	  "(DELETE FROM profiles WHERE user_id = 'LOCALPART')",
	  NULL, HS_ARG_SERVER, "doctor_syn_profile_full_id", { "doctor_syn_profile_full_id_fix" }, "profile", NULL, 1 },
	{ "synapse-deactivated-tokens", HS_ERROR, "deactivated user(s) whose access or refresh tokens still work",
	  "deactivation alone does not end sessions: Synapse keeps answering their old tokens (whoami 200, sync, "
	  "sending) until the token rows are gone",
	  "--fix deletes their refresh tokens and access tokens (not mxdba's own minted tokens: see "
	  "mxdba-minted-leftovers)",
	  NULL, HS_ARG_NONE, "doctor_syn_deactivated_tokens",
	  { "doctor_syn_deactivated_refresh_fix", "doctor_syn_deactivated_access_fix" }, "access_token", "access tokens",
	  1 },
	{ "synapse-deactivated-devices", HS_NOTE, "deactivated user(s) whose devices still advertise encryption keys",
	  "the users who share rooms with them keep encrypting every message for those devices; Synapse's own "
	  "deactivation deletes the devices and their keys (a deactivation by hand SQL, or by an older mxdba, "
	  "left them)",
	  "`mxdba user deactivate USER` again deletes them as Synapse's deactivation does (or POST "
	  "/_synapse/admin/v1/deactivate/USER while Synapse runs); once the tokens are gone nobody can use the devices",
	  NULL, HS_ARG_NONE, "doctor_syn_deactivated_devices", { NULL }, NULL, NULL, 0 },
	{ "synapse-pending-deactivation", HS_ERROR,
	  "row(s) in users_pending_deactivation that are not a local user ID",
	  "Synapse's user parter stops at the first such row (\"Expected UserID string to start with '@'\") and "
	  "never parts anyone queued after it",
	  "--fix deletes those rows (the well-formed rows stay queued)", NULL, HS_ARG_SERVER,
	  "doctor_syn_pending_bad", { "doctor_syn_pending_bad_fix" }, "pending_deactivation", NULL, 0 },
	{ "synapse-deactivated-joined", HS_WARNING, "deactivated user(s) still joined to rooms",
	  "they stay in the rooms' member lists and the server stays in those rooms for them; Synapse's own "
	  "deactivation leaves every room",
	  "mxdba evacuate user USER, then mxdba queue apply (or, if that is already queued: mxdba queue apply)", NULL,
	  HS_ARG_NONE, "doctor_syn_deactivated_joined", { NULL }, NULL, NULL, 0 },
	{ "synapse-foreign-users", HS_WARNING, "user(s) not under this server_name",
	  "Synapse takes them for remote users: they cannot log in; usually the server_name was changed after "
	  "they registered, which Synapse does not support",
	  "put the old server_name back in homeserver.yaml (and [homeserver] server_name); user IDs cannot be renamed",
	  NULL, HS_ARG_SERVER, "doctor_syn_foreign_users", { NULL }, NULL, NULL, 0 },
	{ "synapse-deactivated-admins", HS_NOTE, "admin(s) that are deactivated",
	  "they cannot log in, so they are admins in name only", "mxdba user demote USER, or mxdba user reactivate USER",
	  NULL, HS_ARG_NONE, "doctor_syn_deactivated_admins", { NULL }, NULL, NULL, 0 },
	{ "synapse-updates-pending", HS_NOTE, "background update(s) pending while Synapse is stopped",
	  "Synapse runs them only while it runs, a few at a time: until they finish some queries stay slow, "
	  "synapse_port_db refuses to copy the database, and an upgrade may wait for them",
	  "start Synapse and let them finish (GET /_synapse/admin/v1/background_updates/status shows progress); "
	  "`mxdba report updates` lists them",
	  NULL, HS_ARG_STOPPED, "doctor_syn_updates_pending", { NULL }, NULL, NULL, 0 },
	{ "synapse-tasks-interrupted", HS_WARNING, "job(s) of the task scheduler still active while Synapse is stopped",
	  "the process running them died (a crash, a kill): a room deletion or history purge is half done. Seen on "
	  "the real 1.163.2: Synapse relaunches them at its scheduler's first pass after it starts (a minute), and a "
	  "purge then waits for the dead process's lock to expire (two minutes)",
	  "start Synapse and leave it up for three minutes; `mxdba queue apply` follows the deletions it queued to "
	  "their end (GET /_synapse/admin/v2/rooms/delete_status/ID shows the others)",
	  NULL, HS_ARG_STOPPED, "doctor_syn_tasks_interrupted", { NULL }, NULL, NULL, 0 },
	{ "synapse-update-cycle", HS_ERROR, "pending background update(s) that wait for each other",
	  "Synapse runs an update only once the one it depends_on is no longer pending; these never are, so they "
	  "never run, and once every other update is done Synapse logs \"dependency cycle?\" on every attempt "
	  "(seen on the real 1.163.2)",
	  "find which release or hand edit added them (mxdba report updates), then delete the row that should "
	  "not be there: DELETE FROM background_updates WHERE update_name = 'NAME'",
	  NULL, HS_ARG_NONE, "doctor_syn_update_cycle", { NULL }, NULL, NULL, 0 },
	{ "synapse-forward-extremities", HS_WARNING, "room(s) with more forward extremities than dummy_events_threshold",
	  "every event sent there has to resolve state across all of them, which makes the room slow and the "
	  "database grow; Synapse only sends dummy events to merge them while local users are in the room",
	  "DELETE /_synapse/admin/v1/rooms/ROOM/forward_extremities while Synapse runs (the admin API clears "
	  "them); `mxdba report rooms --sort forward_extremities` lists them all",
	  NULL, HS_ARG_EXTREMITIES, "doctor_syn_forward_extremities", { NULL }, NULL, NULL, 0 },
	{ "synapse-sliding-sync-leftovers", HS_WARNING,
	  "room(s) listed in sliding_sync_joined_rooms_to_recalculate with no background update pending to read them",
	  "Synapse's room deletion does not clear that list, and the row's foreign key to rooms makes the whole "
	  "purge fail (\"is still referenced from table sliding_sync_joined_rooms_to_recalculate\", seen on the real "
	  "1.163.2; element-hq/synapse#19822); nothing else reads the list while its update is not pending",
	  "--fix schedules Synapse's own update that recalculates the listed rooms and empties the list "
	  "(sliding_sync_joined_rooms_bg_update): start Synapse and let it finish (`mxdba report updates`)",
	  "sliding_sync_joined_rooms_to_recalculate", HS_ARG_NONE, "doctor_syn_sliding_sync_leftovers",
	  { "doctor_syn_sliding_sync_leftovers_fix" }, "background_update", NULL, 0 },
	{ "synapse-user-directory-missing", HS_WARNING, "local user(s) missing from the user directory",
	  "user directory search never finds them: Synapse adds a user to its directory when it registers them or "
	  "a profile or membership changes, so accounts made by hand SQL, or a directory emptied by hand, stay out",
	  "--fix schedules Synapse's own rebuild (the four updates of its admin API's regenerate_directory job; also "
	  "`mxdba user directory rebuild`): start Synapse and let it finish (`mxdba report updates`)",
	  NULL, HS_ARG_SERVER, "doctor_syn_user_dir_missing", { "doctor_syn_user_dir_missing_fix" }, "background_update",
	  NULL, 0 },
	{ "synapse-no-active-admin", HS_NOTE, "no active admin",
	  "nobody can use the admin API (or synadm) until one exists",
	  "mxdba user create NAME --admin, or mxdba user promote USER", NULL, HS_ARG_SERVER, "doctor_syn_no_admin",
	  { NULL }, NULL, NULL, 0 },
	{ NULL } /* end */
};
