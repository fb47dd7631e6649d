# SPDX-License-Identifier: Apache-2.0
"""Account commands proven against the real Dendrite v0.13.8, on SQLite and
PostgreSQL: Dendrite creates its schema, is seeded over HTTP and stopped;
mxdba edits the database offline; Dendrite is started again and the result
is checked through its client and admin API."""
import json

from dendrite import q, userapi_snapshot

SERVER = "example.org"
PW = "root-password-1"


def test_bootstrap_first_admin_offline(dendrite):
    d = dendrite
    d.start()
    d.register("alice", "alice-password-1")
    d.stop()
    r = d.mxdba("user", "create", "@root:example.org", "--admin", "--password-stdin", input=PW + "\n")
    assert r.rc == 0, r
    d.start()
    status, login = d.login("root", PW)
    assert status == 200, login
    tok = login["access_token"]
    status, doc = d.whois(tok, "@alice:example.org")
    assert status == 200 and doc["user_id"] == "@alice:example.org", doc
    status, prof = d.req("GET", f"/_matrix/client/v3/profile/{q('@root:example.org')}")
    assert status == 200 and prof.get("displayname") == "root", prof
    status, room = d.req("POST", "/_matrix/client/v3/createRoom", token=tok, body={"name": "ops"})
    assert status == 200, room
    status, ev = d.req("PUT", f"/_matrix/client/v3/rooms/{q(room['room_id'])}/send/m.room.message/t1", token=tok,
                       body={"msgtype": "m.text", "body": "hello from an offline-created admin"})
    assert status == 200 and ev["event_id"].startswith("$"), ev
    status, doc = d.req("PUT", f"/_matrix/client/v3/profile/{q('@root:example.org')}/displayname", token=tok,
                        body={"displayname": "Root"})
    assert status == 200, doc
    status, prof = d.req("GET", f"/_matrix/client/v3/profile/{q('@root:example.org')}/displayname")
    assert status == 200 and prof["displayname"] == "Root"
    status, rules = d.req("GET", "/_matrix/client/v3/pushrules/", token=tok)
    assert status == 200 and "global" in rules
    status, doc = d.req("GET", "/_matrix/client/v3/sync?timeout=0", token=tok)
    assert status == 200, doc


def test_promote_and_demote_take_effect(dendrite):
    d = dendrite
    d.start()
    d.register("bob", "bob-password-1")
    d.register("carol", "carol-password-1")
    status, login = d.login("bob", "bob-password-1")
    tok = login["access_token"]
    status, doc = d.whois(tok, "@carol:example.org")
    assert status == 403 and doc["errcode"] == "M_FORBIDDEN", doc
    d.stop()
    r = d.mxdba("user", "promote", "bob")
    assert r.rc == 0 and "promoted @bob:example.org" in r.out, r
    d.start()
    status, doc = d.whois(tok, "@carol:example.org")   # the old token, now an admin's
    assert status == 200, doc
    d.stop()
    r = d.mxdba("user", "demote", "bob")
    assert r.rc == 6 and "last active admin" in r.err, r   # bob is the only admin: asks first
    r = d.mxdba("user", "demote", "bob", "--yes")
    assert r.rc == 0 and "demoted" in r.out, r
    d.start()
    status, doc = d.whois(tok, "@carol:example.org")
    assert status == 403, doc


def test_passwd_old_refused_new_accepted_and_logout_devices(dendrite):
    d = dendrite
    d.start()
    reg = d.register("dave", "dave-password-1")
    keep_tok = reg["access_token"]
    d.stop()
    r = d.mxdba("user", "passwd", "dave", "--password-stdin", input="dave-password-2\n")
    assert r.rc == 0, r
    d.start()
    assert d.login("dave", "dave-password-1")[0] == 403
    status, login = d.login("dave", "dave-password-2")
    assert status == 200, login
    # without --logout-devices the old token still works
    assert d.req("GET", "/_matrix/client/v3/account/whoami", token=keep_tok)[0] == 200
    d.stop()
    r = d.mxdba("user", "passwd", "dave", "--password-stdin", "--logout-devices", "--yes", input="dave-password-3\n")
    assert r.rc == 0 and "logged out 2 device(s)" in r.out, r
    d.start()
    status, doc = d.req("GET", "/_matrix/client/v3/account/whoami", token=keep_tok)
    assert status == 401 and doc["errcode"] == "M_UNKNOWN_TOKEN", doc
    assert d.req("GET", "/_matrix/client/v3/account/whoami", token=login["access_token"])[0] == 401
    assert d.login("dave", "dave-password-2")[0] == 403
    assert d.login("dave", "dave-password-3")[0] == 200


def test_user_show_matches_whois(dendrite):
    d = dendrite
    d.start()
    d.register("erin", "erin-password-1", admin=True)
    d.login("erin", "erin-password-1", ua="Element/1.11.50 (e2e)")
    status, login = d.login("erin", "erin-password-1", ua="curl/8.0 (e2e)")
    status, whois = d.whois(login["access_token"], "@erin:example.org")
    assert status == 200, whois
    d.stop()
    r = d.mxdba("--json", "user", "show", "@erin:example.org")
    assert r.rc == 0, r
    shown = json.loads(r.out)
    assert shown["type"] == "admin" and shown["password_hash_scheme"] == "bcrypt $2a$ cost 10"
    mine = {(x["device_id"], x["ip"], x["user_agent"]) for x in shown["devices"]}
    theirs = set()
    for dev_id, dev in whois["devices"].items():
        for sess in dev["sessions"]:
            for conn in sess["connections"]:
                theirs.add((dev_id, conn["ip"], conn["user_agent"]))
    assert mine == theirs and len(mine) == 3, (mine, theirs)
    assert any(ua and "Element/1.11.50" in ua for _, _, ua in mine)


def test_check_names_layout_version_and_running_state(dendrite):
    d = dendrite
    d.start()
    r = d.mxdba("--json", "check")
    u = json.loads(r.out.splitlines()[0])
    assert u["server"] == "running", (r, u)
    assert u["dendrite_versions"][-1]["dendrite_version"].startswith("0.13.8")
    assert u["layout"].startswith("Dendrite v0.10.8 or later")
    assert u["accounts"] >= 1   # the server-notices account Dendrite creates
    d.stop()
    r = d.mxdba("check")
    assert r.rc == 0, r
    assert "not running" in r.out and "0.13.8" in r.out
    assert ("sqlite" if d.backend == "sqlite" else "postgres") in r.out


def test_refusals_on_real_databases_change_nothing(dendrite):
    d = dendrite
    d.start()
    d.register("frank", "frank-password-1")
    d.stop()
    before = userapi_snapshot(d)
    cases = [
        (["user", "promote", "nobody"], None, 4),
        (["user", "passwd", "nobody", "--password-stdin"], "long-enough-1\n", 4),
        (["user", "create", "frank", "--password-stdin"], "long-enough-1\n", 5),
        (["user", "create", "Frank2", "--password-stdin"], "long-enough-1\n", 2),
        (["user", "create", "_frank", "--password-stdin"], "long-enough-1\n", 2),
        (["user", "create", "99", "--password-stdin"], "long-enough-1\n", 2),
        (["user", "create", "grace", "--password-stdin"], "short\n", 2),
        (["user", "passwd", "frank", "--password-stdin"], "short\n", 2),
        (["user", "promote", "_server"], None, 6),
        (["user", "passwd", "frank", "--password-stdin", "--logout-devices"], "long-enough-1\n", 6),
    ]
    for args, stdin, code in cases:
        r = d.mxdba(*args, input=stdin)
        assert r.rc == code, (args, r)
        assert r.err.startswith("mxdba: error: "), r
    assert userapi_snapshot(d) == before
    d.start()
    assert d.login("frank", "frank-password-1")[0] == 200


def test_appservice_accounts_from_real_registration_are_refused(dendrite):
    d = dendrite
    (d.dir / "irc.yaml").write_text(
        "id: irc-bridge\nurl: http://127.0.0.1:9\nas_token: e2e-as-token\nhs_token: e2e-hs-token\n"
        "sender_localpart: ircbot\nrate_limited: false\nnamespaces:\n  users:\n"
        "    - exclusive: true\n      regex: \"@irc_.*:example\\\\.org\"\n  aliases: []\n  rooms: []\n")
    text = d.yaml.read_text()
    assert "  config_files: []\n" in text
    d.yaml.write_text(text.replace("  config_files: []\n", "  config_files:\n  - irc.yaml\n"))
    d.start()           # Dendrite creates the appservice sender account itself
    d.stop()
    r = d.mxdba("--json", "user", "show", "ircbot")
    assert r.rc == 0 and json.loads(r.out)["type"] == "appservice", r
    before = userapi_snapshot(d)
    for args in (["user", "promote", "ircbot"], ["user", "create", "irc_someone", "--no-password"],
                 ["user", "passwd", "ircbot", "--random-password"]):
        r = d.mxdba(*args)
        assert r.rc == 6, (args, r)
    assert userapi_snapshot(d) == before
