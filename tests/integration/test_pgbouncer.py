# SPDX-License-Identifier: Apache-2.0
"""Every command through PgBouncer in transaction pooling mode (Debian's
pgbouncer in front of the throwaway PostgreSQL): consecutive transactions may
run on different server connections, so nothing may outlive a transaction."""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest
from mxtest import make_home as new_home
import scratch  # noqa: E402

G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture(scope="module")
def bouncer(pg):
    if not shutil.which("pgbouncer"):
        pytest.fail("pgbouncer is not installed (scripts/install-deps installs it)")
    d = scratch.mkdtemp("mxdba-pgbouncer-")
    os.chmod(d, 0o777)
    port = free_port()
    ini = os.path.join(d, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write(f"[databases]\n* = host=127.0.0.1 port={pg.port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
                f"listen_port = {port}\nauth_type = trust\nauth_file = {d}/users.txt\npool_mode = transaction\n"
                f"default_pool_size = 3\nmin_pool_size = 3\nserver_reset_query =\nlogfile = {d}/pgbouncer.log\n"
                f"pidfile = {d}/pgbouncer.pid\nunix_socket_dir =\n")
    with open(os.path.join(d, "users.txt"), "w") as f:
        f.write('"postgres" ""\n')
    os.chmod(ini, 0o644)
    cmd = ["pgbouncer", "-d", ini]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    def stop():
        pidf = os.path.join(d, "pgbouncer.pid")
        if os.path.exists(pidf):
            subprocess.run(["kill", open(pidf).read().strip()], check=False)
    scratch.on_end(stop)  # a daemon: stopped whatever ends the module
    subprocess.run(cmd, check=True, timeout=60)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return port


def test_every_command_through_pgbouncer_transaction_mode(pg, bouncer, tmp_path):
    home = new_home("dendrite", "postgres", pg=pg)
    home.write_config(home.config.read_text().replace(f"127.0.0.1:{pg.port}", f"127.0.0.1:{bouncer}"))
    assert f":{bouncer}/" in home.config.read_text()
    home.add_account("alice", password_hash=G)
    home.add_account("root", admin=True)
    home.add_device("alice", "D1", "tok1")
    home.add_room("!r:example.org")
    home.add_member("!r:example.org", "@alice:example.org", "join")
    # parallel load, so the pooler really moves mxdba between server connections
    load = scratch.spawn(["bash", "-c", f"for i in $(seq 1 400); do psql -X -q -h 127.0.0.1 -p {bouncer} -U postgres"
                             f" -d {home.db} -c 'select pg_sleep(0.01)' >/dev/null 2>&1; done"])
    try:
        steps = [
            (["check"], 0), (["migrate"], 0), (["user", "list"], 0), (["user", "show", "alice"], 0),
            (["user", "create", "bob", "--password-hash", G, "--display-name", "Bob"], 0),
            (["user", "promote", "alice", "bob"], 0), (["user", "demote", "bob"], 0),
            (["user", "passwd", "alice", "--password-hash", G, "--logout-devices", "--yes"], 0),
            (["user", "verify-password", "alice", "--password-stdin"], 0),
            (["rooms", "alice"], 0), (["members", "!r:example.org"], 0),
            (["evacuate", "user", "alice"], 0), (["queue", "list"], 0), (["audit", "list"], 0),
            (["user", "promote", "nobody"], 4),
        ]
        for args, code in steps:
            r = home.run(*args, input="password\n")
            assert r.rc == code, (args, r)
        f = tmp_path / "b.txt"
        f.write_text("".join(f"user create batch{i} --no-password\nuser promote batch{i}\n" for i in range(300)))
        r = home.run("batch", f)
        assert r.rc == 0, r
        csv = tmp_path / "u.csv"
        csv.write_text("user,admin\n" + "".join(f"imp{i},true\n" for i in range(200)))
        assert home.run("user", "import", csv).rc == 0
        ids = [x["id"] for x in map(json.loads, home.run("--json", "queue", "list").out.splitlines())]
        assert home.run("queue", "cancel", *map(str, ids)).rc == 0
        last = json.loads(home.run("--json", "audit", "list", "--user", "bob").out.splitlines()[-1])
        assert home.run("audit", "undo", str(last["id"])).rc == 0
    finally:
        load.kill()
        load.wait()
    assert len(home.admins("batch")) == 300
    assert len(home.accounts("imp")) == 200
    # no prepared statement and no read-only setting of mxdba is left on any pooled server connection
    for _ in range(12):
        out = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(bouncer), "-U", "postgres", "-d", home.db,
                              "-c", "SELECT count(*) || ' ' || current_setting('default_transaction_read_only')"
                                    " FROM pg_prepared_statements"], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "0 off", out.stdout
