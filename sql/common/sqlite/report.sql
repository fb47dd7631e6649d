-- SPDX-License-Identifier: Apache-2.0
-- `report tables` (SQLite): what each table of a homeserver's database
-- weighs, from SQLite's own page catalogue. Read-only; any homeserver.

-- name: report_has_dbstat
-- 1 when this SQLite has the dbstat virtual table (Debian's has)
SELECT count(*) FROM pragma_module_list WHERE name = 'dbstat';

-- name: report_tables
-- every table: rows (the cells of its b-tree's leaf pages: an exact count
-- without a query per table), 0 (not estimated), bytes (its pages, its
-- indexes' and its overflow pages); the biggest first
SELECT m.tbl_name,
       sum(CASE WHEN d.name = m.tbl_name AND d.pagetype = 'leaf' THEN d.ncell ELSE 0 END),
       0,
       sum(d.pgsize)
  FROM dbstat d
  JOIN sqlite_master m ON m.name = d.name
 GROUP BY m.tbl_name
 ORDER BY 4 DESC, 1;

-- name: report_tables_without_dbstat
-- a SQLite built without dbstat: the tables by name, rows and bytes unknown
-- (the whole file's pages come in report_free_pages)
SELECT name, 0, 1, NULL FROM sqlite_master WHERE type = 'table' ORDER BY name;

-- name: report_free_pages
-- the free pages a VACUUM would give back, and their bytes
SELECT f.freelist_count, f.freelist_count * s.page_size FROM pragma_freelist_count f, pragma_page_size s;
