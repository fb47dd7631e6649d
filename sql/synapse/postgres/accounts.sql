-- SPDX-License-Identifier: Apache-2.0
-- users, profiles and user_stats_current (PostgreSQL). admin, is_guest and
-- deactivated are smallint (0/1); locked is boolean. Sorted by bytes
-- (COLLATE "C"), the order SQLite gives.

-- name: account_get
SELECT name, password_hash, creation_ts, admin, is_guest, appservice_id, deactivated, locked::int, user_type
  FROM users WHERE name = $1;

-- name: accounts_list
SELECT u.name, u.admin, u.deactivated, u.creation_ts, p.displayname, u.is_guest, u.appservice_id
  FROM users u
  LEFT JOIN profiles p ON p.full_user_id = u.name
 WHERE ($1::int = 0 OR u.admin = 1) AND ($2::int = 0 OR u.deactivated = 1)
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

-- name: profile_get
SELECT displayname, avatar_url FROM profiles WHERE user_id = $1;

-- name: profile_set_display_name
UPDATE profiles SET displayname = $1 WHERE user_id = $2;
