# SPDX-License-Identifier: Apache-2.0
"""The e2e scenarios of doctor's checks of mxdba's own tables, the same on
the real Dendrite and the real Synapse (SRV: a RealServer, stopped on entry
and on return): a queue row that nothing moves, and migrations of a newer
mxdba."""
from hangserver import HangServer
from mxtest import doctor_findings, ok
from realserver import uid

EX_SERVER = 9


def stuck_queue_row(srv, pw):
    """A proxy in front of the server that accepts the leave and never answers
    (HangServer; --timeout 1): three runs of queue apply leave the row pending,
    tried three times, and the user in the room. doctor names the row; once the
    cause is fixed (apply through the server's own URL) the user leaves and the
    finding is gone."""
    srv.start()
    owner = srv.register("quinn", pw)["access_token"]
    rhea = srv.register("rhea", pw)["access_token"]
    room = srv.create_room(owner, name="stuck", preset="public_chat")
    srv.join(rhea, room)
    srv.stop()
    ok(srv.mxdba("evacuate", "user", "rhea"))
    hang = HangServer()
    try:
        for _ in range(3):
            r = srv.mxdba("queue", "apply", "--url", hang.url, "--timeout", "1")
            assert r.rc == EX_SERVER and "no answer" in r.err, r
    finally:
        hang.close()
    srv.start()
    assert srv.member_state(owner, room, uid("rhea")) == "join"  # the evacuation never ends
    srv.stop()
    f = doctor_findings(srv.mxdba("--json", "doctor"))
    stuck = f["mxdba-queue-stuck"]
    assert stuck["count"] == 1 and uid("rhea") in stuck["rows"][0] and "3 tries" in stuck["rows"][0], f
    assert not stuck["fixable"] and "queue list --state pending" in stuck["repair"], stuck
    assert "mxdba-queue-stuck" in doctor_findings(srv.mxdba("--json", "doctor", "--fix"))  # report only
    srv.start()
    ok(srv.mxdba("queue", "apply", "--url", srv.url))  # the cause fixed: the server's own URL
    assert srv.member_state(owner, room, uid("rhea")) == "leave"
    srv.stop()
    assert "mxdba-queue-stuck" not in doctor_findings(srv.mxdba("--json", "doctor"))


def newer_mxdba_schema(srv):
    """A newer mxdba migrated its tables in this database: a warning naming
    the migration, never fixed; the server does not read mxdba's tables and
    starts as before."""
    ok(srv.mxdba("migrate"))
    srv.sql("INSERT INTO mxdba_migrations (version, applied_ts, mxdba_version) VALUES ('9001_future', 1, '9.0')")
    f = doctor_findings(srv.mxdba("--json", "doctor"))
    newer = f["mxdba-newer-schema"]
    assert newer["severity"] == "warning" and newer["rows"] == ["9001_future (by mxdba 9.0)"], f
    assert "mxdba-newer-schema" in doctor_findings(srv.mxdba("--json", "doctor", "--fix"))
    assert srv.sql("SELECT mxdba_version FROM mxdba_migrations WHERE version = '9001_future'") == [("9.0",)]
    srv.start()
    srv.stop()
    # the test's end: what running the newer mxdba's own downgrade would leave
    srv.sql("DELETE FROM mxdba_migrations WHERE version = '9001_future'")
    assert "mxdba-newer-schema" not in doctor_findings(srv.mxdba("--json", "doctor"))
