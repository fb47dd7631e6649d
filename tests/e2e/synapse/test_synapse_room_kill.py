# SPDX-License-Identifier: Apache-2.0
"""The real Synapse 1.163.2 SIGKILLed in the middle of a room deletion that
mxdba's `queue apply` started, on SQLite and PostgreSQL: after a restart and
another apply the deletion completes exactly once, under the same delete_id.
Its own file because it waits for Synapse's scheduler (about three minutes
per backend): `make test-e2e` runs it beside the main suites."""
import os
import signal
import subprocess
import time

from mxtest import BIN, doctor_findings, ok, run
from realserver import json_lines as lines
import scratch

PW = "maint-password-1"


def rows_of(s, kind):
    return [x for x in lines(ok(s.mxdba("--json", "queue", "list"))) if x["kind"] == kind]


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
