-- SPDX-License-Identifier: Apache-2.0
-- The tool's own migration bookkeeping (the homeserver database mxdba writes: Dendrite's userapi).

-- name: mxdba_migrations_create
CREATE TABLE IF NOT EXISTS mxdba_migrations (
  version TEXT PRIMARY KEY, applied_ts BIGINT NOT NULL, mxdba_version TEXT NOT NULL);

-- name: mxdba_migration_applied
SELECT applied_ts FROM mxdba_migrations WHERE version = $1;

-- name: mxdba_migration_record
INSERT INTO mxdba_migrations (version, applied_ts, mxdba_version) VALUES ($1, $2, $3);
