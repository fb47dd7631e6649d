-- SPDX-License-Identifier: Apache-2.0
-- The user's 3PIDs (userapi_threepids: primary key threepid and medium), as
-- Dendrite's account 3PID endpoints save and remove them.

-- name: threepids_list
SELECT medium, threepid FROM userapi_threepids WHERE localpart = ?1 AND server_name = ?2 ORDER BY medium, threepid;

-- name: threepid_owner
SELECT '@' || localpart || ':' || server_name FROM userapi_threepids WHERE medium = ?1 AND threepid = ?2;

-- name: threepid_insert
INSERT INTO userapi_threepids (threepid, medium, localpart, server_name) VALUES (?3, ?2, ?1, ?4);

-- name: threepid_delete
DELETE FROM userapi_threepids WHERE localpart = ?1 AND medium = ?2 AND threepid = ?3 AND server_name = ?4;
