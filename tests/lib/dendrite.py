# SPDX-License-Identifier: Apache-2.0
"""The real Dendrite v0.13.8 for e2e tests: configure it with generate-config
(SQLite files in a private folder, or one database on the throwaway
PostgreSQL cluster), start and stop it through scripts/dendrite, and talk to
its client/admin API over loopback."""
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mxtest import ROOT, run

SCRIPT = str(ROOT / "scripts" / "dendrite")
SECRET = "mxdba-e2e-secret"


def q(s):
    return urllib.parse.quote(s, safe="")


class Dendrite:
    def __init__(self, backend, pg=None):
        self.backend = backend
        self.dir = Path(tempfile.mkdtemp(prefix=f"mxdba-dendrite-{backend}-"))
        self.pg = pg
        args = [SCRIPT, "config", str(self.dir)]
        if backend == "postgres":
            self.db = pg.create_db()
            args.append(pg.dsn(self.db))
        subprocess.run(args, check=True)
        self.yaml = self.dir / "dendrite.yaml"
        # mxdba reads everything from Dendrite's own config: nothing copied by hand
        self.config = self.dir / "mxdba.ini"
        self.config.write_text(f"[homeserver]\ntype = dendrite\ndendrite_config = {self.yaml}\n")
        os.chmod(self.config, 0o600)
        self.port = None
        self.start()   # creates the schema
        self.stop()

    # ---- process ----
    def start(self):
        out = subprocess.run([SCRIPT, "start", str(self.dir)], check=True, capture_output=True, text=True)
        self.port = int(out.stdout.strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        subprocess.run([SCRIPT, "stop", str(self.dir)], check=True)

    def running(self):
        pidf = self.dir / "dendrite.pid"
        if not pidf.exists():
            return False
        try:
            os.kill(int(pidf.read_text()), 0)
            return True
        except OSError:
            return False

    def mxdba(self, *args, input=None):
        return run(["-c", self.config] + list(args), input=input)

    # ---- HTTP ----
    def req(self, method, path, token=None, body=None, ua="mxdba-e2e/1.0", expect_json=True):
        """(status, parsed body). Honours 429 retry_after_ms; a 500 fails the test at once."""
        for _ in range(20):
            data = json.dumps(body).encode() if body is not None else None
            r = urllib.request.Request(self.url + path, data=data, method=method)
            r.add_header("User-Agent", ua)
            if data is not None:
                r.add_header("Content-Type", "application/json")
            if token:
                r.add_header("Authorization", "Bearer " + token)
            try:
                with urllib.request.urlopen(r, timeout=30) as resp:
                    status, raw = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
            doc = json.loads(raw) if raw and expect_json else raw
            if status == 429:
                time.sleep(min(doc.get("retry_after_ms", 500), 5000) / 1000)
                continue
            assert status != 500, f"{method} {path} -> 500 {raw!r}"
            return status, doc
        raise AssertionError(f"{method} {path}: still rate-limited")

    def register(self, user, password, admin=False):
        """Shared-secret registration (the HMAC-SHA1 scheme); returns the login response."""
        status, doc = self.req("GET", "/_synapse/admin/v1/register")
        assert status == 200, doc
        nonce = doc["nonce"]
        mac = hmac.new(SECRET.encode(), b"\0".join([nonce.encode(), user.encode(), password.encode(),
                                                      b"admin" if admin else b"notadmin"]), hashlib.sha1).hexdigest()
        status, doc = self.req("POST", "/_synapse/admin/v1/register",
                               body={"nonce": nonce, "username": user, "password": password, "admin": admin,
                                     "mac": mac})
        assert status == 200, doc
        return doc

    def login(self, user, password, ua="mxdba-e2e/1.0"):
        return self.req("POST", "/_matrix/client/v3/login", ua=ua,
                        body={"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
                              "password": password})

    def whois(self, token, user_id):
        return self.req("GET", f"/_matrix/client/v3/admin/whois/{q(user_id)}", token=token)

    def sql(self, query):
        if self.backend == "sqlite":
            import sqlite3
            con = sqlite3.connect(self.dir / "dendrite_userapi.db", timeout=10)
            try:
                rows = con.execute(query).fetchall()
                con.commit()
            finally:
                con.close()
            return [tuple(str(v) for v in r) for r in rows]
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    # ---- neutral helpers over its userapi database (as tests/lib/dendrite_db.py) ----
    def devices_of(self, localpart=None, prefix=""):
        """(localpart, device ID) of the devices (of LOCALPART; IDs starting with PREFIX), sorted."""
        where = f"device_id LIKE '{prefix}%'" + (f" AND localpart = '{localpart}'" if localpart else "")
        return sorted(self.sql(f"SELECT localpart, device_id FROM userapi_devices WHERE {where}"))

    def add_token(self, localpart, device_id, token):
        """An access token for LOCALPART made by hand (a device row, as Dendrite stores them)."""
        if self.backend == "sqlite":
            self.sql("INSERT INTO userapi_devices (access_token, session_id, device_id, localpart, server_name,"
                     " created_ts, display_name, last_seen_ts, ip, user_agent) VALUES"
                     f" ('{token}', (SELECT coalesce(max(session_id), 0) + 1 FROM userapi_devices), '{device_id}',"
                     f" '{localpart}', 'example.org', 1, 'probe', 1, '', 'test')")
        else:
            self.sql("INSERT INTO userapi_devices (access_token, device_id, localpart, server_name, created_ts,"
                     f" display_name, last_seen_ts, ip, user_agent) VALUES ('{token}', '{device_id}', '{localpart}',"
                     " 'example.org', 1, 'probe', 1, '', 'test')")

    def close(self):
        if self.running():
            self.stop()


def userapi_snapshot(d):
    from mxtest import snapshot_pg, snapshot_sqlite
    if d.backend == "sqlite":
        return snapshot_sqlite(d.dir, "dendrite_userapi.db")
    return snapshot_pg(d.pg, d.db, prefix="userapi_")
