-- SPDX-License-Identifier: Apache-2.0
-- Schema identity and the columns mxdba uses (SQLite). Read-only.

-- name: schema_facts
-- users, schema_version, user_stats_current, applied_schema_deltas (1 or 0
-- each), in one pass over the schema table
SELECT coalesce(sum(name = 'users'), 0), coalesce(sum(name = 'schema_version'), 0),
       coalesce(sum(name = 'user_stats_current'), 0), coalesce(sum(name = 'applied_schema_deltas'), 0)
  FROM sqlite_master
 WHERE type = 'table' AND name IN ('users', 'schema_version', 'user_stats_current', 'applied_schema_deltas');

-- name: schema_version
SELECT v.version, v.upgraded, (SELECT max(compat_version) FROM schema_compat_version)
  FROM schema_version v;

-- name: schema_columns
-- TABLE.COLUMN of every column of the tables mxdba reads or writes (the
-- table-valued pragma called for these tables only, not for every table)
WITH t(name) AS (VALUES ('users'), ('profiles'), ('access_tokens'), ('refresh_tokens'), ('devices'), ('user_directory'),
                        ('user_directory_search'), ('users_in_public_rooms'), ('users_who_share_private_rooms'))
SELECT t.name || '.' || p.name
  FROM t, pragma_table_info(t.name) p;

-- name: first_user
-- the user Synapse reads to check its server_name at start
SELECT name FROM users LIMIT 1;

-- name: schema_delta_applied
-- 1 when Synapse applied the delta file ?2 under schema ?1 (one schema
-- number, several shapes: the deltas tell them apart)
SELECT 1 FROM applied_schema_deltas WHERE version = ?1 AND file = ?2;
