# SPDX-License-Identifier: Apache-2.0
"""A Dendrite v0.13.8-shaped homeserver database for the integration tests
(tests/fixtures: userapi, roomserver, syncapi and keyserver tables on SQLite or on the
throwaway PostgreSQL cluster), with the neutral helpers every kind of Home
implements: the only place the tests know Dendrite's tables."""
import base64
import sqlite3
from pathlib import Path

import scratch
from mxtest import FIXTURES, SERVER, Home, json_str, snapshot_pg, snapshot_sqlite, sql_literal

ACCT_USER, ACCT_GUEST, ACCT_ADMIN, ACCT_APPSERVICE = 1, 2, 3, 4
MEMBERSHIP_NID = {"leave": 1, "ban": 1, "invite": 2, "join": 3, "knock": 4}


class DendriteHome(Home):
    kind = "dendrite"
    accounts_table = "userapi_accounts"
    hash_prefix = "$2a$"                 # what Dendrite's own hashes start with
    no_password_hash = ""                # an account without a password: empty, not NULL
    profile_table = "userapi_profiles"
    # passwords Dendrite refuses on create/passwd, and a word of the refusal
    bad_passwords = {"short\n": "at least 8", "x" * 73 + "\n": "72", "\n": "at least"}
    reads_rooms = True                   # mxdba reads its rooms and members (evacuate, rooms, members)
    ready_path = "/_dendrite/monitor/up"   # what queue apply asks before it starts
    has_null_deactivated = True          # is_deactivated is nullable

    def configure_notices(self, localpart="_server"):
        """Server notices on, sent as LOCALPART (Dendrite's default is _server)."""
        if localpart != "_server":
            self.write_config(self.config.read_text().replace("[database]", f"server_notices_local_part = {localpart}\n\n[database]", 1))

    def __init__(self, backend, pg=None, schema=None, extra_sql=None):
        self.backend = backend
        self.pg = pg
        self.dir = Path(scratch.mkdtemp("mxdba-home-"))
        schema = schema or FIXTURES / f"userapi-{backend}.sql"
        if backend == "sqlite":
            self.path = self.dir / "dendrite_userapi.db"
            con = sqlite3.connect(self.path)
            con.executescript(Path(schema).read_text())
            if extra_sql:
                con.executescript(extra_sql)
            con.commit()
            con.close()
            rs = sqlite3.connect(self.dir / "dendrite_roomserver.db")
            rs.executescript((FIXTURES / "roomserver-sqlite.sql").read_text())
            rs.close()
            ks = sqlite3.connect(self.dir / "dendrite_keyserver.db")
            ks.executescript((FIXTURES / "keyserver-sqlite.sql").read_text())
            ks.close()
            db_lines = ("userapi = file:dendrite_userapi.db\nroomserver = file:dendrite_roomserver.db\n"
                        "syncapi = file:dendrite_roomserver.db\nkeyserver = file:dendrite_keyserver.db\n")
        else:
            self.db = pg.create_db()
            pg.psql_file(self.db, schema)
            pg.psql_file(self.db, FIXTURES / "roomserver-postgres.sql")
            pg.psql_file(self.db, FIXTURES / "keyserver-postgres.sql")
            if extra_sql:
                pg.psql(self.db, extra_sql)
            db_lines = f"default = {pg.dsn(self.db)}\n"
        self.config = self.dir / "mxdba.ini"
        self.write_config(f"[homeserver]\ntype = dendrite\nserver_name = {SERVER}\n\n[database]\n{db_lines}\n"
                          "[passwords]\nbcrypt_cost = 4\n")

    # --- direct SQL (test setup and inspection only) ---
    def sql(self, query, db=None):
        """SQL on the database mxdba writes (userapi, and mxdba's own tables),
        or on DB, a copy of its SQLite file."""
        if self.backend == "sqlite":
            return self._sqlite(db or self.path, query)
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def ksql(self, query):
        """SQL on the key server database."""
        if self.backend == "sqlite":
            return self._sqlite(self.dir / "dendrite_keyserver.db", query)
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def rsql(self, query):
        """SQL on the roomserver (and syncapi) database."""
        if self.backend == "sqlite":
            return self._sqlite(self.dir / "dendrite_roomserver.db", query)
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def _bool(self, v):
        if self.backend == "sqlite":
            return "1" if v else "0"
        return "TRUE" if v else "FALSE"

    def snapshot(self):
        """Everything mxdba could have changed: the bytes of the SQLite file
        and its journal, or every row and sequence on PostgreSQL."""
        if self.backend == "sqlite":
            return snapshot_sqlite(self.dir, "dendrite_userapi.db")
        return snapshot_pg(self.pg, self.db)

    # --- accounts ---
    def add_account(self, localpart, admin=False, password_hash="", deactivated=False, appservice=None,
                    guest=False, server=SERVER, profile=True):
        kind = ACCT_APPSERVICE if appservice else ACCT_GUEST if guest else ACCT_ADMIN if admin else ACCT_USER
        self.sql("INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash, appservice_id,"
                 f" is_deactivated, account_type) VALUES ({sql_literal(localpart)}, {sql_literal(server)},"
                 f" 1700000000000, {sql_literal(password_hash)}, {sql_literal(appservice)},"
                 f" {self._bool(deactivated)}, {kind})")
        if profile:
            self.add_profile(localpart, localpart, server=server)

    def add_profile(self, localpart, display_name, server=SERVER):
        """A profile row (alone: what a hand-deleted account leaves behind)."""
        self.sql("INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url) VALUES"
                 f" ({sql_literal(localpart)}, {sql_literal(server)}, {sql_literal(display_name)}, '')")

    def add_accounts(self, n, prefix="u", start=0):
        """N plain accounts PREFIX<start>…, in one statement."""
        if self.backend == "sqlite":
            self.sql(f"WITH RECURSIVE g(x) AS (SELECT {start} UNION ALL SELECT x + 1 FROM g WHERE x < {start + n - 1}) "
                     "INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash, appservice_id,"
                     f" is_deactivated, account_type) SELECT '{prefix}' || x, '{SERVER}', 1700000000000, '', NULL, 0,"
                     f" {ACCT_USER} FROM g")
        else:
            self.sql("INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash, appservice_id,"
                     f" is_deactivated, account_type) SELECT '{prefix}' || x, '{SERVER}', 1700000000000, '', NULL,"
                     f" FALSE, {ACCT_USER} FROM generate_series({start}, {start + n - 1}) x")

    def _one(self, col, localpart, table="userapi_accounts", db=None):
        rows = self.sql(f"SELECT {col} FROM {table} WHERE localpart = {sql_literal(localpart)}", db=db)
        return rows[0][0] if rows else None

    def exists(self, localpart, db=None):
        return self._one("1", localpart, db=db) is not None

    def is_admin(self, localpart, db=None):
        return str(self._one("account_type", localpart, db=db)) == str(ACCT_ADMIN)

    def admins(self, prefix=""):
        """The localparts of the admins starting with PREFIX."""
        return {r[0] for r in self.sql("SELECT localpart FROM userapi_accounts WHERE account_type = 3"
                                       f" AND localpart LIKE {sql_literal(prefix + '%')}")}

    def accounts(self, prefix=""):
        return {r[0] for r in self.sql(f"SELECT localpart FROM userapi_accounts WHERE localpart LIKE {sql_literal(prefix + '%')}")}

    def is_deactivated(self, localpart):
        """True, False, or None for SQL NULL."""
        v = self.sql("SELECT is_deactivated IS NULL, is_deactivated FROM userapi_accounts"
                     f" WHERE localpart = {sql_literal(localpart)}")[0]
        if v[0] in ("1", "t", "True"):
            return None
        return v[1] in ("1", "t", "True")

    def password_hash(self, localpart):
        """The stored hash ('' for none), or None for SQL NULL."""
        v = self.sql("SELECT password_hash IS NULL, coalesce(password_hash, '') FROM userapi_accounts"
                     f" WHERE localpart = {sql_literal(localpart)}")[0]
        return None if v[0] in ("1", "t", "True") else v[1]

    def server_of(self, localpart):
        return self._one("server_name", localpart)

    def created_ms(self, localpart):
        return int(self._one("created_ts", localpart))

    def display_name(self, localpart):
        return self._one("display_name", localpart, "userapi_profiles")

    def avatar_url(self, localpart):
        return self._one("avatar_url", localpart, "userapi_profiles")

    def set_display_name(self, localpart, name):
        self.sql(f"UPDATE userapi_profiles SET display_name = {sql_literal(name)} WHERE localpart = {sql_literal(localpart)}")

    def set_deactivated_null(self, localpart):
        """What a hand-made edit leaves: is_deactivated NULL."""
        self.sql(f"UPDATE userapi_accounts SET is_deactivated = NULL WHERE localpart = {sql_literal(localpart)}")

    def appservice_of(self, localpart):
        return self._one("coalesce(appservice_id, '')", localpart)

    def account_dump(self):
        """Every stored value of every account, as text (to look for a secret in)."""
        return str(self.sql("SELECT * FROM userapi_accounts"))

    # --- devices (a device is an access token on Dendrite) ---
    def add_device(self, localpart, device_id, token, ip="10.0.0.1", ua="TestClient/1.0", last_seen=1700000100000):
        sid = "" if self.backend == "postgres" else "session_id, "
        sidv = "" if self.backend == "postgres" else \
            "(SELECT coalesce(max(session_id), 0) + 1 FROM userapi_devices), "
        self.sql(f"INSERT INTO userapi_devices (access_token, {sid}device_id, localpart, server_name, created_ts,"
                 f" display_name, last_seen_ts, ip, user_agent) VALUES ({sql_literal(token)}, {sidv}"
                 f"{sql_literal(device_id)}, {sql_literal(localpart)}, {sql_literal(SERVER)}, 1700000000000,"
                 f" 'phone', {last_seen}, {sql_literal(ip)}, {sql_literal(ua)})")

    def devices_of(self, localpart=None, prefix=""):
        """(localpart, device ID) of the devices (of LOCALPART; IDs starting with PREFIX), sorted."""
        where = f"device_id LIKE {sql_literal(prefix + '%')}"
        if localpart:
            where += f" AND localpart = {sql_literal(localpart)}"
        return sorted(tuple(r) for r in self.sql(f"SELECT localpart, device_id FROM userapi_devices WHERE {where}"))

    # --- rooms (read-only for mxdba) ---
    def _nid(self, table, col):
        return int(self.rsql(f"SELECT coalesce(max({col}), 1) + 1 FROM {table}")[0][0])

    def state_key_nid(self, key):
        rows = self.rsql(f"SELECT event_state_key_nid FROM roomserver_event_state_keys WHERE event_state_key = {sql_literal(key)}")
        if rows:
            return int(rows[0][0])
        nid = self._nid("roomserver_event_state_keys", "event_state_key_nid")
        self.rsql(f"INSERT INTO roomserver_event_state_keys (event_state_key_nid, event_state_key) VALUES ({nid}, {sql_literal(key)})")
        return nid

    def add_room(self, room_id, name=None, alias=None):
        nid = self._nid("roomserver_rooms", "room_nid")
        self.rsql(f"INSERT INTO roomserver_rooms (room_nid, room_id, room_version, state_snapshot_nid)"
                  f" VALUES ({nid}, {sql_literal(room_id)}, '10', 7)")
        if name:
            ev = '{"type":"m.room.name","content":{"name":' + json_str(name) + '}}'
            self.rsql("INSERT INTO syncapi_current_room_state (room_id, event_id, type, sender, state_key,"
                      f" headered_event_json) VALUES ({sql_literal(room_id)}, '$name{nid}', 'm.room.name',"
                      f" '@x:example.org', '', {sql_literal(ev)})")
        if alias:
            ev = '{"type":"m.room.canonical_alias","content":{"alias":' + json_str(alias) + '}}'
            self.rsql("INSERT INTO syncapi_current_room_state (room_id, event_id, type, sender, state_key,"
                      f" headered_event_json) VALUES ({sql_literal(room_id)}, '$alias{nid}', 'm.room.canonical_alias',"
                      f" '@x:example.org', '', {sql_literal(ev)})")
        return nid

    def _room_nid(self, room_id):
        return int(self.rsql(f"SELECT room_nid FROM roomserver_rooms WHERE room_id = {sql_literal(room_id)}")[0][0])

    def add_member(self, room_id, user_id, state, forgotten=False, with_event=True, state_key=None):
        room_nid = self._room_nid(room_id)
        target = self.state_key_nid(state_key or user_id)
        event_nid = 0
        if with_event:
            event_nid = self._nid("roomserver_event_json", "event_nid")
            ev = '{"type":"m.room.member","content":{"membership":"' + state + '"}}'
            self.rsql(f"INSERT INTO roomserver_event_json (event_nid, event_json) VALUES ({event_nid}, {sql_literal(ev)})")
        local = user_id.endswith(":" + SERVER)
        self.rsql("INSERT INTO roomserver_membership (room_nid, target_nid, sender_nid, membership_nid, event_nid,"
                  f" target_local, forgotten) VALUES ({room_nid}, {target}, {target}, {MEMBERSHIP_NID[state]},"
                  f" {event_nid}, {self._bool(local)}, {self._bool(forgotten)})")

    def set_membership(self, user_id, state):
        """USER_ID's membership in every room becomes STATE (as the server would record a leave)."""
        self.rsql(f"UPDATE roomserver_membership SET membership_nid = {MEMBERSHIP_NID[state]} WHERE target_nid ="
                  " (SELECT event_state_key_nid FROM roomserver_event_state_keys WHERE event_state_key ="
                  f" {sql_literal(user_id)})")

    def minted_tokens(self):
        """Tokens minted by queue apply still in the server's table (Dendrite: MXDBA… devices)."""
        return len(self.devices_of(prefix="MXDBA"))

    def add_pseudo_member(self, room_id, user_id, pubkey, state):
        """An MSC4014 room: the member state key is the base64 (no padding) public key."""
        key = base64.b64encode(pubkey).decode().rstrip("=")
        self.add_member(room_id, user_id, state, state_key=key)
        room_nid = self._room_nid(room_id)
        user_nid = self.state_key_nid(user_id)
        pk = f"X'{pubkey.hex()}'" if self.backend == "sqlite" else f"'\\x{pubkey.hex()}'::bytea"
        self.rsql("INSERT INTO roomserver_user_room_keys (user_nid, room_nid, pseudo_id_pub_key)"
                  f" VALUES ({user_nid}, {room_nid}, {pk})")
