-- SPDX-License-Identifier: Apache-2.0
-- `report` (sqlite): what is big and what is stuck in Synapse's database, a few
-- set-based statements, never one per room. Read-only.

-- name: report_rooms
-- every room (rooms) with the figures Synapse's admin API gives
-- (room_stats_current, room_stats_state, rooms.room_version, the forward
-- extremities) and what its tables hold (events, event_json bytes, state
-- groups and their rows); sorted by the key ?1 descending, ?2 rows at most
-- (-1: all); ?3 = 1: only rooms no local user is joined to
WITH ev AS (SELECT room_id, count(*) AS n, max(origin_server_ts) AS last FROM events GROUP BY room_id),
     ej AS (SELECT room_id, sum(length(CAST(json AS BLOB))) AS b FROM event_json GROUP BY room_id),
     sg AS (SELECT room_id, count(*) AS n FROM state_groups GROUP BY room_id),
     sgs AS (SELECT room_id, count(*) AS n FROM state_groups_state GROUP BY room_id),
     fe AS (SELECT room_id, count(*) AS n FROM event_forward_extremities GROUP BY room_id),
     t AS (
       SELECT r.room_id, s.name, s.canonical_alias, r.room_version,
              coalesce(c.joined_members, 0) AS joined_members,
              coalesce(c.local_users_in_room, 0) AS joined_local_members,
              coalesce(c.current_state_events, 0) AS state_events, coalesce(ev.n, 0) AS events,
              coalesce(sg.n, 0) AS state_groups, coalesce(sgs.n, 0) AS state_group_rows,
              coalesce(fe.n, 0) AS forward_extremities, coalesce(ej.b, 0) AS event_bytes,
              coalesce(ev.last, -1) AS last_event_ts
         FROM rooms r
         LEFT JOIN room_stats_state s ON s.room_id = r.room_id
         LEFT JOIN room_stats_current c ON c.room_id = r.room_id
         LEFT JOIN ev ON ev.room_id = r.room_id
         LEFT JOIN ej ON ej.room_id = r.room_id
         LEFT JOIN sg ON sg.room_id = r.room_id
         LEFT JOIN sgs ON sgs.room_id = r.room_id
         LEFT JOIN fe ON fe.room_id = r.room_id)
SELECT room_id, name, canonical_alias, room_version, joined_members, joined_local_members, state_events, events,
       state_groups, state_group_rows, forward_extremities, event_bytes, last_event_ts
  FROM t
 WHERE ?3 = 0 OR joined_local_members = 0
 ORDER BY CASE ?1 WHEN 'events' THEN events WHEN 'event_bytes' THEN event_bytes
                  WHEN 'joined_members' THEN joined_members WHEN 'joined_local_members' THEN joined_local_members
                  WHEN 'state_events' THEN state_events WHEN 'state_groups' THEN state_groups
                  WHEN 'state_group_rows' THEN state_group_rows WHEN 'forward_extremities' THEN forward_extremities
                  ELSE last_event_ts END DESC, room_id
 LIMIT ?2;

-- name: report_media
-- local media per uploader (local_media_repository, as Synapse's
-- statistics/users/media counts it): user, files, bytes; sorted by ?1
-- ('bytes' or 'count') descending, ?2 rows at most (-1: all)
SELECT user_id, count(*) AS n, coalesce(sum(media_length), 0) AS b
  FROM local_media_repository
 WHERE user_id IS NOT NULL
 GROUP BY user_id
 ORDER BY CASE ?1 WHEN 'count' THEN count(*) ELSE coalesce(sum(media_length), 0) END DESC, user_id
 LIMIT ?2;

-- name: report_updates
-- Synapse's pending background updates in the order it runs them: name,
-- the update it waits for (it runs once that one is no longer pending),
-- 1 when it can never run (its depends_on chain comes back to itself:
-- Synapse stops with "dependency cycle?"), its progress (JSON), ordering
WITH RECURSIVE chain(start, cur, depth) AS (
  SELECT update_name, depends_on, 1 FROM background_updates WHERE depends_on IS NOT NULL
  UNION ALL
  SELECT c.start, b.depends_on, c.depth + 1
    FROM chain c JOIN background_updates b ON b.update_name = c.cur
   WHERE b.depends_on IS NOT NULL AND c.depth <= (SELECT count(*) FROM background_updates))
SELECT u.update_name, u.depends_on,
       (u.update_name IN (SELECT start FROM chain WHERE depth > (SELECT count(*) FROM background_updates))),
       u.progress_json, u.ordering
  FROM background_updates u
 ORDER BY u.ordering, u.update_name;
