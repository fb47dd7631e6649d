-- SPDX-License-Identifier: Apache-2.0
-- mxdba's own tables in the userapi database (SQLite). See the PostgreSQL twin.
CREATE TABLE mxdba_queue (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL CHECK (kind IN ('leave', 'notice')),
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
  created_by  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX mxdba_queue_pending_idx ON mxdba_queue (kind, user_id, room_id, body) WHERE state = 'pending';
CREATE INDEX mxdba_queue_state_idx ON mxdba_queue (state, user_id);
CREATE TABLE mxdba_minted (
  access_token TEXT PRIMARY KEY,
  device_id    TEXT NOT NULL,
  localpart    TEXT NOT NULL,
  server_name  TEXT NOT NULL,
  created_ts   BIGINT NOT NULL
);
