# SPDX-License-Identifier: Apache-2.0
"""Every change writes an mxdba_audit row in the same transaction; `audit
undo` restores the old value, and refuses when the value changed since.
Rows name neutral fields (admin, deactivated, password_hash); rows written
by the release before the homeserver profiles (account_type, is_deactivated)
still undo."""
import json

import pytest

EX_USAGE, EX_NOTFOUND, EX_REFUSED = 2, 4, 6
G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"


def rows(home, *args):
    r = home.run("--json", "audit", "list", *args)
    assert r.rc == 0, r
    return [json.loads(l) for l in r.out.splitlines()]


def test_changes_are_audited_with_old_and_new_values(home):
    home.add_account("alice", password_hash=G)
    assert home.run("user", "create", "bob", "--no-password").rc == 0
    assert home.run("user", "promote", "alice").rc == 0
    assert home.run("user", "passwd", "alice", "--password-stdin", "--logout-devices", "--yes",
                    input="secret-new-pass\n").rc == 0
    got = rows(home)
    assert [(r["target"], r["field"]) for r in got] == [
        ("@bob:example.org", "account"), ("@alice:example.org", "admin"),
        ("@alice:example.org", "password_hash"), ("@alice:example.org", "devices")]
    assert got[1]["old"] == "0" and got[1]["new"] == "1"
    assert got[2]["old"] == "bcrypt $2a$ cost 04"           # hashes are described, not listed
    assert got[0]["command"].startswith("-c ") and "user create bob" in got[0]["command"]
    assert all(r["os_user"] for r in got)
    # the new password appears nowhere in the audit table; the old hash is kept for undo
    dump = str(home.sql("SELECT * FROM mxdba_audit"))
    assert "secret-new-pass" not in dump and G in dump
    assert [r["field"] for r in rows(home, "--user", "bob")] == ["account"]
    assert rows(home, "--since", "1m") == got
    assert rows(home, "--since", "2099-01-01") == []


def test_refused_and_dry_run_commands_write_no_audit_row(home):
    home.add_account("alice")
    assert home.run("user", "promote", "alice").rc == 0
    n = len(rows(home))
    assert home.run("user", "promote", "nobody").rc == EX_NOTFOUND
    assert home.run("--dry-run", "user", "demote", "alice", "--yes").rc == 0
    assert len(rows(home)) == n


def test_undo_restores_and_refuses_when_changed_since(home):
    home.add_account("alice", password_hash=G)
    home.add_account("root", admin=True)
    assert home.run("user", "promote", "alice").rc == 0
    assert home.run("user", "passwd", "alice", "--password-stdin", input="another-pass-1\n").rc == 0
    ids = {r["field"]: r["id"] for r in rows(home)}
    before = home.snapshot()
    r = home.run("--dry-run", "audit", "undo", str(ids["password_hash"]))
    assert r.rc == 0 and "would restore" in r.out
    assert home.snapshot() == before
    r = home.run("audit", "undo", str(ids["password_hash"]))
    assert r.rc == 0 and "restored password_hash of @alice:example.org" in r.out, r
    assert home.password_hash("alice") == G
    assert home.run("user", "verify-password", "alice", "--password-stdin", input="password\n").rc == 0
    # undoing twice: the value is no longer the one the row wrote
    before = home.snapshot()
    r = home.run("audit", "undo", str(ids["password_hash"]))
    assert r.rc == EX_REFUSED and "changed since" in r.err, r
    assert home.snapshot() == before
    # somebody demoted alice meanwhile: the promote cannot be undone blindly
    assert home.run("user", "demote", "alice").rc == 0
    r = home.run("audit", "undo", str(ids["admin"]))
    assert r.rc == EX_REFUSED and "changed since" in r.err
    # the undo itself is audited and can be undone
    last = rows(home)[-1]
    assert last["field"] == "admin" and last["new"] == "0"
    assert home.run("audit", "undo", str(last["id"])).rc == 0
    assert home.is_admin("alice")


def test_undo_refuses_what_cannot_come_back(home):
    home.add_account("alice")
    home.add_device("alice", "D", "tok")
    assert home.run("user", "create", "bob", "--no-password").rc == 0
    assert home.run("user", "passwd", "alice", "--random-password", "--logout-devices", "--yes").rc == 0
    ids = {r["field"]: r["id"] for r in rows(home)}
    before = home.snapshot()
    for field, why in (("account", "never deleted"), ("devices", "cannot come back")):
        r = home.run("audit", "undo", str(ids[field]))
        assert r.rc == EX_REFUSED and why in r.err, r
    assert home.snapshot() == before
    assert home.run("audit", "undo", "999999").rc == EX_NOTFOUND
    assert home.run("audit", "undo", "x").rc == EX_USAGE
    assert home.run("audit", "list", "--since", "yesterday").rc == EX_USAGE


def test_deactivate_and_lock_are_audited_and_undone(home):
    home.add_account("mallory", password_hash=G)
    home.add_device("mallory", "D", "tok")
    r = home.run("user", "deactivate", "mallory")
    assert r.rc == 0 and "1 token(s) revoked" in r.out, r
    got = {r["field"]: r for r in rows(home, "--user", "mallory")}
    assert (got["deactivated"]["old"], got["deactivated"]["new"]) == ("0", "1")
    assert got["devices"]["old"].startswith("1 device(s), 0 key(s)") and got["devices"]["old"].endswith("1 token(s)")
    assert home.is_deactivated("mallory") and home.devices_of("mallory") == []
    again = home.run("user", "deactivate", "mallory").out
    assert again.startswith("@mallory:example.org was deactivated already") and "0 token(s) revoked" in again, again
    assert home.run("audit", "undo", str(got["deactivated"]["id"])).rc == 0
    assert home.is_deactivated("mallory") is False
    if home.kind == "synapse":   # its deactivation deletes the hash too: audited, so undone the same way
        assert (got["password_hash"]["old"], got["password_hash"]["new"]) != (None, None)
        assert home.run("audit", "undo", str(got["password_hash"]["id"])).rc == 0
    assert home.run("user", "verify-password", "mallory", "--password-stdin", input="password\n").rc == 0
    if home.kind == "dendrite":                                 # no lock flag in Dendrite's tables
        r = home.run("user", "lock", "mallory")
        assert r.rc == 6 and "user deactivate" in r.err, r
        return
    assert home.run("user", "lock", "mallory").rc == 0 and home.is_locked("mallory")
    lock = [r for r in rows(home, "--user", "mallory") if r["field"] == "locked"][-1]
    assert (lock["old"], lock["new"]) == ("0", "1")
    assert home.run("audit", "undo", str(lock["id"])).rc == 0 and not home.is_locked("mallory")
    assert home.run("user", "lock", "mallory").rc == 0
    assert home.run("user", "unlock", "mallory").rc == 0 and not home.is_locked("mallory")


@pytest.mark.kinds("dendrite")     # evacuate on Synapse: with its rooms
def test_evacuate_lock_is_audited_and_unlock_by_undo(home):
    home.add_account("mallory")
    home.add_device("mallory", "D", "tok")
    assert home.run("evacuate", "user", "mallory", "--lock").rc == 0
    got = {r["field"]: r for r in rows(home, "--user", "mallory")}
    assert got["deactivated"]["old"] == "0" and got["deactivated"]["new"] == "1"
    assert got["devices"]["old"] == "1 device(s)"
    assert home.run("audit", "undo", str(got["deactivated"]["id"])).rc == 0
    assert home.is_deactivated("mallory") is False


def test_batch_lines_are_audited_with_their_line(home, tmp_path):
    home.add_account("alice")
    f = tmp_path / "b.txt"
    f.write_text(f"user promote alice\nuser passwd alice --password-hash {G}\n")
    assert home.run("batch", f).rc == 0
    got = rows(home)
    assert got[0]["command"] == f"batch {f}:1: user promote alice"
    assert got[1]["command"] == f"batch {f}:2: user passwd alice --password-hash ****"


# The rows mxdba 0.1.0 wrote before the homeserver profiles, as that binary
# wrote them (captured from `user promote alice`, `user passwd alice`,
# `evacuate user mallory --lock` on a Dendrite database): fields named after
# Dendrite's columns, account_type 1/3.
OLD_HASH2 = "$2a$04$kLzgwfh2Nr1uWVg4YxnoKey4FYDj5L5gIC4q0nv9KU../in2gF7tm"
OLD_ROWS = [
    (1796259896956, "root", "-c m.ini user promote alice", "@alice:example.org", "account_type", "1", "3"),
    (1796259896961, "root", "-c m.ini user passwd alice --password-stdin", "@alice:example.org", "password_hash", G,
     OLD_HASH2),
    (1796259896964, "root", "-c m.ini evacuate user mallory --lock", "@mallory:example.org", "is_deactivated", "0",
     "1"),
    (1796259896964, "root", "-c m.ini evacuate user mallory --lock", "@mallory:example.org", "devices",
     "0 device(s)", "deleted"),
]


def test_rows_of_the_release_before_profiles_still_undo(home):
    from mxtest import sql_literal
    home.add_account("alice", admin=True, password_hash=OLD_HASH2)
    home.add_account("mallory", deactivated=True)
    assert home.run("migrate").rc == 0
    for row in OLD_ROWS:
        home.sql("INSERT INTO mxdba_audit (ts, os_user, command, target, field, old_value, new_value) VALUES ("
                 + ", ".join(sql_literal(v) for v in row) + ")")
    ids = [r["id"] for r in rows(home)]
    assert [r["field"] for r in rows(home)] == ["account_type", "password_hash", "is_deactivated", "devices"]
    # each undone by the new binary, the undo audited in neutral terms
    r = home.run("audit", "undo", str(ids[0]))
    assert r.rc == 0 and "restored admin of @alice:example.org" in r.out, r
    assert home.is_admin("alice") is False
    assert home.run("audit", "undo", str(ids[1])).rc == 0
    assert home.password_hash("alice") == G
    assert home.run("audit", "undo", str(ids[2])).rc == 0
    assert home.is_deactivated("mallory") is False
    assert home.run("audit", "undo", str(ids[3])).rc == EX_REFUSED
    assert [(r["field"], r["old"], r["new"]) for r in rows(home)[4:]] == [
        ("admin", "1", "0"), ("password_hash", "bcrypt $2a$ cost 04", "bcrypt $2a$ cost 04"),
        ("deactivated", "1", "0")]
    # an old row whose value changed since is refused, as a new one is
    r = home.run("audit", "undo", str(ids[0]))                  # alice is no admin any more
    assert r.rc == EX_REFUSED and "changed since" in r.err, r
