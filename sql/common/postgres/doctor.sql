-- SPDX-License-Identifier: Apache-2.0
-- doctor's checks of mxdba's own tables (PostgreSQL): find statements (total,
-- item), as the homeservers' doctor.sql. The words are in src/hs/doctor.c.

-- ---- mxdba-queue-stuck ----
-- name: doctor_queue_stuck
SELECT COUNT(*) OVER (), '#' || id::text || ' ' || kind || ' ' || user_id || CASE WHEN room_id = '' THEN '' ELSE ' ' || room_id END
       || ' (' || attempts::text || ' tries' || CASE WHEN error IS NULL THEN '' ELSE ': ' || error END || ')'
  FROM mxdba_queue WHERE state = 'pending' AND attempts >= 3 ORDER BY id LIMIT 5;

-- ---- mxdba-newer-schema ----
-- $1: the newest migration this binary knows (names sort by their number)
-- name: doctor_newer_migrations
SELECT COUNT(*) OVER (), version || COALESCE(' (by mxdba ' || mxdba_version || ')', '') FROM mxdba_migrations WHERE version > $1 ORDER BY version LIMIT 5;
