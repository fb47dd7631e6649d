# SPDX-License-Identifier: Apache-2.0
"""A Synapse homeserver database for the integration tests: the schema the
real Synapse creates (1.163.2, or another release of tests/releases;
scripts/synapse schema, once, cached in .cache/; nothing of Synapse is
committed), copied fresh for each test on SQLite or on the throwaway
PostgreSQL cluster, with the neutral helpers every kind of Home implements:
the only place the tests know Synapse's tables."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

import scratch
from mxtest import ROOT, SERVER, Home, snapshot_pg, snapshot_sqlite, sql_literal

SCRIPT = str(ROOT / "scripts" / "synapse")
CACHE = Path(os.environ.get("MXDBA_CACHE", ROOT / ".cache"))
_lock = threading.Lock()
_templates = {}


NEWEST = "1.163.2"   # the release the whole suite runs on


def release_rows(home="synapse"):
    """tests/releases, the releases mxdba is proven on: a dict per row."""
    rows = []
    for line in (ROOT / "tests" / "releases").read_text().splitlines():
        f = line.split()
        if not f or f[0].startswith("#") or f[0] != home:
            continue
        num = lambda v: int(v) if v.isdigit() else None  # noqa: E731 (Dendrite has no schema number: -)
        rows.append({"release": f[1], "day": f[2], "schema": num(f[3]), "compat": num(f[4]),
                     "backends": f[5].split(","), "stands_for": f[6], "pins": f[7:]})
    return rows


def _schema_dir(release):
    return CACHE / f"synapse-{release}-schema"


def _made_by(release, work, dsn=None):
    env = dict(os.environ, SYNAPSE_VERSION=release)
    subprocess.run([SCRIPT, "schema", str(work)] + ([dsn] if dsn else []), check=True, timeout=600, env=env)


def pristine_sqlite(release=NEWEST):
    """The SQLite file a first start of the real Synapse RELEASE leaves (made once, cached)."""
    path = _schema_dir(release) / "homeserver.db"
    with _lock:
        if not path.exists():
            work = Path(tempfile.mkdtemp(prefix="mxdba-synapse-schema-"))
            _made_by(release, work)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(work / "homeserver.db", str(path) + ".part")
            os.replace(str(path) + ".part", path)
            shutil.rmtree(work, ignore_errors=True)
    return path


def pristine_postgres(pg, release=NEWEST):
    """A template database on PG's cluster holding the schema Synapse RELEASE
    creates (its pg_dump cached in .cache/, made once by the real Synapse)."""
    dump = _schema_dir(release) / "postgres.sql"
    with _lock:
        if (pg.port, release) in _templates:
            return _templates[(pg.port, release)]
        name = "synapse_template" + ("" if release == NEWEST else "_" + release.replace(".", "_"))
        pg.psql("postgres", f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        if not dump.exists():
            work = Path(tempfile.mkdtemp(prefix="mxdba-synapse-schema-"))
            _made_by(release, work, pg.dsn(name))
            dump.parent.mkdir(parents=True, exist_ok=True)
            out = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "--no-owner",
                                  "--no-privileges", name], capture_output=True, text=True, check=True, timeout=300).stdout
            Path(str(dump) + ".part").write_text(out)
            os.replace(str(dump) + ".part", dump)
            shutil.rmtree(work, ignore_errors=True)
        else:
            pg.psql_file(name, dump)
        _templates[(pg.port, release)] = name
        return name


class SynapseHome(Home):
    kind = "synapse"
    accounts_table = "users"
    hash_prefix = "$2b$"                 # what Synapse's own hashes start with (Python bcrypt)
    no_password_hash = None              # NULL: cannot log in with a password
    profile_table = "profiles"
    # Synapse without a password policy accepts any length from 1 to 512 characters
    bad_passwords = {"\n": "at least 1", "x" * 513 + "\n": "512"}
    reads_rooms = True                    # mxdba reads its rooms and members (evacuate, rooms, members)
    ready_path = "/health"                # what queue apply asks before it starts
    has_null_deactivated = False         # users.deactivated is NOT NULL

    def configure_notices(self, localpart="_server"):
        """Server notices on (homeserver.yaml's server_notices), sent as LOCALPART."""
        self.write_config(self.config.read_text().replace("[database]", f"server_notices_local_part = {localpart}\n\n[database]", 1))

    def __init__(self, backend, pg=None, schema=None, extra_sql=None, release=NEWEST, updates_done=True):
        self.backend = backend
        self.pg = pg
        self.release = release
        # users.suspended came with schema 85 (1.107)
        self.has_suspended = next(r["schema"] for r in release_rows() if r["release"] == release) >= 85
        self.dir = Path(scratch.mkdtemp("mxdba-home-"))
        if backend == "sqlite":
            self.path = self.dir / "homeserver.db"
            shutil.copy(schema or pristine_sqlite(release), self.path)
            if extra_sql:
                con = sqlite3.connect(self.path)
                con.executescript(extra_sql)
                con.commit()
                con.close()
            db_line = "default = file:homeserver.db\n"
        else:
            self.db = "t_" + os.urandom(6).hex()
            pg.psql("postgres", f"CREATE DATABASE {self.db} TEMPLATE {pristine_postgres(pg, release)}")
            if extra_sql:
                pg.psql(self.db, extra_sql)
            db_line = f"default = {pg.dsn(self.db)}\n"
        if updates_done:
            # a first start leaves background updates pending; a server that has run a while has
            # finished them (doctor notes pending ones: tests of that keep them, updates_done=False)
            self.sql("DELETE FROM background_updates")
        self.config = self.dir / "mxdba.ini"
        self.write_config(f"[homeserver]\ntype = synapse\nserver_name = {SERVER}\n\n[database]\n{db_line}\n"
                          "[passwords]\nbcrypt_cost = 4\n")

    def sql(self, query, db=None):
        if self.backend == "sqlite":
            return self._sqlite(db or self.path, query)
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def snapshot(self):
        if self.backend == "sqlite":
            return snapshot_sqlite(self.dir, "homeserver.db")
        return snapshot_pg(self.pg, self.db)

    @staticmethod
    def uid(localpart, server=SERVER):
        return f"@{localpart}:{server}"

    # --- accounts ---
    def add_account(self, localpart, admin=False, password_hash="", deactivated=False, appservice=None,
                    guest=False, server=SERVER, profile=True):
        uid = self.uid(localpart, server)
        susp = (", suspended", ", FALSE") if self.has_suspended else ("", "")
        self.sql("INSERT INTO users (name, password_hash, creation_ts, admin, is_guest, appservice_id, deactivated,"
                 f" shadow_banned, approved, locked{susp[0]}) VALUES"
                 f" ({sql_literal(uid)}, {sql_literal(password_hash or None)}, 1700000000, {int(admin)},"
                 f" {int(guest)}, {sql_literal(appservice)}, {int(deactivated)}, FALSE, TRUE, FALSE{susp[1]})")
        if profile:
            self.add_profile(localpart, localpart, server=server)
        if not (deactivated or appservice or guest) and server == SERVER:
            # as Synapse's registration leaves a user: in its directory (doctor's synapse-user-directory-missing)
            self.sql("INSERT INTO user_directory (user_id, room_id, display_name, avatar_url) VALUES"
                     f" ({sql_literal(uid)}, NULL, {sql_literal(localpart if profile else None)}, NULL)")

    def add_profile(self, localpart, display_name, server=SERVER):
        self.sql("INSERT INTO profiles (user_id, full_user_id, displayname) VALUES"
                 f" ({sql_literal(localpart)}, {sql_literal(self.uid(localpart, server))}, {sql_literal(display_name)})")

    def add_accounts(self, n, prefix="u", start=0):
        if self.backend == "sqlite":
            self.sql(f"WITH RECURSIVE g(x) AS (SELECT {start} UNION ALL SELECT x + 1 FROM g WHERE x < {start + n - 1}) "
                     "INSERT INTO users (name, creation_ts, admin, is_guest, deactivated, approved, locked, suspended)"
                     f" SELECT '@{prefix}' || x || ':{SERVER}', 1700000000, 0, 0, 0, TRUE, FALSE, FALSE FROM g")
            self.sql(f"WITH RECURSIVE g(x) AS (SELECT {start} UNION ALL SELECT x + 1 FROM g WHERE x < {start + n - 1}) "
                     f"INSERT INTO user_directory (user_id) SELECT '@{prefix}' || x || ':{SERVER}' FROM g")
        else:
            self.sql("INSERT INTO users (name, creation_ts, admin, is_guest, deactivated, approved, locked, suspended)"
                     f" SELECT '@{prefix}' || x || ':{SERVER}', 1700000000, 0, 0, 0, TRUE, FALSE, FALSE"
                     f" FROM generate_series({start}, {start + n - 1}) x")
            self.sql(f"INSERT INTO user_directory (user_id) SELECT '@{prefix}' || x || ':{SERVER}'"
                     f" FROM generate_series({start}, {start + n - 1}) x")

    def _user(self, col, localpart, db=None):
        rows = self.sql(f"SELECT {col} FROM users WHERE name = {sql_literal(self.uid(localpart))}", db=db)
        return rows[0][0] if rows else None

    def exists(self, localpart, db=None):
        return self._user("1", localpart, db) is not None

    def is_admin(self, localpart, db=None):
        return str(self._user("admin", localpart, db)) == "1"

    def admins(self, prefix=""):
        return {r[0][1:].split(":")[0] for r in self.sql(f"SELECT name FROM users WHERE admin = 1 AND name LIKE"
                                                         f" {sql_literal('@' + prefix + '%')}")}

    def accounts(self, prefix=""):
        return {r[0][1:].split(":")[0] for r in self.sql(f"SELECT name FROM users WHERE name LIKE {sql_literal('@' + prefix + '%')}")}

    def is_deactivated(self, localpart):
        return str(self._user("deactivated", localpart)) == "1"

    def is_locked(self, localpart):
        return str(self._user("locked::int" if self.backend == "postgres" else "locked", localpart)) == "1"

    def password_hash(self, localpart):
        v = self.sql("SELECT password_hash IS NULL, coalesce(password_hash, '') FROM users"
                     f" WHERE name = {sql_literal(self.uid(localpart))}")[0]
        return None if v[0] in ("1", "t", "True") else v[1]

    def server_of(self, localpart):
        rows = self.sql(f"SELECT name FROM users WHERE name LIKE {sql_literal('@' + localpart + ':%')}")
        return rows[0][0].split(":", 1)[1] if rows else None

    def created_ms(self, localpart):
        return int(self._user("creation_ts", localpart)) * 1000

    def _profile(self, col, localpart):
        rows = self.sql(f"SELECT {col} FROM profiles WHERE user_id = {sql_literal(localpart)}")
        return rows[0][0] if rows else None

    def display_name(self, localpart):
        return self._profile("displayname", localpart)

    def avatar_url(self, localpart):
        v = self._profile("coalesce(avatar_url, '')", localpart)
        return v

    def set_display_name(self, localpart, name):
        self.sql(f"UPDATE profiles SET displayname = {sql_literal(name)} WHERE user_id = {sql_literal(localpart)}")

    def appservice_of(self, localpart):
        return self._user("coalesce(appservice_id, '')", localpart)

    def account_dump(self):
        return str(self.sql("SELECT * FROM users"))

    # --- devices and their tokens ---
    def add_device(self, localpart, device_id, token, ip="10.0.0.1", ua="TestClient/1.0", last_seen=1700000100000):
        uid = self.uid(localpart)
        self.sql("INSERT INTO devices (user_id, device_id, display_name, last_seen, ip, user_agent, hidden) VALUES"
                 f" ({sql_literal(uid)}, {sql_literal(device_id)}, 'phone', {last_seen}, {sql_literal(ip)},"
                 f" {sql_literal(ua)}, FALSE)")
        self.sql("INSERT INTO access_tokens (id, user_id, device_id, token, last_validated, used) VALUES"
                 f" ((SELECT coalesce(max(id), 0) + 1 FROM access_tokens), {sql_literal(uid)}, {sql_literal(device_id)},"
                 f" {sql_literal(token)}, {last_seen}, FALSE)")

    def devices_of(self, localpart=None, prefix=""):
        """(localpart, device ID) of the devices that can still act (a token of theirs is live), sorted."""
        where = f"coalesce(device_id, '') LIKE {sql_literal(prefix + '%')}"
        if localpart:
            where += f" AND user_id = {sql_literal(self.uid(localpart))}"
        return sorted((r[0][1:].split(":")[0], r[1]) for r in
                      self.sql(f"SELECT user_id, coalesce(device_id, '') FROM access_tokens WHERE {where}"))

    # --- rooms and memberships (as Synapse records them: an event, its
    # room_memberships row, the current state, and for a local user
    # local_current_membership) ---
    def add_room(self, room_id, name=None, alias=None):
        self.sql("INSERT INTO rooms (room_id, is_public, creator, room_version, has_auth_chain_index) VALUES"
                 f" ({sql_literal(room_id)}, FALSE, '@creator:example.org', '10', TRUE)")
        if name or alias:
            self.sql(f"INSERT INTO room_stats_state (room_id, name, canonical_alias) VALUES ({sql_literal(room_id)},"
                     f" {sql_literal(name)}, {sql_literal(alias)})")

    def _next_stream_ordering(self):
        return int(self.sql("SELECT coalesce(max(stream_ordering), 0) + 1 FROM events")[0][0])

    def add_member(self, room_id, user_id, state, forgotten=False, with_event=True, state_key=None):
        """USER_ID's membership STATE in ROOM_ID (Synapse always has the event; WITH_EVENT is Dendrite's)."""
        so = self._next_stream_ordering()
        ev, key = f"$m{so}", state_key or user_id
        content = '{"membership":"' + state + '"}'
        self.sql("INSERT INTO events (stream_ordering, topological_ordering, event_id, type, room_id, content,"
                 " processed, outlier, depth, origin_server_ts, received_ts, sender, state_key) VALUES"
                 f" ({so}, {so}, '{ev}', 'm.room.member', {sql_literal(room_id)}, {sql_literal(content)}, TRUE, FALSE,"
                 f" {so}, 1700000000000, 1700000000000, {sql_literal(key)}, {sql_literal(key)})")
        self.sql("INSERT INTO room_memberships (event_id, user_id, sender, room_id, membership, forgotten,"
                 f" event_stream_ordering) VALUES ('{ev}', {sql_literal(key)}, {sql_literal(key)}, {sql_literal(room_id)},"
                 f" '{state}', {int(forgotten)}, {so})")
        self.sql(f"DELETE FROM current_state_events WHERE room_id = {sql_literal(room_id)} AND type = 'm.room.member'"
                 f" AND state_key = {sql_literal(key)}")
        self.sql("INSERT INTO current_state_events (event_id, room_id, type, state_key, membership, event_stream_ordering)"
                 f" VALUES ('{ev}', {sql_literal(room_id)}, 'm.room.member', {sql_literal(key)}, '{state}', {so})")
        if key.endswith(":" + SERVER):
            self.sql(f"DELETE FROM local_current_membership WHERE room_id = {sql_literal(room_id)}"
                     f" AND user_id = {sql_literal(key)}")
            self.sql("INSERT INTO local_current_membership (room_id, user_id, event_id, membership,"
                     f" event_stream_ordering) VALUES ({sql_literal(room_id)}, {sql_literal(key)}, '{ev}', '{state}', {so})")

    def set_membership(self, user_id, state):
        """USER_ID's membership in every room becomes STATE (as the server would record a leave)."""
        self.sql(f"UPDATE local_current_membership SET membership = '{state}' WHERE user_id = {sql_literal(user_id)}")
        self.sql(f"UPDATE current_state_events SET membership = '{state}' WHERE type = 'm.room.member'"
                 f" AND state_key = {sql_literal(user_id)}")
        self.sql(f"UPDATE room_memberships SET membership = '{state}' WHERE user_id = {sql_literal(user_id)}")

    def minted_tokens(self):
        """Tokens minted by queue apply still in the server's table (Synapse: negative ids, no device)."""
        return int(self.sql("SELECT count(*) FROM access_tokens WHERE id < 0")[0][0])
