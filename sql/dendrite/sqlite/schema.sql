-- SPDX-License-Identifier: Apache-2.0
-- Schema detection (SQLite). Read-only.

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
