# SPDX-License-Identifier: Apache-2.0
"""`mxdba token create|list|show|delete` on Synapse's schema (both backends):
rows as the admin API writes them, Synapse's own validity rule (0 uses and an
expiry of 0 mean no limit), the registrations a token was used for (its
user-interactive auth sessions, password hashes never shown), audit rows, and
refusals that change nothing; Dendrite has no registration tokens. The real
Synapse registering with a token made offline is in the e2e suite."""
import json
import re
import time

import pytest

from mxtest import ok
from synapse_db import SynapseHome

EX_USAGE, EX_NOTFOUND, EX_CONFLICT, EX_REFUSED = 2, 4, 5, 6
ALPHABET = re.compile(r"^[A-Za-z0-9._~-]+$")


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


@pytest.fixture(params=["sqlite", "postgres"])
def sy(request):
    pg = request.getfixturevalue("pg") if request.param == "postgres" else None
    return SynapseHome(request.param, pg=pg)


def tokens(home):
    return home.sql("SELECT token, uses_allowed, pending, completed, expiry_time FROM registration_tokens ORDER BY token")


def test_create_list_show_delete(sy):
    r = lines(ok(sy.run("--json", "token", "create", "--token", "spring-2027", "--uses", "3", "--expires", "7d")))[0]
    week = 7 * 86400 * 1000
    assert r["token"] == "spring-2027" and r["uses_allowed"] == 3 and r["pending"] == 0 and r["completed"] == 0
    assert abs(r["expiry_time"] - (time.time() * 1000 + week)) < 120000 and r["valid"] is True
    rows = tokens(sy)
    assert [x[:4] for x in rows] == [("spring-2027", "3", "0", "0")], rows
    # a random one: Synapse's alphabet, 16 long, no limit, no expiry (NULLs, as the admin API writes)
    rand = lines(ok(sy.run("--json", "token", "create")))[0]
    assert len(rand["token"]) == 16 and ALPHABET.match(rand["token"]), rand
    assert rand["uses_allowed"] is None and rand["expiry_time"] is None
    assert sy.sql(f"SELECT uses_allowed, expiry_time FROM registration_tokens WHERE token = '{rand['token']}'") == [("", "")]
    listed = {t["token"]: t for t in lines(ok(sy.run("--json", "token", "list")))}
    assert set(listed) == {"spring-2027", rand["token"]} and listed["spring-2027"]["uses_allowed"] == 3
    human = ok(sy.run("token", "list")).out
    assert "spring-2027" in human and "unlimited" in human and "never" in human
    csv = ok(sy.run("--csv", "token", "list")).out.splitlines()
    assert csv[0] == "token,uses_allowed,pending,completed,expires_utc,valid"
    show = ok(sy.run("token", "show", "spring-2027")).out
    assert re.search(r"uses allowed +3\n", show) and re.search(r"valid +yes\n", show), show
    # audited without a secret beside it: the token is the target, its settings the value
    audit = [a for a in lines(ok(sy.run("--json", "audit", "list"))) if a.get("field") == "registration_token"]
    assert {a["target"] for a in audit} == {"spring-2027", rand["token"]}
    assert any(a["new"].startswith("uses_allowed=3 ") for a in audit)
    # delete: dry run changes nothing, then it is gone and audited
    before = sy.snapshot()
    ok(sy.run("--dry-run", "token", "delete", "spring-2027"))
    assert sy.snapshot() == before
    d = lines(ok(sy.run("--json", "token", "delete", "spring-2027")))[0]
    assert d == {"token": "spring-2027", "pending": 0, "dry_run": False}
    assert [x[0] for x in tokens(sy)] == [rand["token"]]
    assert any(a["target"] == "spring-2027" and a["new"] == "NULL" and a["old"].startswith("uses_allowed=3")
               for a in lines(ok(sy.run("--json", "audit", "list"))))


def test_validity_is_synapses_own_rule(sy):
    now = int(time.time() * 1000)
    for tok, uses, pending, completed, exp in [
            ("used-up", 2, 1, 1, None), ("room-left", 3, 1, 1, None), ("expired", None, 0, 0, now - 1000),
            ("zero-uses", 0, 5, 9, None), ("zero-expiry", None, 0, 0, 0), ("later", 1, 0, 0, now + 3600000)]:
        sy.sql("INSERT INTO registration_tokens (token, uses_allowed, pending, completed, expiry_time) VALUES"
               f" ('{tok}', {'NULL' if uses is None else uses}, {pending}, {completed}, {'NULL' if exp is None else exp})")
    valid = {t["token"]: t["valid"] for t in lines(ok(sy.run("--json", "token", "list")))}
    # registration_token_is_valid: `if expiry_time and expiry_time < now`, `if uses_allowed and pending + completed >= uses_allowed`
    assert valid == {"used-up": False, "room-left": True, "expired": False, "zero-uses": True, "zero-expiry": True,
                     "later": True}


def test_show_lists_the_registrations_that_used_it(sy):
    ok(sy.run("token", "create", "--token", "invite-42", "--uses", "5"))
    secret = "$2b$12$SECRETHASHSECRETHASHSECRETHASHSECRETHASHSECRETHASH"
    for sid, ts, server, client in [
            ("sessA", 1700000000000, {"m.login.registration_token": "invite-42", "password_hash": secret},
             {"username": "carol", "initial_device_display_name": "phone"}),
            ("sessB", 1700000100000, {"m.login.registration_token": "invite-42", "password_hash": secret,
                                      "registered_user_id": "@dave:example.org"}, {"username": "dave"}),
            ("sessC", 1700000200000, {"m.login.registration_token": "other"}, {"username": "eve"}),
            ("sessD", 1700000300000, {"m.login.registration_token": "invite-42"}, {})]:
        sy.sql("INSERT INTO ui_auth_sessions (session_id, creation_time, serverdict, clientdict, uri, method,"
               f" description) VALUES ('{sid}', {ts}, '{json.dumps(server)}', '{json.dumps(client)}',"
               " '/_matrix/client/v3/register', 'POST', 'register a new account')")
    out = lines(ok(sy.run("--json", "token", "show", "invite-42")))
    assert out[0]["token"] == "invite-42"
    assert [(u["session_id"], u["username"], u["registered_user_id"], u["state"]) for u in out[1:]] == [
        ("sessA", "carol", None, "pending"), ("sessB", "dave", "@dave:example.org", "completed"),
        ("sessD", None, None, "pending")]
    human = ok(sy.run("token", "show", "invite-42"))
    assert "@dave:example.org" in human.out and "completed" in human.out
    assert secret not in human.out + human.err and "password" not in human.out


@pytest.mark.parametrize("args, why", [
    (["--token", "has space"], "not a registration token"),
    (["--token", "x" * 65], "not a registration token"),
    (["--token", "ünïcode"], "not a registration token"),
    (["--token", ""], "not a registration token"),
    (["--uses", "0"], "no limit at all"),
    (["--uses", "-1"], "whole number"),
    (["--uses", "many"], "whole number"),
    (["--expires", "2001-01-01"], "not in the future"),
    (["--expires", "soon"], "not a date"),
    (["positional"], "no arguments"),
])
def test_bad_create_is_refused_and_changes_nothing(sy, args, why):
    before = sy.snapshot()
    r = sy.run("token", "create", *args)
    assert r.rc == EX_USAGE and why in r.err and "HINT" in r.err, r
    assert sy.snapshot() == before


def test_a_duplicate_or_unknown_token_changes_nothing(sy):
    ok(sy.run("token", "create", "--token", "dup"))
    before = sy.snapshot()
    r = sy.run("token", "create", "--token", "dup")
    assert r.rc == EX_CONFLICT and "exists already" in r.err, r
    for cmd in (["token", "show", "DUP"], ["token", "delete", "nope"]):
        r = sy.run(*cmd)
        assert r.rc == EX_NOTFOUND and "no registration token" in r.err, r
    r = sy.run("token", "delete")
    assert r.rc == EX_USAGE, r
    assert sy.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_dendrite_has_no_registration_tokens(make_home, backend):
    home = make_home(backend)
    before = home.snapshot()
    for cmd in (["token", "create"], ["token", "list"], ["token", "show", "x"], ["token", "delete", "x"]):
        r = home.run(*cmd)
        assert r.rc == EX_REFUSED and "not available on Dendrite" in r.err and "HINT" in r.err, r
    assert home.snapshot() == before
