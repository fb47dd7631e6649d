-- SPDX-License-Identifier: Apache-2.0
-- `report tables` (PostgreSQL): what each table of a homeserver's database
-- weighs, from the catalogue. Read-only; any homeserver.

-- name: report_has_dbstat
-- (SQLite's question; the catalogue is always there)
SELECT 1;

-- name: report_tables
-- every table of the search path: rows (counted where the table is under
-- 64 MiB, in the same statement; else the planner's estimate, marked 1),
-- bytes (pg_total_relation_size: the table, its TOAST and its indexes); the
-- biggest first
SELECT c.relname,
       CASE WHEN pg_relation_size(c.oid) < 64 * 1024 * 1024
            THEN (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname),
                                                       false, true, '')))[1]::text::bigint
            ELSE greatest(c.reltuples, 0)::bigint END,
       (pg_relation_size(c.oid) >= 64 * 1024 * 1024)::int,
       pg_total_relation_size(c.oid)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname = ANY (current_schemas(false))
 ORDER BY 4 DESC, 1;

-- name: report_tables_without_dbstat
-- (SQLite's fallback; never used here)
SELECT relname, 0, 1, NULL FROM pg_class WHERE false;

-- name: report_free_pages
-- (SQLite's free pages; PostgreSQL keeps its free space map itself)
SELECT 0, 0 WHERE false;
