# SPDX-License-Identifier: Apache-2.0
"""`user deactivate` against the real Synapse 1.163.2's own deactivation (the
admin API's POST /_synapse/admin/v1/deactivate), SQLite and PostgreSQL: two
users made alike through the client API (two devices, device, one-time and
fallback keys, a pusher, an email 3PID, account data global and per room, a
tag, an ignored user, a push rule, a key backup, a joined room, a pending
invite, a profile); one deactivated by the server, the other by `mxdba user
deactivate` offline and `queue apply` for its rooms; then every row of every
table that names either user is compared, normalised (their IDs, and columns
that differ between any two users by nature). The differences left are listed
below, each with its reason. The same again with erasure (`erase: true`
against `--erase`), then `user reactivate`: the account logs in again with a
new password, what deactivation deleted stays gone."""
import time

from mxtest import ok
from realserver import uid
from synapse import q
from synapse_rows import rows_naming, text_columns

PW = "password-123"

# columns that differ between two users' rows by nature: event IDs and stream
# positions of the leaves, their times and the rooms' state groups
VOLATILE = {"event_id", "stream_ordering", "event_stream_ordering", "topological_ordering", "depth",
            "origin_server_ts", "received_ts", "instance_name", "state_group", "prev_state", "membership_event_id",
            "event_instance_name", "id", "last_stream_ordering", "rejections", "joined_ts", "dropped_ts",
            "validated_at", "added_at", "content", "json", "internal_metadata", "txn_id", "token_id", "device_id",
            "history_vis", "sender", "prev_event_id"}

# Tables where the two deactivations leave rows that differ, each with its
# reason (the table: why). Everything else must be equal row for row.
SERVER_ONLY = {
    # A running server tells its own processes, other servers and other users' clients through
    # streams; mxdba works with the server stopped, where nobody is listening, and the user then
    # leaves every room it shared (queue apply), which is what other members' clients act on.
    "device_lists_stream": "the deleted devices announced on the device-list stream (a running server's notice)",
    "device_lists_changes_in_room": "the same notice, per room the user was in",
    "device_lists_outbound_pokes": "the same notice, per other server (none here)",
    "deleted_pushers": "the deleted pushers on the stream that stops a running pusher (a stopped server reads the "
                       "pushers table at start)",
    "users_pending_deactivation": "Synapse's own to-do list for its parter (gone again when it has parted the user; "
                                  "mxdba queues the leaves instead)",
    "user_ips": "the admin's token used for the API call appears beside the deactivated user's last IPs",
}

# after reactivation both users logged in once (a device and token each, alike); the admin
# API's password change logs out the user's other devices, a passwd offline too: nothing differs
LOGIN_ONLY = {}


def tokens_of(s, who):
    """Two devices of WHO, the second with device, one-time and fallback keys: (token, device)."""
    return s.login_with_keys(who, PW, fallback=True)


def give_everything(s, admin, who, room, invite_room, owner):
    """WHO gets every kind of row Synapse's deactivation deletes."""
    s.register(who, PW)
    tok, _ = tokens_of(s, who)
    me = q(uid(who))
    calls = [
        ("POST", "/_matrix/client/v3/pushers/set", {"kind": "http", "app_id": "org.example.app", "pushkey": "pk",
                                                    "app_display_name": "App", "device_display_name": "Phone",
                                                    "lang": "en", "data": {"url": "https://push.example/_matrix/push/v1/notify"}}),
        ("PUT", f"/_matrix/client/v3/user/{me}/account_data/org.example.setting", {"a": 1}),
        ("PUT", f"/_matrix/client/v3/user/{me}/account_data/m.ignored_user_list",
         {"ignored_users": {"@troll:example.org": {}}}),
        ("PUT", "/_matrix/client/v3/pushrules/global/override/org.example.rule",
         {"actions": ["dont_notify"], "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.x"}]}),
    ]
    for method, path, body in calls:
        status, doc = s.req(method, path, token=tok, body=body)
        assert status == 200, (path, doc)
    s.join(tok, room)
    for path, body in ((f"/_matrix/client/v3/user/{me}/rooms/{q(room)}/account_data/org.example.room", {"b": 2}),
                       (f"/_matrix/client/v3/user/{me}/rooms/{q(room)}/tags/u.work", {"order": 0.5})):
        status, doc = s.req("PUT", path, token=tok, body=body)
        assert status == 200, (path, doc)
    status, doc = s.req("POST", "/_matrix/client/v3/room_keys/version", token=tok, body={
        "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"public_key": "pub"}})
    assert status == 200, doc
    status, doc = s.req("PUT", f"/_matrix/client/v3/room_keys/keys/{q(room)}/sess1?version={doc['version']}", token=tok,
                        body={"first_message_index": 1, "forwarded_count": 0, "is_verified": False,
                              "session_data": {"ephemeral": "e", "ciphertext": "c", "mac": "m"}})
    assert status == 200, doc
    status, doc = s.req("PUT", f"/_synapse/admin/v2/users/{me}", token=admin,
                        body={"threepids": [{"medium": "email", "address": f"{who}@mail.example"}]})
    assert status == 200, doc
    s.invite(owner, invite_room, uid(who))


def room_state(s, admin, room, who):
    status, doc = s.req("GET", f"/_synapse/admin/v1/rooms/{q(room)}/state", token=admin)
    assert status == 200, doc
    return next((e["content"]["membership"] for e in doc["state"] if e["type"] == "m.room.member"
                 and e["state_key"] == uid(who)), None)


def wait_parted(s, who, admin, rooms):
    for _ in range(300):
        pending = s.sql(f"SELECT count(*) FROM users_pending_deactivation WHERE user_id = '{uid(who)}'")[0][0]
        if int(pending) == 0 and all(room_state(s, admin, r, who) == "leave" for r in rooms):
            return
        time.sleep(0.2)
    raise AssertionError(f"Synapse did not part {who} from {rooms}")


def diff(s, a, b):
    """{table: (rows of A, rows of B)} where the two users' normalised rows differ."""
    cols = text_columns(s)
    ra, rb = rows_naming(s, cols, a, VOLATILE), rows_naming(s, cols, b, VOLATILE)
    return {t: (ra.get(t), rb.get(t)) for t in set(ra) | set(rb) if ra.get(t) != rb.get(t)}


def pair(s, api_user, mx_user, erase):
    s.start()
    admin = s.register(f"adm_{api_user}", PW, admin=True)["access_token"]
    owner = s.register(f"own_{api_user}", PW)["access_token"]
    room = s.create_room(owner, preset="public_chat")
    invite_room = s.create_room(owner, preset="private_chat")
    for who in (api_user, mx_user):
        give_everything(s, admin, who, room, invite_room, owner)
    status, doc = s.req("POST", f"/_synapse/admin/v1/deactivate/{q(uid(api_user))}", token=admin, body={"erase": erase})
    assert status == 200, doc
    wait_parted(s, api_user, admin, [room, invite_room])
    s.stop()
    args = ["user", "deactivate", mx_user] + (["--erase"] if erase else [])
    out = ok(s.mxdba(*args)).out
    assert "queued 2 leave(s)" in out, out
    s.start()
    ok(s.mxdba("queue", "apply"))
    assert room_state(s, admin, room, mx_user) == "leave" and room_state(s, admin, invite_room, mx_user) == "leave"
    # what the users' clients and the admin API see is the same for both
    answers = [s.login(who, PW) for who in (api_user, mx_user)]
    # the hash is gone too, so Synapse answers as for a wrong password (not M_USER_DEACTIVATED)
    assert answers[0] == answers[1] and answers[0][0] == 403, answers
    for who in (api_user, mx_user):
        status, doc = s.req("GET", f"/_synapse/admin/v2/users/{q(uid(who))}", token=admin)
        assert status == 200 and doc["deactivated"] is True and doc["threepids"] == [], doc
        assert doc["erased"] is erase, doc
        status, doc = s.req("GET", f"/_synapse/admin/v2/users/{q(uid(who))}/devices", token=admin)
        assert status == 200 and doc["devices"] == [], doc
        status, doc = s.req("POST", "/_matrix/client/v3/keys/query", token=owner, body={"device_keys": {uid(who): []}})
        assert status == 200 and doc["device_keys"].get(uid(who), {}) == {}, doc
        status, doc = s.req("GET", f"/_synapse/admin/v1/users/{q(uid(who))}/pushers", token=admin)
        assert status == 200 and doc["pushers"] == [], doc
    s.stop()
    d = diff(s, api_user, mx_user)
    unexplained = {t: v for t, v in d.items() if t not in SERVER_ONLY}
    assert not unexplained, "\n".join(f"{t}:\n  server: {v[0]}\n  mxdba:  {v[1]}" for t, v in sorted(unexplained.items()))
    for t in d:  # each listed difference is the server writing, not mxdba missing a delete
        assert d[t][0] and not d[t][1] or t == "user_ips", (t, d[t])
    if erase:
        # The one difference a row diff by user ID cannot see: with erasure Synapse's parter also
        # prunes the user's own membership events (expire_event: their display name leaves the
        # stored JSON). That is a write to room history, which mxdba never makes offline; the
        # erased_users row makes Synapse serve those events redacted to anyone who joins later.
        named = [("displayname" in js) for who in (api_user, mx_user) for js in member_json(s, who, "join")]
        assert named == [False, True], named
    return admin


def member_json(s, who, membership):
    return [r[0] for r in s.sql("SELECT j.json FROM event_json j JOIN room_memberships m ON m.event_id = j.event_id"
                                f" WHERE m.user_id = '{uid(who)}' AND m.membership = '{membership}'")]


def reactivate_both(s, admin, api_user, mx_user):
    """MX_USER by `user reactivate` + `user passwd` offline, then API_USER by the admin API (with the
    same new password) once Synapse runs: the admin API's answer."""
    ok(s.mxdba("user", "reactivate", mx_user))
    ok(s.mxdba("user", "passwd", mx_user, "--password-stdin", input="new-password-456\n"))
    s.start()
    return s.req("PUT", f"/_synapse/admin/v2/users/{q(uid(api_user))}", token=admin,
                 body={"deactivated": False, "password": "new-password-456"}, allow_500=True)


def test_deactivation_equals_the_admin_api(s):
    admin = pair(s, "dapi", "dmx", erase=False)
    status, doc = reactivate_both(s, admin, "dapi", "dmx")
    assert status == 500, doc     # as with erasure (below): Synapse 1.163.2 cannot reactivate at all
    status, doc = s.login("dmx", "new-password-456")
    assert status == 200, doc
    status, prof = s.req("GET", f"/_matrix/client/v3/profile/{q(uid('dmx'))}")
    assert status == 200 and prof["displayname"] == "dmx", prof       # not erased: the profile stayed
    assert s.joined_rooms(doc["access_token"]) == set()
    s.stop()


def test_erasure_equals_the_admin_api_and_reactivate(s):
    admin = pair(s, "eapi", "emx", erase=True)
    # reactivation: the admin API's (with a new password) against `user reactivate` + `user passwd`
    status, doc = reactivate_both(s, admin, "eapi", "emx")
    if status == 500:
        # Synapse 1.163.2's own reactivation fails on both backends: its create_profile upserts on
        # profiles.full_user_id, which has no unique index (homeserver.log: "ON CONFLICT clause does not
        # match any PRIMARY KEY or UNIQUE constraint" / "there is no unique or exclusion constraint
        # matching the ON CONFLICT specification"); mxdba's works
        assert s.req("GET", f"/_synapse/admin/v2/users/{q(uid('eapi'))}", token=admin)[1]["deactivated"] is True
        status, doc = s.login("emx", "new-password-456")
        assert status == 200, doc
        tok = doc["access_token"]
        assert s.req("GET", f"/_matrix/client/v3/profile/{q(uid('emx'))}")[0] == 404   # erased: blank
        status, user = s.req("GET", f"/_synapse/admin/v2/users/{q(uid('emx'))}", token=admin)
        assert (user["erased"], user["deactivated"], user["threepids"]) == (False, False, []), user
        assert s.joined_rooms(tok) == set()
        s.stop()
        return
    assert status == 200, doc
    seen = []
    for who in ("eapi", "emx"):
        status, doc = s.login(who, "new-password-456")
        assert status == 200, doc
        tok = doc["access_token"]
        profile = s.req("GET", f"/_matrix/client/v3/profile/{q(uid(who))}")     # erased: blank (404)
        pushers = s.req("GET", "/_matrix/client/v3/pushers", token=tok)
        status, user = s.req("GET", f"/_synapse/admin/v2/users/{q(uid(who))}", token=admin)
        assert status == 200, user
        seen.append((profile, pushers, s.joined_rooms(tok), user["erased"], user["deactivated"], user["threepids"]))
    assert seen[0] == seen[1], seen
    assert seen[1][2] == set() and seen[1][3] is False and seen[1][4] is False   # rooms left and deletions stay
    s.stop()
    d = diff(s, "eapi", "emx")
    unexplained = {t: v for t, v in d.items() if t not in SERVER_ONLY and t not in LOGIN_ONLY}
    assert not unexplained, "\n".join(f"{t}:\n  server: {v[0]}\n  mxdba:  {v[1]}" for t, v in sorted(unexplained.items()))
