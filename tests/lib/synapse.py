# SPDX-License-Identifier: Apache-2.0
"""The real Synapse 1.163.2 for e2e tests: configure it (SQLite file in a
private folder, or a database on the throwaway PostgreSQL cluster), start,
stop and kill it through scripts/synapse, and talk to its client and admin
API over loopback. One Synapse per backend serves a whole suite."""
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from mxtest import ROOT, run, snapshot_pg, snapshot_sqlite

SCRIPT = str(ROOT / "scripts" / "synapse")
SECRET = "mxdba-e2e-secret"


def q(s):
    return urllib.parse.quote(s, safe="")


class Synapse:
    def __init__(self, backend, pg=None):
        self.backend = backend
        self.pg = pg
        self.dir = Path(tempfile.mkdtemp(prefix=f"mxdba-synapse-{backend}-"))
        args = [SCRIPT, "config", str(self.dir)]
        if backend == "postgres":
            self.db = "s_" + os.urandom(5).hex()
            pg.psql("postgres", f"CREATE DATABASE {self.db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
            args.append(pg.dsn(self.db))
        subprocess.run(args, check=True)
        self.yaml = self.dir / "homeserver.yaml"
        self.extra = self.dir / "conf.d"
        self.extra.mkdir()
        # mxdba reads everything from Synapse's own config: nothing copied by hand
        self.config = self.dir / "mxdba.ini"
        self.write_ini(f"[homeserver]\ntype = synapse\nsynapse_config = {self.yaml},{self.extra}\n")
        (self.extra / "00-empty.yaml").write_text("{}\n")
        self.port = None
        self.start()   # creates the schema
        self.stop()

    def write_ini(self, text):
        self.config.write_text(text)
        os.chmod(self.config, 0o600)

    def set_extra(self, text):
        """A second config file (conf.d), as Debian lays them out: its top-level keys replace the main file's."""
        (self.extra / "50-test.yaml").write_text(text)

    # ---- process ----
    def start(self):
        out = subprocess.run([SCRIPT, "start", str(self.dir)], check=True, capture_output=True, text=True)
        self.port = int(out.stdout.strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        subprocess.run([SCRIPT, "stop", str(self.dir)], check=True)

    def kill(self):
        subprocess.run([SCRIPT, "kill", str(self.dir)], check=True)

    def restart(self):
        self.stop()
        self.start()

    def running(self):
        pidf = self.dir / "synapse.pid"
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
    def req(self, method, path, token=None, body=None, expect_json=True):
        """(status, parsed body). A 500 fails the test at once."""
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + path, data=data, method=method)
        r.add_header("User-Agent", "mxdba-e2e/1.0")
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
        assert status != 500, f"{method} {path} -> 500 {raw!r}"
        return status, doc

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

    def login(self, user, password):
        return self.req("POST", "/_matrix/client/v3/login",
                        body={"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
                              "password": password})

    def whoami(self, token):
        return self.req("GET", "/_matrix/client/v3/account/whoami", token=token)

    def admin_user(self, token, user_id):
        return self.req("GET", f"/_synapse/admin/v2/users/{q(user_id)}", token=token)

    # ---- the database (test setup and inspection only) ----
    def sql(self, query):
        if self.backend == "sqlite":
            con = sqlite3.connect(self.dir / "homeserver.db", timeout=10)
            try:
                rows = con.execute(query).fetchall()
                con.commit()
            finally:
                con.close()
            return [tuple("" if v is None else str(v) for v in r) for r in rows]
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def snapshot(self):
        if self.backend == "sqlite":
            return snapshot_sqlite(self.dir, "homeserver.db")
        return snapshot_pg(self.pg, self.db)

    def close(self):
        if self.running():
            self.stop()
