-- SPDX-License-Identifier: Apache-2.0
-- mxdba_audit (the homeserver database mxdba writes: Dendrite's userapi).

-- name: audit_insert
INSERT INTO mxdba_audit (ts, os_user, command, target, field, old_value, new_value)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);

-- name: audit_list
SELECT id, ts, os_user, command, target, field, old_value, new_value
  FROM mxdba_audit
 WHERE (?1 = '' OR target = ?1) AND ts >= ?2
 ORDER BY id;

-- name: audit_get
SELECT id, ts, os_user, command, target, field, old_value, new_value FROM mxdba_audit WHERE id = ?1;

-- name: audit_insert_many
-- batch: one row per element of a JSON array of [target, command, old, new]
INSERT INTO mxdba_audit (ts, os_user, command, target, field, old_value, new_value)
SELECT ?1, ?2, json_extract(value, '$[1]'), json_extract(value, '$[0]'), ?4,
       json_extract(value, '$[2]'), json_extract(value, '$[3]')
  FROM json_each(?3) ORDER BY key;
