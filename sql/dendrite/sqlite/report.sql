-- SPDX-License-Identifier: Apache-2.0
-- `report` on Dendrite (sqlite): every room's weight from the roomserver
-- tables (names from the sync API's, where they can be joined), and local
-- media per uploader from the media API's. Set-based, read-only.

-- fragment: report_rooms_with
-- the figures per room: members (membership_nid 3 is join), the entries of
-- its current state snapshot (its state blocks' event NIDs), events and
-- their JSON's bytes, state snapshots (Dendrite's state groups) and their
-- entries, the heads it sends after (latest_event_nids), the newest event's
-- origin_server_ts
WITH ev AS (SELECT room_nid, count(*) AS n, max(event_nid) AS last_nid FROM roomserver_events GROUP BY room_nid),
     ej AS (SELECT e.room_nid, sum(length(CAST(j.event_json AS BLOB))) AS b
              FROM roomserver_events e JOIN roomserver_event_json j ON j.event_nid = e.event_nid GROUP BY e.room_nid),
     snap AS (SELECT s.state_snapshot_nid, s.room_nid,
                     (SELECT coalesce(sum(json_array_length(b.event_nids)), 0) FROM json_each(s.state_block_nids) x JOIN roomserver_state_block b ON b.state_block_nid = x.value) AS entries
                FROM roomserver_state_snapshots s),
     sg AS (SELECT room_nid, count(*) AS n, sum(entries) AS entries FROM snap GROUP BY room_nid),
     mem AS (SELECT m.room_nid, sum(CASE WHEN m.membership_nid = 3 THEN 1 ELSE 0 END) AS joined, sum(CASE WHEN m.membership_nid = 3 AND m.target_local = 1 THEN 1 ELSE 0 END) AS joined_local
               FROM roomserver_membership m GROUP BY m.room_nid),
     t AS (SELECT r.room_id, r.room_version,
                  coalesce(mem.joined, 0) AS joined_members, coalesce(mem.joined_local, 0) AS joined_local_members,
                  coalesce((SELECT snap.entries FROM snap WHERE snap.state_snapshot_nid = r.state_snapshot_nid), 0)
                    AS state_events,
                  coalesce(ev.n, 0) AS events, coalesce(sg.n, 0) AS state_groups,
                  coalesce(sg.entries, 0) AS state_group_rows, json_array_length(r.latest_event_nids) AS forward_extremities,
                  coalesce(ej.b, 0) AS event_bytes,
                  coalesce((SELECT json_extract(j.event_json, '$.origin_server_ts') FROM roomserver_event_json j WHERE j.event_nid = ev.last_nid), -1)
                    AS last_event_ts
             FROM roomserver_rooms r
             LEFT JOIN mem ON mem.room_nid = r.room_nid
             LEFT JOIN ev ON ev.room_nid = r.room_nid
             LEFT JOIN ej ON ej.room_nid = r.room_nid
             LEFT JOIN sg ON sg.room_nid = r.room_nid)

-- fragment: report_rooms_order
-- ?3 = 1: only rooms no local user is joined to; by the key ?1
-- descending, ?2 rooms at most (-1: all)
 WHERE ?3 = 0 OR joined_local_members = 0
 ORDER BY CASE ?1 WHEN 'events' THEN events WHEN 'event_bytes' THEN event_bytes
                  WHEN 'joined_members' THEN joined_members WHEN 'joined_local_members' THEN joined_local_members
                  WHEN 'state_events' THEN state_events WHEN 'state_groups' THEN state_groups
                  WHEN 'state_group_rows' THEN state_group_rows WHEN 'forward_extremities' THEN forward_extremities
                  ELSE last_event_ts END DESC, room_id
 LIMIT ?2

-- name: report_rooms
-- every room, without names (the sync API's tables cannot be joined here)
{{report_rooms_with}}
SELECT room_id, NULL, NULL, room_version, joined_members, joined_local_members, state_events, events, state_groups, state_group_rows,
       forward_extremities, event_bytes, last_event_ts
  FROM t
{{report_rooms_order}};

-- name: report_rooms_named
-- every room with its name and canonical alias from the sync API's current state
{{report_rooms_with}}
SELECT room_id,
       (SELECT json_extract(s.headered_event_json, '$.content.name') FROM syncapi.syncapi_current_room_state s
         WHERE s.room_id = t.room_id AND s.type = 'm.room.name' AND s.state_key = ''),
       (SELECT json_extract(s.headered_event_json, '$.content.alias') FROM syncapi.syncapi_current_room_state s
         WHERE s.room_id = t.room_id AND s.type = 'm.room.canonical_alias' AND s.state_key = ''),
       room_version, joined_members, joined_local_members, state_events, events, state_groups, state_group_rows,
       forward_extremities, event_bytes, last_event_ts
  FROM t
{{report_rooms_order}};

-- name: mediaapi_has_media
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mediaapi_media_repository';

-- name: report_media
-- local media per uploader (media_origin is this server): user, files,
-- bytes; sorted by ?1 ('bytes' or 'count') descending, ?2 rows at most
-- (-1: all); ?3: the server_name
SELECT user_id, count(*) AS n, coalesce(sum(file_size_bytes), 0) AS b
  FROM mediaapi_media_repository
 WHERE media_origin = ?3 AND user_id IS NOT NULL AND user_id <> ''
 GROUP BY user_id
 ORDER BY CASE ?1 WHEN 'count' THEN count(*) ELSE coalesce(sum(file_size_bytes), 0) END DESC, user_id
 LIMIT ?2;
