-- mxdba_audit (userapi database).

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
