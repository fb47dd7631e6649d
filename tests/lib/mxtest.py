# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: run the mxdba binary, a throwaway PostgreSQL cluster,
and Dendrite-shaped homeserver databases on SQLite or PostgreSQL with
snapshot comparison (byte-for-byte for SQLite, row-for-row for PostgreSQL)."""
import hashlib
import json
import os
import sqlite3
import shutil
import subprocess
import uuid
from pathlib import Path

import scratch

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
        self.dir = scratch.mkdtemp("mxdba-pg-")
        scratch.on_end(self.stop)  # the server is a daemon, not a child: stopped whatever ends the run
        os.chmod(self.dir, 0o755)
        out = subprocess.check_output([str(ROOT / "scripts" / "pg-throwaway"), "start", self.dir + "/pg"], text=True,
                                      timeout=180)
        self.port = int(out.strip())

    def psql(self, db, sql, check=True):
        cp = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\x1f", "-h", "127.0.0.1",
                             "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
                            capture_output=True, text=True, timeout=300)
        if check and cp.returncode != 0:
            raise RuntimeError(cp.stderr)
        return [line.split("\x1f") for line in cp.stdout.splitlines()]

    def psql_file(self, db, path):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "-d", db, "-f", str(path)], check=True, capture_output=True, timeout=300)

    def create_db(self):
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql("postgres", f"CREATE DATABASE {name}")
        return name

    def dsn(self, db):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def stop(self):
        if not os.path.isdir(self.dir):
            return
        subprocess.run([str(ROOT / "scripts" / "pg-throwaway"), "stop", self.dir + "/pg"], check=False, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)  # ~1 GiB per run otherwise left in the temp folder


def ok(r):
    """R, asserted to have exited 0."""
    assert r.rc == 0, r
    return r


def doctor_findings(r):
    """`mxdba --json doctor` output: check name -> finding."""
    return {o["check"]: o for o in (json.loads(x) for x in r.out.splitlines() if x.strip())}


def json_str(s):
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
    """A homeserver database of one kind (a subclass per homeserver, e.g.
    dendrite_db.DendriteHome) and an mxdba.ini pointing at it. Tests reach
    accounts, devices and memberships through the neutral helpers each kind
    implements (add_account, is_admin, password_hash, devices_of, …), not
    through the homeserver's tables."""

    kind = None

    def write_config(self, text):
        self.config.write_text(text)
        os.chmod(self.config, 0o600)

    def run(self, *args, input=None, env=None):
        return run(["-c", self.config] + list(args), input=input, env=env)

    def _sqlite(self, path, query):
        con = sqlite3.connect(path)
        try:
            rows = con.execute(query).fetchall()
            con.commit()
        finally:
            con.close()
        return [tuple("" if v is None else str(v) for v in r) for r in rows]

    # --- mxdba's own tables (the same for every homeserver) ---
    def audit_rows(self, field=None):
        """(target, command, old, new) of the audit rows, oldest first."""
        where = f" WHERE field = {sql_literal(field)}" if field else ""
        return [tuple(r) for r in self.sql("SELECT target, command, coalesce(old_value, ''), coalesce(new_value, '')"
                                           f" FROM mxdba_audit{where} ORDER BY id")]


def make_home(kind, backend, pg=None, **kw):
    """A fresh homeserver database of KIND on BACKEND."""
    if kind == "dendrite":
        from dendrite_db import DendriteHome
        return DendriteHome(backend, pg=pg, **kw)
    if kind == "synapse":
        from synapse_db import SynapseHome
        return SynapseHome(backend, pg=pg, **kw)
    raise ValueError(kind)


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
    # a line break inside a value would split psql's output line: written as \n
    parts = [f"SELECT '{t}', replace(r::text, chr(10), '\\n') FROM \"{t}\" r" for t in tables]
    parts += [f"SELECT 'seq:{q}', last_value::text || '/' || is_called::text FROM \"{q}\"" for q in seqs]
    if not parts:
        return {}
    snap = {}
    for name, row in pg.psql(db, " UNION ALL ".join(parts) + " ORDER BY 1, 2"):
        snap.setdefault(name, []).append(row)
    return {"tables": tables, "rows": snap}


def refused(home, args, code, msg=None, input=None, warned=False):
    """HOME runs ARGS and is refused with exit CODE (and MSG in its error), the database unchanged. The
    error comes first on stderr; WARNED: after one or more warnings (what a pre-check found), and only them."""
    before = home.snapshot()
    r = home.run(*args, input=input)
    assert r.rc == code, r
    if warned:
        lines = r.err.splitlines()
        first_error = next(i for i, line in enumerate(lines) if line.startswith("mxdba: error: "))
        assert first_error > 0 and all(line.startswith("mxdba: warning: ") for line in lines[:first_error]), r.err
    else:
        assert r.err.startswith("mxdba: error: "), r.err
    if msg:
        assert msg in r.err, r.err
    assert home.snapshot() == before
    return r


def jl(out):
    """The JSON lines of OUT."""
    return [json.loads(line) for line in out.splitlines()]
