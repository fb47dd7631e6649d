# SPDX-License-Identifier: Apache-2.0
"""`mxdba store copy --from FILE`: after a move from SQLite to PostgreSQL
(synapse_port_db leaves mxdba_* behind), mxdba's audit log, queue and minted
tokens follow with their ids; audit undo and the queue go on. The real
synapse_port_db run is in tests/e2e/synapse/test_synapse_port.py."""
import json

import pytest

EX_USAGE, EX_NOTFOUND, EX_CONFLICT, EX_REFUSED = 2, 4, 5, 6


def objs(r):
    return [json.loads(line) for line in r.out.splitlines() if line.strip()]


def used_store(make_home, kind):
    """A SQLite home mxdba has written: an audit row per change, queued leaves and a notice."""
    src = make_home("sqlite", kind=kind)
    for who in ("alice", "bob", "carl", "root"):
        src.add_account(who, admin=who == "root")
    src.add_room("!ops:example.org", name="Ops")
    src.add_member("!ops:example.org", "@bob:example.org", "join")
    src.configure_notices()
    assert src.run("user", "promote", "alice").rc == 0
    assert src.run("evacuate", "user", "bob", "--lock").rc == 0
    assert src.run("notice", "carl", "Moved to PostgreSQL tonight", "--as", "root").rc == 0
    return src


def ported(make_home, kind, src):
    """The PostgreSQL database a port gives: the same accounts in the same state, no mxdba tables."""
    dst = make_home("postgres", kind=kind)
    for who in ("alice", "bob", "carl", "root"):
        dst.add_account(who, admin=who in ("root", "alice"), deactivated=who == "bob")
    dst.add_room("!ops:example.org", name="Ops")
    dst.add_member("!ops:example.org", "@bob:example.org", "join")
    dst.configure_notices()
    return dst


@pytest.mark.parametrize("kind", ["synapse", "dendrite"])
def test_the_store_follows_the_move_and_goes_on(make_home, kind):
    src = used_store(make_home, kind)
    dst = ported(make_home, kind, src)
    audit = objs(src.run("--json", "audit", "list"))
    queue = objs(src.run("--json", "queue", "list"))
    assert audit and queue
    assert objs(dst.run("--json", "audit", "list")) == []           # what the port alone leaves: nothing
    r = dst.run("--json", "store", "copy", "--from", src.path)
    assert r.rc == 0, r
    out = json.loads(r.out)
    assert (out["audit"], out["queue"], out["minted"], out["already_copied"]) == (len(audit), len(queue), 0, False)
    got = objs(dst.run("--json", "audit", "list"))
    assert got[:-1] == audit, got                                    # every row, its id kept
    assert got[-1]["target"] == "mxdba" and got[-1]["field"] == "store" and "store copy" in got[-1]["command"]
    assert objs(dst.run("--json", "queue", "list")) == queue
    # the same copy again: nothing to do, nothing changed
    before = dst.snapshot()
    r = dst.run("store", "copy", "--from", src.path)
    assert r.rc == 0 and "already copied" in r.out, r
    assert dst.snapshot() == before
    # audit undo by the old id, and new rows after the copied ids
    promote = next(a for a in audit if a["field"] == "admin" and a["target"] == "@alice:example.org")
    assert dst.run("audit", "undo", str(promote["id"])).rc == 0
    assert not dst.is_admin("alice")
    ids = [a["id"] for a in objs(dst.run("--json", "audit", "list"))]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[-1] > got[-1]["id"]
    assert dst.run("queue", "cancel", str(queue[0]["id"])).rc == 0   # the old id still names the row


@pytest.mark.parametrize("kind", ["synapse", "dendrite"])
def test_dry_run_copies_nothing(make_home, kind):
    src = used_store(make_home, kind)
    dst = ported(make_home, kind, src)
    before = dst.snapshot()
    r = dst.run("--dry-run", "store", "copy", "--from", src.path)
    assert r.rc == 0 and "would copy" in r.out, r
    assert dst.snapshot() == before


@pytest.mark.parametrize("kind", ["synapse", "dendrite"])
def test_refusals_change_nothing(make_home, kind, tmp_path):
    src = used_store(make_home, kind)
    dst = ported(make_home, kind, src)
    fresh = make_home("sqlite", kind=kind)                           # never written by mxdba
    before, src_before = dst.snapshot(), src.snapshot()
    for args, code, words in [
        ([], EX_USAGE, "needs --from FILE"),
        (["--from", str(tmp_path / "nope.db")], EX_NOTFOUND, "cannot read"),
        (["--from", str(fresh.path)], EX_NOTFOUND, "has no mxdba tables"),
        (["extra", "--from", str(src.path)], EX_USAGE, "takes no arguments"),
    ]:
        r = dst.run("store", "copy", *args)
        assert r.rc == code and words in r.err and "HINT:" in r.err, (args, r)
        assert dst.snapshot() == before
    # the source is the database mxdba writes
    r = src.run("store", "copy", "--from", src.path)
    assert r.rc == EX_USAGE and "nothing to copy" in r.err, r
    assert src.snapshot() == src_before
    # a newer mxdba wrote the source
    src.sql("INSERT INTO mxdba_migrations VALUES ('9999_from_the_future', 1, '9.9.9')")
    r = dst.run("store", "copy", "--from", src.path)
    assert r.rc == EX_REFUSED and "9999_from_the_future" in r.err, r
    assert dst.snapshot() == before
    src.sql("DELETE FROM mxdba_migrations WHERE version = '9999_from_the_future'")
    # mxdba already wrote the new database: refused, not merged
    assert dst.run("user", "promote", "carl").rc == 0
    before = dst.snapshot()
    r = dst.run("store", "copy", "--from", src.path)
    assert r.rc == EX_CONFLICT and "already has mxdba rows" in r.err, r
    assert dst.snapshot() == before
