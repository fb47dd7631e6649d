-- SPDX-License-Identifier: Apache-2.0
-- Queued room maintenance (room delete, room purge-history, media
-- purge-remote): three more kinds, and the server's own id of the job such
-- an operation started (Synapse's delete_id or purge_id), stored as soon as
-- the server answers it: an apply that was killed follows that job instead
-- of starting the operation again ('' while none was started, and for
-- leaves and notices). SQLite cannot change a CHECK constraint in place: the
-- table is made again with every row, id and the AUTOINCREMENT counter kept.
CREATE TABLE mxdba_queue_0004 (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL CHECK (kind IN ('leave', 'notice', 'room_delete', 'purge_history', 'purge_remote_media')),
  user_id     TEXT NOT NULL,
  room_id     TEXT NOT NULL DEFAULT '',
  body        TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'skipped', 'failed', 'cancelled')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  http_status INTEGER,
  errcode     TEXT,
  error       TEXT,
  created_ts  BIGINT NOT NULL,
  updated_ts  BIGINT NOT NULL,
  created_by  TEXT NOT NULL DEFAULT '',
  sender      TEXT NOT NULL DEFAULT '',
  job         TEXT NOT NULL DEFAULT ''
);
INSERT INTO mxdba_queue_0004 (id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error,
                              created_ts, updated_ts, created_by, sender, job)
SELECT id, kind, user_id, room_id, body, state, attempts, http_status, errcode, error, created_ts, updated_ts,
       created_by, sender, ''
  FROM mxdba_queue ORDER BY id;
-- the counter: ids of rows ever made are never given again
INSERT INTO sqlite_sequence (name, seq)
SELECT 'mxdba_queue_0004', seq FROM sqlite_sequence WHERE name = 'mxdba_queue'
   AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'mxdba_queue_0004');
UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence WHERE name IN ('mxdba_queue', 'mxdba_queue_0004'))
 WHERE name = 'mxdba_queue_0004';
DROP TABLE mxdba_queue;
ALTER TABLE mxdba_queue_0004 RENAME TO mxdba_queue;
CREATE UNIQUE INDEX mxdba_queue_pending_idx ON mxdba_queue (kind, user_id, room_id, body) WHERE state = 'pending';
CREATE INDEX mxdba_queue_state_idx ON mxdba_queue (state, user_id);
