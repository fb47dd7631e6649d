-- SPDX-License-Identifier: Apache-2.0
-- Schema identity and the columns mxdba uses (PostgreSQL). Read-only.

-- name: schema_facts
-- users, schema_version, user_stats_current, applied_schema_deltas (1 or 0 each)
SELECT (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'users'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'schema_version'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'user_stats_current'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'applied_schema_deltas');

-- name: schema_version
SELECT v.version, v.upgraded::int, (SELECT max(compat_version) FROM schema_compat_version)
  FROM schema_version v;

-- name: schema_columns
-- TABLE.COLUMN of every column of the tables mxdba reads or writes
SELECT table_name || '.' || column_name FROM information_schema.columns
 WHERE table_schema = ANY (current_schemas(false))
   AND table_name IN ('users', 'profiles', 'access_tokens', 'refresh_tokens', 'devices', 'user_directory',
                    'user_directory_search', 'users_in_public_rooms', 'users_who_share_private_rooms');

-- name: first_user
-- the user Synapse reads to check its server_name at start
SELECT name FROM users LIMIT 1;

-- name: schema_delta_applied
-- 1 when Synapse applied the delta file $2 under schema $1 (one schema
-- number, several shapes: the deltas tell them apart)
SELECT 1 FROM applied_schema_deltas WHERE version = $1 AND file = $2;
