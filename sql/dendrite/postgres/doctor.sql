-- SPDX-License-Identifier: Apache-2.0
-- doctor's checks of a Dendrite userapi database (PostgreSQL). One check per
-- block: its find (total, item: the first few rows, one set-based query)
-- and, when it has one right repair, its fix steps (each row RETURNING
-- target, old, new is one audit row). $1 is the server_name where a check
-- takes it. The checks' words are in src/hs/dendrite/doctor.c. See the
-- SQLite twin.

-- fragment: no_account
NOT EXISTS (SELECT 1 FROM userapi_accounts a WHERE a.localpart = x.localpart AND a.server_name = x.server_name)

-- ---- dendrite-orphan-devices ----
-- name: doctor_den_orphan_devices
SELECT COUNT(*) OVER (), '@' || x.localpart || ':' || x.server_name || ' device ' || x.device_id
  FROM userapi_devices x WHERE {{no_account}} ORDER BY x.localpart, x.device_id LIMIT 5;

-- name: doctor_den_orphan_devices_fix
DELETE FROM userapi_devices AS x WHERE {{no_account}}
RETURNING '@' || localpart || ':' || server_name, 'device ' || device_id, 'deleted';

-- ---- dendrite-orphan-profiles ----
-- name: doctor_den_orphan_profiles
SELECT COUNT(*) OVER (), '@' || x.localpart || ':' || x.server_name
  FROM userapi_profiles x WHERE {{no_account}} ORDER BY x.localpart LIMIT 5;

-- ---- dendrite-orphan-account-data ----
-- name: doctor_den_orphan_account_data
SELECT COUNT(*) OVER (), '@' || x.localpart || ':' || x.server_name || ' ' || x.type
  FROM userapi_account_datas x WHERE {{no_account}} ORDER BY x.localpart, x.type LIMIT 5;

-- ---- dendrite-null-deactivated ----
-- name: doctor_den_null_deactivated
SELECT COUNT(*) OVER (), '@' || localpart || ':' || server_name FROM userapi_accounts
 WHERE is_deactivated IS NULL ORDER BY localpart LIMIT 5;

-- name: doctor_den_null_deactivated_fix
-- the column's default, and what Dendrite writes for every new account
UPDATE userapi_accounts SET is_deactivated = FALSE WHERE is_deactivated IS NULL
RETURNING '@' || localpart || ':' || server_name, NULL, '0';

-- ---- dendrite-null-password-hash ----
-- name: doctor_den_null_password
SELECT COUNT(*) OVER (), '@' || localpart || ':' || server_name FROM userapi_accounts
 WHERE password_hash IS NULL ORDER BY localpart LIMIT 5;

-- name: doctor_den_null_password_fix
-- '' is Dendrite's own "no password"
UPDATE userapi_accounts SET password_hash = '' WHERE password_hash IS NULL
RETURNING '@' || localpart || ':' || server_name, NULL, '';

-- ---- dendrite-null-account-type ----
-- name: doctor_den_null_type
SELECT COUNT(*) OVER (), '@' || localpart || ':' || server_name FROM userapi_accounts
 WHERE account_type IS NULL ORDER BY localpart LIMIT 5;

-- name: doctor_den_null_type_fix
-- what Dendrite's own account_type migration gives an account: 4 for an
-- appservice's, 1 (user) otherwise; never admin
UPDATE userapi_accounts SET account_type = CASE WHEN coalesce(appservice_id, '') <> '' THEN 4 ELSE 1 END
 WHERE account_type IS NULL
RETURNING '@' || localpart || ':' || server_name, NULL, account_type::text;

-- ---- dendrite-null-profile-fields ----
-- name: doctor_den_null_profile
SELECT COUNT(*) OVER (), '@' || localpart || ':' || server_name FROM userapi_profiles
 WHERE display_name IS NULL OR avatar_url IS NULL ORDER BY localpart LIMIT 5;

-- name: doctor_den_null_profile_fix
-- '' is what Dendrite writes for "none"
UPDATE userapi_profiles SET display_name = coalesce(display_name, ''), avatar_url = coalesce(avatar_url, '')
 WHERE display_name IS NULL OR avatar_url IS NULL
RETURNING '@' || localpart || ':' || server_name, 'NULL display name or avatar', '''''';

-- ---- dendrite-accounts-without-profile ----
-- name: doctor_den_no_profile
SELECT COUNT(*) OVER (), '@' || a.localpart || ':' || a.server_name FROM userapi_accounts a
 WHERE NOT EXISTS (SELECT 1 FROM userapi_profiles p WHERE p.localpart = a.localpart AND p.server_name = a.server_name)
 ORDER BY a.localpart LIMIT 5;

-- name: doctor_den_no_profile_fix
-- the row Dendrite's account creation leaves: display name the localpart, avatar ''
INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url)
SELECT a.localpart, a.server_name, a.localpart, '' FROM userapi_accounts a
 WHERE NOT EXISTS (SELECT 1 FROM userapi_profiles p WHERE p.localpart = a.localpart AND p.server_name = a.server_name)
RETURNING '@' || localpart || ':' || server_name, 'no profile row', display_name;

-- ---- dendrite-foreign-server-name ----
-- name: doctor_den_foreign_server
SELECT COUNT(*) OVER (), w || ' @' || localpart || ':' || server_name
  FROM (SELECT 'account' AS w, localpart, server_name FROM userapi_accounts WHERE server_name <> $1
        UNION ALL SELECT 'device', localpart, server_name FROM userapi_devices WHERE server_name <> $1) f
 ORDER BY localpart LIMIT 5;

-- ---- dendrite-missing-migrations ----
-- the userapi migrations of v0.13.8: a missing row runs again at the next
-- start, on tables that already have what it adds
-- name: doctor_den_missing_migrations
WITH m(v) AS (VALUES ('userapi: rename tables'), ('userapi: server names'), ('userapi: add is active'),
                     ('userapi: add account type'), ('userapi: add last_seen_ts'), ('userapi: server names populate'))
SELECT COUNT(*) OVER (), m.v FROM m WHERE NOT EXISTS (SELECT 1 FROM db_migrations d WHERE d.version = m.v)
 ORDER BY m.v LIMIT 5;

-- ---- dendrite-no-active-admin ----
-- only once someone could be one: an empty (fresh) database is not a finding, nor
-- one with only the server-notices account (`_server`: no registered user starts with _)
-- name: doctor_den_no_admin
SELECT 1, (SELECT COUNT(*) FROM userapi_accounts WHERE account_type = 1 AND NOT coalesce(is_deactivated, FALSE) AND server_name = $1
                                  AND substr(localpart, 1, 1) <> '_')
       || ' active user(s), none of them an admin'
 WHERE EXISTS (SELECT 1 FROM userapi_accounts WHERE account_type = 1 AND NOT coalesce(is_deactivated, FALSE) AND server_name = $1
                                  AND substr(localpart, 1, 1) <> '_')
   AND NOT EXISTS (SELECT 1 FROM userapi_accounts WHERE account_type = 3 AND NOT coalesce(is_deactivated, FALSE) AND server_name = $1);

-- ---- mxdba-minted-leftovers (the check is mxdba's own: src/hs/doctor.c) ----
-- fragment: minted_leftover
NOT EXISTS (SELECT 1 FROM mxdba_queue q WHERE q.state = 'pending' AND q.user_id = '@' || m.localpart || ':' || m.server_name)

-- name: doctor_minted_leftovers
SELECT COUNT(*) OVER (), '@' || m.localpart || ':' || m.server_name || ' (minted ' || to_char(to_timestamp(m.created_ts / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC)'
  FROM mxdba_minted m WHERE {{minted_leftover}} ORDER BY m.created_ts LIMIT 5;

-- name: doctor_minted_leftovers_fix
DELETE FROM userapi_devices WHERE access_token IN (SELECT m.access_token FROM mxdba_minted m WHERE {{minted_leftover}})
RETURNING '@' || localpart || ':' || server_name, 'device ' || device_id || ' (minted by queue apply)', 'deleted';

-- name: doctor_minted_registry_fix
DELETE FROM mxdba_minted WHERE access_token IN (SELECT m.access_token FROM mxdba_minted m WHERE {{minted_leftover}});
