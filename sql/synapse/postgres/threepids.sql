-- SPDX-License-Identifier: Apache-2.0
-- The user's 3PIDs (user_threepids: one owner per medium and address), as
-- the admin API's PUT /_synapse/admin/v2/users/USER "threepids" edits them.

-- name: threepids_list
SELECT medium, address, validated_at, added_at FROM user_threepids WHERE user_id = $1 ORDER BY medium, address;

-- name: threepid_owner
SELECT user_id FROM user_threepids WHERE medium = $1 AND address = $2;

-- name: threepid_insert
-- validated and added now ($4), as the admin API records an address it is given
INSERT INTO user_threepids (user_id, medium, address, validated_at, added_at) VALUES ($1, $2, $3, $4, $4);

-- name: threepid_delete
DELETE FROM user_threepids WHERE user_id = $1 AND medium = $2 AND address = $3;

-- name: threepid_pusher_delete
-- an email's notification pusher goes with it (Synapse's delete_local_threepid)
DELETE FROM pushers WHERE user_name = $1 AND app_id = 'm.email' AND pushkey = $2;
