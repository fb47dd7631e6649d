-- SPDX-License-Identifier: Apache-2.0
-- mxdba_queue and mxdba_minted (the homeserver database mxdba writes: Dendrite's userapi).

-- name: queue_insert
-- one pending row per (kind, user, room, body): a second queueing is a no-op
INSERT INTO mxdba_queue (kind, user_id, room_id, body, state, attempts, created_ts, updated_ts, created_by, sender)
SELECT $1::text, $2::text, $3::text, $4::text, 'pending', 0, $5::bigint, $5::bigint, $6::text, $7::text
 WHERE NOT EXISTS (SELECT 1 FROM mxdba_queue
                    WHERE kind = $1 AND user_id = $2 AND room_id = $3 AND body = $4 AND state = 'pending');

-- name: queue_list
SELECT id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts, updated_ts, sender,
       job
  FROM mxdba_queue
 WHERE ($1 = '' OR position(',' || state || ',' in ',' || $1 || ',') > 0)
 ORDER BY id;

-- name: queue_get_state
SELECT state FROM mxdba_queue WHERE id = $1;

-- name: queue_cancel
UPDATE mxdba_queue SET state = 'cancelled', updated_ts = $2 WHERE id = $1 AND state = 'pending';

-- name: queue_cancel_all
UPDATE mxdba_queue SET state = 'cancelled', updated_ts = $1 WHERE state = 'pending';

-- name: queue_pending_batch
-- worker $4 of $3 (queue apply --parallel) takes the rows whose id modulo $3 is $4
SELECT id, kind, user_id, room_id, body, sender, created_ts, job FROM mxdba_queue
 WHERE state = 'pending' AND id > $1 AND id % $3::bigint = $4::bigint
 ORDER BY id LIMIT $2;

-- name: queue_finish
UPDATE mxdba_queue
   SET state = $1, attempts = attempts + 1, http_status = $2, errcode = $3, error = $4, updated_ts = $5
 WHERE id = $6 AND state = 'pending';

-- name: queue_attempted
-- a try that did not finish (the server went away): the row stays pending
UPDATE mxdba_queue SET attempts = attempts + 1, error = $1, updated_ts = $2 WHERE id = $3 AND state = 'pending';

-- name: queue_set_job
-- the server's id of the job row $3 started (a delete_id, a purge_id)
UPDATE mxdba_queue SET job = $1::text, updated_ts = $2::bigint WHERE id = $3::bigint AND state = 'pending';

-- name: queue_pending_for_room
-- a pending operation of kind $1 on room $2 (room delete refuses a second one)
SELECT id FROM mxdba_queue WHERE kind = $1 AND room_id = $2 AND state = 'pending' ORDER BY id LIMIT 1;

-- name: queue_counts
SELECT state, count(*) FROM mxdba_queue GROUP BY state ORDER BY state;

-- name: minted_insert
INSERT INTO mxdba_minted (access_token, device_id, localpart, server_name, created_ts) VALUES ($1, $2, $3, $4, $5);

-- name: minted_list
SELECT access_token, device_id, localpart, server_name FROM mxdba_minted ORDER BY created_ts;

-- name: minted_delete
DELETE FROM mxdba_minted WHERE access_token = $1;
