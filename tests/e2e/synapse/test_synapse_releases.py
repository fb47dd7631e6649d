# SPDX-License-Identifier: Apache-2.0
"""The release matrix: one real Synapse per step of its schema history
(tests/releases, each installed with the dependencies of its own day),
each started a few times around one admin's scenario, on the backends the
list names; and a database's life across releases (1.98.0 to the newest,
back to 1.105.1, on to the next release's shape). The rest of the e2e suite
stays on the newest release."""
import json

import pytest

from mxtest import ok
from realserver import json_lines as lines, uid, wait_for
from synapse import Synapse, q
from synapse_db import NEWEST, release_rows

PW = "first-password-1"
NEW_PW = "second-password-2"
NOTICES = "server_notices:\n  system_mxid_localpart: notices\n  system_mxid_display_name: Server Notices\n"
RELEASES = release_rows()
CASES = [(r["release"], b) for r in RELEASES for b in r["backends"]]



def admin_api(s, tok, user):
    """The status of GET /_synapse/admin/v2/users/USER with TOK."""
    return s.req("GET", f"/_synapse/admin/v2/users/{q(uid(user))}", token=tok)[0]





@pytest.fixture
def server(request):
    release, backend = request.param
    s = Synapse(backend, pg=request.getfixturevalue("pg") if backend == "postgres" else None,
                release=None if release == NEWEST else release)
    try:
        yield s
    finally:
        s.close()


@pytest.mark.parametrize("server", CASES, ids=[f"{v}-{b}" for v, b in CASES], indirect=True)
def test_an_admins_scenario_on_each_release(server):
    s = server
    row = next(r for r in RELEASES if r["release"] == (s.release or NEWEST))
    check = json.loads(ok(s.mxdba("--json", "check")).out.splitlines()[0])
    assert check["schema_version"]["version"] == row["schema"] and check["writable"], check
    assert ok(s.mxdba("doctor")).rc == 0                              # a fresh database: no findings
    # the first admin, offline
    ok(s.mxdba("user", "create", "root", "--admin", "--password-stdin", input=PW + "\n"))
    s.start()
    status, doc = s.login("root", PW)
    assert status == 200, doc
    root = doc["access_token"]
    assert admin_api(s, root, "root") == 200                          # the admin API answers
    bob = s.register("bob", PW)["access_token"]
    carol = s.register("carol", PW)["access_token"]
    dave = s.register("dave", PW)["access_token"]
    eve = s.register("eve", PW)["access_token"]
    room = s.create_room(carol, name="the lobby", preset="public_chat")
    for tok in (eve, bob):
        s.join(tok, room)
    s.stop()
    # every write, offline
    ok(s.mxdba("user", "passwd", "bob", "--password-stdin", input=NEW_PW + "\n"))
    ok(s.mxdba("user", "promote", "bob"))
    ok(s.mxdba("user", "deactivate", "dave"))
    r = ok(s.mxdba("evacuate", "user", uid("eve"), "--lock"))
    assert "queued 1 leave(s)" in r.out, r
    s.set_extra(NOTICES)
    ok(s.mxdba("notice", "carol", "Maintenance tonight", "--as", "root"))
    s.start()
    assert s.login("bob", PW)[0] == 403                               # the old password refused
    status, doc = s.login("bob", NEW_PW)
    assert status == 200, doc
    bob = doc["access_token"]
    assert admin_api(s, bob, "carol") == 200                          # promoted
    assert s.login("dave", PW)[0] == 403 and s.whoami(dave)[0] == 401  # deactivated, token gone
    assert s.login("eve", PW)[0] == 403                               # locked out at once
    applied = lines(ok(s.mxdba("--json", "queue", "apply")))
    assert applied[-1]["summary"]["done"] == 2, applied
    wait_for("eve's leave, seen by carol", lambda: s.member_state(carol, room, uid("eve")) == "leave")
    assert uid("eve") not in s.joined_members(carol, room)
    wait_for("the notice", lambda: s.notice_arrived(carol, "Maintenance tonight"))
    s.stop()
    ok(s.mxdba("user", "demote", "bob"))
    s.start()
    assert admin_api(s, bob, "carol") == 403                          # demoted
    s.stop()
    s.assert_doctor_clean()
    # MAS as this release names it: its key from 1.136, the experimental one before
    minor = int(row["release"].split(".")[1])
    mas = ("matrix_authentication_service:\n  enabled: true\n  endpoint: http://127.0.0.1:1/\n  secret: x\n"
           if minor >= 136 else
           "experimental_features:\n  msc3861:\n    enabled: true\n    issuer: http://127.0.0.1:1/\n"
           "    client_id: 0000000000000000000SYNAPSE\n    client_auth_method: client_secret_basic\n"
           "    client_secret: x\n    admin_token: y\npassword_config:\n  enabled: false\n")
    s.set_extra(mas)
    r = s.mxdba("user", "promote", "carol")
    assert r.rc == 6 and "Matrix Authentication Service" in r.err, r
    assert "Matrix Authentication Service" in ok(s.mxdba("check")).out
    s.set_extra("{}\n")


def test_a_database_lives_across_releases():
    """Made by 1.98.0 and used by mxdba, upgraded by starting the newest
    Synapse, rolled back to 1.105.1 (the oldest its compat allows), then
    given the next release's shape (schema 95, a new column, compat 84)."""
    oldest = RELEASES[0]["release"]
    s = Synapse("sqlite", release=oldest)
    try:
        ok(s.mxdba("user", "create", "root", "--admin", "--password-stdin", input=PW + "\n"))
        ok(s.mxdba("user", "create", "fred", "--password-stdin", input=PW + "\n"))
        s.start()
        fred = s.login("fred", PW)[1]["access_token"]
        gina = s.register("gina", PW)["access_token"]
        room = s.create_room(gina, name="old times", preset="public_chat")
        s.join(fred, room)
        s.stop()
        ok(s.mxdba("user", "promote", "fred"))
        ok(s.mxdba("evacuate", "user", "fred"))                       # a queue left for later
        promote = next(a for a in lines(ok(s.mxdba("--json", "audit", "list"))) if a["field"] == "admin")
        # the newest Synapse upgrades it
        s.use_release(None)
        s.start()
        check = json.loads(ok(s.mxdba("--json", "check")).out.splitlines()[0])
        assert check["schema_version"]["version"] == RELEASES[-1]["schema"], check
        assert s.login("root", PW)[0] == 200
        fred = s.login("fred", PW)[1]["access_token"]
        applied = lines(ok(s.mxdba("--json", "queue", "apply")))     # queued under 1.98, carried out now
        assert applied[-1]["summary"]["done"] == 1, applied
        wait_for("fred's leave", lambda: s.member_state(gina, room, uid("fred")) == "leave")
        s.stop()
        ok(s.mxdba("audit", "undo", str(promote["id"])))              # a row written under 1.98.0
        s.start()
        assert admin_api(s, fred, "gina") == 403
        s.stop()
        s.assert_doctor_clean()
        # back to the oldest release whose code its compat version allows
        s.use_release("1.105.1")
        ok(s.mxdba("user", "create", "hana", "--password-stdin", input=PW + "\n"))
        s.start()
        assert s.login("hana", PW)[0] == 200 and s.login("root", PW)[0] == 200
        s.stop()
        s.assert_doctor_clean()
        # the next release's shape: a newer number, one more column, the same compat
        s.use_release(None)
        s.sql("UPDATE schema_version SET version = 95")
        s.sql("ALTER TABLE users ADD COLUMN next_release_flag BOOLEAN NOT NULL DEFAULT FALSE")
        r = ok(s.mxdba("user", "create", "ivan", "--password-stdin", input=PW + "\n"))
        warnings = [x for x in r.err.splitlines() if "warning" in x]
        assert len(warnings) == 1 and "schema 95" in warnings[0] and "(94)" in warnings[0], r.err
        s.start()                                                     # Synapse accepts it, as mxdba did
        assert s.login("ivan", PW)[0] == 200
        s.stop()
        assert s.sql("SELECT version FROM schema_version") == [("95",)]
    finally:
        s.close()
