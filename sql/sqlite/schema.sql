-- SPDX-License-Identifier: Apache-2.0
-- Schema detection (SQLite). Read-only.

-- name: probe
SELECT count(*) FROM sqlite_master;

-- name: read_only_begin
PRAGMA query_only = 1;

-- name: table_exists
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1;

-- name: schema_facts
-- the tables and columns schema detection looks at, in one statement:
-- db_migrations, userapi_accounts, account_accounts, goose_db_version,
-- userapi_accounts.server_name, userapi_accounts.account_type (1 or 0 each)
SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'db_migrations'),
       (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'userapi_accounts'),
       (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'account_accounts'),
       (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'),
       (SELECT count(*) FROM pragma_table_info('userapi_accounts') WHERE name = 'server_name'),
       (SELECT count(*) FROM pragma_table_info('userapi_accounts') WHERE name = 'account_type');

-- name: migration_exists
SELECT 1 FROM db_migrations WHERE version = ?1;

-- name: migration_versions
SELECT dendrite_version, count(*), min(time), max(time)
  FROM db_migrations GROUP BY dendrite_version ORDER BY max(time), dendrite_version;

-- name: other_sessions
-- SQLite has no sessions; mxdba looks for other processes holding the file (/proc)
SELECT 0, '';

-- name: deallocate_all
-- nothing to drop on SQLite (statements are cached client-side)
SELECT 1;

-- Transaction control. Writes on SQLite take the EXCLUSIVE lock up front
-- (see sqlite.c: no Dendrite transaction can be half-way through a read when
-- mxdba writes, so none of them is refused with SQLITE_BUSY).

-- name: tx_begin
BEGIN;

-- name: tx_begin_write
BEGIN EXCLUSIVE;

-- name: tx_commit
COMMIT;

-- name: tx_rollback
ROLLBACK;

-- name: stream_plan
-- PostgreSQL only
SELECT 1;

-- name: stream_declare
-- PostgreSQL only (cursor streaming); SQLite steps through any statement
SELECT 1;

-- name: stream_fetch
-- PostgreSQL only
SELECT 1;

-- name: stream_close
-- PostgreSQL only
SELECT 1;
