# SPDX-License-Identifier: Apache-2.0
"""Queued room maintenance offline (room delete, room purge-history, media
purge-remote): what is queued, and every refusal changing nothing, on
Dendrite and Synapse homes (SQLite and PostgreSQL). Carrying them out is
proven against the real servers in tests/e2e/."""
import json

import pytest

from mxtest import jl, refused

EX_USAGE, EX_REFUSED = 2, 6
A = "@alice:example.org"


@pytest.fixture
def world(home):
    home.add_account("alice", admin=True)
    home.add_account("bob")
    for r in ("!a:example.org", "!b:example.org", "!c:example.org"):
        home.add_room(r, name="Room " + r[1])
        home.add_member(r, A, "join")
    return home


def queued(home):
    return [r for r in jl(home.run("--json", "queue", "list").out)]


def test_room_delete_queues_one_row_per_room_as_the_admin(world):
    r = world.run("--json", "room", "delete", "!a:example.org", "!b:example.org")
    assert r.rc == 0, r
    out = jl(r.out)[0]
    assert out == {"kind": "room_delete", "as": A, "rooms": 2, "queued": 2, "already_pending": 0, "dry_run": False}
    rows = queued(world)
    assert [(q["kind"], q["room_id"], q["user_id"], q["state"]) for q in rows] == [
        ("room_delete", "!a:example.org", A, "pending"), ("room_delete", "!b:example.org", A, "pending")]
    assert [a for a in world.audit_rows("queue")][-2:]  # audited, one row per room
    assert len(world.audit_rows("queue")) == 2


def test_room_delete_from_a_list_with_comments_and_report_json_lines(world, tmp_path):
    f = tmp_path / "rooms.txt"
    f.write_text("# candidates\n\n  !a:example.org  \n"
                 + json.dumps({"room_id": "!b:example.org", "joined_local_members": 0}) + "\n")
    r = world.run("room", "delete", "--from", f, "!c:example.org")
    assert r.rc == 0, r
    assert sorted(q["room_id"] for q in queued(world)) == ["!a:example.org", "!b:example.org", "!c:example.org"]


def test_room_delete_reads_the_list_on_stdin(world):
    r = world.run("room", "delete", "--from", "-", input="!a:example.org\n!b:example.org\n")
    assert r.rc == 0, r
    assert len(queued(world)) == 2


@pytest.mark.parametrize("text,msg", [
    ("!a:example.org\nbad:example.org\n", "line 2"),
    ("!a:example.org\n{\"name\": 1}\n", "line 2: a JSON line without a \"room_id\""),
    ("!a:example.org\n{not json\n", "line 2: not JSON"),
    ("!a:example.org\x00\n", "NUL byte"),
    ("!" + "a" * 5000 + ":example.org\n", "longer than 4095 bytes"),
    ("\x1b[31m!a:example.org\n", "control characters"),
    ("# nothing\n\n", "no room to delete"),
])
def test_a_bad_list_is_refused_naming_its_line(world, tmp_path, text, msg):
    f = tmp_path / "rooms.txt"
    f.write_bytes(text.encode())
    refused(world, ["room", "delete", "--from", f], EX_USAGE, msg)


def test_an_unknown_room_refuses_the_whole_command(world):
    r = refused(world, ["room", "delete", "!a:example.org", "!nope:example.org"], EX_REFUSED,
                "1 of 2 room(s) cannot be queued", warned=True)
    assert "!nope:example.org: not known to this homeserver" in r.err


def test_a_room_queued_already_is_refused(world):
    assert world.run("room", "delete", "!a:example.org").rc == 0
    r = refused(world, ["room", "delete", "!a:example.org", "--no-purge"], EX_REFUSED, warned=True)
    assert "already queued (row" in r.err


def test_options_that_contradict_or_lack_their_partner_are_refused(world):
    refused(world, ["room", "delete", "!a:example.org", "--purge", "--no-purge"], EX_USAGE, "contradict")
    if world.kind == "synapse":
        refused(world, ["room", "delete", "!a:example.org", "--message", "bye"], EX_USAGE, "--new-room-user")
        refused(world, ["room", "delete", "!a:example.org", "--new-room-user", "@ghost:example.org",
                        "--message", "bye"], 4, "ghost")


def test_dendrite_refuses_what_its_purge_cannot_do(world):
    if world.kind != "dendrite":
        pytest.skip("Synapse takes every option")
    for opt in (["--block"], ["--new-room-user", "alice", "--message", "x"]):
        refused(world, ["room", "delete", "!a:example.org"] + opt, EX_REFUSED, "Dendrite cannot do")
    refused(world, ["room", "purge-history", "!a:example.org", "--before", "1d"], EX_REFUSED, "Dendrite")
    refused(world, ["media", "purge-remote", "--before", "1d"], EX_REFUSED, "Dendrite")


def test_synapse_body_carries_the_options(world):
    if world.kind != "synapse":
        pytest.skip("Synapse's options")
    r = world.run("room", "delete", "!a:example.org", "--block", "--new-room-user", "bob", "--message", "moved")
    assert r.rc == 0, r
    body = world.sql("SELECT body FROM mxdba_queue")[0][0]
    assert json.loads(body) == {"block": True, "purge": True, "message": "moved",
                                "new_room_user_id": "@bob:example.org"}


def test_synapse_refuses_a_room_it_is_deleting_already(world):
    if world.kind != "synapse":
        pytest.skip("Synapse's scheduled_tasks")
    world.sql("INSERT INTO scheduled_tasks (id, action, status, timestamp, resource_id, params, result, error)"
              " VALUES ('JOB1', 'shutdown_and_purge_room', 'active', 1, '!a:example.org', '{}', NULL, NULL)")
    r = refused(world, ["room", "delete", "!a:example.org"], EX_REFUSED, warned=True)
    assert "the server is deleting it already (its job JOB1 is active)" in r.err
    world.sql("UPDATE scheduled_tasks SET status = 'complete'")
    assert world.run("room", "delete", "!a:example.org").rc == 0


def test_purge_history_and_media_purge_queue_their_cut(world):
    if world.kind != "synapse":
        pytest.skip("Synapse's endpoints")
    assert world.run("room", "purge-history", "!a:example.org", "--before", "2026-01-01", "--keep-local").rc == 0
    assert world.run("media", "purge-remote", "--before", "2026-01-01T12:00").rc == 0
    rows = world.sql("SELECT kind, room_id, body FROM mxdba_queue ORDER BY id")
    assert rows[0][:2] == ("purge_history", "!a:example.org")
    assert json.loads(rows[0][2]) == {"purge_up_to_ts": 1767225600000, "delete_local_events": False}
    assert rows[1][:2] == ("purge_remote_media", "")
    assert json.loads(rows[1][2]) == {"before_ts": 1767268800000}
    refused(world, ["media", "purge-remote", "--before", "2999-01-01"], EX_USAGE, "in the past")
    refused(world, ["media", "purge-remote"], EX_USAGE, "--before TIME is required")
    refused(world, ["room", "purge-history", "!a:example.org", "--before", "soon"], EX_USAGE, "not a date")


def test_dry_run_queues_nothing(world):
    before = world.snapshot()
    r = world.run("--dry-run", "room", "delete", "!a:example.org")
    assert r.rc == 0 and "would queue 1" in r.out, r
    assert world.snapshot() == before


def test_queue_apply_parallel_is_bounded(world):
    refused(world, ["queue", "apply", "--parallel", "0"], EX_USAGE, "--parallel")
    refused(world, ["queue", "apply", "--parallel", "33"], EX_USAGE, "--parallel")


def test_a_store_of_the_previous_release_upgrades_with_its_rows_and_ids(home):
    """Migration 0004 on a store an older mxdba left at 0003 (made here from migrations/ 0001-0003, as that
    release applied them): every row, its id and the id counter kept, room operations accepted after."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "migrations" / home.backend
    script = "CREATE TABLE mxdba_migrations (version TEXT PRIMARY KEY, applied_ts BIGINT NOT NULL," \
             " mxdba_version TEXT NOT NULL);\n"
    for name in ("0001_queue", "0002_audit", "0003_queue_sender"):
        script += (root / f"{name}.sql").read_text() + "\n"
        script += f"INSERT INTO mxdba_migrations VALUES ('{name}', 1, '0.2.0');\n"
    script += ("INSERT INTO mxdba_queue (kind, user_id, room_id, body, state, created_ts, updated_ts, sender) VALUES"
               " ('leave', '@alice:example.org', '!a:example.org', '', 'done', 1, 1, ''),"
               " ('notice', '@alice:example.org', '', 'hi', 'pending', 2, 2, '@alice:example.org'),"
               " ('leave', '@alice:example.org', '!c:example.org', '', 'pending', 3, 3, '');\n"
               "DELETE FROM mxdba_queue WHERE id = 3;\n")
    home.add_account("alice", admin=True)
    home.add_room("!a:example.org")
    if home.backend == "sqlite":
        import sqlite3
        con = sqlite3.connect(home.path)
        con.executescript(script)
        con.commit()
        con.close()
    else:
        home.pg.psql(home.db, script)
    r = home.run("room", "delete", "!a:example.org")
    assert r.rc == 0 and "0004_queue_job" not in r.out, r
    rows = jl(home.run("--json", "queue", "list").out)
    assert [(x["id"], x["kind"], x["state"]) for x in rows] == [
        (1, "leave", "done"), (2, "notice", "pending"), (4, "room_delete", "pending")], rows


def test_doctor_warns_of_a_task_left_active_while_synapse_is_stopped(world):
    """The state a killed Synapse leaves mid-deletion (the e2e suite makes it on the real server)."""
    if world.kind != "synapse":
        pytest.skip("Synapse's task scheduler")
    from mxtest import doctor_findings
    assert "synapse-tasks-interrupted" not in doctor_findings(world.run("--json", "doctor"))
    world.sql("INSERT INTO scheduled_tasks (id, action, status, timestamp, resource_id, params, result, error)"
              " VALUES ('JOB9', 'shutdown_and_purge_room', 'active', 1, '!a:example.org', '{}', NULL, NULL)")
    before = world.snapshot()
    r = world.run("--json", "doctor")
    f = doctor_findings(r)["synapse-tasks-interrupted"]
    assert r.rc == 0 and f["severity"] == "warning" and f["count"] == 1, f
    assert f["rows"] == ["JOB9 shutdown_and_purge_room !a:example.org"], f
    assert world.snapshot() == before
