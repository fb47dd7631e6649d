-- SPDX-License-Identifier: Apache-2.0
-- users, profiles and user_stats_current (PostgreSQL). admin, is_guest and
-- deactivated are smallint (0/1); locked is boolean. Sorted by bytes
-- (COLLATE "C"), the order SQLite gives.

-- name: account_get
-- with the shadow-ban flag (NULL in rows older than the column: false, as
-- Synapse reads it) and the rate-limit override, if any (NULL figures
-- are 0: no limit, as Synapse reads them)
SELECT u.name, u.password_hash, u.creation_ts, u.admin, u.is_guest, u.appservice_id, u.deactivated, u.locked::int,
       u.user_type, coalesce(u.shadow_banned, FALSE)::int, (r.user_id IS NOT NULL)::int,
       coalesce(r.messages_per_second, 0), coalesce(r.burst_count, 0)
  FROM users u LEFT JOIN ratelimit_override r ON r.user_id = u.name
 WHERE u.name = $1;

-- name: accounts_list
SELECT u.name, u.admin, u.deactivated, u.creation_ts, p.displayname, u.is_guest, u.appservice_id
  FROM users u
  LEFT JOIN profiles p ON p.full_user_id = u.name
 WHERE ($1::int = 0 OR u.admin = 1) AND ($2::int = 0 OR u.deactivated = 1) AND ($3::int = 0 OR u.shadow_banned)
 ORDER BY u.name COLLATE "C";

-- name: accounts_stats
SELECT count(*), count(*) FILTER (WHERE admin = 1), count(*) FILTER (WHERE deactivated = 1),
       count(*) FILTER (WHERE admin = 1 AND deactivated = 0)
  FROM users;

-- name: admins_active_count
SELECT count(*) FROM users
 WHERE admin = 1 AND deactivated = 0 AND right(name, length($1::text) + 1) = ':' || $1::text;

-- name: profile_owner
-- a profile row for this localpart (whoever it names)
SELECT coalesce(full_user_id, user_id) FROM profiles WHERE user_id = $1;

-- name: account_insert
-- as Synapse's registration: approved, not locked, suspended or shadow-banned
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked,
                   suspended)
VALUES ($1, $2, $3, $4, NULL, 0, NULL, NULL, NULL, NULL, $5, FALSE, NULL, TRUE, FALSE, FALSE);

-- name: account_insert_without_suspended
-- account_insert for schema 83-84 (Synapse 1.98-1.106): users.suspended came in 85
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked)
VALUES ($1, $2, $3, $4, NULL, 0, NULL, NULL, NULL, NULL, $5, FALSE, NULL, TRUE, FALSE);

-- name: profile_insert
INSERT INTO profiles (user_id, full_user_id, displayname) VALUES ($1, $2, $3);

-- name: user_stats_insert
INSERT INTO user_stats_current (user_id, joined_rooms, completed_delta_stream_id)
VALUES ($1, 0, (SELECT coalesce(max(stream_id), -1) FROM current_state_delta_stream));

-- name: account_set_admin
UPDATE users SET admin = $1 WHERE name = $2 AND admin = $3;

-- name: account_set_password
UPDATE users SET password_hash = $1 WHERE name = $2;

-- name: account_set_deactivated
UPDATE users SET deactivated = $1 WHERE name = $2;

-- name: account_set_locked
UPDATE users SET locked = ($1::int <> 0) WHERE name = $2;

-- name: account_set_shadow_banned
UPDATE users SET shadow_banned = ($1::int <> 0) WHERE name = $2;

-- name: ratelimit_set
-- as the admin API's override_ratelimit: one row per user, replaced
INSERT INTO ratelimit_override (user_id, messages_per_second, burst_count) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET messages_per_second = excluded.messages_per_second,
                                    burst_count = excluded.burst_count;

-- name: ratelimit_clear
DELETE FROM ratelimit_override WHERE user_id = $1;

-- name: profile_get
SELECT displayname, avatar_url FROM profiles WHERE user_id = $1;

-- name: profile_set_display_name
UPDATE profiles SET displayname = $1 WHERE user_id = $2;

-- The user directory (Synapse's user_directory handler writes it when a
-- local user registers or changes profile, and clears it at deactivation;
-- it does not fill it for a user made outside it, even at its next start).
-- name: user_dir_put
INSERT INTO user_directory (user_id, room_id, display_name, avatar_url) VALUES ($1, NULL, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url;

-- name: user_dir_delete
DELETE FROM user_directory WHERE user_id = $1;

-- name: user_dir_search_delete
DELETE FROM user_directory_search WHERE user_id = $1;

-- name: user_dir_public_delete
DELETE FROM users_in_public_rooms WHERE user_id = $1;

-- name: user_dir_shared_delete
DELETE FROM users_who_share_private_rooms WHERE user_id = $1 OR other_user_id = $1;

-- name: user_dir_search_put
-- weights as Synapse's: localpart A, lower-cased NFKC display name B,
-- server name D ($1 is a local user ID: '@' localpart ':' server name)
INSERT INTO user_directory_search (user_id, vector)
VALUES ($1, setweight(to_tsvector('simple', substr($1, 2, strpos($1, ':') - 2)), 'A')
            || setweight(to_tsvector('simple', substr($1, strpos($1, ':') + 1)), 'D')
            || setweight(to_tsvector('simple', coalesce($2::text, '')), 'B'))
ON CONFLICT (user_id) DO UPDATE SET vector = EXCLUDED.vector;

-- ---- batch fast paths (src/hs/synapse/bulk.c) ----

-- name: accounts_taken_many
-- batch: which of a JSON array of [user ID, localpart] are taken (the
-- account, or a profile left under the localpart); the localparts
SELECT x.v ->> 1 FROM json_array_elements($1::json) AS x(v)
 WHERE EXISTS (SELECT 1 FROM users WHERE name = x.v ->> 0)
    OR EXISTS (SELECT 1 FROM profiles WHERE user_id = x.v ->> 1);

-- name: accounts_insert_many
-- batch: users from a JSON array of [user ID, password_hash or null, admin]
-- (creation_ts $2 in seconds), as account_insert writes one
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked,
                   suspended)
SELECT x.v ->> 0, x.v ->> 1, $2, (x.v ->> 2)::smallint, NULL, 0, NULL, NULL, NULL, NULL, 0, FALSE, NULL, TRUE, FALSE,
       FALSE
  FROM json_array_elements($1::json) AS x(v);

-- name: accounts_insert_many_without_suspended
-- accounts_insert_many for schema 83-84 (users.suspended came in 85)
INSERT INTO users (name, password_hash, creation_ts, admin, upgrade_ts, is_guest, appservice_id, consent_version,
                   consent_server_notice_sent, user_type, deactivated, shadow_banned, consent_ts, approved, locked)
SELECT x.v ->> 0, x.v ->> 1, $2, (x.v ->> 2)::smallint, NULL, 0, NULL, NULL, NULL, NULL, 0, FALSE, NULL, TRUE, FALSE
  FROM json_array_elements($1::json) AS x(v);

-- name: profiles_insert_many
-- batch: profiles from a JSON array of [localpart, user ID, display name]
INSERT INTO profiles (user_id, full_user_id, displayname)
SELECT x.v ->> 0, x.v ->> 1, x.v ->> 2 FROM json_array_elements($1::json) AS x(v);

-- name: user_stats_insert_many
-- batch: the stats rows of a JSON array of user IDs
INSERT INTO user_stats_current (user_id, joined_rooms, completed_delta_stream_id)
SELECT x.v, 0, (SELECT coalesce(max(stream_id), -1) FROM current_state_delta_stream)
  FROM json_array_elements_text($1::json) AS x(v);

-- name: user_dir_put_many
-- batch: directory entries from a JSON array of [user ID, display name, folded name]
INSERT INTO user_directory (user_id, room_id, display_name, avatar_url)
SELECT x.v ->> 0, NULL, x.v ->> 1, NULL FROM json_array_elements($1::json) AS x(v)
ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url;

-- name: user_dir_search_put_many
-- the same array into the search index, weighted as user_dir_search_put
INSERT INTO user_directory_search (user_id, vector)
SELECT x.v ->> 0,
       setweight(to_tsvector('simple', substr(x.v ->> 0, 2, strpos(x.v ->> 0, ':') - 2)), 'A')
       || setweight(to_tsvector('simple', substr(x.v ->> 0, strpos(x.v ->> 0, ':') + 1)), 'D')
       || setweight(to_tsvector('simple', coalesce(x.v ->> 2, '')), 'B')
  FROM json_array_elements($1::json) AS x(v)
ON CONFLICT (user_id) DO UPDATE SET vector = EXCLUDED.vector;

-- name: account_set_admin_guarded
-- the one-row form of the next one (SQLite's batch loop; here for the twin)
UPDATE users SET admin = $1 WHERE name = $2 AND admin = $3 AND is_guest = 0 AND appservice_id IS NULL;

-- name: accounts_set_admin_returning
-- batch: the flag of every user of a JSON array of IDs that the check would
-- let change, in one statement; the IDs it changed
UPDATE users SET admin = $2 WHERE name IN (SELECT json_array_elements_text($1::json)) AND admin = $3
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
