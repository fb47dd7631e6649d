# SPDX-License-Identifier: Apache-2.0
"""The account tools of issue 27 against the real Synapse 1.163.2 (SQLite and
PostgreSQL), one server per backend for the file:
- `token`: with `registration_requires_token: true`, a token made offline and
  one made while the server runs (Synapse caches no token) let new users
  register through the client API's token flow, run out after N, read the
  same as through the admin API; one deleted while it runs is refused at once;
  `token show` names the users each token made;
- `user shadow-ban` and `user ratelimit`, with a tight rc_message: a user
  shadow-banned offline sends a message, their client gets an event ID, and no
  one else sees it; an override made offline lets a user send (and leave
  rooms: leaves count too) past rc_message while a user without one gets 429; both are refused while
  Synapse runs (it caches them), and undone offline they apply at the next start;
- `user directory rebuild`: a directory emptied by hand (and a user made by
  hand SQL) is complete again after one start, and search finds every user."""
import json
import time
import urllib.error
import urllib.request

from mxtest import ok
from realserver import uid
from synapse import q

PW = "password-123"
EX_REFUSED = 6
# two messages at once, then one every ten seconds
TIGHT = "rc_message:\n  per_second: 0.1\n  burst_count: 2\n"


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def send_once(s, tok, room, body, path=None):
    """One message send (or another request to PATH), no retry on 429: the HTTP status."""
    req = urllib.request.Request(f"{s.url}{path or f'/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/{time.time_ns()}'}",
                                 data=json.dumps({"msgtype": "m.text", "body": body}).encode(), method="POST" if path else "PUT")
    req.add_header("Authorization", "Bearer " + tok)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def bodies_seen(s, tok, room):
    status, doc = s.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=100", token=tok)
    assert status == 200, doc
    return {e["content"].get("body") for e in doc["chunk"] if e["type"] == "m.room.message"}


def test_shadow_ban_and_ratelimit_override_as_synapse_applies_them(s):
    s.set_extra(TIGHT)
    s.start()
    boss = s.register("boss", PW, admin=True)["access_token"]
    spam = s.register("spammer", PW)["access_token"]
    friend = s.register("friend", PW)["access_token"]
    bridge = s.register("bridge", PW)["access_token"]
    room = s.create_room(boss, name="limits", preset="public_chat")
    for tok in (spam, friend, bridge):
        s.join(tok, room)
    # both values are cached by the running server: refused, nothing written (the running server changes
    # other rows meanwhile, so the rows in question are compared)
    mine = ("SELECT name, coalesce(shadow_banned, FALSE) FROM users ORDER BY name", "SELECT * FROM ratelimit_override")
    before = [s.sql(x) for x in mine]
    for args in (["user", "shadow-ban", "spammer"], ["user", "ratelimit", "set", "bridge"]):
        r = s.mxdba(*args)
        assert r.rc == EX_REFUSED and "while Synapse runs" in r.err, r
    assert [s.sql(x) for x in mine] == before
    s.stop()
    ok(s.mxdba("user", "shadow-ban", "spammer"))
    ok(s.mxdba("user", "ratelimit", "set", "bridge", "--messages-per-second", "0", "--burst", "0"))
    assert [u["user_id"] for u in lines(ok(s.mxdba("--json", "user", "list", "--shadow-banned")))] == [uid("spammer")]
    s.start()
    # the shadow-banned user's client sees success; no one else sees the message
    status, doc = send_once(s, spam, room, "buy cheap watches")
    assert status == 200 and doc["event_id"].startswith("$"), doc
    time.sleep(1)
    assert "buy cheap watches" not in bodies_seen(s, friend, room)
    assert "buy cheap watches" not in bodies_seen(s, boss, room)
    # the override: six at once all pass; a user under rc_message is refused within six
    assert [send_once(s, bridge, room, f"bridged {i}")[0] for i in range(6)] == [200] * 6
    assert 429 in [send_once(s, friend, room, f"chat {i}")[0] for i in range(6)]
    assert {f"bridged {i}" for i in range(6)} <= bodies_seen(s, boss, room)
    # leaves count against rc_message too (what README says of queue apply's evacuations): the override
    # lets the bridge leave four rooms at once; the user without one, its budget spent, is refused
    more = [s.create_room(boss, name=f"leave {i}", preset="public_chat") for i in range(4)]
    for r in more:
        for who in ("bridge", "friend"):  # the admin API's join is not rate limited
            status, doc = s.req("POST", f"/_synapse/admin/v1/join/{q(r)}", token=boss, body={"user_id": uid(who)})
            assert status == 200, doc
    leave = "/_matrix/client/v3/rooms/{}/leave"
    assert [send_once(s, bridge, r, "", leave.format(q(r)))[0] for r in more] == [200] * 4
    assert 429 in [send_once(s, friend, r, "", leave.format(q(r)))[0] for r in more]
    s.stop()
    # undone offline (audit undo for one, the inverse command for the other): seen at the next start
    ok(s.mxdba("user", "unshadow-ban", "spammer"))
    row = [a for a in lines(ok(s.mxdba("--json", "audit", "list"))) if a["field"] == "ratelimit"][-1]
    ok(s.mxdba("audit", "undo", str(row["id"])))
    assert lines(ok(s.mxdba("--json", "user", "show", "bridge")))[0]["ratelimit"] is None
    s.start()
    status, doc = send_once(s, spam, room, "sorry, hello")
    assert status == 200, doc
    for _ in range(20):
        if "sorry, hello" in bodies_seen(s, friend, room):
            break
        time.sleep(0.5)
    assert "sorry, hello" in bodies_seen(s, friend, room)
    assert 429 in [send_once(s, bridge, room, f"again {i}")[0] for i in range(6)]
    s.stop()


# ---- registration tokens ----
CONF = "enable_registration: true\nregistration_requires_token: true\n"


def register_with_token(s, user, token):
    """The client API's registration through its flow with the m.login.registration_token stage (Synapse
    1.163 offers [m.login.registration_token, m.login.dummy]): (status, body) of the last step."""
    status, doc = s.req("POST", "/_matrix/client/v3/register", body={"username": user, "password": PW})
    assert status == 401, doc
    flow = next(f["stages"] for f in doc["flows"] if f["stages"][0] == "m.login.registration_token")
    session = doc["session"]
    for stage in flow:
        auth = {"type": stage, "session": session}
        if stage == "m.login.registration_token":
            auth["token"] = token
        status, doc = s.req("POST", "/_matrix/client/v3/register", body={"username": user, "password": PW, "auth": auth})
        if status != 401 or stage not in doc.get("completed", []):
            return status, doc                              # done (200), or refused at this stage
    return status, doc


def admin_view(s, admin, token):
    status, doc = s.req("GET", f"/_synapse/admin/v1/registration_tokens/{token}", token=admin)
    return status, doc


def test_tokens_made_offline_and_online_register_users_and_run_out(s):
    s.set_extra(CONF)
    s.start()
    admin = s.register("tboss", PW, admin=True)["access_token"]
    s.stop()
    # offline: one use
    ok(s.mxdba("token", "create", "--token", "offline-1", "--uses", "1"))
    s.start()
    # online: two uses, no restart; Synapse reads it at the next registration
    ok(s.mxdba("token", "create", "--token", "online-2", "--uses", "2", "--expires", "7d"))
    status, doc = register_with_token(s, "newbie1", "offline-1")
    assert status == 200 and doc["user_id"] == uid("newbie1"), doc
    status, doc = register_with_token(s, "newbie2", "offline-1")          # used up
    assert status == 401 and doc["errcode"] == "M_UNAUTHORIZED", doc
    for n in ("newbie3", "newbie4"):
        status, doc = register_with_token(s, n, "online-2")
        assert status == 200, doc
    status, doc = register_with_token(s, "newbie5", "online-2")
    assert status == 401, doc
    status, doc = register_with_token(s, "newbie6", "no-such-token")
    assert status == 401, doc
    # mxdba and the admin API agree on every figure
    mine = {t["token"]: t for t in lines(ok(s.mxdba("--json", "token", "list")))}
    assert set(mine) == {"offline-1", "online-2"}
    for tok in mine:
        status, theirs = admin_view(s, admin, tok)
        assert status == 200, theirs
        assert {k: mine[tok][k] for k in ("token", "uses_allowed", "pending", "completed", "expiry_time")} == theirs
        assert mine[tok]["valid"] is False and mine[tok]["completed"] == mine[tok]["uses_allowed"]
    # who registered with which token: the admin API does not say, token show does
    shown = lines(ok(s.mxdba("--json", "token", "show", "online-2")))
    done = sorted(u["registered_user_id"] for u in shown[1:] if u["state"] == "completed")
    assert done == [uid("newbie3"), uid("newbie4")], shown
    assert {u["username"] for u in shown[1:]} >= {"newbie3", "newbie4"}
    # deleted while running: refused at the next registration, gone from the admin API
    ok(s.mxdba("token", "create", "--token", "short-lived"))
    ok(s.mxdba("token", "delete", "short-lived"))
    status, doc = register_with_token(s, "newbie7", "short-lived")
    assert status == 401, doc
    assert admin_view(s, admin, "short-lived")[0] == 404
    s.stop()


# ---- the user directory ----
def search(s, tok, term):
    status, doc = s.req("POST", "/_matrix/client/v3/user_directory/search", token=tok,
                        body={"search_term": term, "limit": 50})
    assert status == 200, doc
    return {r["user_id"] for r in doc["results"]}


def wait_for_no_rebuild(s):
    for _ in range(240):
        if s.sql("SELECT count(*) FROM background_updates WHERE update_name LIKE 'populate_user_directory%'") in (
                [("0",)], [(0,)]):
            return
        time.sleep(0.5)
    raise AssertionError("Synapse did not finish rebuilding its user directory in 120 s")


def test_a_directory_emptied_by_hand_is_rebuilt_at_the_next_start(s):
    from mxtest import doctor_findings
    s.set_extra("user_directory:\n  search_all_users: true\n")
    s.start()
    boss = s.register("dboss", PW, admin=True)["access_token"]
    for n in ("dora", "dominic"):
        s.register(n, PW)
    assert search(s, boss, "do") >= {uid("dora"), uid("dominic")}
    wait_for_no_rebuild(s)                                  # a new database's own first build, if still running
    s.stop()
    ok(s.mxdba("user", "create", "dolores", "--no-password"))          # mxdba writes its entry itself
    # the hand SQL of old how-tos: an account with a profile and no directory entry; then a directory emptied
    s.sql(f"INSERT INTO users (name, creation_ts, admin, is_guest, deactivated, approved, locked, shadow_banned)"
          f" VALUES ('{uid('dorian')}', 1700000000, 0, 0, 0, TRUE, FALSE, FALSE)")
    s.sql(f"INSERT INTO profiles (user_id, full_user_id, displayname) VALUES ('dorian', '{uid('dorian')}', 'Dorian')")
    s.sql(f"INSERT INTO user_stats_current (user_id, joined_rooms, completed_delta_stream_id) VALUES ('{uid('dorian')}', 0, 0)")
    for t in ("user_directory", "user_directory_search", "users_in_public_rooms", "users_who_share_private_rooms"):
        s.sql(f"DELETE FROM {t}")
    f = doctor_findings(s.mxdba("--json", "doctor"))
    assert f["synapse-user-directory-missing"]["count"] >= 5, f
    s.start()
    assert search(s, boss, "do") == set()                               # Synapse does not repair it by itself
    s.stop()
    ok(s.mxdba("user", "directory", "rebuild"))
    s.start()
    wait_for_no_rebuild(s)
    found = search(s, boss, "do")
    assert found >= {uid("dora"), uid("dominic"), uid("dolores"), uid("dorian")}, found
    s.stop()
    assert "synapse-user-directory-missing" not in doctor_findings(s.mxdba("--json", "doctor"))
