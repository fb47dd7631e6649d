-- SPDX-License-Identifier: Apache-2.0
-- Memberships (SQLite), read only: a local user's rooms from
-- local_current_membership, a room's members (remote ones too) from the
-- current room state, forgotten from the membership event's room_memberships
-- row, names and canonical aliases from room_stats_state. The wanted states
-- come as a list like ',join,invite,'. Room IDs are never parsed: version
-- 12 rooms have no server part.

-- name: memberships_of_user
-- ?1 user, ?2 states, ?3 1 = forgotten rooms too
SELECT l.room_id, l.membership, coalesce(rm.forgotten, 0), r.room_version, s.name, s.canonical_alias
  FROM local_current_membership l
  LEFT JOIN room_memberships rm ON rm.event_id = l.event_id
  LEFT JOIN rooms r ON r.room_id = l.room_id
  LEFT JOIN room_stats_state s ON s.room_id = l.room_id
 WHERE l.user_id = ?1
   AND instr(?2, ',' || l.membership || ',') > 0
   AND (?3 = 1 OR coalesce(rm.forgotten, 0) = 0)
 ORDER BY l.room_id;

-- name: room_version
SELECT room_version FROM rooms WHERE room_id = ?1;

-- name: members_of_room
-- ?1 room, ?2 states, ?3 1 = local members only, ?4 1 = forgotten too,
-- ?5 the server_name. The current state; and once the server has left the
-- room (its state rows are gone), the local users' last memberships.
SELECT c.state_key, c.membership,
       substr(c.state_key, instr(c.state_key, ':') + 1) = ?5, coalesce(rm.forgotten, 0)
  FROM current_state_events c
  LEFT JOIN room_memberships rm ON rm.event_id = c.event_id
 WHERE c.room_id = ?1 AND c.type = 'm.room.member'
   AND instr(?2, ',' || c.membership || ',') > 0
   AND (?3 = 0 OR substr(c.state_key, instr(c.state_key, ':') + 1) = ?5)
   AND (?4 = 1 OR coalesce(rm.forgotten, 0) = 0)
UNION ALL
SELECT l.user_id, l.membership, 1, coalesce(rm.forgotten, 0)
  FROM local_current_membership l
  LEFT JOIN room_memberships rm ON rm.event_id = l.event_id
 WHERE l.room_id = ?1
   AND NOT EXISTS (SELECT 1 FROM current_state_events c
                    WHERE c.room_id = l.room_id AND c.type = 'm.room.member' AND c.state_key = l.user_id)
   AND instr(?2, ',' || l.membership || ',') > 0
   AND (?4 = 1 OR coalesce(rm.forgotten, 0) = 0)
 ORDER BY 1;

-- name: membership_now
SELECT membership FROM local_current_membership WHERE room_id = ?1 AND user_id = ?2;

-- name: room_name_alias
-- a room for people (queue list, queue apply): its name and canonical alias
SELECT name, canonical_alias FROM room_stats_state WHERE room_id = ?1;
