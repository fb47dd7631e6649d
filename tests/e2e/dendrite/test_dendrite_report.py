# SPDX-License-Identifier: Apache-2.0
"""`mxdba report` against the real Dendrite v0.13.8 on SQLite and
PostgreSQL. Dendrite has no admin endpoint for these figures: members and
current state are compared with its client API (joined_members, /state),
the rest with counts the test makes by hand (the events and the bytes it
sends, the media it uploads, the last event's time)."""
import time

from dendrite import q
from realserver import json_lines as lines, uid

PW = "report-password-1"


def ok(r):
    assert r.rc == 0, r
    return r





def report(d, room):
    return next(r for r in lines(ok(d.mxdba("--json", "report", "rooms"))) if r["room_id"] == room)


def test_reports_equal_the_client_api_and_hand_counts(dendrite):
    d = dendrite
    d.start()
    ann = d.register("rep_ann", PW)["access_token"]
    ben = d.register("rep_ben", PW)["access_token"]
    lobby = d.create_room(ann, name="Report lobby", preset="public_chat", room_alias_name="report-lobby")
    d.join(ben, lobby)
    left = d.create_room(ben, name="Everyone left", preset="public_chat")
    d.req("POST", f"/_matrix/client/v3/rooms/{q(left)}/leave", token=ben, body={})
    for size in (1000, 2500):
        d.upload(ann, b"x" * size)
    d.upload(ben, b"y" * 777)
    before = report(d, lobby)
    assert (before["name"], before["canonical_alias"], before["version"]) == (
        "Report lobby", "#report-lobby:example.org", "10"), before
    assert before["joined_members"] == len(d.joined_members(ann, lobby)) == 2
    assert before["joined_local_members"] == 2
    status, state = d.req("GET", f"/_matrix/client/v3/rooms/{q(lobby)}/state", token=ann)
    assert status == 200 and before["state_events"] == len(state), (before, len(state))
    assert before["forward_extremities"] == 1 and before["state_groups"] >= 1
    # by hand: ten more events, of known content, and the last one's time
    for i in range(10):
        last = d.send(ann, lobby, f"message {i:02d}")
    for _ in range(50):
        after = report(d, lobby)
        if after["events"] == before["events"] + 10:
            break
        time.sleep(0.2)
    assert after["events"] == before["events"] + 10, (before, after)
    assert after["event_bytes"] > before["event_bytes"] + 10 * len("message 00")
    status, msgs = d.req("GET", f"/_matrix/client/v3/rooms/{q(lobby)}/messages?dir=b&limit=1", token=ann)
    assert msgs["chunk"][0]["event_id"] == last and after["last_event_ts"] == msgs["chunk"][0]["origin_server_ts"]
    assert after["state_events"] == before["state_events"]            # messages are no state
    gone = report(d, left)
    assert gone["joined_local_members"] == 0 and gone["name"] == "Everyone left"
    assert left in [r["room_id"] for r in lines(ok(d.mxdba("--json", "report", "rooms", "--no-local-members")))]
    assert lobby not in [r["room_id"] for r in lines(ok(d.mxdba("--json", "report", "rooms", "--no-local-members")))]
    d.stop()
    media = {m["user_id"]: (m["media_count"], m["media_bytes"]) for m in lines(ok(d.mxdba("--json", "report", "media")))}
    assert media == {uid("rep_ann"): (2, 3500), uid("rep_ben"): (1, 777)}, media
    assert report(d, lobby) == after                                   # offline: the same figures
    tables = {(r["database"], r["table"]): r for r in lines(ok(d.mxdba("--json", "report", "tables")))}
    assert tables[("mediaapi", "mediaapi_media_repository")]["rows"] == 3
    assert {db for db, _ in tables} == {"userapi", "roomserver", "syncapi", "mediaapi", "keyserver"}
