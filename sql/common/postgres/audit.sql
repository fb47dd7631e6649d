-- SPDX-License-Identifier: Apache-2.0
-- mxdba_audit (the homeserver database mxdba writes: Dendrite's userapi).

-- name: audit_insert
INSERT INTO mxdba_audit (ts, os_user, command, target, field, old_value, new_value)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: audit_list
SELECT id, ts, os_user, command, target, field, old_value, new_value
  FROM mxdba_audit
 WHERE ($1::text = '' OR target = $1::text) AND ts >= $2::bigint
 ORDER BY id;

-- name: audit_get
SELECT id, ts, os_user, command, target, field, old_value, new_value FROM mxdba_audit WHERE id = $1;

-- name: audit_insert_many
-- batch: one row per element of a JSON array of [target, command, old, new]
INSERT INTO mxdba_audit (ts, os_user, command, target, field, old_value, new_value)
SELECT $1, $2, x.v ->> 1, x.v ->> 0, $4, x.v ->> 2, x.v ->> 3
  FROM json_array_elements($3::json) WITH ORDINALITY AS x(v, n)
 ORDER BY x.n;
