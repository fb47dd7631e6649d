-- SPDX-License-Identifier: Apache-2.0
-- userapi_accounts and userapi_profiles (SQLite). Booleans are 0/1. Column
-- order differs between fresh and upgraded files: always name columns.

-- name: account_get
SELECT localpart, server_name, created_ts, password_hash, appservice_id,
       is_deactivated, account_type
  FROM userapi_accounts WHERE localpart = ?1 AND server_name = ?2;

-- name: account_other_server
-- on SQLite localpart alone is the primary key: any server_name conflicts
SELECT server_name FROM userapi_accounts WHERE localpart = ?1 AND server_name <> ?2 LIMIT 1;

-- name: account_set_type
UPDATE userapi_accounts SET account_type = ?1
 WHERE localpart = ?2 AND server_name = ?3 AND account_type = ?4;

-- name: account_set_password
UPDATE userapi_accounts SET password_hash = ?1 WHERE localpart = ?2 AND server_name = ?3;

-- name: accounts_list
SELECT a.localpart, a.server_name, a.account_type, a.is_deactivated, a.created_ts,
       p.display_name
  FROM userapi_accounts a
  LEFT JOIN userapi_profiles p ON p.localpart = a.localpart AND p.server_name = a.server_name
 WHERE (?1 = 0 OR a.account_type = 3) AND (?2 = 0 OR a.is_deactivated = 1)
 ORDER BY a.localpart, a.server_name;

-- name: accounts_stats
SELECT count(*),
       coalesce(sum(account_type = 3), 0),
       coalesce(sum(is_deactivated = 1), 0),
       coalesce(sum(account_type = 3 AND coalesce(is_deactivated, 0) = 0), 0)
  FROM userapi_accounts;

-- name: admins_active_count
SELECT count(*) FROM userapi_accounts
 WHERE account_type = 3 AND coalesce(is_deactivated, 0) = 0 AND server_name = ?1;

-- name: profile_get
SELECT display_name, avatar_url FROM userapi_profiles WHERE localpart = ?1 AND server_name = ?2;

-- name: profile_insert
INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url)
VALUES (?1, ?2, ?3, '');

-- name: account_insert
-- ?6: is_deactivated (0/1), ?5: account_type
INSERT INTO userapi_accounts
       (localpart, server_name, created_ts, password_hash, appservice_id, is_deactivated, account_type)
VALUES (?1, ?2, ?3, ?4, NULL, (?6 <> 0), ?5);

-- name: account_set_deactivated
UPDATE userapi_accounts SET is_deactivated = (?1 <> 0) WHERE localpart = ?2 AND server_name = ?3;

-- name: profile_set_display_name
UPDATE userapi_profiles SET display_name = ?1 WHERE localpart = ?2 AND server_name = ?3;

-- name: accounts_get_many
-- batch: the accounts among a JSON array of localparts, one query for many lines
SELECT localpart, server_name, created_ts, password_hash, appservice_id,
       is_deactivated, account_type
  FROM userapi_accounts
 WHERE server_name = ?2 AND localpart IN (SELECT value FROM json_each(?1));

-- name: accounts_set_type_many
-- batch: one account_type change for a JSON array of localparts
UPDATE userapi_accounts SET account_type = ?3
 WHERE server_name = ?2 AND account_type = ?4
   AND localpart IN (SELECT value FROM json_each(?1));

-- name: accounts_set_type_returning
-- batch: the same change, saying which accounts it changed (their localparts;
-- RETURNING needs SQLite 3.35: the SQLite batch promotes one row at a time instead)
UPDATE userapi_accounts SET account_type = ?3
 WHERE server_name = ?2 AND account_type = ?4
   AND localpart IN (SELECT value FROM json_each(?1))
RETURNING localpart;

-- name: accounts_taken_many
-- batch: which localparts of a JSON array are taken (an account under any
-- server_name, or a profile under this one)
SELECT localpart FROM userapi_accounts
 WHERE localpart IN (SELECT value FROM json_each(?1))
UNION
SELECT localpart FROM userapi_profiles
 WHERE server_name = ?2 AND localpart IN (SELECT value FROM json_each(?1));

-- name: accounts_insert_many
-- batch: accounts from a JSON array of [localpart, password_hash, account_type]
INSERT INTO userapi_accounts
       (localpart, server_name, created_ts, password_hash, appservice_id, is_deactivated, account_type)
SELECT json_extract(value, '$[0]'), ?2, ?3, json_extract(value, '$[1]'), NULL, 0, json_extract(value, '$[2]')
  FROM json_each(?1) ORDER BY key;

-- name: profiles_insert_many
-- batch: profiles from a JSON array of [localpart, display_name]
INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url)
SELECT json_extract(value, '$[0]'), ?2, json_extract(value, '$[1]'), '' FROM json_each(?1) ORDER BY key;
