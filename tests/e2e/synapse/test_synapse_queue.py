# SPDX-License-Identifier: Apache-2.0
"""Memberships, evacuation, the leave queue, server notices and writes
beside a running server, against the real Synapse 1.163.2 on SQLite and
PostgreSQL. queue apply finds Synapse's client URL in its own listeners."""
import json
import os
import signal
import subprocess
import threading
import time

from mxtest import BIN, ok
from realserver import uid
from synapse import q
import scratch  # noqa: E402

PW = "password-123"
NOTICES = "server_notices:\n  system_mxid_localpart: notices\n  system_mxid_display_name: Server Notices\n"


def minted_left(s):
    """Tokens mxdba minted still in Synapse's table, and rows of mxdba's registry."""
    return (int(s.sql("SELECT count(*) FROM access_tokens WHERE id < 0")[0][0]),
            int(s.sql("SELECT count(*) FROM mxdba_minted")[0][0]))


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def setup_alice(s, name="alice"):
    """NAME in five rooms (one alone, one created by another user, one of
    room version 12 explicitly) and one pending invite; returns tokens and rooms."""
    a = s.register(name, PW)["access_token"]
    b = s.register(name + "_bob", PW)["access_token"]
    alone = s.create_room(a, name=f"{name} alone")
    mine = [s.create_room(a, name=f"{name} {i}", room_version="12" if i == 0 else "11") for i in range(3)]
    for r in mine:
        s.invite(a, r, uid(name + "_bob"))
        s.join(b, r)
    bobs = s.create_room(b, name="bob's room", preset="public_chat", room_alias_name=f"{name}-bobs")
    s.join(a, bobs)
    pending = s.create_room(b, name="invite only")
    s.invite(b, pending, uid(name))
    return a, b, {"alone": alone, "mine": mine, "bobs": bobs, "pending": pending}


def test_rooms_and_members_agree_with_the_server(s):
    s.start()
    root = s.register("rootq", PW, admin=True)["access_token"]
    a, b, rooms = setup_alice(s)
    assert ":" not in rooms["mine"][0]                     # room version 12: no server part to parse
    server_rooms = s.joined_rooms(a)
    status, adm = s.req("GET", f"/_synapse/admin/v1/users/{q(uid('alice'))}/joined_rooms", token=root)
    assert status == 200 and set(adm["joined_rooms"]) == server_rooms, adm
    members = {}
    for r in rooms["mine"] + [rooms["bobs"]]:
        status, am = s.req("GET", f"/_synapse/admin/v1/rooms/{q(r)}/members", token=root)
        assert status == 200 and set(am["members"]) == s.joined_members(b, r), am
        members[r] = set(am["members"])
    s.stop()
    mine = {x["room_id"] for x in lines(ok(s.mxdba("--json", "rooms", uid("alice"), "--membership", "join")))}
    assert mine == server_rooms and len(mine) == 5
    rows = lines(ok(s.mxdba("--json", "rooms", "alice")))
    assert {x["room_id"] for x in rows if x["membership"] == "invite"} == {rooms["pending"]}
    bobs = next(x for x in rows if x["room_id"] == rooms["bobs"])
    assert bobs["name"] == "bob's room" and bobs["canonical_alias"] == "#alice-bobs:example.org", bobs
    for room, server_members in members.items():
        got = lines(ok(s.mxdba("--json", "members", room, "--membership", "join")))
        assert {x["user_id"] for x in got} == server_members and all(x["local"] for x in got), got
    got = {x["user_id"]: x["membership"] for x in lines(ok(s.mxdba("--json", "members", rooms["pending"])))}
    assert got == {uid("alice_bob"): "join", uid("alice"): "invite"}, got
    r = s.mxdba("members", "!nope:example.org")
    assert r.rc == 4, r
    r = s.mxdba("members", "!" + "x" * 43)                  # a version 12 ID, unknown
    assert r.rc == 4 and "not known" in r.err, r


def test_leave_ban_and_forgotten_are_told_apart(s):
    s.start()
    a = s.register("fay", PW)["access_token"]
    b = s.register("fay_bob", PW)["access_token"]
    left, banned, forgotten = (s.create_room(b, name=n, preset="public_chat") for n in ("left", "banned", "forgot"))
    for r in (left, banned, forgotten):
        s.join(a, r)
    assert s.req("POST", f"/_matrix/client/v3/rooms/{q(left)}/leave", token=a, body={})[0] == 200
    assert s.req("POST", f"/_matrix/client/v3/rooms/{q(banned)}/ban", token=b,
                 body={"user_id": uid("fay"), "reason": "test"})[0] == 200
    assert s.req("POST", f"/_matrix/client/v3/rooms/{q(forgotten)}/leave", token=a, body={})[0] == 200
    assert s.req("POST", f"/_matrix/client/v3/rooms/{q(forgotten)}/forget", token=a, body={})[0] == 200
    s.stop()
    got = {x["room_id"]: (x["membership"], x["forgotten"])
           for x in lines(ok(s.mxdba("--json", "rooms", "fay", "--membership", "all", "--include-forgotten")))}
    assert got == {left: ("leave", False), banned: ("ban", False), forgotten: ("leave", True)}, got
    got = {x["room_id"] for x in lines(ok(s.mxdba("--json", "rooms", "fay", "--membership", "leave,ban")))}
    assert got == {left, banned}
    got = {x["user_id"]: x["membership"] for x in lines(ok(s.mxdba("--json", "members", banned, "--membership", "all")))}
    assert got == {uid("fay_bob"): "join", uid("fay"): "ban"}, got


def test_evacuate_user_with_lock_then_apply(s):
    s.start()
    a, b, rooms = setup_alice(s, "ann")
    s.stop()
    r = ok(s.mxdba("evacuate", "user", uid("ann"), "--include-invites", "--lock"))
    assert "queued 6 leave(s)" in r.out and "deactivated" in r.out, r
    assert json.loads(ok(s.mxdba("--json", "evacuate", "user", "ann", "--include-invites")).out.splitlines()[-1])[
        "queued"] == 0                                   # one pending row per room
    # a room for people: the room-version-12 room (an opaque ID) by its name, bob's by its alias
    listed = s.mxdba("queue", "list").out
    assert f'{rooms["mine"][0]} ("ann 0")' in listed, listed
    assert f"{rooms['bobs']} (#ann-bobs:example.org)" in listed, listed
    s.start()
    status, doc = s.login("ann", PW)
    assert status == 403 and doc["errcode"] == "M_USER_DEACTIVATED", doc   # locked out now
    assert s.whoami(a)[0] == 401                           # and every old token revoked
    applied = ok(s.mxdba("queue", "apply")).out             # the URL from Synapse's listeners
    assert f'done    #' in applied and f'{rooms["mine"][0]} ("ann 0")' in applied, applied
    states = [x["state"] for x in lines(s.mxdba("--json", "queue", "list"))]
    assert states == ["done"] * 6, states
    for room in rooms["mine"] + [rooms["bobs"]]:
        assert s.member_state(b, room, uid("ann")) == "leave"
        assert uid("ann") not in s.joined_members(b, room)
    assert s.member_state(b, rooms["pending"], uid("ann")) == "leave"     # the invite rejected
    for _ in range(50):
        status, msgs = s.req("GET", f"/_matrix/client/v3/rooms/{q(rooms['bobs'])}/messages?dir=b&limit=20", token=b)
        if any(e["type"] == "m.room.member" and e.get("state_key") == uid("ann")
               and e["content"].get("membership") == "leave" for e in msgs["chunk"]):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no leave event in bob's timeline: {msgs}")
    assert minted_left(s) == (0, 0)
    assert s.login("ann", PW)[0] == 403
    r = ok(s.mxdba("--json", "queue", "apply"))
    assert lines(r)[-1]["summary"]["done"] == 0, r         # a second apply does nothing
    s.stop()
    assert lines(ok(s.mxdba("--json", "rooms", "ann", "--membership", "join,invite"))) == []


def test_apply_survives_synapse_killed_midway(s):
    s.start()
    a = s.register("victim", PW)["access_token"]
    for i in range(25):
        s.create_room(a, name=f"r{i}")
    s.stop()
    ok(s.mxdba("evacuate", "user", "victim"))
    s.start()
    pid = int((s.dir / "synapse.pid").read_text())
    proc = scratch.spawn([BIN, "-c", str(s.config), "--json", "queue", "apply"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = 0
    for line in proc.stdout:
        if '"state":"done"' in line:
            done += 1
            if done == 3:
                os.kill(pid, signal.SIGKILL)
                break
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 9 and "stopped answering" in err, (proc.returncode, err)
    (s.dir / "synapse.pid").unlink()
    def victims(state=None):
        args = ["--json", "queue", "list"] + (["--state", state] if state else [])
        return [x for x in lines(s.mxdba(*args)) if x["user_id"] == uid("victim")]

    done_before = {x["id"] for x in victims("done")}
    assert 3 <= len(done_before) and 0 < len(victims("pending")) <= 22
    s.start()
    r = ok(s.mxdba("--json", "queue", "apply"))
    rows = victims()
    assert len(rows) == 25 and {x["state"] for x in rows} <= {"done", "skipped"}, rows
    # nothing done before the crash was attempted again
    assert all(x["attempts"] == 1 for x in rows if x["id"] in done_before), rows
    assert minted_left(s) == (0, 0), r
    s.stop()
    assert lines(ok(s.mxdba("--json", "rooms", "victim", "--membership", "join"))) == []


def test_evacuate_room_empties_it_of_local_users(s):
    s.start()
    a = s.register("owner", PW)["access_token"]
    others = [s.register(f"member{i}", PW)["access_token"] for i in range(3)]
    carol = s.register("carolq", PW)["access_token"]
    room = s.create_room(a, name="to empty", preset="public_chat", room_version="12")
    for t in others:
        s.join(t, room)
    s.stop()
    r = ok(s.mxdba("evacuate", "room", room))
    assert "queued 4 leave(s)" in r.out, r
    s.start()
    ok(s.mxdba("queue", "apply"))
    # the last local member gone, Synapse has left the room: nobody can join it from here
    status, doc = s.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/join", token=carol, body={})
    assert status == 404, doc
    assert minted_left(s) == (0, 0)
    s.stop()
    got = {x["user_id"]: x["membership"] for x in lines(ok(s.mxdba("--json", "members", room, "--membership", "all")))}
    assert got == {uid(u): "leave" for u in ("owner", "member0", "member1", "member2")}, got


def _notice_body_arrives(s, tok, text):
    """Joins the server-notices room TOK is invited to (or in) and looks for TEXT there.
    (Synapse caches identical /sync answers: one sync, then /messages.)"""
    status, sync = s.req("GET", f"/_matrix/client/v3/sync?timeout=0&filter={q(json.dumps({'room': {'timeline': {'limit': 1}}}))}"
                         f"&_={time.time()}", token=tok)
    rooms = list(sync.get("rooms", {}).get("invite", {})) + list(sync.get("rooms", {}).get("join", {}))
    for room in sync.get("rooms", {}).get("invite", {}):
        s.join(tok, room)
    for _ in range(50):
        for room in rooms:
            status, msgs = s.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=50", token=tok)
            if any(e["type"] == "m.room.message" and e["content"].get("body") == text for e in msgs.get("chunk", [])):
                return True
        time.sleep(0.2)
    return False


def test_notices_need_server_notices_and_an_admin(s):
    s.start()
    t = s.register("dora", PW)["access_token"]
    s.stop()
    for adm in lines(ok(s.mxdba("--json", "user", "list", "--admins"))):   # admins of earlier tests
        ok(s.mxdba("--yes", "user", "demote", adm["user_id"]))
    before = s.snapshot()
    r = s.mxdba("notice", "dora", "Maintenance tonight")
    assert r.rc == 6 and "server_notices" in r.err and "HINT" in r.err, r   # not configured
    s.set_extra(NOTICES)
    r = s.mxdba("notice", "dora", "Maintenance tonight")
    assert r.rc == 6 and "no active admin" in r.err, r
    assert s.snapshot() == before
    ok(s.mxdba("user", "create", "boss", "--admin", "--password-stdin", input=PW + "\n"))
    r = ok(s.mxdba("--json", "notice", "dora", "Maintenance tonight at 22:00 UTC"))   # the only admin
    assert json.loads(r.out)["sender"] == uid("boss"), r
    ok(s.mxdba("user", "create", "boss2", "--admin", "--password-stdin", input=PW + "\n"))
    r = s.mxdba("notice", "dora", "second")
    assert r.rc == 2 and "--as" in r.err, r                # two admins: name one
    r = s.mxdba("notice", "dora", "second", "--as", "dora")
    assert r.rc == 6 and "not an admin" in r.err, r
    r = ok(s.mxdba("--json", "notice", "dora", "Second notice", "--as", "boss2"))
    assert json.loads(r.out)["sender"] == uid("boss2")
    s.start()
    applied = ok(s.mxdba("queue", "apply")).out
    assert f'notice {uid("dora")} "Maintenance tonight at 22:00 UTC"' in applied, applied   # what was sent
    assert [x["state"] for x in lines(s.mxdba("--json", "queue", "list")) if x["kind"] == "notice"] == ["done", "done"]
    assert _notice_body_arrives(s, t, "Maintenance tonight at 22:00 UTC")
    assert _notice_body_arrives(s, t, "Second notice")
    assert minted_left(s) == (0, 0)


def test_writes_beside_a_running_synapse_never_make_it_fail(s):
    """Password changes, new users and queue rows while Synapse serves logins,
    syncs and messages: no 500 from Synapse (req fails the test on one), no
    "database is locked" in its log, and every write of mxdba lands."""
    s.start()
    toks = [s.register(f"busy{i}", PW)["access_token"] for i in range(3)]
    room = s.create_room(toks[0], name="busy", preset="public_chat")
    for t in toks[1:]:
        s.join(t, room)
    stop = threading.Event()
    errors = []

    def client(t, n):
        try:
            i = 0
            while not stop.is_set():
                i += 1
                s.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/t{n}-{i}", token=t,
                      body={"msgtype": "m.text", "body": f"hello {i}"})
                s.req("GET", "/_matrix/client/v3/sync?timeout=0", token=t)
                if n:                                      # busy0's password is being changed
                    assert s.login(f"busy{n}", PW)[0] == 200
        except Exception as e:   # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(t, i)) for i, t in enumerate(toks)]
    for th in threads:
        th.start()
    try:
        for i in range(15):
            ok(s.mxdba("user", "passwd", "busy0", "--password-stdin", input=f"new-password-{i}\n"))
            ok(s.mxdba("user", "create", f"fresh{i}", "--password-stdin", input=PW + "\n"))
            ok(s.mxdba("evacuate", "room", room))
            ok(s.mxdba("queue", "cancel", "--all-pending"))
    finally:
        stop.set()
        for th in threads:
            th.join(60)
    assert not errors, errors
    log = (s.dir / "synapse.out").read_text(errors="replace")
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]
    assert s.login("fresh14", PW)[0] == 200
    assert s.login("busy0", "new-password-14")[0] == 200
