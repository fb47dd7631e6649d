# SPDX-License-Identifier: Apache-2.0
"""`mxdba report` against the real Synapse 1.163.2 on SQLite and PostgreSQL:
every figure the server's admin API gives (rooms, forward extremities,
media per user) is the same in mxdba's report, read from the database;
what the API does not give is checked against counts made by hand (the
events and bytes a test sends); and a pair of background updates that
wait for each other, which mxdba calls blocked, is what the real Synapse
refuses to run ("dependency cycle?")."""
import time

from mxtest import doctor_findings, ok
from realserver import json_lines as lines, uid
from synapse import q

PW = "report-password-1"





def admin_rooms(s, tok):
    status, doc = s.req("GET", "/_synapse/admin/v1/rooms?limit=500", token=tok)
    assert status == 200, doc
    return {r["room_id"]: r for r in doc["rooms"]}


def settled(fetch, tries=50):
    """FETCH() once it gives the same answer twice, 0.2 s apart (Synapse's stats catch up in the background)."""
    last = fetch()
    for _ in range(tries):
        time.sleep(0.2)
        now = fetch()
        if now == last:
            return now
        last = now
    raise AssertionError("the server's answer never settled")


def test_reports_equal_the_admin_api_and_hand_counts(s):
    s.start()
    root = s.register("rep_root", PW, admin=True)["access_token"]
    ann = s.register("rep_ann", PW)["access_token"]
    ben = s.register("rep_ben", PW)["access_token"]
    lobby = s.create_room(root, name="Report lobby", preset="public_chat", room_alias_name="report-lobby")
    for tok in (ann, ben):
        s.join(tok, lobby)
    quiet = s.create_room(ann, name="Quiet")
    left = s.create_room(ben, name="Everyone left")
    s.req("POST", f"/_matrix/client/v3/rooms/{q(left)}/leave", token=ben, body={})
    for size in (1000, 2500):
        s.upload(root, b"x" * size)
    s.upload(ann, b"y" * 777)

    def both():
        return admin_rooms(s, root), lines(ok(s.mxdba("--json", "report", "rooms")))
    api, mine = settled(both)
    mine = {r["room_id"]: r for r in mine}
    for room in (lobby, quiet, left):
        a, m = api[room], mine[room]
        for key in ("joined_members", "joined_local_members", "state_events", "version", "name", "canonical_alias"):
            assert a[key] == m[key], (room, key, a[key], m[key])
        status, fe = s.req("GET", f"/_synapse/admin/v1/rooms/{q(room)}/forward_extremities", token=root)
        assert status == 200 and fe["count"] == m["forward_extremities"], (fe, m)
    assert mine[lobby]["joined_members"] == 3 and mine[left]["joined_local_members"] == 0
    assert [r["room_id"] for r in lines(ok(s.mxdba("--json", "report", "rooms", "--no-local-members")))
            if r["room_id"] in (lobby, quiet, left)] == [left]
    # what the API does not give, by hand: ten more events of known size, the last one's time
    before = mine[lobby]
    for i in range(10):
        last_id = s.send(ann, lobby, f"message {i:02d}")
    status, ev = s.req("GET", f"/_synapse/admin/v1/rooms/{q(lobby)}/messages?dir=b&limit=1", token=root)
    assert status == 200 and ev["chunk"][0]["event_id"] == last_id, ev
    after = settled(lambda: next(r for r in lines(ok(s.mxdba("--json", "report", "rooms"))) if r["room_id"] == lobby))
    assert after["events"] == before["events"] + 10
    assert after["last_event_ts"] == ev["chunk"][0]["origin_server_ts"]
    assert after["event_bytes"] > before["event_bytes"] + 10 * len("message 00")
    # media per uploader: the statistics endpoint
    status, stats = s.req("GET", "/_synapse/admin/v1/statistics/users/media?limit=100", token=root)
    assert status == 200, stats
    api_media = {u["user_id"]: (u["media_count"], u["media_length"]) for u in stats["users"]}
    my_media = {m["user_id"]: (m["media_count"], m["media_bytes"]) for m in lines(ok(s.mxdba("--json", "report", "media")))}
    assert my_media == api_media, (my_media, api_media)
    assert my_media[uid("rep_root")] == (2, 3500) and my_media[uid("rep_ann")] == (1, 777)
    s.stop()
    # offline: the same answers with the server down
    mine_off = {r["room_id"]: r for r in lines(ok(s.mxdba("--json", "report", "rooms")))}
    assert mine_off[lobby]["events"] == after["events"]
    tables = {r["table"]: r for r in lines(ok(s.mxdba("--json", "report", "tables")))}
    assert tables["users"]["rows"] == int(s.sql("SELECT count(*) FROM users")[0][0])
    assert tables["local_media_repository"]["rows"] >= 3


def test_a_blocked_background_update_is_one_synapse_never_runs(s):
    s.sql("INSERT INTO background_updates (update_name, progress_json, depends_on, ordering) VALUES"
          " ('mxdba_e2e_a', '{}', 'mxdba_e2e_b', 1), ('mxdba_e2e_b', '{}', 'mxdba_e2e_a', 1)")
    s.sql("DELETE FROM background_updates WHERE update_name NOT LIKE 'mxdba_e2e_%'")
    rows = lines(ok(s.mxdba("--json", "report", "updates")))
    assert [(r["update_name"], r["blocked"]) for r in rows] == [("mxdba_e2e_a", True), ("mxdba_e2e_b", True)]
    found = doctor_findings(s.mxdba("--json", "doctor"))
    assert found["synapse-update-cycle"]["rows"] == ["mxdba_e2e_a", "mxdba_e2e_b"], found
    assert found["synapse-updates-pending"]["count"] == 2, found       # and Synapse is stopped
    s.set_extra("background_updates:\n  sleep_enabled: false\n")
    s.start()
    log = s.dir / "homeserver.log"   # its log_config file
    for _ in range(100):
        if "dependency cycle" in log.read_text(errors="replace"):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("Synapse never reported the cycle")
    found = doctor_findings(s.mxdba("--json", "doctor"))               # running: pending is its business
    assert "synapse-updates-pending" not in found and "synapse-update-cycle" in found, found
    s.stop()
    assert {r["update_name"] for r in lines(ok(s.mxdba("--json", "report", "updates")))} == {"mxdba_e2e_a",
                                                                                             "mxdba_e2e_b"}
    s.sql("DELETE FROM background_updates WHERE update_name LIKE 'mxdba_e2e_%'")


def test_forward_extremities_over_the_threshold_are_what_the_admin_api_sees_and_clears(s):
    s.start()
    root = s.register("fwd_root", PW, admin=True)["access_token"]
    room = s.create_room(root, name="Forked")
    events = [s.send(root, room, f"fork {i}") for i in range(12)]
    s.stop()
    # what a long federation outage leaves: many heads (a hand-made fork of existing events)
    for e in events[:-1]:
        s.sql(f"INSERT INTO event_forward_extremities (event_id, room_id) VALUES ('{e}', '{room}')")
    found = doctor_findings(s.mxdba("--json", "doctor"))
    mine = next(r for r in lines(ok(s.mxdba("--json", "report", "rooms"))) if r["room_id"] == room)
    assert mine["forward_extremities"] == 12 and found["synapse-forward-extremities"]["rows"] == [f"{room} (12)"], found
    s.start()
    status, fe = s.req("GET", f"/_synapse/admin/v1/rooms/{q(room)}/forward_extremities", token=root)
    assert status == 200 and fe["count"] == 12, fe                      # the server sees the same heads
    status, doc = s.req("DELETE", f"/_synapse/admin/v1/rooms/{q(room)}/forward_extremities", token=root)
    assert status == 200, doc                                          # the repair doctor names
    s.stop()
    assert "synapse-forward-extremities" not in doctor_findings(s.mxdba("--json", "doctor"))
    assert next(r for r in lines(ok(s.mxdba("--json", "report", "rooms")))
                if r["room_id"] == room)["forward_extremities"] == 12 - doc["deleted"]
