-- SPDX-License-Identifier: Apache-2.0
-- The connection itself (SQLite): probes, transaction control, listings
-- streamed through a cursor, other sessions on the database. Any homeserver.

-- name: probe
SELECT count(*) FROM sqlite_master;

-- name: read_only_begin
PRAGMA query_only = 1;

-- name: table_exists
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1;

-- name: other_sessions
-- SQLite has no sessions; mxdba looks for other processes holding the file (/proc)
SELECT 0, '';

-- name: deallocate_all
-- nothing to drop on SQLite (statements are cached client-side)
SELECT 1;

-- Transaction control. Writes on SQLite take the EXCLUSIVE lock up front
-- (see src/db/sqlite.c: no homeserver transaction can be half-way through a read when
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
