-- SPDX-License-Identifier: Apache-2.0
-- doctor's checks of a Synapse database (SQLite). One check per block: its
-- find (total, item: the first few rows, one set-based query) and, when it
-- has one right repair, its fix steps (each row RETURNING target, old, new
-- is one audit row). ?1 is the server_name where a check takes it. The
-- checks' words are in src/hs/synapse/doctor.c. See the PostgreSQL twin.

-- fragment: local
substr(u.name, instr(u.name, ':') + 1) = ?1 AND substr(u.name, 1, 1) = '@'

-- fragment: localpart
substr(u.name, 2, instr(u.name, ':') - 2)

-- ---- synapse-missing-profile ----
-- name: doctor_syn_missing_profile
SELECT COUNT(*) OVER (), u.name FROM users u
 WHERE u.deactivated = 0 AND u.is_guest = 0 AND {{local}}
   AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = {{localpart}})
 ORDER BY u.name LIMIT 5;

-- name: doctor_syn_missing_profile_fix
-- what registration writes: the display name is the localpart
INSERT INTO profiles (user_id, full_user_id, displayname)
SELECT {{localpart}}, u.name, {{localpart}} FROM users u
 WHERE u.deactivated = 0 AND u.is_guest = 0 AND {{local}}
   AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = {{localpart}})
RETURNING full_user_id, NULL, 'created';

-- ---- synapse-profile-full-user-id ----
-- name: doctor_syn_profile_full_id
SELECT COUNT(*) OVER (), p.user_id || CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.name = '@' || p.user_id || ':' || ?1)
                                           THEN ' (of @' || p.user_id || ':' || ?1 || ')' ELSE ' (no such user)' END
  FROM profiles p WHERE p.full_user_id IS NULL ORDER BY p.user_id LIMIT 5;

-- name: doctor_syn_profile_full_id_fix
-- only where the user exists under this server_name: that is the ID it stands for
UPDATE profiles SET full_user_id = '@' || user_id || ':' || ?1
 WHERE full_user_id IS NULL AND EXISTS (SELECT 1 FROM users u WHERE u.name = '@' || profiles.user_id || ':' || ?1)
RETURNING full_user_id, NULL, full_user_id;

-- ---- synapse-deactivated-tokens ----
-- mxdba's own minted tokens (negative ids) are the next check's
-- name: doctor_syn_deactivated_tokens
SELECT COUNT(*) OVER (), t.user_id || ' (' || COUNT(*) || ' token(s))'
  FROM (SELECT user_id FROM access_tokens WHERE id >= 0 UNION ALL SELECT user_id FROM refresh_tokens) t
  JOIN users u ON u.name = t.user_id
 WHERE u.deactivated = 1
 GROUP BY t.user_id ORDER BY t.user_id LIMIT 5;

-- name: doctor_syn_deactivated_refresh_fix
-- (deleting a refresh token deletes the access tokens made from it: ON DELETE CASCADE)
DELETE FROM refresh_tokens WHERE user_id IN (SELECT name FROM users WHERE deactivated = 1)
RETURNING user_id, 'refresh token ' || id, 'deleted';

-- name: doctor_syn_deactivated_access_fix
DELETE FROM access_tokens WHERE id >= 0 AND user_id IN (SELECT name FROM users WHERE deactivated = 1)
RETURNING user_id, 'access token ' || id || CASE WHEN device_id IS NULL THEN '' ELSE ' (device ' || device_id || ')' END, 'deleted';

-- ---- synapse-deactivated-devices ----
-- devices whose end-to-end keys are still advertised (a device without keys harms nobody)
-- name: doctor_syn_deactivated_devices
SELECT COUNT(*) OVER (), d.user_id || ' (' || COUNT(*) || ' device(s) with keys)'
  FROM users u CROSS JOIN devices d ON d.user_id = u.name
 WHERE u.deactivated = 1
   AND EXISTS (SELECT 1 FROM e2e_device_keys_json k WHERE k.user_id = d.user_id AND k.device_id = d.device_id)
 GROUP BY d.user_id ORDER BY d.user_id LIMIT 5;

-- ---- synapse-pending-deactivation ----
-- a row the user parter cannot take: not '@localpart:server', or another server's
-- name: doctor_syn_pending_bad
SELECT COUNT(*) OVER (), quote(user_id) FROM users_pending_deactivation
 WHERE NOT (substr(user_id, 1, 1) = '@' AND instr(user_id, ':') > 2 AND substr(user_id, instr(user_id, ':') + 1) = ?1)
 ORDER BY user_id LIMIT 5;

-- name: doctor_syn_pending_bad_fix
DELETE FROM users_pending_deactivation
 WHERE NOT (substr(user_id, 1, 1) = '@' AND instr(user_id, ':') > 2 AND substr(user_id, instr(user_id, ':') + 1) = ?1)
RETURNING user_id, 'queued for parting', 'deleted';

-- ---- synapse-deactivated-joined ----
-- name: doctor_syn_deactivated_joined
-- (CROSS JOIN: SQLite then reads the users first and looks up only the
-- deactivated ones' memberships, instead of every membership's user)
SELECT COUNT(*) OVER (), l.user_id || ' (' || COUNT(*) || ' room(s))'
  FROM users u CROSS JOIN local_current_membership l ON l.user_id = u.name
 WHERE u.deactivated = 1 AND l.membership = 'join'
 GROUP BY l.user_id ORDER BY l.user_id LIMIT 5;

-- ---- synapse-foreign-users ----
-- name: doctor_syn_foreign_users
SELECT COUNT(*) OVER (), u.name FROM users u WHERE NOT ({{local}}) ORDER BY u.name LIMIT 5;

-- ---- synapse-deactivated-admins ----
-- name: doctor_syn_deactivated_admins
SELECT COUNT(*) OVER (), u.name FROM users u WHERE u.admin = 1 AND u.deactivated = 1 ORDER BY u.name LIMIT 5;

-- ---- synapse-no-active-admin ----
-- only once someone could be one: an empty (fresh) database is not a finding
-- name: doctor_syn_no_admin
SELECT 1, (SELECT COUNT(*) FROM users u WHERE u.deactivated = 0 AND u.is_guest = 0 AND u.appservice_id IS NULL AND {{local}})
       || ' active user(s), none of them an admin'
 WHERE EXISTS (SELECT 1 FROM users u WHERE u.deactivated = 0 AND u.is_guest = 0 AND u.appservice_id IS NULL AND {{local}})
   AND NOT EXISTS (SELECT 1 FROM users u WHERE u.admin = 1 AND u.deactivated = 0 AND {{local}});

-- name: doctor_syn_updates_pending
-- the pending background updates, when ?1 = 1 (Synapse is stopped)
SELECT (SELECT count(*) FROM background_updates), update_name
  FROM background_updates WHERE ?1 = 1 ORDER BY ordering, update_name LIMIT 5;

-- name: doctor_syn_tasks_interrupted
-- jobs of Synapse's task scheduler (room deletions, history purges) still
-- active while Synapse is stopped (?1 = 1): the process running them died
SELECT (SELECT count(*) FROM scheduled_tasks WHERE status = 'active'), id || ' ' || action || coalesce(' ' || resource_id, '')
  FROM scheduled_tasks WHERE ?1 = 1 AND status = 'active' ORDER BY timestamp, id LIMIT 5;

-- name: doctor_syn_update_cycle
-- the pending updates whose depends_on chain comes back to itself
WITH RECURSIVE chain(start, cur, depth) AS (
  SELECT update_name, depends_on, 1 FROM background_updates WHERE depends_on IS NOT NULL
  UNION ALL
  SELECT c.start, b.depends_on, c.depth + 1
    FROM chain c JOIN background_updates b ON b.update_name = c.cur
   WHERE b.depends_on IS NOT NULL AND c.depth <= (SELECT count(*) FROM background_updates)),
     blocked AS (SELECT DISTINCT start AS name FROM chain WHERE depth > (SELECT count(*) FROM background_updates))
SELECT (SELECT count(*) FROM blocked), name FROM blocked ORDER BY name LIMIT 5;

-- name: doctor_syn_forward_extremities
-- rooms with more forward extremities than the threshold ?1
WITH fe AS (SELECT room_id, count(*) AS n FROM event_forward_extremities GROUP BY room_id HAVING count(*) > ?1)
SELECT (SELECT count(*) FROM fe), room_id || ' (' || n || ')' FROM fe ORDER BY n DESC, room_id LIMIT 5;

-- name: doctor_syn_sliding_sync_leftovers
-- rooms listed for a sliding-sync recalculation while no background update
-- is pending to do it (nothing will read or delete those rows)
SELECT count(*) OVER (), room_id FROM sliding_sync_joined_rooms_to_recalculate
 WHERE NOT EXISTS (SELECT 1 FROM background_updates WHERE update_name IN ('sliding_sync_prefill_joined_rooms_to_recalculate_table_bg_update', 'sliding_sync_joined_rooms_bg_update'))
 ORDER BY room_id LIMIT 5;

-- name: doctor_syn_sliding_sync_leftovers_fix
-- Synapse's own update that recalculates the listed rooms and empties the
-- list, scheduled as its release 1.114 schedules it (ordering 8701)
INSERT INTO background_updates (ordering, update_name, progress_json)
SELECT 8701, 'sliding_sync_joined_rooms_bg_update', '{}'
 WHERE EXISTS (SELECT 1 FROM sliding_sync_joined_rooms_to_recalculate)
   AND NOT EXISTS (SELECT 1 FROM background_updates WHERE update_name IN ('sliding_sync_prefill_joined_rooms_to_recalculate_table_bg_update', 'sliding_sync_joined_rooms_bg_update'))
RETURNING update_name, 'not pending', 'scheduled';

-- ---- synapse-user-directory-missing ----
-- fragment: user_dir_jobs
('populate_user_directory_createtables', 'populate_user_directory_process_rooms',
 'populate_user_directory_process_users', 'populate_user_directory_cleanup')

-- fragment: user_dir_rebuild_insert
-- the four updates, each waiting for the one before, as the job inserts them
WITH j(name, dep) AS (VALUES ('populate_user_directory_createtables', ''),
  ('populate_user_directory_process_rooms', 'populate_user_directory_createtables'),
  ('populate_user_directory_process_users', 'populate_user_directory_process_rooms'),
  ('populate_user_directory_cleanup', 'populate_user_directory_process_users'))
INSERT INTO background_updates (update_name, progress_json, depends_on)
SELECT j.name, '{}', j.dep FROM j

-- fragment: user_dir_missing
{{local}} AND u.deactivated = 0 AND u.is_guest = 0 AND u.appservice_id IS NULL AND (u.user_type IS NULL OR u.user_type <> 'support')
AND NOT EXISTS (SELECT 1 FROM user_directory d WHERE d.user_id = u.name)

-- name: doctor_syn_user_dir_missing
-- local users Synapse would list in its directory (not deactivated, not an
-- appservice's, not a support user: should_include_local_user_in_dir; not a
-- guest, which its registration leaves out) that
-- are not in it, while no rebuild is pending
SELECT count(*) OVER (), u.name FROM users u
 WHERE {{user_dir_missing}}
   AND NOT EXISTS (SELECT 1 FROM background_updates WHERE update_name IN {{user_dir_jobs}})
 ORDER BY u.name LIMIT 5;

-- name: doctor_syn_user_dir_missing_fix
-- Synapse's own rebuild, the four updates its admin API's regenerate_directory
-- job inserts (each waiting for the one before), when a user is missing
{{user_dir_rebuild_insert}}
 WHERE EXISTS (SELECT 1 FROM users u WHERE {{user_dir_missing}})
   AND NOT EXISTS (SELECT 1 FROM background_updates WHERE update_name IN {{user_dir_jobs}})
RETURNING update_name, 'not pending', 'scheduled';

-- ---- mxdba-minted-leftovers (the check is mxdba's own: src/hs/doctor.c) ----
-- fragment: minted_leftover
NOT EXISTS (SELECT 1 FROM mxdba_queue q WHERE q.state = 'pending' AND q.user_id = '@' || m.localpart || ':' || m.server_name)

-- name: doctor_minted_leftovers
SELECT COUNT(*) OVER (), '@' || m.localpart || ':' || m.server_name || ' (minted ' || datetime(m.created_ts / 1000, 'unixepoch') || ' UTC)'
  FROM mxdba_minted m WHERE {{minted_leftover}} ORDER BY m.created_ts LIMIT 5;

-- name: doctor_minted_leftovers_fix
DELETE FROM access_tokens WHERE token IN (SELECT m.access_token FROM mxdba_minted m WHERE {{minted_leftover}})
RETURNING user_id, 'access token ' || id || ' (minted by queue apply)', 'deleted';

-- name: doctor_minted_registry_fix
DELETE FROM mxdba_minted WHERE access_token IN (SELECT m.access_token FROM mxdba_minted m WHERE {{minted_leftover}});
