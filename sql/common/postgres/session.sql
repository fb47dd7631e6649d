-- SPDX-License-Identifier: Apache-2.0
-- The connection itself (PostgreSQL): probes, transaction control, listings
-- streamed through a cursor, other sessions on the database. Any homeserver.

-- name: probe
SELECT 1;

-- name: read_only_begin
-- a read-only connection is one read-only transaction for its whole life: no
-- session setting that a pooler (PgBouncer) could hand on to another client
BEGIN TRANSACTION READ ONLY;

-- name: table_exists
SELECT 1 FROM information_schema.tables
 WHERE table_schema = ANY (current_schemas(false)) AND table_name = $1;

-- name: other_sessions
-- other client sessions on this database (the homeserver's pool shows up here)
SELECT count(*), coalesce(string_agg(DISTINCT nullif(application_name, ''), ', '), '')
  FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend';

-- name: deallocate_all
-- prepared statements live on the server connection: drop them before the
-- transaction ends, so a pooler (PgBouncer, transaction mode) never hands
-- them to another client
DEALLOCATE ALL;

-- Transaction control. Row locks are enough on PostgreSQL.

-- name: tx_begin
BEGIN;

-- name: tx_begin_write
BEGIN;

-- name: tx_commit
COMMIT;

-- name: tx_rollback
ROLLBACK;

-- Inside a write transaction, listings stream through a cursor fetched in
-- blocks (pg.c, pg_stream); elsewhere in single-row mode, which lets
-- PostgreSQL plan them in parallel. stream_declare is a prefix: the
-- listing's own statement follows it.

-- name: stream_plan
-- a listing reads every row: plan for all of them, not the first tenth
SET LOCAL cursor_tuple_fraction = 1.0;

-- name: stream_declare
DECLARE mxdba_stream NO SCROLL CURSOR FOR

-- name: stream_fetch
FETCH FORWARD 10000 FROM mxdba_stream;

-- name: stream_close
CLOSE mxdba_stream;
