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
