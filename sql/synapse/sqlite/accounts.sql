-- SPDX-License-Identifier: Apache-2.0
-- users, profiles and user_stats_current (SQLite). users is keyed by the
-- full user ID, creation_ts in seconds; profiles by the localpart. Every
-- statement names its columns (their order differs between fresh and
-- upgraded databases).

-- name: account_get
-- with the shadow-ban flag (NULL in rows older than the column: false, as
-- Synapse reads it) and the rate-limit override, if any (NULL figures
-- are 0: no limit, as Synapse reads them)
SELECT u.name, u.password_hash, u.creation_ts, u.admin, u.is_guest, u.appservice_id, u.deactivated, u.locked,
       u.user_type, coalesce(u.shadow_banned, 0), (r.user_id IS NOT NULL),
       coalesce(r.messages_per_second, 0), coalesce(r.burst_count, 0)
  FROM users u LEFT JOIN ratelimit_override r ON r.user_id = u.name
 WHERE u.name = ?1;

-- name: accounts_list
SELECT u.name, u.admin, u.deactivated, u.creation_ts, p.displayname, u.is_guest, u.appservice_id
  FROM users u
  LEFT JOIN profiles p ON p.full_user_id = u.name
 WHERE (?1 = 0 OR u.admin = 1) AND (?2 = 0 OR u.deactivated = 1) AND (?3 = 0 OR u.shadow_banned = 1)
 ORDER BY u.name;

-- name: accounts_stats
SELECT count(*), coalesce(sum(admin = 1), 0), coalesce(sum(deactivated = 1), 0),
       coalesce(sum(admin = 1 AND deactivated = 0), 0)
  FROM users;

-- name: admins_active_count
SELECT count(*) FROM users
 WHERE admin = 1 AND deactivated = 0 AND substr(name, length(name) - length(?1)) = ':' || ?1;

-- name: profile_owner
-- a profile row for this localpart (whoever it names)
SELECT coalesce(full_user_id, user_id) FROM profiles WHERE user_id = ?1;

-- name: account_insert
-- as Synapse's registration: approved, not locked, suspended or shadow-banned
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked,
                   suspended)
VALUES (?1, ?2, ?3, ?4, NULL, 0, NULL, NULL, NULL, NULL, ?5, FALSE, NULL, TRUE, FALSE, FALSE);

-- name: account_insert_without_suspended
-- account_insert for schema 83-84 (Synapse 1.98-1.106): users.suspended came in 85
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked)
VALUES (?1, ?2, ?3, ?4, NULL, 0, NULL, NULL, NULL, NULL, ?5, FALSE, NULL, TRUE, FALSE);

-- name: profile_insert
INSERT INTO profiles (user_id, full_user_id, displayname) VALUES (?1, ?2, ?3);

-- name: user_stats_insert
INSERT INTO user_stats_current (user_id, joined_rooms, completed_delta_stream_id)
VALUES (?1, 0, (SELECT coalesce(max(stream_id), -1) FROM current_state_delta_stream));

-- name: account_set_admin
UPDATE users SET admin = ?1 WHERE name = ?2 AND admin = ?3;

-- name: account_set_password
UPDATE users SET password_hash = ?1 WHERE name = ?2;

-- name: account_set_deactivated
UPDATE users SET deactivated = ?1 WHERE name = ?2;

-- name: account_set_locked
UPDATE users SET locked = (?1 <> 0) WHERE name = ?2;

-- name: account_set_shadow_banned
UPDATE users SET shadow_banned = (?1 <> 0) WHERE name = ?2;

-- name: ratelimit_set
-- as the admin API's override_ratelimit: one row per user, replaced
INSERT INTO ratelimit_override (user_id, messages_per_second, burst_count) VALUES (?1, ?2, ?3)
ON CONFLICT (user_id) DO UPDATE SET messages_per_second = excluded.messages_per_second,
                                    burst_count = excluded.burst_count;

-- name: ratelimit_clear
DELETE FROM ratelimit_override WHERE user_id = ?1;

-- name: profile_get
SELECT displayname, avatar_url FROM profiles WHERE user_id = ?1;

-- name: profile_set_display_name
UPDATE profiles SET displayname = ?1 WHERE user_id = ?2;

-- The user directory (Synapse's user_directory handler writes it when a
-- local user registers or changes profile, and clears it at deactivation;
-- it does not fill it for a user made outside it, even at its next start).
-- name: user_dir_put
INSERT INTO user_directory (user_id, room_id, display_name, avatar_url) VALUES (?1, NULL, ?2, ?3)
ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, avatar_url = excluded.avatar_url;

-- name: user_dir_delete
DELETE FROM user_directory WHERE user_id = ?1;

-- name: user_dir_search_delete
DELETE FROM user_directory_search WHERE user_id = ?1;

-- name: user_dir_public_delete
DELETE FROM users_in_public_rooms WHERE user_id = ?1;

-- name: user_dir_shared_delete
DELETE FROM users_who_share_private_rooms WHERE user_id = ?1 OR other_user_id = ?1;

-- name: user_dir_search_put
-- an FTS4 table (no unique key: user_dir_search_delete runs first); the
-- value is the user ID, then the lower-cased NFKC display name if any
INSERT INTO user_directory_search (user_id, value) VALUES (?1, ?1 || coalesce(' ' || ?2, ''));

-- ---- batch fast paths (src/hs/synapse/bulk.c) ----

-- name: accounts_taken_many
-- batch: which of a JSON array of [user ID, localpart] are taken (the
-- account, or a profile left under the localpart); the localparts
SELECT json_extract(value, '$[1]') FROM json_each(?1)
 WHERE EXISTS (SELECT 1 FROM users WHERE name = json_extract(value, '$[0]'))
    OR EXISTS (SELECT 1 FROM profiles WHERE user_id = json_extract(value, '$[1]'));

-- name: accounts_insert_many
-- batch: users from a JSON array of [user ID, password_hash or null, admin]
-- (creation_ts ?2 in seconds), as account_insert writes one
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked,
                   suspended)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2, json_extract(value, '$[2]'), NULL, 0, NULL,
       NULL, NULL, NULL, 0, FALSE, NULL, TRUE, FALSE, FALSE
  FROM json_each(?1) ORDER BY key;

-- name: accounts_insert_many_without_suspended
-- accounts_insert_many for schema 83-84 (users.suspended came in 85)
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?2, json_extract(value, '$[2]'), NULL, 0, NULL,
       NULL, NULL, NULL, 0, FALSE, NULL, TRUE, FALSE
  FROM json_each(?1) ORDER BY key;

-- name: profiles_insert_many
-- batch: profiles from a JSON array of [localpart, user ID, display name]
INSERT INTO profiles (user_id, full_user_id, displayname)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
  FROM json_each(?1) ORDER BY key;

-- name: user_stats_insert_many
-- batch: the stats rows of a JSON array of user IDs
INSERT INTO user_stats_current (user_id, joined_rooms, completed_delta_stream_id)
SELECT value, 0, (SELECT coalesce(max(stream_id), -1) FROM current_state_delta_stream) FROM json_each(?1) ORDER BY key;

-- name: user_dir_put_many
-- batch: directory entries from a JSON array of [user ID, display name, folded name]
INSERT INTO user_directory (user_id, room_id, display_name, avatar_url)
SELECT json_extract(value, '$[0]'), NULL, json_extract(value, '$[1]'), NULL FROM json_each(?1) WHERE true
ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, avatar_url = excluded.avatar_url;

-- name: user_dir_search_put_many
-- the same array into the FTS4 index (the users are new: no row to replace)
INSERT INTO user_directory_search (user_id, value)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[0]') || coalesce(' ' || json_extract(value, '$[2]'), '')
  FROM json_each(?1) ORDER BY key;

-- name: account_set_admin_guarded
-- batch (SQLite's one-row loop): the flag of one user the check would let
-- change (not a guest, not an appservice's); changes 0 rows otherwise
UPDATE users SET admin = ?1 WHERE name = ?2 AND admin = ?3 AND is_guest = 0 AND appservice_id IS NULL;

-- name: accounts_set_admin_returning
-- batch: the flag of every user of a JSON array of IDs that the check would
-- let change (not a guest, not an appservice's), in one statement; the IDs it changed
UPDATE users SET admin = ?2 WHERE name IN (SELECT value FROM json_each(?1)) AND admin = ?3
   AND is_guest = 0 AND appservice_id IS NULL
RETURNING name;

-- ---- user directory rebuild (the four updates: doctor.sql's fragment user_dir_jobs) ----
-- name: user_dir_rebuild_pending
-- the rebuild's updates still pending
SELECT count(*) FROM background_updates WHERE update_name IN {{user_dir_jobs}};

-- name: user_dir_rebuild
-- `user directory rebuild`: the same four updates, whatever is missing
{{user_dir_rebuild_insert}}
RETURNING update_name;
