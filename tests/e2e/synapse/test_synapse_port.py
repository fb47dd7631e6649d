# SPDX-License-Identifier: Apache-2.0
"""A move from SQLite to PostgreSQL with the real synapse_port_db (1.163.2):
it exits 0 and leaves mxdba's tables behind; `mxdba store copy` carries the
audit log and the queue, after which an audit row is undone and the queue
applied against the real Synapse, now running on PostgreSQL."""
import json
import os
import subprocess
import time

import pytest

from mxtest import ok
from realserver import uid
from synapse import SCRIPT, Synapse

PW = "password-123"


def objs(r):
    return [json.loads(line) for line in r.out.splitlines() if line.strip()]


def pg_database_yaml(pg, name):
    """Synapse's `database:` block for NAME on the throwaway cluster (plain YAML, no PyYAML here)."""
    return ("database:\n  name: psycopg2\n  args:\n    user: postgres\n"
            f"    database: {name}\n    host: 127.0.0.1\n    port: {pg.port}\n    cp_min: 1\n    cp_max: 5\n")


def with_database(yaml_text, block):
    """YAML_TEXT (a homeserver.yaml) with its top-level `database:` block replaced by BLOCK."""
    out, skip = [], False
    for line in yaml_text.splitlines(keepends=True):
        if line.startswith("database:"):
            skip = True
            continue
        if skip and line[:1] not in (" ", "\t", "\n"):
            skip = False
        if not skip:
            out.append(line)
    return "".join(out) + block


@pytest.fixture
def sqlite_synapse():
    s = Synapse("sqlite")
    try:
        yield s
    finally:
        s.close()


def test_synapse_port_db_then_store_copy(sqlite_synapse, pg):
    s = sqlite_synapse
    # synapse_port_db refuses a database with background updates pending (exit 5, "Please start Synapse
    # again and wait until every update has finished"): no pauses between their batches here
    s.set_extra("background_updates:\n  sleep_enabled: false\n")
    s.start()
    alice = s.register("alice", PW)["access_token"]
    bob = s.register("bob", PW)["access_token"]
    rooms = [s.create_room(alice, name=f"ported {i}", preset="public_chat") for i in range(2)]
    for r in rooms:
        s.join(bob, r)
    for _ in range(1500):
        if int(s.sql("SELECT count(*) FROM background_updates")[0][0]) == 0:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("Synapse did not finish its background updates in 300 s")
    s.stop()
    ok(s.mxdba("user", "promote", "alice"))
    ok(s.mxdba("evacuate", "user", "bob", "--lock"))           # two leaves wait in the queue
    audit = objs(s.mxdba("--json", "audit", "list"))
    queue = objs(s.mxdba("--json", "queue", "list"))
    assert len(queue) == 2 and {x["state"] for x in queue} == {"pending"}, queue
    old = s.dir / "homeserver.db"

    # the port, as Synapse's docs give it
    name = "ported_" + os.urandom(4).hex()
    pg.psql("postgres", f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    cfg = s.dir / "homeserver-postgres.yaml"
    cfg.write_text(with_database(s.yaml.read_text(), pg_database_yaml(pg, name)))   # homeserver.yaml, database changed
    bindir = subprocess.run([SCRIPT, "build"], check=True, capture_output=True, text=True, timeout=600).stdout.strip()
    port = subprocess.run([os.path.join(bindir, "synapse_port_db"), "--sqlite-database", str(old),
                           "--postgres-config", str(cfg)], capture_output=True, text=True, timeout=600)
    assert port.returncode == 0, port.stdout[-2000:] + port.stderr[-2000:]
    # ... and mxdba's tables were left behind
    assert pg.psql(name, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'mxdba%'") == [["0"]]

    # Synapse (and so mxdba, which reads Synapse's config) now on PostgreSQL
    s.set_extra(pg_database_yaml(pg, name))
    assert objs(s.mxdba("--json", "audit", "list")) == []     # the history is gone without the copy
    r = ok(s.mxdba("--json", "store", "copy", "--from", str(old)))
    assert json.loads(r.out)["audit"] == len(audit) and json.loads(r.out)["queue"] == 2, r
    assert objs(s.mxdba("--json", "audit", "list"))[:-1] == audit
    assert objs(s.mxdba("--json", "queue", "list")) == queue
    promote = next(a for a in audit if a["field"] == "admin" and a["target"] == uid("alice"))
    ok(s.mxdba("audit", "undo", str(promote["id"])))           # undone by the id it had on SQLite

    s.start()
    assert s.req("GET", "/_synapse/admin/v2/users?limit=1", token=alice)[0] == 403   # alice no longer admin
    assert s.login("bob", PW)[0] == 403                        # still locked out after the move
    applied = ok(s.mxdba("--json", "queue", "apply"))
    assert [x["state"] for x in objs(applied)[:-1]] == ["done", "done"], applied
    for r in rooms:
        assert s.member_state(alice, r, uid("bob")) == "leave"
    s.stop()
    assert s.mxdba("store", "copy", "--from", str(old)).out.startswith("already copied")
