-- SPDX-License-Identifier: Apache-2.0
-- Deactivation as Synapse's own (the admin API's POST
-- /_synapse/admin/v1/deactivate, handlers/deactivate_account.py): what it
-- deletes, in its order, each statement one table; the user is $1 (its
-- full ID). Room memberships are not written here: their leaves are
-- queued (queue apply). Tables a release may lack (delayed_events,
-- thread_subscriptions) are skipped by the caller when absent.

-- name: deact_delayed_events
-- delayed events not yet sent (MSC4140), keyed by the localpart
DELETE FROM delayed_events WHERE user_localpart = split_part(substr($1, 2), ':', 1) AND NOT is_processed;

-- name: deact_bound_threepids
-- 3PIDs bound at an identity server: Synapse unbinds them there first (HTTP); mxdba cannot, and says so
SELECT count(*) FROM user_threepid_id_server WHERE user_id = $1;

-- name: deact_threepids
-- the local 3PIDs (an email's pusher goes with the pushers below)
DELETE FROM user_threepids WHERE user_id = $1;

-- name: deact_device_auth_providers
-- the devices' data first (hidden devices are kept, as Synapse keeps them)
DELETE FROM device_auth_providers WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_device_keys
DELETE FROM e2e_device_keys_json WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_one_time_keys
DELETE FROM e2e_one_time_keys_json WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_dehydrated_device
DELETE FROM dehydrated_devices WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_fallback_keys
DELETE FROM e2e_fallback_keys_json WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_device_inbox
-- to-device messages waiting for those devices (Synapse deletes them in a scheduled task)
DELETE FROM device_inbox WHERE user_id = $1 AND device_id IN (SELECT device_id FROM devices WHERE user_id = $1 AND NOT hidden);

-- name: deact_devices
DELETE FROM devices WHERE user_id = $1 AND NOT hidden;

-- name: deact_password
UPDATE users SET password_hash = NULL WHERE name = $1;

-- name: deact_pushers
-- every pusher, email pushers included
DELETE FROM pushers WHERE user_name = $1;

-- name: deact_account_data
-- account data, ignored users (as the ignorer), push rules
DELETE FROM account_data WHERE user_id = $1;

-- name: deact_room_account_data
DELETE FROM room_account_data WHERE user_id = $1;

-- name: deact_ignored_users
DELETE FROM ignored_users WHERE ignorer_user_id = $1;

-- name: deact_push_rules
DELETE FROM push_rules WHERE user_name = $1;

-- name: deact_push_rules_enable
DELETE FROM push_rules_enable WHERE user_name = $1;

-- name: deact_push_rules_stream
DELETE FROM push_rules_stream WHERE user_id = $1;

-- name: deact_thread_subscriptions
DELETE FROM thread_subscriptions WHERE user_id = $1;

-- name: deact_room_keys
-- the server-side key backup
DELETE FROM e2e_room_keys WHERE user_id = $1;

-- name: deact_room_keys_versions
DELETE FROM e2e_room_keys_versions WHERE user_id = $1;

-- name: erase_profile
-- --erase (GDPR erasure): the profile row goes (display name, avatar, custom fields)
DELETE FROM profiles WHERE full_user_id = $1;

-- name: erase_mark
-- and the user is marked erased (its events are served redacted to later joiners)
INSERT INTO erased_users (user_id) SELECT $1::text WHERE NOT EXISTS (SELECT 1 FROM erased_users WHERE user_id = $1);

-- name: unerase_mark
-- reactivation (activate_account): not erased any more, and a profile row again (blank, as Synapse makes it); $2 the localpart
DELETE FROM erased_users WHERE user_id = $1;

-- name: unerase_profile
INSERT INTO profiles (user_id, full_user_id) SELECT $2::text, $1::text WHERE NOT EXISTS (SELECT 1 FROM profiles WHERE full_user_id = $1);
