-- SPDX-License-Identifier: Apache-2.0
-- `mxdba store copy --from FILE`: mxdba's own rows from an old SQLite
-- database (the one synapse_port_db read) into the database mxdba writes now.
-- The copy_src_* statements read the source (always SQLite in practice);
-- the copy_dst_* ones write the target. Ids are kept, so `audit undo ID`
-- and `queue cancel ID` mean the same rows as before the move.

-- name: copy_src_has_store
SELECT count(*) FROM information_schema.tables WHERE table_schema = ANY (current_schemas(false)) AND table_name IN ('mxdba_migrations', 'mxdba_audit', 'mxdba_queue', 'mxdba_minted');

-- name: copy_src_migrations
SELECT version FROM mxdba_migrations ORDER BY version;

-- name: copy_src_audit
SELECT id, ts, os_user, command, target, field, old_value, new_value FROM mxdba_audit ORDER BY id;

-- name: copy_src_queue
-- a store with every migration up to 0004_queue_job
SELECT id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts, updated_ts,
       created_by, sender, job
  FROM mxdba_queue ORDER BY id;

-- name: copy_src_queue_nojob
-- a store from before migration 0004_queue_job: no job started yet
SELECT id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts, updated_ts,
       created_by, sender, ''
  FROM mxdba_queue ORDER BY id;

-- name: copy_src_queue_nosender
-- a store from before migration 0003_queue_sender: no sender yet ('' : queue apply decides)
SELECT id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts, updated_ts,
       created_by, '', ''
  FROM mxdba_queue ORDER BY id;

-- name: copy_src_minted
SELECT access_token, device_id, localpart, server_name, created_ts FROM mxdba_minted ORDER BY access_token;

-- name: copy_dst_counts
SELECT (SELECT count(*) FROM mxdba_audit), (SELECT count(*) FROM mxdba_queue), (SELECT count(*) FROM mxdba_minted);

-- name: copy_dst_done
-- an earlier copy of the same source: its own audit row
SELECT ts FROM mxdba_audit WHERE target = 'mxdba' AND field = 'store' AND new_value = $1 ORDER BY id LIMIT 1;

-- name: copy_dst_audit
INSERT INTO mxdba_audit (id, ts, os_user, command, target, field, old_value, new_value)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: copy_dst_queue
INSERT INTO mxdba_queue (id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts,
                         updated_ts, created_by, sender, job)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15);

-- name: copy_dst_minted
INSERT INTO mxdba_minted (access_token, device_id, localpart, server_name, created_ts)
VALUES ($1, $2, $3, $4, $5);

-- name: copy_dst_sequences
-- the id sequences past the copied ids: the next audit row or queued operation gets a new one
SELECT setval(pg_get_serial_sequence('mxdba_audit', 'id'), coalesce((SELECT max(id) FROM mxdba_audit), 0) + 1, false),
       setval(pg_get_serial_sequence('mxdba_queue', 'id'), coalesce((SELECT max(id) FROM mxdba_queue), 0) + 1, false);
