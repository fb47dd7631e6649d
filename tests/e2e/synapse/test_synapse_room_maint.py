# SPDX-License-Identifier: Apache-2.0
"""Queued room maintenance against the real Synapse 1.163.2 on SQLite and
PostgreSQL: `room delete` carried out by `queue apply` through the Delete
Room API v2 (the admin API and the client API then say the room is gone and
blocked, `report rooms` no longer lists it, doctor finds nothing); Synapse
SIGKILLed in the middle of a deletion, the deletion completed once after a
restart and another apply; `room purge-history` keeping the newest events
(seen through /messages); `media purge-remote` answered by the media admin
API."""
import os
import signal
import subprocess
import time

from mxtest import BIN, doctor_findings, ok, run
from realserver import json_lines as lines
from synapse import q
import scratch

PW = "maint-password-1"


def rows_of(s, kind):
    return [x for x in lines(ok(s.mxdba("--json", "queue", "list"))) if x["kind"] == kind]


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
    assert s.sql(f"SELECT job FROM mxdba_queue WHERE room_id = '{doomed}'") == [(tasks[0][0],)]
    assert doomed not in {x["room_id"] for x in lines(ok(s.mxdba("--json", "report", "rooms")))}
    # queued again: the room is unknown now, nothing queued
    r = s.mxdba("room", "delete", doomed, "--as", "@del_root:example.org")
    assert r.rc == 6 and "not known" in r.err, r
    s.stop()


def test_synapse_killed_mid_deletion_completes_it_once(s):
    s.start()
    s.register("kill_root", PW, admin=True)
    ann = s.register("kill_ann", PW)["access_token"]
    big = s.create_room(ann, name="Big")
    for i in range(400):
        s.send(ann, big, f"filler {i:04d} " + "x" * 200)
    ok(s.mxdba("room", "delete", big, "--as", "@kill_root:example.org"))
    pid = int((s.dir / "synapse.pid").read_text())
    proc = scratch.spawn([BIN, "-c", str(s.config), "queue", "apply", "--parallel", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    job, deadline = "", time.time() + 60
    while not job and time.time() < deadline:
        job = (s.sql(f"SELECT job FROM mxdba_queue WHERE room_id = '{big}'") or [("",)])[0][0]
        time.sleep(0.02)
    assert job, "the delete_id was never stored"
    os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    (s.dir / "synapse.pid").unlink()
    state_at_kill = s.sql(f"SELECT status FROM scheduled_tasks WHERE id = '{job}'")[0][0]
    print(f"the job {job} was {state_at_kill} when Synapse was killed")
    if state_at_kill != "complete":
        assert proc.returncode == 9 and "stopped answering" in err, (proc.returncode, err)
        assert rows_of(s, "room_delete")[-1]["state"] == "pending"
        # the state doctor warns of, on the real server's database
        found = doctor_findings(s.mxdba("--json", "doctor"))
        assert found["synapse-tasks-interrupted"]["count"] >= 1, found
    s.start()
    # Synapse relaunches an interrupted task at its scheduler's first pass (a minute after starting), and
    # the task then waits for the dead process's purge lock to expire (two minutes without renewal):
    # apply follows the same delete_id meanwhile
    r = ok(run(["-c", s.config, "--json", "queue", "apply"], timeout=420))
    row = next(x for x in lines(r) if x.get("kind") == "room_delete")
    assert row["state"] == "done", row
    tasks = s.sql(f"SELECT id, status FROM scheduled_tasks WHERE resource_id = '{big}'"
                  " AND action = 'shutdown_and_purge_room'")
    assert tasks == [(job, "complete")], tasks
    assert int(s.sql(f"SELECT count(*) FROM events WHERE room_id = '{big}'")[0][0]) == 0
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
