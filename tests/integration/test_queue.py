# SPDX-License-Identifier: Apache-2.0
"""Memberships, the queue commands and queue apply's error paths, on Dendrite
and Synapse homes (SQLite and throwaway PostgreSQL). The happy path of queue
apply is proven against the real servers in tests/e2e/."""
import http.server
import json
import os
import socket
import threading

import pytest

from mxtest import jl, refused

EX_USAGE, EX_CONFIG, EX_NOTFOUND, EX_REFUSED, EX_SERVER, EX_QUEUE = 2, 3, 4, 6, 9, 10
A = "@alice:example.org"


@pytest.fixture
def world(home):
    home.add_account("alice")
    home.add_account("bob")
    home.add_device("alice", "PHONE", "alice-token")
    home.add_room("!joined:example.org", name="Ops")
    home.add_room("!invited:example.org", name="Bad\x1b[31m name\n" + "é" * 40, alias="#invited:example.org")
    home.add_room("!left:example.org")
    home.add_room("!banned:example.org")
    home.add_room("!noevent:example.org")
    home.add_room("!forgot:example.org")
    home.add_room("!remote:other.org")
    home.add_member("!joined:example.org", A, "join")
    home.add_member("!joined:example.org", "@bob:example.org", "join")
    home.add_member("!joined:example.org", "@carl:other.org", "join")
    home.add_member("!invited:example.org", A, "invite")
    home.add_member("!left:example.org", A, "leave")
    home.add_member("!banned:example.org", A, "ban")
    home.add_member("!noevent:example.org", A, "leave", with_event=False)
    home.add_member("!forgot:example.org", A, "leave", forgotten=True)
    home.add_member("!remote:other.org", A, "join")
    home.add_member("!remote:other.org", "@bob:example.org", "invite")
    return home


# ---------- listings ----------

def test_rooms_default_all_and_states(world):
    rows = jl(world.run("--json", "rooms", "alice").out)
    assert {(r["room_id"], r["membership"]) for r in rows} == {
        ("!joined:example.org", "join"), ("!invited:example.org", "invite"), ("!remote:other.org", "join")}
    assert [r["name"] for r in rows if r["room_id"] == "!joined:example.org"] == ["Ops"]
    rows = jl(world.run("--json", "rooms", A, "--membership", "all").out)
    states = {r["room_id"]: r["membership"] for r in rows}
    assert states["!left:example.org"] == "leave" and states["!banned:example.org"] == "ban"
    # Dendrite without the event: honestly both; Synapse always has the membership
    assert states["!noevent:example.org"] == ("leave_or_ban" if world.kind == "dendrite" else "leave")
    assert "!forgot:example.org" not in states
    both = {"!noevent:example.org"} if world.kind == "dendrite" else set()
    rows = jl(world.run("--json", "rooms", A, "--membership", "ban", "--include-forgotten").out)
    assert {r["room_id"] for r in rows} == {"!banned:example.org"} | both
    rows = jl(world.run("--json", "rooms", A, "--membership", "leave", "--include-forgotten").out)
    assert {r["room_id"] for r in rows} == {"!left:example.org", "!noevent:example.org", "!forgot:example.org"}
    r = world.run("rooms", A)
    assert r.rc == 0 and "!joined:example.org" in r.out and "Ops" in r.out and "MEMBERSHIP" in r.out


@pytest.mark.kinds("dendrite")     # MSC4014 pseudo IDs: Dendrite only
def test_rooms_reports_pseudo_id_rooms(world):
    world.add_room("!pseudo:example.org")
    world.add_pseudo_member("!pseudo:example.org", A, bytes(range(32)), "join")
    rows = jl(world.run("--json", "rooms", A).out)
    p = [r for r in rows if r["room_id"] == "!pseudo:example.org"]
    assert p and p[0]["pseudo_id"] is True and p[0]["membership"] == "join"


def test_members(world):
    rows = jl(world.run("--json", "members", "!joined:example.org").out)
    assert {(r["user_id"], r["local"]) for r in rows} == {(A, True), ("@bob:example.org", True),
                                                         ("@carl:other.org", False)}
    rows = jl(world.run("--json", "members", "!joined:example.org", "--local").out)
    assert {r["user_id"] for r in rows} == {A, "@bob:example.org"}
    rows = jl(world.run("--json", "members", "!remote:other.org", "--membership", "invite").out)
    assert [r["user_id"] for r in rows] == ["@bob:example.org"]


@pytest.mark.parametrize("args,code", [
    (["rooms", "nobody"], EX_NOTFOUND), (["rooms", "@a:other.org"], EX_USAGE), (["rooms"], EX_USAGE),
    (["rooms", A, "--membership", "joined"], EX_USAGE), (["rooms", A, "--membership", ""], EX_USAGE),
    (["members", "!nope:example.org"], EX_NOTFOUND), (["members", "#alias:example.org"], EX_USAGE),
    (["members", "!x'; DROP TABLE roomserver_rooms; --:example.org"], EX_USAGE),   # blanks: not a room ID
    (["members", "!x';DROP/**/TABLE/**/rooms;--:example.org"], EX_NOTFOUND),
    (["members", "!c8JltiozfoihvTKvZ6_g-OFyRLGRkM57zsBe4BtHh04"], EX_NOTFOUND),   # room version 12, unknown
    (["members", "nonsense"], EX_USAGE), (["members", "!a\x01b:example.org"], EX_USAGE),
])
def test_listing_bad_input(world, args, code):
    refused(world, args, code)


# ---------- migrate ----------

def test_migrate_status_apply_and_idempotent(world):
    r = world.run("--json", "migrate", "--status")
    assert r.rc == 0 and jl(r.out)[0]["applied"] is False
    before = world.snapshot()
    assert world.run("--dry-run", "migrate").rc == 0
    assert world.snapshot() == before
    r = world.run("migrate")
    assert r.rc == 0 and "applied 4 migration(s)" in r.out and "0001_queue" in r.err and "0002_audit" in r.err, r
    assert "0003_queue_sender" in r.err and "0004_queue_job" in r.err
    after = world.snapshot()
    r = world.run("migrate")
    assert r.rc == 0 and "up to date" in r.out
    assert world.snapshot() == after
    assert [m["applied"] for m in jl(world.run("--json", "migrate", "--status").out)] == [True, True, True, True]


# ---------- evacuate / notice / queue ----------

def test_evacuate_user_queues_joined_rooms_and_is_idempotent(world):
    r = world.run("evacuate", "user", "alice")
    assert r.rc == 0 and "queued 2 leave(s)" in r.out and "applied mxdba's own migration(s) (4)" in r.err, r
    r = world.run("--json", "evacuate", "user", "alice", "--include-invites")
    assert r.rc == 0 and jl(r.out)[-1]["queued"] == 1 and jl(r.out)[-1]["already_pending"] == 2
    rows = jl(world.run("--json", "queue", "list").out)
    assert sorted(r["room_id"] for r in rows) == ["!invited:example.org", "!joined:example.org", "!remote:other.org"]
    assert all(r["state"] == "pending" and r["kind"] == "leave" and r["user_id"] == A for r in rows)
    assert world.is_deactivated("alice") is False           # not locked
    assert len(world.devices_of()) == 1
    # every queued row names who queued it: the OS user, as the audit rows do
    import pwd
    me = pwd.getpwuid(os.getuid()).pw_name
    world.run("notice", "alice", "hello")  # refused (no admin_user): adds nothing
    assert {b for (b,) in world.sql("SELECT created_by FROM mxdba_queue")} == {me}


def test_evacuate_user_lock_deactivates_and_deletes_devices(world):
    r = world.run("--json", "evacuate", "user", "alice", "--lock")
    assert r.rc == 0, r
    doc = jl(r.out)[-1]
    assert doc["locked"] is True and doc["devices_deleted"] == 1
    assert world.is_deactivated("alice") is True
    assert len(world.devices_of("alice")) == 0


def test_evacuate_dry_run_and_refusals_change_nothing(world):
    before = world.snapshot()
    r = world.run("--dry-run", "evacuate", "user", "alice", "--lock")
    assert r.rc == 0 and "would queue 2 leave(s)" in r.out and "would lock" in r.out, r
    assert world.snapshot() == before
    refused(world, ["evacuate", "user", "nobody"], EX_NOTFOUND)
    refused(world, ["evacuate", "user", "@alice:other.org"], EX_USAGE)
    refused(world, ["evacuate", "room", "!nope:example.org"], EX_NOTFOUND)
    refused(world, ["evacuate", "room", "not-a-room"], EX_USAGE)
    refused(world, ["evacuate", "house", "x"], EX_USAGE)
    refused(world, ["evacuate"], EX_USAGE)
    refused(world, ["evacuate", "user", "alice", "--bogus"], EX_USAGE)


def test_evacuate_room_queues_local_members_only(world):
    r = world.run("--json", "evacuate", "room", "!joined:example.org")
    assert r.rc == 0 and jl(r.out)[-1]["queued"] == 2, r
    rows = jl(world.run("--json", "queue", "list").out)
    assert sorted(r["user_id"] for r in rows) == [A, "@bob:example.org"]
    r = world.run("--json", "evacuate", "room", "!remote:other.org", "--include-invites")
    assert jl(r.out)[-1]["queued"] == 2       # alice (joined) and bob (invited); carl is remote
    rows = jl(world.run("--json", "queue", "list").out)
    assert sorted((r["room_id"], r["user_id"]) for r in rows if r["room_id"] == "!remote:other.org") == \
        [("!remote:other.org", A), ("!remote:other.org", "@bob:example.org")]


def test_notice_needs_an_admin_sender(world):
    world.configure_notices()
    refused(world, ["notice", "alice", "hello"], EX_REFUSED, "no active admin")
    world.write_config(world.config.read_text() + "[server]\nadmin_user = @bob:example.org\n")
    refused(world, ["notice", "alice", "hello"], EX_REFUSED, "not an admin")
    world.write_config(world.config.read_text().replace("@bob:", "@root:"))
    refused(world, ["notice", "alice", "hello"], EX_NOTFOUND)
    world.add_account("root", admin=True)
    refused(world, ["notice", "alice", ""], EX_USAGE)
    refused(world, ["notice", "alice", "bad\x07bell"], EX_USAGE)
    refused(world, ["notice", "nobody", "hello"], EX_NOTFOUND)
    refused(world, ["notice", "alice"], EX_USAGE)
    r = world.run("notice", "alice", "Maintenance at 22:00")
    assert r.rc == 0 and "queued a server notice to @alice:example.org" in r.out, r
    r = world.run("notice", "alice", "Maintenance at 22:00")
    assert "already pending" in r.out
    rows = jl(world.run("--json", "queue", "list").out)
    assert len(rows) == 1 and rows[0]["kind"] == "notice" and rows[0]["text"] == "Maintenance at 22:00"
    assert rows[0]["sender"] == "@root:example.org"


def test_notice_sender_as_or_the_only_admin(world):
    world.configure_notices()
    refused(world, ["notice", "alice", "hi", "--as", "bob"], EX_REFUSED, "not an admin")
    refused(world, ["notice", "alice", "hi", "--as", "nobody"], EX_NOTFOUND)
    refused(world, ["notice", "alice", "hi", "--as", "@root:other.org"], EX_USAGE)
    world.add_account("root", admin=True)
    world.add_account("gone", admin=True, deactivated=True)
    r = world.run("--json", "notice", "alice", "one")                  # the only active admin
    assert r.rc == 0 and json.loads(r.out)["sender"] == "@root:example.org", r
    refused(world, ["notice", "alice", "hi", "--as", "gone"], EX_REFUSED, "deactivated")
    world.add_account("root2", admin=True)
    refused(world, ["notice", "alice", "two"], EX_USAGE, "--as")
    r = world.run("--json", "notice", "alice", "two", "--as", "root2")
    assert r.rc == 0 and json.loads(r.out)["sender"] == "@root2:example.org", r
    assert [x["sender"] for x in jl(world.run("--json", "queue", "list").out)] == ["@root:example.org",
                                                                                  "@root2:example.org"]


def test_queue_list_and_apply_name_the_room_and_the_notice(world):
    """A room for people: its canonical alias, else its name (cut at a character, never a byte; no escape
    sequence or line break reaches the terminal); a notice by its first words. Text, JSON and CSV."""
    assert world.run("evacuate", "user", "alice", "--include-invites").rc == 0
    assert world.run("user", "promote", "bob").rc == 0
    world.configure_notices()
    text = "Your password was reset by the admins tonight; please log in again and check your devices."
    assert world.run("notice", "alice", text).rc == 0
    r = world.run("queue", "list")
    assert r.rc == 0, r
    assert '!joined:example.org ("Ops")' in r.out, r.out
    assert "!invited:example.org (#invited:example.org)" in r.out, r.out
    assert '"Your password was reset by the admins tonight; please log in…"' in r.out, r.out
    rows = {x["room_id"]: x for x in jl(world.run("--json", "queue", "list").out)}
    assert rows["!joined:example.org"]["room_name"] == "Ops" and rows["!joined:example.org"]["canonical_alias"] is None
    assert rows["!invited:example.org"]["canonical_alias"] == "#invited:example.org"
    csv_out = world.run("--csv", "queue", "list").out
    assert '!joined:example.org (""Ops"")' in csv_out, csv_out
    # queue apply says the same of each row it carries out (here: every leave is skipped, alice left)
    world.set_membership(A, "leave")
    r = world.run("--dry-run", "queue", "apply")
    assert r.rc == 0, r
    assert '!joined:example.org ("Ops")' in r.out and "!invited:example.org (#invited:example.org)" in r.out, r.out
    assert "\x1b" not in r.out + world.run("queue", "list").out
    js = jl(world.run("--dry-run", "--json", "queue", "apply").out)
    byroom = {x["room_id"]: x for x in js if "room_id" in x}
    assert byroom["!joined:example.org"]["room_name"] == "Ops", js
    assert [x["text"] for x in js if x.get("kind") == "notice"] in ([], [text]), js


def test_queue_list_and_cancel(world):
    assert world.run("evacuate", "user", "alice", "--include-invites").rc == 0
    ids = [r["id"] for r in jl(world.run("--json", "queue", "list").out)]
    assert len(ids) == 3
    refused(world, ["queue", "cancel", str(ids[0]), "999999"], EX_NOTFOUND)
    refused(world, ["queue", "cancel", "abc"], EX_USAGE)
    refused(world, ["queue", "cancel"], EX_USAGE)
    refused(world, ["queue", "list", "--state", "bogus"], EX_USAGE)
    r = world.run("queue", "cancel", str(ids[0]))
    assert r.rc == 0 and "cancelled 1" in r.out
    r = world.run("queue", "cancel", str(ids[0]))
    assert r.rc == 0 and "not pending" in r.out
    assert len(jl(world.run("--json", "queue", "list", "--state", "pending").out)) == 2
    assert world.run("queue", "cancel", "--all-pending").rc == 0
    assert jl(world.run("--json", "queue", "list", "--state", "pending").out) == []
    assert len(jl(world.run("--json", "queue", "list", "--state", "cancelled,done").out)) == 3


def test_queue_commands_before_any_table_exists(world):
    before = world.snapshot()
    r = world.run("queue", "list")
    assert r.rc == 0 and "not created yet" in r.err
    assert world.snapshot() == before


# ---------- queue apply error paths ----------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_apply_with_a_server_that_does_not_answer(world):
    assert world.run("evacuate", "user", "alice").rc == 0
    before = world.snapshot()
    r = world.run("queue", "apply", "--url", f"http://127.0.0.1:{free_port()}", "--wait", "1")
    assert r.rc == EX_SERVER and "did not answer" in r.err and "HINT:" in r.err, r
    assert world.snapshot() == before
    refused(world, ["queue", "apply", "--url", "ftp://x"], EX_USAGE)
    refused(world, ["queue", "apply", "--limit", "0"], EX_USAGE)
    refused(world, ["queue", "apply", "--wait", "-1"], EX_USAGE)


class Garbage(http.server.BaseHTTPRequestHandler):
    """Answers 200 to the readiness probe and garbage or errors to the rest."""
    calls = []
    limited = 0

    def _answer(self):
        Garbage.calls.append((self.command, self.path, self.headers.get("Authorization", "")))
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        if self.path in ("/_dendrite/monitor/up", "/health"):
            code, body = 200, b"up"
        elif "slow" in self.path and Garbage.limited < 2:
            Garbage.limited += 1
            code, body = 429, b'{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":300}'
        elif "joined" in self.path:
            code, body = 200, b"<html>definitely not json</html>"
        elif "invited" in self.path:
            code, body = 403, b'{"errcode":"M_FORBIDDEN","error":"You are not allowed"}'
        elif "remote" in self.path:
            code, body = 502, b"\xff\xfe bad gateway"
        else:
            code, body = 200, b"{}"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *a):
        pass


def test_apply_against_a_server_that_answers_garbage(world):
    assert world.run("evacuate", "user", "alice", "--include-invites").rc == 0
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        Garbage.calls.clear()
        r = world.run("--json", "queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}/")
    finally:
        srv.shutdown()
    assert r.rc == EX_QUEUE and "failed" in r.err, r
    rows = {x["room_id"]: x for x in jl(world.run("--json", "queue", "list").out)}
    assert rows["!joined:example.org"]["state"] == "failed"
    assert "not JSON" in rows["!joined:example.org"]["error"]
    assert rows["!invited:example.org"]["http_status"] == 403
    assert rows["!invited:example.org"]["errcode"] == "M_FORBIDDEN"
    assert rows["!remote:other.org"]["http_status"] == 502
    # room IDs were percent-encoded, the token was sent, and no minted device is left
    assert any("%21joined%3Aexample.org" in p for _, p, _ in Garbage.calls)
    assert all(a.startswith("Bearer ") for m, p, a in Garbage.calls if "leave" in p)
    assert world.minted_tokens() == 0
    assert world.sql("SELECT count(*) FROM mxdba_minted") == [("0",)]
    # the token never appears in what mxdba printed
    tokens = {a[7:] for _, _, a in Garbage.calls if a}
    assert tokens and not any(tok in r.out + r.err for tok in tokens)


def test_apply_skips_rows_no_longer_joined_and_dry_run(world):
    assert world.run("evacuate", "user", "alice").rc == 0
    # alice left every room meanwhile (the server says so)
    world.set_membership(A, "leave")
    before = world.snapshot()
    r = world.run("--dry-run", "--json", "queue", "apply")
    assert r.rc == 0 and [x["state"] for x in jl(r.out)[:-1]] == ["skipped", "skipped"], r
    assert world.snapshot() == before
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        Garbage.calls.clear()
        r = world.run("queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}")
    finally:
        srv.shutdown()
    assert r.rc == 0, r
    assert not any("leave" in p for _, p, _ in Garbage.calls)   # nothing to do on the server
    assert {x["state"] for x in jl(world.run("--json", "queue", "list").out)} == {"skipped"}


def test_apply_cleans_up_a_device_left_by_a_crashed_run(world):
    assert world.run("migrate").rc == 0
    world.sql("INSERT INTO mxdba_minted (access_token, device_id, localpart, server_name, created_ts)"
              " VALUES ('leftover-token', 'MXDBAOLD', 'alice', 'example.org', 1)")
    world.add_device("alice", "MXDBAOLD", "leftover-token")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        Garbage.calls.clear()
        r = world.run("queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}")
    finally:
        srv.shutdown()
    assert r.rc == 0 and "left behind by an earlier run" in r.err, r
    assert ("POST", "/_matrix/client/v3/logout", "Bearer leftover-token") in Garbage.calls
    assert world.devices_of(prefix="MXDBAOLD") == []
    assert world.sql("SELECT count(*) FROM mxdba_minted") == [("0",)]


def test_apply_honours_429_retry_after(world):
    import time
    world.add_room("!slow:example.org")
    world.add_member("!slow:example.org", A, "join")
    assert world.run("evacuate", "user", "alice").rc == 0
    assert world.run("queue", "cancel", "--all-pending").rc == 0
    # only the rate-limited room stays queued
    world.sql("UPDATE mxdba_queue SET state = 'pending' WHERE room_id = '!slow:example.org'")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        Garbage.calls.clear()
        Garbage.limited = 0
        t0 = time.monotonic()
        r = world.run("--json", "queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}")
        elapsed = time.monotonic() - t0
    finally:
        srv.shutdown()
    assert r.rc == 0, r
    leaves = [p for _, p, _ in Garbage.calls if "leave" in p]
    assert len(leaves) == 3 and elapsed >= 0.6          # two 429s, each waited out, then 200
    assert [x["state"] for x in jl(r.out)[:-1]] == ["done"]


class Stuck(Garbage):
    """Up, answers every leave at once except one room's, which it never answers
    in time (what Dendrite v0.13.8 can do when a room's input worker stops at
    that moment)."""

    def _answer(self):
        if "stuck" in self.path:
            Garbage.calls.append((self.command, self.path, ""))
            import time
            time.sleep(4)
            return
        if "joined" in self.path or "invited" in self.path or "remote" in self.path:
            body = b"{}"
            Garbage.calls.append((self.command, self.path, ""))
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super()._answer()

    do_GET = do_POST = do_PUT = _answer


def test_apply_goes_on_when_one_request_gets_no_answer(world):
    world.add_room("!stuck:example.org")
    world.add_member("!stuck:example.org", A, "join")
    assert world.run("evacuate", "user", "alice").rc == 0
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stuck)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        Garbage.calls.clear()
        r = world.run("--json", "queue", "apply", "--timeout", "1",
                      "--url", f"http://127.0.0.1:{srv.server_address[1]}")
    finally:
        srv.shutdown()
    assert r.rc == 9 and "1 request(s) got no answer within 1 s although the homeserver is up" in r.err, r
    assert jl(r.out)[-1]["summary"]["unanswered"] == 1 and jl(r.out)[-1]["summary"]["server_gone"] is False
    rows = {x["room_id"]: x for x in jl(world.run("--json", "queue", "list").out)}
    assert rows["!stuck:example.org"]["state"] == "pending" and rows["!stuck:example.org"]["attempts"] == 1
    assert "no answer while the server is up" in rows["!stuck:example.org"]["error"]
    assert all(x["state"] == "done" for k, x in rows.items() if k != "!stuck:example.org"), rows
    assert world.sql("SELECT count(*) FROM mxdba_minted") == [("0",)]
    refused(world, ["queue", "apply", "--timeout", "0"], EX_USAGE)


# queue apply's default --parallel per server and backend, as README, man page and --help say
DEFAULT_PARALLEL = {("synapse", "postgres"): 16, ("synapse", "sqlite"): 16,
                    ("dendrite", "postgres"): 2, ("dendrite", "sqlite"): 1}


class Gate(Garbage):
    """Holds every leave until WANT are in flight at once (or 5 s pass; after that
    everything goes through), keeping the most ever in flight and each caller's token."""
    cond = threading.Condition()
    want = inflight = peak = 0
    opened = False
    tokens = set()

    def _answer(self):
        if "/leave" not in self.path:
            return super()._answer()
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with Gate.cond:
            Gate.tokens.add(self.headers.get("Authorization", ""))
            Gate.inflight += 1
            Gate.peak = max(Gate.peak, Gate.inflight)
            if Gate.inflight >= Gate.want:
                Gate.opened = True
                Gate.cond.notify_all()
            Gate.cond.wait_for(lambda: Gate.opened, timeout=5)
            Gate.opened = True
            Gate.inflight -= 1
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer


def gated_apply(home, want, *args):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gate)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        Gate.want, Gate.inflight, Gate.peak, Gate.opened = want, 0, 0, False
        Gate.tokens.clear()
        return home.run("--json", "queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}", *args)
    finally:
        srv.shutdown()


def test_apply_runs_the_servers_default_at_once_and_no_more_workers_than_rows(home):
    want = DEFAULT_PARALLEL[(home.kind, home.backend)]
    home.add_account("alice")
    for i in range(2 * want + 1):
        home.add_room(f"!r{i}:example.org")
        home.add_member(f"!r{i}:example.org", A, "join")
    assert home.run("evacuate", "user", "alice").rc == 0
    r = gated_apply(home, want)
    assert r.rc == 0 and jl(r.out)[-1]["summary"]["done"] == 2 * want + 1, r
    # exactly the default at once: one minted device per worker, each with its leaves in flight
    assert Gate.peak == want and len(Gate.tokens) == want, (Gate.peak, len(Gate.tokens))
    # three rows, --parallel 32: three workers, not 32
    home.add_account("bob")
    for i in range(3):
        home.add_room(f"!s{i}:example.org")
        home.add_member(f"!s{i}:example.org", "@bob:example.org", "join")
    assert home.run("evacuate", "user", "bob").rc == 0
    r = gated_apply(home, 3, "--parallel", "32")
    assert r.rc == 0 and jl(r.out)[-1]["summary"]["done"] == 3, r
    assert Gate.peak == 3 and len(Gate.tokens) == 3, (Gate.peak, len(Gate.tokens))
    assert home.sql("SELECT count(*) FROM mxdba_minted") == [("0",)]
