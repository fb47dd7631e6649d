-- SPDX-License-Identifier: Apache-2.0
-- mxdba_audit: one row per changed value, written in the same transaction as
-- the change: who, when, the command (secrets elided), the old and new value.
-- The old password hash is kept so `audit undo` can restore it; a password never is.
CREATE TABLE mxdba_audit (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  ts         BIGINT NOT NULL,
  os_user    TEXT NOT NULL,
  command    TEXT NOT NULL,
  target     TEXT NOT NULL,
  field      TEXT NOT NULL,
  old_value  TEXT,
  new_value  TEXT
);
CREATE INDEX mxdba_audit_target_idx ON mxdba_audit (target, id);
CREATE INDEX mxdba_audit_ts_idx ON mxdba_audit (ts);
