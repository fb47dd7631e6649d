-- SPDX-License-Identifier: Apache-2.0
-- Which homeserver made a database (PostgreSQL): named in the refusal when
-- [homeserver] type says another one. Any homeserver.

-- name: identify_tables
-- Synapse (users and schema_version), Dendrite's userapi, roomserver, syncapi
-- and mediaapi, Dendrite's db_migrations (1 or 0 each)
SELECT ((SELECT count(*) FROM information_schema.tables
          WHERE table_schema = ANY (current_schemas(false)) AND table_name IN ('users', 'schema_version')) = 2)::int,
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'userapi_accounts'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'roomserver_rooms'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'syncapi_output_room_events'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'mediaapi_media_repository'),
       (SELECT count(*) FROM information_schema.tables
         WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'db_migrations');

-- name: identify_synapse_version
SELECT version FROM schema_version;

-- name: identify_dendrite_version
-- the release that ran the latest migration
SELECT dendrite_version FROM db_migrations ORDER BY time DESC, dendrite_version DESC LIMIT 1;
