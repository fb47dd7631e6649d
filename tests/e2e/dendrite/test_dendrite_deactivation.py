# SPDX-License-Identifier: Apache-2.0
"""`user deactivate` against the real Dendrite v0.13.8's own account
deactivation (POST /_matrix/client/v3/account/deactivate, the only one it
has), SQLite and PostgreSQL: two users made alike through the client API (three
devices, registration's and two logins, one with device and one-time keys, a
pusher, account data, a push rule, a key backup, a joined room, a pending
invite); one deactivated by
Dendrite, the other by `mxdba user deactivate` offline and `queue apply` for
its rooms; then every row of every database of Dendrite (userapi, keyserver,
roomserver, syncapi, mediaapi, federation API, …) that names either user is
compared, normalised (their IDs, and columns that differ between any two
users by nature). The differences left are listed below, each with its
reason (none is left). What the client API answers about them afterwards is the
same too: login refused, no device keys, both rooms left."""
import time

from dendrite_rows import rows_naming
from mxtest import ok
from realserver import q, uid

PW = "password-123"

# columns that differ between two users' rows by nature: event IDs and
# stream positions of their joins and leaves, times, the servers' JSON of
# those events (IDs, hashes and signatures inside), numeric IDs
VOLATILE = {"event_id", "id", "stream_pos", "stream_id", "change_id", "ts_added_secs", "created_ts", "origin_server_ts",
            "headered_event_json", "session_id", "access_token", "device_id", "ts_ms", "pushkey_ts_ms",
            "topological_pos", "added_at", "notification_json", "add_state_ids", "remove_state_ids",
            "event_state_key_nid", "version",
            "password_hash"}   # the same password, hashed with another salt

# Tables where the two deactivations leave rows that differ, each with its
# reason (the table: why). Everything else must be equal row for row. None is
# left: Dendrite's deactivation deletes the devices (and their keys, below),
# leaves the user's rooms and invites, sets the flag, and keeps pushers,
# account data, push rules, key backups and 3PIDs (its pusher deletion passes
# no server name and finds none), which mxdba does alike.
SERVER_ONLY = {}


def tokens_of(d, who):
    """Two more devices of WHO (registration made one), the first with device and one-time keys: its token."""
    tok, _ = d.login_with_keys(who, PW)
    assert d.login(who, PW)[0] == 200          # the second device: logged in, no keys
    return tok


def give_everything(d, who, room, invite_room, owner):
    """WHO gets every kind of row a deactivation could touch. (A pushkey of its own: setting a pusher
    removes other users' pushers with the same app ID and pushkey, as the spec says.)"""
    d.register(who, PW)
    tok = tokens_of(d, who)
    me = q(uid(who))
    calls = [
        ("POST", "/_matrix/client/v3/pushers/set", {"kind": "http", "app_id": "org.example.app", "pushkey": who,
                                                    "app_display_name": "App", "device_display_name": "Phone",
                                                    "lang": "en", "data": {"url": "https://push.example/_matrix/push/v1/notify"}}),
        ("PUT", f"/_matrix/client/v3/user/{me}/account_data/org.example.setting", {"a": 1}),
        ("PUT", "/_matrix/client/v3/pushrules/global/override/org.example.rule",
         {"actions": ["dont_notify"], "conditions": [{"kind": "event_match", "key": "type", "pattern": "m.x"}]}),
        ("POST", "/_matrix/client/v3/room_keys/version", {"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
                                                          "auth_data": {"public_key": "pub"}}),
    ]
    for method, path, body in calls:
        status, doc = d.req(method, path, token=tok, body=body)
        assert status == 200, (path, doc)
    d.join(tok, room)
    d.invite(owner, invite_room, uid(who))
    return tok


def deactivate_by_dendrite(d, tok, who):
    """Dendrite's own deactivation: the user's request, with its password (user-interactive auth)."""
    status, doc = d.req("POST", "/_matrix/client/v3/account/deactivate", token=tok, body={})
    assert status == 401 and "session" in doc, doc
    status, doc = d.req("POST", "/_matrix/client/v3/account/deactivate", token=tok, body={
        "auth": {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": who}, "password": PW,
                 "session": doc["session"]}})
    assert status == 200, doc


def dsql(d, query, db="keyserver"):
    """SQL on the database DB of Dendrite D (all one database on PostgreSQL)."""
    if d.backend == "sqlite":
        return d.sqlite_sql(d.dir / f"dendrite_{db}.db", query)
    return [tuple(str(v) for v in r) for r in d.pg.psql(d.db, query)]


def wait_synced(d, users, timeout=30):
    """The sync API applies the room server's events a moment later (JetStream): wait until it has
    every membership of USERS as left."""
    ids = ", ".join(f"'{uid(u)}'" for u in users)
    for _ in range(timeout * 5):
        if dsql(d, "SELECT count(*) FROM syncapi_current_room_state WHERE type = 'm.room.member'"
                        f" AND state_key IN ({ids}) AND membership <> 'leave'", db="syncapi") == [("0",)]:
            return
        time.sleep(0.2)
    raise AssertionError("the sync API did not catch up")


def api_view(d, owner, who, rooms):
    """What the client API says about WHO afterwards: login, keys, membership in ROOMS."""
    status, doc = d.req("POST", "/_matrix/client/v3/keys/query", token=owner, body={"device_keys": {uid(who): []}})
    assert status == 200, doc
    return (d.login(who, PW)[0], sorted(doc["device_keys"].get(uid(who), {})),
            [d.member_state(owner, r, uid(who)) for r in rooms])


def test_deactivation_equals_dendrites_own(dendrite):
    d = dendrite
    d.start()
    d.register("downer", PW)
    owner = d.login("downer", PW)[1]["access_token"]
    room = d.create_room(owner, preset="public_chat")
    invite_room = d.create_room(owner, preset="private_chat")
    a, b = "dea", "deb"
    tok_a = give_everything(d, a, room, invite_room, owner)
    give_everything(d, b, room, invite_room, owner)
    deactivate_by_dendrite(d, tok_a, a)
    d.stop()
    devices_b = d.devices_of(b)
    r = ok(d.mxdba("user", "deactivate", b))
    assert "3 device(s) with 2 key(s)" in r.out   # registration's, and two logins and "queued 2 leave(s)" in r.out, r.out
    # offline: an empty device key for each of the three devices, the one-time key gone, the change recorded
    assert sorted(dsql(d, "SELECT device_id, key_json FROM keyserver_device_keys"
                               " WHERE user_id = '@deb:example.org'")) == [(dev, "") for _, dev in devices_b]
    assert dsql(d, "SELECT count(*) FROM keyserver_one_time_keys WHERE user_id = '@deb:example.org'") == [("0",)]
    assert dsql(d, "SELECT count(*) FROM keyserver_key_changes WHERE user_id = '@deb:example.org'") == [("1",)]
    d.start()
    ok(d.mxdba("queue", "apply", "--url", d.url))
    views = [api_view(d, owner, who, (room, invite_room)) for who in (a, b)]
    assert views[0] == views[1] == (403, [], ["leave", "leave"]), views
    wait_synced(d, (a, b))
    d.stop()
    ra, rb = rows_naming(d, a, VOLATILE), rows_naming(d, b, VOLATILE)
    # The empty device keys left at the end are compared by what they mean, not by count: both users
    # end with empty ones only (no key of theirs is served). Dendrite's deactivation deletes the user's
    # key rows and means to write an empty one per deleted device, but v0.13.8 writes only the last (its
    # key upload keeps a pointer to the loop variable); for B, queue apply's /logout of the device it
    # minted runs Dendrite's same clean-up, and how many empty keys that leaves depends on it, not on
    # mxdba (what mxdba itself writes is checked above, before queue apply).
    keys_a, keys_b = ra.pop("keyserver_device_keys", []), rb.pop("keyserver_device_keys", [])
    assert keys_a and keys_b and {k["key_json"] for k in keys_a + keys_b} == {""}, (keys_a, keys_b)
    differ = {t: (ra.get(t), rb.get(t)) for t in set(ra) | set(rb) if ra.get(t) != rb.get(t)}
    assert set(differ) == set(SERVER_ONLY), differ
