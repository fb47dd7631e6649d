-- SPDX-License-Identifier: Apache-2.0
-- Room names and aliases from the sync API's current state (read-only).

-- name: room_name_alias
SELECT (SELECT headered_event_json::jsonb -> 'content' ->> 'name' FROM syncapi_current_room_state
         WHERE room_id = $1 AND type = 'm.room.name' AND state_key = ''),
       (SELECT headered_event_json::jsonb -> 'content' ->> 'alias' FROM syncapi_current_room_state
         WHERE room_id = $1 AND type = 'm.room.canonical_alias' AND state_key = '');

-- name: syncapi_has_state
SELECT 1 FROM information_schema.tables
 WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'syncapi_current_room_state';
