# SPDX-License-Identifier: Apache-2.0
"""Crash safety: mxdba killed with SIGKILL at random moments during a batch
of 10,000 account changes, 50 times per backend: afterwards the database
equals the state before or the state after, compared by a full dump. Also a
lost PostgreSQL connection, a full disk and a read-only SQLite file in the
middle of a write: a clear error, nothing changed."""
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest
from mxtest import BIN, snapshot_pg
import scratch  # noqa: E402

N = 10_000
KILLS = 50


def fill(home, n=N):
    home.add_accounts(n, "u")
    home.run("migrate")


AUDIT_TS = re.compile(r'^(INSERT INTO "mxdba_audit" VALUES\(\d+,)\d+,')


def dump(home, db=None):
    """Every row, with the audit rows' time stamps blanked (two runs differ only there)."""
    if home.backend == "sqlite":
        con = sqlite3.connect(db or home.path)   # a hot journal left by the kill is rolled back here
        try:
            return "\n".join(AUDIT_TS.sub(r"\1T,", line) for line in con.iterdump())
        finally:
            con.close()
    snap = snapshot_pg(home.pg, db or home.db)
    rows = snap.get("rows", {})
    if "mxdba_audit" in rows:
        rows["mxdba_audit"] = sorted(re.sub(r"^\((\d+),\d+,", r"(\1,T,", r) for r in rows["mxdba_audit"])
    return snap


def spawn(config, batch):
    return scratch.spawn([BIN, "-q", "-c", str(config), "--no-backup", "batch", str(batch)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_sigkill_leaves_before_or_after(make_home, backend, tmp_path):
    # PostgreSQL under the sanitizers takes about 1 ms a line: 3,000 lines keep
    # 50 kills at a few seconds each, also on a busy machine
    n = N if backend == "sqlite" else 3_000
    home = make_home(backend)
    fill(home, n)
    batch = tmp_path / "b.txt"
    batch.write_text("".join(f"user promote u{i}\n" for i in range(n)))
    # the states to compare against, and how long a whole run takes
    if backend == "sqlite":
        pristine = tmp_path / "pristine.db"
        shutil.copy(home.path, pristine)
    else:
        home.pg.psql("postgres", f"CREATE DATABASE {home.db}_t TEMPLATE {home.db}")
    before = dump(home)
    t0 = time.monotonic()
    p = spawn(home.config, batch)
    assert p.wait() == 0, p.stderr.read()
    full = time.monotonic() - t0
    after = dump(home)
    assert before != after
    rng = random.Random(4242)
    outcomes = {"before": 0, "after": 0}
    for i in range(KILLS):
        # back to the state before
        if backend == "sqlite":
            for f in home.dir.glob("dendrite_userapi.db*"):
                f.unlink()
            shutil.copy(pristine, home.path)
        else:
            home.pg.psql("postgres", f"DROP DATABASE {home.db} WITH (FORCE)")
            home.pg.psql("postgres", f"CREATE DATABASE {home.db} TEMPLATE {home.db}_t")
        p = spawn(home.config, batch)
        time.sleep(rng.uniform(0.0, full * 1.1))
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        if backend == "postgres":
            # the server notices the dead client and rolls its transaction back
            for _ in range(100):
                if not home.pg.psql(home.db, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                                             " AND application_name = 'mxdba'"):
                    break
                time.sleep(0.05)
        state = dump(home)
        assert state in (before, after), f"kill {i}: the database is neither the state before nor after"
        outcomes["before" if state == before else "after"] += 1
    print(f"{backend}: {KILLS} kills over a {full:.2f} s batch: {outcomes}")
    assert outcomes["before"] > 0


def test_lost_postgres_connection_mid_batch(make_home, tmp_path):
    home = make_home("postgres")
    fill(home)
    batch = tmp_path / "b.txt"
    batch.write_text("".join(f"user promote u{i}\n" for i in range(N)))
    before = dump(home)
    p = spawn(home.config, batch)
    for _ in range(200):
        if home.pg.psql(home.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                 " WHERE datname = current_database() AND application_name = 'mxdba'"
                                 " AND state <> 'idle'"):
            break
        time.sleep(0.01)
    err = p.stderr.read().decode()
    assert p.wait() == 7, err
    assert "mxdba: error:" in err and "connection" in err, err
    assert dump(home) == before


def test_disk_full_mid_write_sqlite(make_home, tmp_path):
    home = make_home("sqlite")
    fill(home)
    batch = tmp_path / "b.txt"
    batch.write_text("".join(f"user create n{i} --display-name '{'x' * 200}' --no-password\n" for i in range(N)))
    before = dump(home)
    size_kb = os.path.getsize(home.path) // 1024 + 64
    # a file-size limit stands in for a full disk: writes beyond it fail with EFBIG
    r = subprocess.run(["bash", "-c", f"trap '' XFSZ; ulimit -f {size_kb}; exec \"$@\"", "x", BIN, "-c",
                        str(home.config), "--no-backup", "batch", str(batch)], capture_output=True, text=True)
    assert r.returncode == 7 and "mxdba: error:" in r.stderr, r.stderr
    assert dump(home) == before


def test_read_only_sqlite_file(make_home, tmp_path):
    home = make_home("sqlite")
    fill(home)
    before = dump(home)
    bytes_before = home.path.read_bytes()
    os.chmod(home.dir, 0o755)
    os.chmod(home.path, 0o644)
    os.chmod(home.config, 0o644)
    # root may write anything: run as an unprivileged user who can only read the file
    # (from a copy of the binary it can reach: the checkout may sit in a private folder)
    from pathlib import Path
    bindir = Path(scratch.mkdtemp("mxdba-bin-"))
    shutil.copy(BIN, bindir / "mxdba")
    os.chmod(bindir, 0o755)
    r = subprocess.run(["runuser", "-u", "nobody", "--", str(bindir / "mxdba"), "-c", str(home.config), "user",
                        "promote", "u1"], capture_output=True, text=True)
    assert r.returncode == 7 and "mxdba: error:" in r.stderr and "HINT:" in r.stderr, r
    assert home.path.read_bytes() == bytes_before and dump(home) == before
