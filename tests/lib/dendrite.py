# SPDX-License-Identifier: Apache-2.0
"""The real Dendrite for e2e tests (v0.13.8, or another release of
tests/releases, each built into .cache/): configure it with generate-config
(SQLite files in a private folder, or one database on the throwaway
PostgreSQL cluster), start and stop it through scripts/dendrite, and talk to
its client/admin API over loopback."""
import os
import subprocess
from pathlib import Path

import scratch
from mxtest import ROOT
from realserver import RealServer, q  # noqa: F401 (q: for the tests)

SCRIPT = str(ROOT / "scripts" / "dendrite")


class Dendrite(RealServer):
    SCRIPT = SCRIPT
    PIDFILE = "dendrite.pid"

    def __init__(self, backend, pg=None, release=None):
        self.backend = backend
        self.release = release
        self.script_env = dict(os.environ, DENDRITE_VERSION=release) if release else None
        self.dir = Path(scratch.mkdtemp(f"mxdba-dendrite-{backend}-"))
        scratch.on_end(self.kill_if_running)  # a daemon: killed whatever ends its owner
        self.pg = pg
        args = [SCRIPT, "config", str(self.dir)]
        if backend == "postgres":
            self.db = pg.create_db()
            args.append(pg.dsn(self.db))
        subprocess.run(args, check=True, timeout=180, env=self.script_env)
        self.yaml = self.dir / "dendrite.yaml"
        # mxdba reads everything from Dendrite's own config: nothing copied by hand
        self.config = self.dir / "mxdba.ini"
        # relative to the ini's folder: the line stays short however deep the temp folder is
        self.write_ini("[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n")
        self.port = None
        self.start()   # creates the schema
        self.stop()

    def whois(self, token, user_id):
        return self.req("GET", f"/_matrix/client/v3/admin/whois/{q(user_id)}", token=token)

    def sql(self, query):
        if self.backend == "sqlite":
            return self.sqlite_sql(self.dir / "dendrite_userapi.db", query)
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


def userapi_snapshot(d):
    from mxtest import snapshot_pg, snapshot_sqlite
    if d.backend == "sqlite":
        return snapshot_sqlite(d.dir, "dendrite_userapi.db")
    return snapshot_pg(d.pg, d.db, prefix="userapi_")
