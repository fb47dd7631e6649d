# SPDX-License-Identifier: Apache-2.0
"""`room delete` against the real Dendrite v0.13.8 on SQLite and
PostgreSQL: queue apply calls purgeRoom (never right after evacuateRoom:
that pair makes v0.13.8 panic); afterwards the client API shows nobody
in the room, the roomserver no longer has it (report rooms), a second
queueing is refused as an unknown room, and doctor finds nothing. What
Dendrite has no endpoint for is refused (exit 6) and changes nothing."""
from dendrite import q
from realserver import json_lines as lines

PW = "maint-password-1"


def ok(r):
    assert r.rc == 0, r
    return r


def test_room_delete_purges(dendrite):
    d = dendrite
    d.start()
    d.register("del_root", PW, admin=True)
    ann = d.register("del_ann", PW)["access_token"]
    ben = d.register("del_ben", PW)["access_token"]
    doomed = d.create_room(ann, name="Doomed", preset="public_chat")
    kept = d.create_room(ann, name="Kept")
    d.join(ben, doomed)
    for i in range(5):
        d.send(ann, doomed, f"message {i}")
    d.upload(ann, b"z" * 500)
    # a remote-looking member: a user of another server, banned (no federation needed)
    status, j = d.req("POST", f"/_matrix/client/v3/rooms/{q(doomed)}/ban", token=ann,
                      body={"user_id": "@spammer:remote.example", "reason": "spam"})
    assert status == 200, j
    for opt in (["--block"], ["--new-room-user", "@del_root:example.org", "--message", "x"]):
        r = d.mxdba("room", "delete", doomed, "--as", "@del_root:example.org", *opt)
        assert r.rc == 6 and "Dendrite cannot do" in r.err, r
    r = d.mxdba("room", "purge-history", doomed, "--before", "1d")
    assert r.rc == 6 and "not available on Dendrite" in r.err, r
    ok(d.mxdba("room", "delete", doomed, "--as", "@del_root:example.org"))
    applied = lines(ok(d.mxdba("--json", "queue", "apply", "--url", d.url)))
    row = next(x for x in applied if x.get("kind") == "room_delete")
    assert row["state"] == "done", row
    assert doomed not in d.joined_rooms(ann) and doomed not in d.joined_rooms(ben)
    assert kept in d.joined_rooms(ann)
    assert doomed not in {x["room_id"] for x in lines(ok(d.mxdba("--json", "report", "rooms")))}
    r = d.mxdba("room", "delete", doomed, "--as", "@del_root:example.org")
    assert r.rc == 6 and "not known" in r.err, r
    d.stop()
