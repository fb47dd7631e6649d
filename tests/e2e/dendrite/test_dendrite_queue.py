# SPDX-License-Identifier: Apache-2.0
"""Memberships, the leave queue and queue apply against the real Dendrite
v0.13.8 on SQLite and PostgreSQL."""
import json
import os
import signal
import subprocess
import time

from dendrite import q
from mxtest import BIN
import scratch  # noqa: E402

PW = "password-123"


def minted_devices(d):
    return len(d.devices_of(prefix="MXDBA")), int(d.sql("SELECT count(*) FROM mxdba_minted")[0][0])


def setup_alice(d):
    """alice in five rooms (one where she is the only local member, one created
    by bob), one pending invite, plus bob; returns tokens and rooms."""
    a = d.register("alice", PW)["access_token"]
    b = d.register("bob", PW)["access_token"]
    alone = d.create_room(a, name="alice alone")
    mine = [d.create_room(a, name=f"alice {i}") for i in range(3)]
    for r in mine:
        d.invite(a, r, "@bob:example.org")
        d.join(b, r)
    bobs = d.create_room(b, name="bob's room", preset="public_chat")
    d.join(a, bobs)
    pending = d.create_room(b, name="invite only")
    d.invite(b, pending, "@alice:example.org")
    return a, b, {"alone": alone, "mine": mine, "bobs": bobs, "pending": pending}


def test_rooms_and_members_agree_with_the_server(dendrite):
    d = dendrite
    d.start()
    a, b, rooms = setup_alice(d)
    server_rooms = d.joined_rooms(a)
    members = {r: d.joined_members(b, r) for r in rooms["mine"] + [rooms["bobs"]]}
    d.stop()
    r = d.mxdba("--json", "rooms", "@alice:example.org", "--membership", "join")
    assert r.rc == 0, r
    mine = {json.loads(l)["room_id"] for l in r.out.splitlines()}
    assert mine == server_rooms and len(mine) == 5
    r = d.mxdba("--json", "rooms", "alice")
    rows = [json.loads(l) for l in r.out.splitlines()]
    assert {x["room_id"] for x in rows if x["membership"] == "invite"} == {rooms["pending"]}
    assert any(x["name"] == "bob's room" for x in rows), rows    # names from the syncapi database
    for room, server_members in members.items():
        r = d.mxdba("--json", "members", room, "--membership", "join")
        assert r.rc == 0, r
        assert {json.loads(l)["user_id"] for l in r.out.splitlines()} == server_members
    r = d.mxdba("members", "!nope:example.org")
    assert r.rc == 4, r


def test_evacuate_user_with_lock_then_apply(dendrite):
    d = dendrite
    d.start()
    a, b, rooms = setup_alice(d)
    d.stop()
    r = d.mxdba("evacuate", "user", "@alice:example.org", "--include-invites", "--lock")
    assert r.rc == 0 and "queued 6 leave(s)" in r.out and "deactivated" in r.out, r
    # queueing again keeps one pending row per room
    r = d.mxdba("--json", "evacuate", "user", "alice", "--include-invites")
    assert json.loads(r.out.splitlines()[-1])["queued"] == 0
    d.start()
    assert d.login("alice", PW)[0] == 403                      # locked
    assert d.req("GET", "/_matrix/client/v3/account/whoami", token=a)[0] == 401
    r = d.mxdba("queue", "apply", "--url", d.url)
    assert r.rc == 0, r
    r = d.mxdba("--json", "queue", "list")
    states = [json.loads(l)["state"] for l in r.out.splitlines()]
    assert states == ["done"] * 6, r.out
    # the other members see the leaves; the invite was rejected
    for room in rooms["mine"] + [rooms["bobs"]]:
        assert d.member_state(b, room, "@alice:example.org") == "leave"
        assert "@alice:example.org" not in d.joined_members(b, room)
    assert d.member_state(b, rooms["pending"], "@alice:example.org") == "leave"
    for _ in range(50):   # the sync API learns of events asynchronously
        status, msgs = d.req("GET", f"/_matrix/client/v3/rooms/{q(rooms['bobs'])}/messages?dir=b&limit=20", token=b)
        if any(e["type"] == "m.room.member" and e.get("state_key") == "@alice:example.org"
               and e["content"].get("membership") == "leave" for e in msgs["chunk"]):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no leave event in bob's timeline: {msgs}")
    assert minted_devices(d) == (0, 0)
    # as the server sees it: alice is in no room (a token minted here by the test itself)
    d.add_token("alice", "PROBE", "test-probe-token")
    assert d.joined_rooms("test-probe-token") == set()
    # a second apply does nothing
    r = d.mxdba("--json", "queue", "apply", "--url", d.url)
    assert r.rc == 0 and json.loads(r.out.splitlines()[-1])["summary"]["done"] == 0, r


def test_evacuate_room_empties_it_of_local_users(dendrite):
    d = dendrite
    d.start()
    a = d.register("owner", PW)["access_token"]
    others = [d.register(f"member{i}", PW)["access_token"] for i in range(3)]
    carol = d.register("carol", PW)["access_token"]
    room = d.create_room(a, name="to empty", preset="public_chat")
    for t in others:
        d.join(t, room)
    d.stop()
    r = d.mxdba("evacuate", "room", room)
    assert r.rc == 0 and "queued 4 leave(s)" in r.out, r
    d.start()
    r = d.mxdba("queue", "apply", "--url", d.url)
    assert r.rc == 0, r
    # a local user joining afterwards finds nobody else local in the room
    d.join(carol, room)
    assert d.joined_members(carol, room) == {"@carol:example.org"}
    assert minted_devices(d) == (0, 0)


def test_apply_survives_dendrite_killed_midway(dendrite):
    d = dendrite
    d.start()
    a = d.register("victim", PW)["access_token"]
    for i in range(25):
        d.create_room(a, name=f"r{i}")
    d.stop()
    assert d.mxdba("evacuate", "user", "victim").rc == 0
    d.start()
    pid = int((d.dir / "dendrite.pid").read_text())
    env = dict(os.environ)
    proc = scratch.spawn([BIN, "-c", str(d.config), "--json", "queue", "apply", "--url", d.url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    done = 0
    for line in proc.stdout:
        if '"state":"done"' in line:
            done += 1
            if done == 3:
                os.kill(pid, signal.SIGKILL)
                break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode in (9, 0), (proc.returncode, err)
    assert proc.returncode == 9 and "stopped answering" in err, err
    (d.dir / "dendrite.pid").unlink()
    assert minted_devices(d) == (0, 0)
    pending = d.mxdba("--json", "queue", "list", "--state", "pending").out.splitlines()
    assert 0 < len(pending) <= 22
    d.start()
    r = d.mxdba("--json", "queue", "apply", "--url", d.url)
    assert r.rc == 0, r
    states = [json.loads(l)["state"] for l in d.mxdba("--json", "queue", "list").out.splitlines()]
    assert len(states) == 25 and set(states) <= {"done", "skipped"}, states
    assert minted_devices(d) == (0, 0)
    r = d.mxdba("--json", "rooms", "victim", "--membership", "join")
    assert r.out.strip() == "", r


def test_notice_arrives_in_the_server_notice_room(dendrite):
    d = dendrite
    d.start()
    d.register("root", PW, admin=True)
    t = d.register("dora", PW)["access_token"]
    d.stop()
    text = d.config.read_text()
    d.config.write_text(text + "[server]\nadmin_user = @root:example.org\n")
    r = d.mxdba("notice", "dora", "Maintenance tonight at 22:00 UTC")
    assert r.rc == 0, r
    d.start()
    r = d.mxdba("queue", "apply", "--url", d.url)
    assert r.rc == 0, r
    status, sync = d.req("GET", "/_matrix/client/v3/sync?timeout=0", token=t)
    invites = sync.get("rooms", {}).get("invite", {})
    assert invites, sync
    room = next(iter(invites))
    d.join(t, room)
    # the sync API learns of events asynchronously: give it a few seconds
    for _ in range(50):
        status, msgs = d.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=20", token=t)
        if any(e["type"] == "m.room.message" and e["content"].get("body") == "Maintenance tonight at 22:00 UTC"
               for e in msgs["chunk"]):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the notice never showed in the room: {msgs}")
    assert minted_devices(d) == (0, 0)
