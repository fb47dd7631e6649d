-- SPDX-License-Identifier: Apache-2.0
-- devices, access_tokens and refresh_tokens (SQLite).

-- name: devices_list
SELECT device_id, display_name, ip, user_agent, last_seen
  FROM devices WHERE user_id = ?1 AND NOT coalesce(hidden, 0)
 ORDER BY last_seen IS NULL, last_seen DESC, device_id;

-- name: devices_count
SELECT count(*) FROM devices;

-- name: tokens_delete_all
DELETE FROM access_tokens WHERE user_id = ?1;

-- name: refresh_tokens_delete_all
DELETE FROM refresh_tokens WHERE user_id = ?1;

-- name: token_mint
-- a token for queue apply: a negative id (Synapse's own counter never gets
-- there, so a running Synapse's next login cannot collide with it), no device
INSERT INTO access_tokens (id, user_id, device_id, token, valid_until_ms, puppets_user_id, last_validated,
                           refresh_token_id, used)
VALUES ((SELECT min(coalesce(min(id), 0), 0) - 1 FROM access_tokens), ?1, NULL, ?2, ?3, NULL, ?4, NULL, FALSE);

-- name: token_delete
DELETE FROM access_tokens WHERE token = ?1;
