-- SPDX-License-Identifier: Apache-2.0
-- Memberships, read from the roomserver database (opened read-only).
-- membership_nid: 1 leave or ban, 2 invite, 3 join, 4 knock. Leave and ban
-- are told apart by the membership event's content; without an event the
-- state is named honestly: leave_or_ban. $mask has bit N set for nid N.
-- Sorted by bytes (COLLATE "C"): the order SQLite gives, whatever the
-- database's locale, and a cheaper sort than a locale's collation.

-- fragment: membership_state
-- the state of membership row m: the membership_nid, and for 1 (leave or ban)
-- the membership event's content
CASE m.membership_nid WHEN 2 THEN 'invite' WHEN 3 THEN 'join' WHEN 4 THEN 'knock'
     ELSE coalesce((SELECT ej.event_json::jsonb -> 'content' ->> 'membership'
                      FROM roomserver_event_json ej
                     WHERE ej.event_nid = m.event_nid AND m.event_nid <> 0), 'leave_or_ban') END

-- fragment: memberships_of_user_where
-- the memberships of user $1 whose state bit is set in $2, forgotten ones only when $3 = 1
  FROM roomserver_event_state_keys k
  JOIN roomserver_membership m ON m.target_nid = k.event_state_key_nid
  JOIN roomserver_rooms r ON r.room_nid = m.room_nid
 WHERE k.event_state_key = $1
   AND (($2::int >> m.membership_nid::int) & 1) = 1
   AND ($3::int = 1 OR NOT m.forgotten)
 ORDER BY r.room_id COLLATE "C"

-- name: memberships_of_user
SELECT r.room_id,
       {{membership_state}},
       m.forgotten::int, r.room_version, m.room_nid
{{memberships_of_user_where}};

-- name: memberships_of_user_named
-- the same, with the room name and canonical alias from the sync API tables
-- (same PostgreSQL database, or the SQLite file attached as "syncapi")
SELECT r.room_id,
       {{membership_state}},
       m.forgotten::int, r.room_version, m.room_nid,
       (SELECT s.headered_event_json::jsonb -> 'content' ->> 'name' FROM syncapi_current_room_state s
         WHERE s.room_id = r.room_id AND s.type = 'm.room.name' AND s.state_key = ''),
       (SELECT s.headered_event_json::jsonb -> 'content' ->> 'alias' FROM syncapi_current_room_state s
         WHERE s.room_id = r.room_id AND s.type = 'm.room.canonical_alias' AND s.state_key = '')
{{memberships_of_user_where}};

-- name: room_names_probe
-- are the sync API columns memberships_of_user_named reads there? (reads no row)
SELECT s.room_id, s.type, s.state_key, s.headered_event_json::jsonb -> 'content' ->> 'name'
  FROM syncapi_current_room_state s LIMIT 0;

-- name: members_of_room
SELECT k.event_state_key,
       {{membership_state}},
       m.target_local::int, m.forgotten::int
  FROM roomserver_rooms r
  JOIN roomserver_membership m ON m.room_nid = r.room_nid
  JOIN roomserver_event_state_keys k ON k.event_state_key_nid = m.target_nid
 WHERE r.room_id = $1
   AND (($2::int >> m.membership_nid::int) & 1) = 1
   AND ($3::int = 0 OR m.target_local)
   AND ($4::int = 1 OR NOT m.forgotten)
 ORDER BY k.event_state_key COLLATE "C";

-- name: room_lookup
SELECT room_nid, room_version, state_snapshot_nid FROM roomserver_rooms WHERE room_id = $1;

-- name: pseudo_id_rooms_of_user
-- MSC4014 rooms: the member state key is the user's per-room public key
SELECT r.room_id, u.room_nid, encode(u.pseudo_id_pub_key, 'hex')
  FROM roomserver_event_state_keys k
  JOIN roomserver_user_room_keys u ON u.user_nid = k.event_state_key_nid
  JOIN roomserver_rooms r ON r.room_nid = u.room_nid
 WHERE k.event_state_key = $1
 ORDER BY r.room_id COLLATE "C";

-- name: membership_by_state_key
SELECT {{membership_state}},
       m.forgotten::int, m.membership_nid
  FROM roomserver_membership m
  JOIN roomserver_event_state_keys k ON k.event_state_key_nid = m.target_nid
 WHERE m.room_nid = $1 AND k.event_state_key = $2;

-- name: membership_current
SELECT m.membership_nid
  FROM roomserver_rooms r
  JOIN roomserver_membership m ON m.room_nid = r.room_nid
  JOIN roomserver_event_state_keys k ON k.event_state_key_nid = m.target_nid
 WHERE r.room_id = $1 AND k.event_state_key = $2;

-- name: roomserver_has_membership
SELECT 1 FROM information_schema.tables
 WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'roomserver_membership';

-- name: pseudo_id_table_exists
SELECT 1 FROM information_schema.tables
 WHERE table_schema = ANY (current_schemas(false)) AND table_name = 'roomserver_user_room_keys';

-- name: attach_syncapi
-- PostgreSQL: names are joined only when both components share one database
SELECT $1::text;
