# SPDX-License-Identifier: Apache-2.0
"""The Dendrite release matrix: each release of tests/releases (the
matrix-org releases the Go module proxy serves here and that build with this
machine's Go), built once into .cache/, runs one admin's scenario on the
backends the list names. The rest of the e2e suite stays on v0.13.8."""
import json

import pytest

from dendrite import Dendrite
from realserver import json_lines as lines, uid, wait_for
from synapse_db import release_rows

PW = "first-password-1"
NEW_PW = "second-password-2"
NEWEST = "v0.13.8"
RELEASES = release_rows("dendrite")
CASES = [(r["release"], b) for r in RELEASES for b in r["backends"]]


def ok(r):
    assert r.rc == 0, r
    return r





@pytest.fixture
def server(request):
    release, backend = request.param
    d = Dendrite(backend, pg=request.getfixturevalue("pg") if backend == "postgres" else None,
                 release=None if release == NEWEST else release)
    try:
        yield d
    finally:
        d.close()


@pytest.mark.parametrize("server", CASES, ids=[f"{v}-{b}" for v, b in CASES], indirect=True)
def test_an_admins_scenario_on_each_release(server):
    d = server
    assert json.loads(ok(d.mxdba("--json", "check")).out.splitlines()[0])["writable"]
    assert ok(d.mxdba("doctor")).rc == 0                              # a fresh database: no findings
    ok(d.mxdba("user", "create", "root", "--admin", "--password-stdin", input=PW + "\n"))
    d.start()
    status, doc = d.login("root", PW)
    assert status == 200, doc
    root = doc["access_token"]
    assert d.whois(root, uid("root"))[0] == 200                       # the admin API answers
    bob = d.register("bob", PW)["access_token"]
    carol = d.register("carol", PW)["access_token"]
    dave = d.register("dave", PW)["access_token"]
    eve = d.register("eve", PW)["access_token"]
    room = d.create_room(carol, name="the lobby", preset="public_chat")
    for tok in (eve, bob):
        d.join(tok, room)
    assert d.whois(bob, uid("carol"))[0] == 403
    d.stop()
    ok(d.mxdba("user", "passwd", "bob", "--password-stdin", input=NEW_PW + "\n"))
    ok(d.mxdba("user", "promote", "bob"))
    ok(d.mxdba("user", "deactivate", "dave"))
    r = ok(d.mxdba("evacuate", "user", uid("eve"), "--lock"))
    assert "queued 1 leave(s)" in r.out, r
    d.config.write_text(d.config.read_text() + "[server]\nadmin_user = @root:example.org\n")
    ok(d.mxdba("notice", "carol", "Maintenance tonight"))
    d.start()
    assert d.login("bob", PW)[0] == 403                               # the old password refused
    status, doc = d.login("bob", NEW_PW)
    assert status == 200, doc
    bob = doc["access_token"]
    assert d.whois(bob, uid("carol"))[0] == 200                       # promoted
    assert d.login("dave", PW)[0] != 200 and d.whoami(dave)[0] == 401  # deactivated, token gone
    assert d.login("eve", PW)[0] != 200                               # locked out at once
    applied = lines(ok(d.mxdba("--json", "queue", "apply", "--url", d.url)))
    assert applied[-1]["summary"]["done"] == 2, applied
    wait_for("eve's leave, seen by carol", lambda: d.member_state(carol, room, uid("eve")) == "leave")
    wait_for("the notice", lambda: d.notice_arrived(carol, "Maintenance tonight"))
    d.stop()
    ok(d.mxdba("user", "demote", "bob"))
    d.start()
    assert d.whois(bob, uid("carol"))[0] == 403                       # demoted
    d.stop()
    d.assert_doctor_clean()
