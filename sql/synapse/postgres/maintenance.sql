-- SPDX-License-Identifier: Apache-2.0
-- Queued room maintenance on Synapse: what the server itself recorded of the
-- jobs its admin API started (scheduled_tasks, kept across restarts: a
-- deletion that was running when Synapse died is resumed when it starts).

-- name: room_job_latest
-- the newest job of action $2 (shutdown_and_purge_room, purge_history) on
-- room $1 last updated at or after $3 (ms): its id and status
-- (scheduled, active, complete, failed)
SELECT id, status FROM scheduled_tasks
 WHERE resource_id = $1 AND action = $2 AND timestamp >= $3::bigint
 ORDER BY timestamp DESC, id DESC
 LIMIT 1;
