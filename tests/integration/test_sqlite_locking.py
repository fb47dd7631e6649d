# SPDX-License-Identifier: Apache-2.0
"""How mxdba takes the SQLite write lock next to a homeserver that reads and
writes the same file (rollback journal, deferred transactions, as Dendrite).

mxdba must never hold the reserved lock while another connection is in the
middle of a read transaction: that connection's upgrade to a write would be
refused at once (SQLITE_BUSY, no busy timeout). The real-server proof is
tests/e2e/dendrite/test_dendrite_live.py; these tests pin the mechanics on a plain
file with a second connection playing the homeserver."""
import sqlite3
import threading
import time

from dendrite_db import DendriteHome
import scratch  # noqa: E402


def reader_then_writer(path, hold_s, results):
    """A Dendrite-style transaction: BEGIN (deferred), read, wait, write."""
    con = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    try:
        con.execute("BEGIN")
        con.execute("SELECT count(*) FROM userapi_accounts").fetchone()
        results.append(("read", time.monotonic()))
        time.sleep(hold_s)
        con.execute("UPDATE userapi_profiles SET display_name = 'from the server' WHERE localpart = 'bob'")
        con.execute("COMMIT")
        results.append(("ok", time.monotonic()))
    except sqlite3.OperationalError as e:
        results.append(("error", str(e)))
    finally:
        con.close()


def test_a_reading_transaction_is_never_refused_its_write():
    home = DendriteHome("sqlite")
    home.add_account("alice")
    home.add_account("bob")
    results = []
    t = threading.Thread(target=reader_then_writer, args=(home.path, 0.8, results))
    t.start()
    while not results:
        time.sleep(0.01)
    start = time.monotonic()
    r = home.run("-v", "user", "promote", "alice")  # starts while the server's transaction has read
    elapsed = time.monotonic() - start
    t.join()
    assert r.rc == 0, r
    assert [k for k, _ in results] == ["read", "ok"], results   # the server's write went through
    assert elapsed >= 0.5, elapsed                               # mxdba stepped back until it was done
    assert home.is_admin("alice")
    assert home.display_name("bob") == "from the server"


def test_a_reader_that_never_lets_go_gives_a_clear_error_and_no_change():
    home = DendriteHome("sqlite")
    home.add_account("alice")
    before = home.snapshot()
    con = sqlite3.connect(home.path, isolation_level=None)
    con.execute("BEGIN")
    con.execute("SELECT count(*) FROM userapi_accounts").fetchone()
    try:
        start = time.monotonic()
        r = home.run("user", "promote", "alice")
        elapsed = time.monotonic() - start
    finally:
        con.execute("COMMIT")
        con.close()
    assert r.rc == 7, r
    assert "write lock" in r.err and "HINT:" in r.err and "homeserver" in r.err, r.err
    assert 4.5 <= elapsed < 15, elapsed
    assert home.snapshot() == before


def test_running_server_note_only_where_it_matters(tmp_path):
    """A short write next to a running server is safe (above), so a single
    promote says nothing; a batch, which holds the lock longer, says that the
    server waits and to stop it for a long one."""
    home = DendriteHome("sqlite")
    home.add_account("alice")
    home.add_account("bob")
    import subprocess
    import sys
    # "the homeserver": another process with the file open
    server = scratch.spawn([sys.executable, "-c", f"import sqlite3, time; c = sqlite3.connect({str(home.path)!r}); "
                                   "c.execute('SELECT 1').fetchall(); print('up', flush=True); time.sleep(60)"],
                                  stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "up"
        r = home.run("user", "promote", "alice")
        assert r.rc == 0 and "running" not in r.err, r
        b = tmp_path / "b.txt"
        b.write_text("user promote bob\n")
        r = home.run("--no-backup", "batch", b)
        assert r.rc == 0 and "seems to be running" in r.err and "stop it first for a long batch" in r.err, r
    finally:
        server.kill()
        server.wait()
