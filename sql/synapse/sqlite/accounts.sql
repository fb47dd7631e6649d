-- SPDX-License-Identifier: Apache-2.0
-- users, profiles and user_stats_current (SQLite). users is keyed by the
-- full user ID, creation_ts in seconds; profiles by the localpart. Every
-- statement names its columns (their order differs between fresh and
-- upgraded databases).

-- name: account_get
SELECT name, password_hash, creation_ts, admin, is_guest, appservice_id, deactivated, locked, user_type
  FROM users WHERE name = ?1;

-- name: accounts_list
SELECT u.name, u.admin, u.deactivated, u.creation_ts, p.displayname, u.is_guest, u.appservice_id
  FROM users u
  LEFT JOIN profiles p ON p.full_user_id = u.name
 WHERE (?1 = 0 OR u.admin = 1) AND (?2 = 0 OR u.deactivated = 1)
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

-- name: profile_get
SELECT displayname, avatar_url FROM profiles WHERE user_id = ?1;

-- name: profile_set_display_name
UPDATE profiles SET displayname = ?1 WHERE user_id = ?2;
