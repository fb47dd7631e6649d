-- SPDX-License-Identifier: Apache-2.0
-- The key server's rows of a deactivated user's devices (the keyserver
-- database, key_server.database), left as Dendrite's own device deletion
-- leaves them: the device keys of a gone device replaced by an empty one
-- (its deletion on the user's device-list stream), its one-time keys and the
-- signatures on it deleted, the user's key change recorded.

-- name: keyserver_has_device_keys
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'keyserver_device_keys';

-- name: device_keys_live
-- the devices of user ?1 with device keys not yet emptied
SELECT device_id FROM keyserver_device_keys WHERE user_id = ?1 AND key_json <> '' ORDER BY device_id;

-- name: device_keys_count
-- device keys not yet emptied and one-time keys of user ?1
SELECT (SELECT count(*) FROM keyserver_device_keys WHERE user_id = ?1 AND key_json <> '')
     + (SELECT count(*) FROM keyserver_one_time_keys WHERE user_id = ?1);

-- name: device_key_sigs_delete
DELETE FROM keyserver_cross_signing_sigs WHERE target_user_id = ?1 AND target_key_id = ?2;

-- name: device_key_delete
DELETE FROM keyserver_device_keys WHERE user_id = ?1 AND device_id = ?2;

-- name: one_time_keys_delete
DELETE FROM keyserver_one_time_keys WHERE user_id = ?1 AND device_id = ?2;

-- name: device_key_empty
-- the empty device key of device ?2 (ts_added_secs ?3), next in the user's
-- stream, as Dendrite stores a deleted device's keys (its rows deleted first)
INSERT INTO keyserver_device_keys (user_id, device_id, ts_added_secs, key_json, stream_id, display_name)
VALUES (?1, ?2, ?3, '', (SELECT coalesce(max(stream_id), 0) + 1 FROM keyserver_device_keys WHERE user_id = ?1), '')
ON CONFLICT (user_id, device_id) DO UPDATE SET key_json = '', stream_id = excluded.stream_id, display_name = '';

-- name: key_change_mark
INSERT OR REPLACE INTO keyserver_key_changes (user_id) VALUES (?1);
