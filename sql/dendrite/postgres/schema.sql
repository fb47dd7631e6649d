-- SPDX-License-Identifier: Apache-2.0
-- Schema detection and server probes (PostgreSQL). Read-only.

-- name: schema_facts
-- the tables and columns schema detection looks at, in one round trip:
-- db_migrations, userapi_accounts, account_accounts, goose_db_version,
-- userapi_accounts.server_name, userapi_accounts.account_type (1 or 0 each)
SELECT (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'db_migrations'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'userapi_accounts'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'account_accounts'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'goose_db_version'),
       (SELECT count(*) FROM information_schema.columns
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'userapi_accounts'
           AND column_name = 'server_name'),
       (SELECT count(*) FROM information_schema.columns
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'userapi_accounts'
           AND column_name = 'account_type');

-- name: migration_exists
SELECT 1 FROM db_migrations WHERE version = $1;

-- name: migration_versions
-- one row per Dendrite version that recorded migrations, oldest first
SELECT dendrite_version, count(*), min(time), max(time)
  FROM db_migrations GROUP BY dendrite_version ORDER BY max(time), dendrite_version;
