-- SPDX-License-Identifier: Apache-2.0
-- Registration tokens (postgres): registration_tokens as the admin API
-- reads and writes it (synapse/storage/databases/main/registration.py), and
-- the user-interactive auth sessions that used a token (ui_auth_sessions:
-- serverdict holds the token under "m.login.registration_token" and, once
-- the account exists, "registered_user_id"; it holds a password hash too,
-- never read here). Synapse caches none of these rows.

-- name: reg_tokens
-- every token ($1 NULL) or one: token, uses_allowed (-1: no limit), pending,
-- completed, expiry_time (-1: never)
SELECT token, coalesce(uses_allowed, -1), pending, completed, coalesce(expiry_time, -1)
  FROM registration_tokens
 WHERE $1::text IS NULL OR token = $1
 ORDER BY token;

-- name: reg_token_create
-- as the admin API's create: no registration pending or completed yet
INSERT INTO registration_tokens (token, uses_allowed, pending, completed, expiry_time)
VALUES ($1, $2, 0, 0, $3);

-- name: reg_token_delete
DELETE FROM registration_tokens WHERE token = $1;

-- name: reg_token_uses
-- the sessions that passed the token stage with $1, oldest first: session,
-- started, the username asked for, the user made (NULL: still pending)
SELECT session_id, creation_time,
       CASE WHEN json_typeof(clientdict::json -> 'username') = 'string' THEN clientdict::json ->> 'username' END,
       CASE WHEN json_typeof(serverdict::json -> 'registered_user_id') = 'string'
            THEN serverdict::json ->> 'registered_user_id' END
  FROM ui_auth_sessions
 WHERE json_typeof(serverdict::json -> 'm.login.registration_token') = 'string'
   AND serverdict::json ->> 'm.login.registration_token' = $1
 ORDER BY creation_time, session_id;
