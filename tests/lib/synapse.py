# SPDX-License-Identifier: Apache-2.0
"""The real Synapse for e2e tests (1.163.2, or another release of
tests/releases, each in its own venv in .cache/): configure it (SQLite file in a
private folder, or a database on the throwaway PostgreSQL cluster), start,
stop and kill it through scripts/synapse, and talk to its client and admin
API over loopback. One Synapse per backend serves a whole suite."""
import json
import os
import subprocess
from pathlib import Path

import scratch
from mxtest import ROOT, snapshot_pg, snapshot_sqlite
from realserver import RealServer, q  # noqa: F401 (q: for the tests)

SCRIPT = str(ROOT / "scripts" / "synapse")


class Synapse(RealServer):
    SCRIPT = SCRIPT
    PIDFILE = "synapse.pid"

    def __init__(self, backend, pg=None, release=None):
        self.backend = backend
        self.pg = pg
        self.use_release(release)
        self.dir = Path(scratch.mkdtemp(f"mxdba-synapse-{backend}-"))
        scratch.on_end(self.kill_if_running)  # a daemon: killed whatever ends its owner
        args = [SCRIPT, "config", str(self.dir)]
        if backend == "postgres":
            self.db = "s_" + os.urandom(5).hex()
            pg.psql("postgres", f"CREATE DATABASE {self.db} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
            args.append(pg.dsn(self.db))
        subprocess.run(args, check=True, timeout=180, env=self.script_env)
        self.yaml = self.dir / "homeserver.yaml"
        self.extra = self.dir / "conf.d"
        self.extra.mkdir()
        # mxdba reads everything from Synapse's own config: nothing copied by hand
        self.config = self.dir / "mxdba.ini"
        # relative to the ini's folder: the line stays short however deep the temp folder is
        self.write_ini("[homeserver]\ntype = synapse\nsynapse_config = homeserver.yaml,conf.d\n")
        (self.extra / "00-empty.yaml").write_text("{}\n")
        self.port = None
        self.start()   # creates the schema
        self.stop()

    def use_release(self, release):
        """Run RELEASE from the next start on (None: the suite's 1.163.2), on the same database: an
        upgrade, or a rollback Synapse allows (its schema_compat_version rule)."""
        self.release = release
        self.script_env = dict(os.environ, SYNAPSE_VERSION=release) if release else None

    def set_extra(self, text):
        """A second config file (conf.d), as Debian lays them out: its top-level keys replace the main file's."""
        (self.extra / "50-test.yaml").write_text(text)

    def kill(self):
        subprocess.run([SCRIPT, "kill", str(self.dir)], check=True, timeout=60, env=self.script_env)

    def admin_user(self, token, user_id):
        return self.req("GET", f"/_synapse/admin/v2/users/{q(user_id)}", token=token)

    def synadm(self, token, *args):
        """synadm (the admin CLI from PyPI, scripts/synapse synadm) run as the holder of TOKEN: its JSON."""
        exe = subprocess.run([SCRIPT, "synadm"], check=True, capture_output=True, text=True, timeout=600).stdout.strip()
        cfg = self.dir / "synadm.yaml"
        cfg.write_text(f"user: e2e\ntoken: {token}\nbase_url: {self.url}\nadmin_path: /_synapse/admin\n"
                       "matrix_path: /_matrix\ntimeout: 30\ndebug: false\nformat: json\nssl_verify: false\n")
        os.chmod(cfg, 0o600)
        r = subprocess.run([exe, "-c", str(cfg), "--batch", "-o", "json"] + list(args), capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return json.loads(r.stdout)

    # ---- the database (test setup and inspection only) ----
    def sql(self, query):
        if self.backend == "sqlite":
            return self.sqlite_sql(self.dir / "homeserver.db", query)
        return [tuple(r) for r in self.pg.psql(self.db, query)]

    def snapshot(self):
        if self.backend == "sqlite":
            return snapshot_sqlite(self.dir, "homeserver.db")
        return snapshot_pg(self.pg, self.db)
