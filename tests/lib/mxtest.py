# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: run the mxdba binary, a throwaway PostgreSQL cluster,
and Dendrite-shaped homeserver databases on SQLite or PostgreSQL with
snapshot comparison (byte-for-byte for SQLite, row-for-row for PostgreSQL)."""
import hashlib
import os
import sqlite3
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("MXDBA_BIN", str(ROOT / "mxdba"))
FIXTURES = ROOT / "tests" / "fixtures"
SERVER = "example.org"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] if Path("/usr/lib/postgresql").exists() else None


class Result:
    def __init__(self, cp):
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr

    def __repr__(self):
        return f"<rc={self.rc} out={self.out!r} err={self.err!r}>"


def run(args, input=None, env=None, cwd=None, timeout=120):
    e = dict(os.environ)
    e.pop("MXDBA_CONFIG", None)
    e["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99"
    e["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=98"
    if env:
        e.update(env)
    cp = subprocess.run([BIN] + [str(a) for a in args], input=input, capture_output=True, text=True,
                        env=e, cwd=cwd, timeout=timeout, start_new_session=True)
    r = Result(cp)
    # a sanitizer report is always a failure, whatever the exit code
    assert "AddressSanitizer" not in r.err and "runtime error:" not in r.err and "LeakSanitizer" not in r.err, r.err
    return r


class PGCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mxdba-pg-")
        os.chmod(self.dir, 0o755)
        out = subprocess.check_output([str(ROOT / "scripts" / "pg-throwaway"), "start", self.dir + "/pg"], text=True)
        self.port = int(out.strip())

    def psql(self, db, sql, check=True):
        cp = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\x1f", "-h", "127.0.0.1",
                             "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                            capture_output=True, text=True)
        if check and cp.returncode != 0:
            raise RuntimeError(cp.stderr)
        return [line.split("\x1f") for line in cp.stdout.splitlines()]

    def psql_file(self, db, path):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "-d", db, "-f", str(path)], check=True, capture_output=True)

    def create_db(self):
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def dsn(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def stop(self):
        subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", self.dir + "/pg"], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)  # ~1 GiB per run otherwise left in the temp folder


def json_str(s):
    import json
    return json.dumps(s)


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


class Home:
    """A Dendrite-shaped homeserver database and an mxdba.ini pointing at it."""

    def __init__(self, backend, pg=None, schema=None, extra_sql=None):
        self.backend = backend
        self.pg = pg
        self.dir = Path(tempfile.mkdtemp(prefix="mxdba-home-"))
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
            db_lines = ("userapi = file:dendrite_userapi.db\nroomserver = file:dendrite_roomserver.db\n"
                        "syncapi = file:dendrite_roomserver.db\n")
        else:
            self.db = pg.create_db()
            pg.psql_file(self.db, schema)
            pg.psql_file(self.db, FIXTURES / "roomserver-postgres.sql")
            if extra_sql:
                pg.psql(self.db, extra_sql)
            db_lines = f"default = {pg.dsn(self.db)}\n"
        self.config = self.dir / "mxdba.ini"
        self.write_config(f"[homeserver]\ntype = dendrite\nserver_name = {SERVER}\n\n[database]\n{db_lines}\n"
                          "[passwords]\nbcrypt_cost = 4\n")

    def write_config(self, text):
        self.config.write_text(text)
        os.chmod(self.config, 0o600)

    def run(self, *args, input=None, env=None):
        return run(["-c", self.config] + list(args), input=input, env=env)

    # --- direct SQL (test setup and inspection only) ---
    def sql(self, query):
        if self.backend == "sqlite":
            con = sqlite3.connect(self.path)
            try:
                rows = con.execute(query).fetchall()
                con.commit()
            finally:
                con.close()
            return [tuple("" if v is None else str(v) for v in r) for r in rows]
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def rsql(self, query):
        """SQL on the roomserver (and syncapi) database."""
        if self.backend == "sqlite":
            con = sqlite3.connect(self.dir / "dendrite_roomserver.db")
            try:
                rows = con.execute(query).fetchall()
                con.commit()
            finally:
                con.close()
            return [tuple("" if v is None else str(v) for v in r) for r in rows]
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def _nid(self, table, col):
        return int(self.rsql(f"SELECT coalesce(max({col}), 1) + 1 FROM {table}")[0][0])

    def state_key_nid(self, key):
        rows = self.rsql(f"SELECT event_state_key_nid FROM roomserver_event_state_keys WHERE event_state_key = {sql_literal(key)}")
        if rows:
            return int(rows[0][0])
        nid = self._nid("roomserver_event_state_keys", "event_state_key_nid")
        self.rsql(f"INSERT INTO roomserver_event_state_keys (event_state_key_nid, event_state_key) VALUES ({nid}, {sql_literal(key)})")
        return nid

    def add_room(self, room_id, name=None):
        nid = self._nid("roomserver_rooms", "room_nid")
        self.rsql(f"INSERT INTO roomserver_rooms (room_nid, room_id, room_version, state_snapshot_nid)"
                  f" VALUES ({nid}, {sql_literal(room_id)}, '10', 7)")
        if name:
            ev = '{"type":"m.room.name","content":{"name":' + json_str(name) + '}}'
            self.rsql("INSERT INTO syncapi_current_room_state (room_id, event_id, type, sender, state_key,"
                      f" headered_event_json) VALUES ({sql_literal(room_id)}, '$name{nid}', 'm.room.name',"
                      f" '@x:example.org', '', {sql_literal(ev)})")
        return nid

    MEMBERSHIP_NID = {"leave": 1, "ban": 1, "invite": 2, "join": 3, "knock": 4}

    def add_member(self, room_id, user_id, state, forgotten=False, with_event=True, state_key=None):
        room_nid = int(self.rsql(f"SELECT room_nid FROM roomserver_rooms WHERE room_id = {sql_literal(room_id)}")[0][0])
        target = self.state_key_nid(state_key or user_id)
        event_nid = 0
        if with_event:
            event_nid = self._nid("roomserver_event_json", "event_nid")
            ev = '{"type":"m.room.member","content":{"membership":"' + state + '"}}'
            self.rsql(f"INSERT INTO roomserver_event_json (event_nid, event_json) VALUES ({event_nid}, {sql_literal(ev)})")
        local = user_id.endswith(":" + SERVER)
        b = (lambda v: "1" if v else "0") if self.backend == "sqlite" else (lambda v: "TRUE" if v else "FALSE")
        self.rsql("INSERT INTO roomserver_membership (room_nid, target_nid, sender_nid, membership_nid, event_nid,"
                  f" target_local, forgotten) VALUES ({room_nid}, {target}, {target}, {self.MEMBERSHIP_NID[state]},"
                  f" {event_nid}, {b(local)}, {b(forgotten)})")

    def add_pseudo_member(self, room_id, user_id, pubkey, state):
        """An MSC4014 room: the member state key is the base64 (no padding) public key."""
        import base64
        key = base64.b64encode(pubkey).decode().rstrip("=")
        self.add_member(room_id, user_id, state, state_key=key)
        room_nid = int(self.rsql(f"SELECT room_nid FROM roomserver_rooms WHERE room_id = {sql_literal(room_id)}")[0][0])
        user_nid = self.state_key_nid(user_id)
        pk = f"X'{pubkey.hex()}'" if self.backend == "sqlite" else f"'\\x{pubkey.hex()}'::bytea"
        self.rsql("INSERT INTO roomserver_user_room_keys (user_nid, room_nid, pseudo_id_pub_key)"
                  f" VALUES ({user_nid}, {room_nid}, {pk})")

    def add_account(self, localpart, account_type=1, password_hash="", deactivated=False, appservice=None,
                    server=SERVER, profile=True):
        deact = ("1" if deactivated else "0") if self.backend == "sqlite" else sql_literal(bool(deactivated))
        self.sql("INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash, appservice_id,"
                 f" is_deactivated, account_type) VALUES ({sql_literal(localpart)}, {sql_literal(server)},"
                 f" 1700000000000, {sql_literal(password_hash)}, {sql_literal(appservice)}, {deact}, {account_type})")
        if profile:
            self.sql("INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url) VALUES"
                     f" ({sql_literal(localpart)}, {sql_literal(server)}, {sql_literal(localpart)}, '')")

    def add_device(self, localpart, device_id, token, ip="10.0.0.1", ua="TestClient/1.0", last_seen=1700000100000):
        sid = "" if self.backend == "postgres" else "session_id, "
        sidv = "" if self.backend == "postgres" else \
            "(SELECT coalesce(max(session_id), 0) + 1 FROM userapi_devices), "
        self.sql(f"INSERT INTO userapi_devices (access_token, {sid}device_id, localpart, server_name, created_ts,"
                 f" display_name, last_seen_ts, ip, user_agent) VALUES ({sql_literal(token)}, {sidv}"
                 f"{sql_literal(device_id)}, {sql_literal(localpart)}, {sql_literal(SERVER)}, 1700000000000,"
                 f" 'phone', {last_seen}, {sql_literal(ip)}, {sql_literal(ua)})")

    def account(self, localpart):
        rows = self.sql("SELECT localpart, server_name, password_hash, coalesce(appservice_id, '<NULL>'),"
                        f" is_deactivated, account_type FROM userapi_accounts WHERE localpart = {sql_literal(localpart)}")
        return rows[0] if rows else None

    def snapshot(self):
        """Everything mxdba could have changed: see snapshot_sqlite / snapshot_pg."""
        if self.backend == "sqlite":
            return snapshot_sqlite(self.dir, "dendrite_userapi.db")
        return snapshot_pg(self.pg, self.db)


def snapshot_sqlite(folder, name):
    """The bytes of the database file and any journal beside it."""
    folder = Path(folder)
    files = sorted(p.name for p in folder.iterdir() if p.name.startswith(name))
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode())
        h.update((folder / f).read_bytes())
    return files, h.hexdigest()


def snapshot_pg(pg, db, prefix=""):
    """Every row of every table (optionally only tables starting with PREFIX),
    sorted, and every sequence: two psql runs in all."""
    tables = [t for (t,) in pg.psql(db, "SELECT table_name FROM information_schema.tables"
                                        f" WHERE table_schema = 'public' AND table_name LIKE '{prefix}%' ORDER BY 1")]
    # mxdba's own id sequences may advance under a rolled-back insert (PostgreSQL
    # sequences are not transactional): they are counters, not rows. Dendrite's are compared.
    seqs = [q for (q,) in pg.psql(db, "SELECT sequence_name FROM information_schema.sequences"
                                      f" WHERE sequence_schema = 'public' AND sequence_name LIKE '{prefix}%'"
                                      " AND sequence_name NOT LIKE 'mxdba%' ORDER BY 1")]
    parts = [f"SELECT '{t}', r::text FROM \"{t}\" r" for t in tables]
    parts += [f"SELECT 'seq:{q}', last_value::text || '/' || is_called::text FROM \"{q}\"" for q in seqs]
    if not parts:
        return {}
    snap = {}
    for name, row in pg.psql(db, " UNION ALL ".join(parts) + " ORDER BY 1, 2"):
        snap.setdefault(name, []).append(row)
    return {"tables": tables, "rows": snap}
