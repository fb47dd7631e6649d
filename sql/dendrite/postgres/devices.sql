-- SPDX-License-Identifier: Apache-2.0
-- userapi_devices (PostgreSQL).

-- name: devices_list
SELECT device_id, display_name, ip, user_agent, last_seen_ts, created_ts
  FROM userapi_devices WHERE localpart = $1 AND server_name = $2
 ORDER BY last_seen_ts DESC, device_id;

-- name: devices_delete_all
DELETE FROM userapi_devices WHERE localpart = $1 AND server_name = $2;

-- name: devices_count
SELECT count(*) FROM userapi_devices;

-- name: profile_exists
SELECT 1 FROM userapi_profiles WHERE localpart = $1 AND server_name = $2;

-- name: device_mint
-- a short-lived device for queue apply; session_id comes from Dendrite's sequence
INSERT INTO userapi_devices (access_token, device_id, localpart, server_name, created_ts, display_name,
                             last_seen_ts, ip, user_agent)
VALUES ($1, $2, $3, $4, $5, 'mxdba queue apply', $5, '', 'mxdba');

-- name: device_delete_by_token
DELETE FROM userapi_devices WHERE access_token = $1;
