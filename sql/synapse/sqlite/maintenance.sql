-- SPDX-License-Identifier: Apache-2.0
-- Queued room maintenance on Synapse: what the server itself recorded of the
-- jobs its admin API started (scheduled_tasks, kept across restarts: a
-- deletion that was running when Synapse died is resumed when it starts).

-- name: room_job_latest
-- the newest job of action ?2 (shutdown_and_purge_room, purge_history) on
-- room ?1 last updated at or after ?3 (ms): its id and status
-- (scheduled, active, complete, failed), and the error it recorded
SELECT id, status, error FROM scheduled_tasks
 WHERE resource_id = ?1 AND action = ?2 AND timestamp >= ?3
 ORDER BY timestamp DESC, id DESC
 LIMIT 1;

-- name: room_delete_blocker
-- a row that makes Synapse's purge of room ?1 fail on its foreign key to
-- rooms(room_id), because the purge leaves it (1.163.2; element-hq/synapse
-- #19822): the table, and how many pending background updates will still
-- consume it (0: nothing will)
SELECT 'sliding_sync_joined_rooms_to_recalculate',
       (SELECT count(*) FROM background_updates WHERE update_name IN ('sliding_sync_prefill_joined_rooms_to_recalculate_table_bg_update', 'sliding_sync_joined_rooms_bg_update'))
  FROM sliding_sync_joined_rooms_to_recalculate WHERE room_id = ?1;
