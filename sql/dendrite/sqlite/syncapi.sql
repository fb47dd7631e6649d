-- SPDX-License-Identifier: Apache-2.0
-- Room names and aliases from the sync API's current state (read-only).

-- name: room_name_alias
SELECT (SELECT json_extract(headered_event_json, '$.content.name') FROM syncapi_current_room_state
         WHERE room_id = ?1 AND type = 'm.room.name' AND state_key = ''),
       (SELECT json_extract(headered_event_json, '$.content.alias') FROM syncapi_current_room_state
         WHERE room_id = ?1 AND type = 'm.room.canonical_alias' AND state_key = '');

-- name: syncapi_has_state
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'syncapi_current_room_state';
