# SPDX-License-Identifier: Apache-2.0
"""Queued room maintenance against the real Synapse 1.163.2 on SQLite and
PostgreSQL: `room delete` carried out by `queue apply` through the Delete
Room API v2 (the admin API and the client API then say the room is gone and
blocked, `report rooms` no longer lists it, doctor finds nothing);
`room purge-history` keeping the newest events
(seen through /messages); `media purge-remote` answered by the media admin
API. Synapse killed mid-deletion: test_synapse_room_kill.py."""
import time

from mxtest import doctor_findings, ok
from realserver import json_lines as lines
from synapse import q

PW = "maint-password-1"


def test_room_delete_through_the_admin_api(s):
    s.start()
    root = s.register("del_root", PW, admin=True)["access_token"]
    ann = s.register("del_ann", PW)["access_token"]
    ben = s.register("del_ben", PW)["access_token"]
    doomed = s.create_room(ann, name="Doomed", preset="public_chat", room_alias_name="doomed")
    kept = s.create_room(ann, name="Kept")
    s.join(ben, doomed)
    for i in range(5):
        s.send(ann, doomed, f"message {i}")
    s.upload(ann, b"z" * 500)
    # a remote-looking member: a user of another server, banned (no federation needed)
    status, j = s.req("POST", f"/_matrix/client/v3/rooms/{q(doomed)}/ban", token=ann,
                      body={"user_id": "@spammer:remote.example", "reason": "spam"})
    assert status == 200, j
    assert s.sql(f"SELECT membership FROM room_memberships WHERE room_id = '{doomed}'"
                 " AND user_id = '@spammer:remote.example'") == [("ban",)]
    # refused before anything is queued: a typo'd room (Synapse itself would "complete" its deletion)
    r = s.mxdba("room", "delete", doomed, "!typo:example.org", "--as", "@del_root:example.org")
    assert r.rc == 6 and "!typo:example.org: not known" in r.err, r
    ok(s.mxdba("room", "delete", doomed, "--block", "--as", "@del_root:example.org"))
    applied = lines(ok(s.mxdba("--json", "queue", "apply")))
    row = next(x for x in applied if x.get("kind") == "room_delete")
    assert row["state"] == "done" and row["error"] == "2 local member(s) removed", row
    # the server's own answers: gone, blocked, nobody in it, the alias gone
    status, _ = s.req("GET", f"/_synapse/admin/v1/rooms/{q(doomed)}", token=root)
    assert status == 404
    status, blk = s.req("GET", f"/_synapse/admin/v1/rooms/{q(doomed)}/block", token=root)
    assert status == 200 and blk["block"] is True, blk
    assert doomed not in s.joined_rooms(ann) and kept in s.joined_rooms(ann)
    status, _ = s.req("GET", f"/_matrix/client/v3/directory/room/{q('#doomed:example.org')}", token=ann)
    assert status == 404
    status, j = s.req("POST", f"/_matrix/client/v3/rooms/{q(doomed)}/join", token=ben, body={})
    assert status == 403, j
    # one job, done once; mxdba's row holds its delete_id
    tasks = s.sql(f"SELECT id, status FROM scheduled_tasks WHERE action = 'shutdown_and_purge_room'"
                  f" AND resource_id = '{doomed}'")
    assert len(tasks) == 1 and tasks[0][1] == "complete", tasks
    assert s.sql(f"SELECT count(*) FROM room_memberships WHERE room_id = '{doomed}'") == [("0",)]
    assert s.sql(f"SELECT count(*) FROM events WHERE room_id = '{doomed}'") == [("0",)]
    assert s.sql(f"SELECT job FROM mxdba_queue WHERE room_id = '{doomed}'") == [(tasks[0][0],)]
    assert doomed not in {x["room_id"] for x in lines(ok(s.mxdba("--json", "report", "rooms")))}
    # queued again: the room is unknown now, nothing queued
    r = s.mxdba("room", "delete", doomed, "--as", "@del_root:example.org")
    assert r.rc == 6 and "not known" in r.err, r
    s.stop()


def test_purge_history_keeps_the_newest_events(s):
    s.start()
    s.register("hist_root", PW, admin=True)
    ann = s.register("hist_ann", PW)["access_token"]
    room = s.create_room(ann, name="History")
    for i in range(5):
        s.send(ann, room, f"old {i}")
    time.sleep(1.2)
    cut = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    time.sleep(1.2)
    for i in range(3):
        s.send(ann, room, f"new {i}")
    ok(s.mxdba("room", "purge-history", room, "--before", cut, "--as", "@hist_root:example.org"))
    ok(s.mxdba("media", "purge-remote", "--before", "1d", "--as", "@hist_root:example.org"))
    done = {x["kind"]: x for x in lines(ok(s.mxdba("--json", "queue", "apply"))) if "kind" in x}
    assert done["purge_history"]["state"] == "done", done
    assert done["purge_remote_media"]["state"] == "done", done
    assert done["purge_remote_media"]["error"] == "0 cached remote file(s) deleted"
    status, m = s.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=100", token=ann)
    assert status == 200
    bodies = [e["content"].get("body") for e in m["chunk"] if e["type"] == "m.room.message"]
    assert bodies == ["new 2", "new 1", "new 0"], bodies
    s.stop()


def test_a_leftover_sliding_sync_row_blocks_the_deletion(s):
    """Synapse's purge does not clear sliding_sync_joined_rooms_to_recalculate (1.163.2: not in its
    list of tables), whose room_id references rooms(room_id): a row left there for a room makes
    the deletion fail on the foreign key (element-hq/synapse#19822). Seen here first on the real
    server, then refused by mxdba's pre-check and repaired by doctor --fix."""
    s.start()
    root = s.register("ss_root", PW, admin=True)["access_token"]
    ann = s.register("ss_ann", PW)["access_token"]
    seen = s.create_room(ann, name="Shown failing")
    held = s.create_room(ann, name="Held back")
    s.send(ann, seen, "hello")
    # a fresh database's sliding-sync updates run in Synapse's first minutes: let them finish
    consumers = ("SELECT update_name FROM background_updates WHERE update_name IN"
                 " ('sliding_sync_prefill_joined_rooms_to_recalculate_table_bg_update', 'sliding_sync_joined_rooms_bg_update')")
    deadline = time.time() + 120
    while s.sql(consumers) and time.time() < deadline:
        time.sleep(0.5)
    assert not s.sql(consumers)
    s.stop()
    # queued while nothing blocked it; then the leftover rows appear (as a crash, a downgrade or a
    # stopped update leaves them)
    ok(s.mxdba("room", "delete", seen, "--as", "@ss_root:example.org"))
    s.sql("INSERT INTO sliding_sync_joined_rooms_to_recalculate (room_id) VALUES "
          f"('{seen}'), ('{held}')")
    # the real server fails the deletion on the row; mxdba's row says so with Synapse's own record
    s.start()
    r = s.mxdba("--json", "queue", "apply")
    assert r.rc == 10, r
    row = next(x for x in lines(r) if x.get("kind") == "room_delete")
    why = s.sql(f"SELECT error FROM scheduled_tasks WHERE resource_id = '{seen}'")[0][0]
    print("the server's own record of the failure:", why)
    assert ("sliding_sync_joined_rooms_to_recalculate" if s.backend == "postgres" else "FOREIGN KEY") in why, why
    assert row["state"] == "failed" and why.split("\n")[0] in row["error"], row
    s.stop()
    # mxdba refuses to queue it, names the row and the repair, and changes nothing
    before = s.snapshot()
    r = s.mxdba("room", "delete", held, "--as", "@ss_root:example.org")
    assert r.rc == 6, r
    assert f"{held}: Synapse's deletion would fail" in r.err and "sliding_sync_joined_rooms_to_recalculate" in r.err, r
    assert "synapse-sliding-sync-leftovers" in r.err, r
    assert s.snapshot() == before
    found = doctor_findings(s.mxdba("--json", "doctor"))
    assert found["synapse-sliding-sync-leftovers"]["count"] == 2, found
    ok(s.mxdba("doctor", "--check", "synapse-sliding-sync-leftovers", "--fix"))
    assert s.sql(consumers) == [("sliding_sync_joined_rooms_bg_update",)]
    # while the update is pending the rows are its work list: still refused, with the other hint
    r = s.mxdba("room", "delete", held, "--as", "@ss_root:example.org")
    assert r.rc == 6 and "pending background update sliding_sync_joined_rooms_bg_update" in r.err, r
    # Synapse's next start runs it: the rooms recalculated, the list empty
    s.start()
    deadline = time.time() + 120
    while (s.sql(consumers) or s.sql("SELECT room_id FROM sliding_sync_joined_rooms_to_recalculate")) \
            and time.time() < deadline:
        time.sleep(0.5)
    assert s.sql("SELECT room_id FROM sliding_sync_joined_rooms_to_recalculate") == []
    # now both deletions go through, the failed one queued again
    ok(s.mxdba("room", "delete", seen, held, "--as", "@ss_root:example.org"))
    done = [x for x in lines(ok(s.mxdba("--json", "queue", "apply"))) if x.get("kind") == "room_delete"]
    assert [x["state"] for x in done] == ["done", "done"], done
    for room in (seen, held):
        status, _ = s.req("GET", f"/_synapse/admin/v1/rooms/{q(room)}", token=root)
        assert status == 404
    s.stop()


def test_purge_remote_removes_only_old_cached_media(s):
    """Remote media in Synapse's cache (rows and files as its media repository writes them after a
    federation download): `media purge-remote --before 1d` removes what was last used before the
    cut, keeps the recent and the quarantined, as the media admin API then answers."""
    s.start()
    root = s.register("rm_root", PW, admin=True)["access_token"]
    s.stop()
    now = int(time.time() * 1000)
    old = now - 10 * 86400 * 1000
    cached = {"OLDMEDIA": ("oldfile01", old, None), "NEWMEDIA": ("newfile01", now, None),
              "QUARMEDIA": ("quarfile1", old, "@rm_root:example.org")}
    files = {}
    for media_id, (fs_id, ts, quarantined) in cached.items():
        path = s.dir / "media_store" / "remote_content" / "remote.example" / fs_id[0:2] / fs_id[2:4] / fs_id[4:]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(media_id.encode() * 10)
        files[media_id] = path
        s.sql("INSERT INTO remote_media_cache (media_origin, media_id, media_type, created_ts, upload_name,"
              " media_length, filesystem_id, last_access_ts, quarantined_by) VALUES ('remote.example',"
              f" '{media_id}', 'text/plain', {ts}, 'x.txt', {len(media_id) * 10}, '{fs_id}', {ts},"
              f" {'NULL' if quarantined is None else repr(quarantined)})")
    s.start()
    for media_id in cached:
        status, info = s.req("GET", f"/_synapse/admin/v1/media/remote.example/{media_id}", token=root)
        assert status == 200 and info["media_info"]["filesystem_id"] == cached[media_id][0], info
    ok(s.mxdba("media", "purge-remote", "--before", "1d", "--as", "@rm_root:example.org"))
    row = next(x for x in lines(ok(s.mxdba("--json", "queue", "apply"))) if x.get("kind") == "purge_remote_media")
    assert row["state"] == "done" and row["error"] == "1 cached remote file(s) deleted", row
    status, _ = s.req("GET", "/_synapse/admin/v1/media/remote.example/OLDMEDIA", token=root)
    assert status == 404
    for media_id in ("NEWMEDIA", "QUARMEDIA"):
        status, _ = s.req("GET", f"/_synapse/admin/v1/media/remote.example/{media_id}", token=root)
        assert status == 200, media_id
    assert not files["OLDMEDIA"].exists() and files["NEWMEDIA"].exists() and files["QUARMEDIA"].exists()
    s.stop()
