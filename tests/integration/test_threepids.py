# SPDX-License-Identifier: Apache-2.0
"""`user 3pid add|remove` and the 3PIDs of `user show`, on every homeserver and
backend: the rows the server's own API writes (Synapse: user_threepids with its
canonical email form; Dendrite: userapi_threepids), one owner per address, an
email's pusher going with it on Synapse, audit rows, batch lines, and refusals
that change nothing. The real servers' answers (their 3PID listings, and a
password-reset mail reaching the new address) are in the e2e suites."""
import json

from mxtest import ok

EX_USAGE, EX_NOTFOUND, EX_CONFLICT = 2, 4, 5


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def threepids(home, user):
    return [(t["medium"], t["address"]) for t in lines(ok(home.run("--json", "user", "show", user)))[0]["threepids"]]


def test_add_show_remove(home):
    home.add_account("alice")
    home.add_account("bob")
    r = lines(ok(home.run("--json", "user", "3pid", "add", "alice", "email", "  Alice.Smith@Example.ORG ")))[0]
    # Synapse canonicalises (MSC2265); Dendrite stores what it is given, trimmed
    want = "alice.smith@example.org" if home.kind == "synapse" else "Alice.Smith@Example.ORG"
    assert (r["changed"], r["address"]) == (True, want), r
    ok(home.run("user", "3pid", "add", "alice", "msisdn", "447700900123"))
    assert threepids(home, "alice") == [("email", want), ("msisdn", "447700900123")]
    shown = ok(home.run("user", "show", "alice")).out
    assert f"email {want}" in shown and "msisdn 447700900123" in shown, shown
    assert "3pids" in ok(home.run("user", "show", "bob")).out          # "none"
    assert "already has" in ok(home.run("user", "3pid", "add", "alice", "email", want)).out
    # one owner per address: refused, not moved
    snap = home.snapshot()
    r = home.run("user", "3pid", "add", "bob", "email", want)
    assert r.rc == EX_CONFLICT and "@alice:example.org" in r.err and "HINT" in r.err and home.snapshot() == snap, r
    audit = [(a["field"], a["old"], a["new"]) for a in lines(ok(home.run("--json", "audit", "list", "--user", "alice")))]
    assert ("threepid", "NULL", f"email:{want}") in audit, audit
    r = lines(ok(home.run("--json", "user", "3pid", "remove", "alice", "email", want)))[0]
    assert r["changed"] is True, r
    assert threepids(home, "alice") == [("msisdn", "447700900123")]
    assert "has no email" in ok(home.run("user", "3pid", "remove", "alice", "email", want)).out
    ok(home.run("user", "3pid", "add", "bob", "email", want))        # free again
    assert threepids(home, "bob") == [("email", want)]


def test_synapse_folds_as_python_casefold(make_home):
    for backend in ("sqlite",):
        home = make_home(backend, kind="synapse")
        home.add_account("carl")
        ok(home.run("user", "3pid", "add", "carl", "email", "STRASSE.Straße@BÜCHER.Example"))
        # str.casefold on the local part (ß is ss), str.lower on the domain
        assert threepids(home, "carl") == [("email", "strasse.strasse@bücher.example")]


def test_synapse_removes_the_emails_pusher(make_home):
    home = make_home("sqlite", kind="synapse")
    home.add_account("dora")
    ok(home.run("user", "3pid", "add", "dora", "email", "dora@mail.example"))
    home.sql("INSERT INTO pushers (id, user_name, profile_tag, kind, app_id, app_display_name, device_display_name, pushkey, ts)"
             " VALUES (7, '@dora:example.org', '', 'email', 'm.email', 'Email', 'dora@mail.example', 'dora@mail.example', 1)")
    r = lines(ok(home.run("--json", "user", "3pid", "remove", "dora", "email", "DORA@mail.example")))[0]
    assert r["pushers_deleted"] == 1, r
    assert home.sql("SELECT count(*) FROM pushers")[0][0] in (0, "0")


def test_refusals_change_nothing(home):
    home.add_account("erin")
    snap = home.snapshot()
    for args, code, words in ((["nobody", "email", "a@b.example"], EX_NOTFOUND, "nobody"),
                              (["erin", "fax", "123"], EX_USAGE, "email or msisdn"),
                              (["erin", "email", "not-an-address"], EX_USAGE, "not an email address"),
                              (["erin", "email", "a@b@c"], EX_USAGE, "not an email address"),
                              (["erin", "msisdn", "+44 7700"], EX_USAGE, "country code"),
                              (["erin", "email"], EX_USAGE, "USER MEDIUM ADDRESS")):
        r = home.run("user", "3pid", "add", *args)
        assert r.rc == code and words in r.err and home.snapshot() == snap, (args, r)
    r = home.run("--dry-run", "user", "3pid", "add", "erin", "email", "erin@mail.example")
    assert r.rc == 0 and home.snapshot() == snap, r


def test_in_a_batch(home, tmp_path):
    home.add_account("fay")
    f = tmp_path / "b.txt"
    f.write_text("user 3pid add fay email fay@mail.example\nuser 3pid add fay msisdn 15550001\n"
                 "user 3pid remove fay msisdn 15550001\n")
    ok(home.run("batch", str(f)))
    assert threepids(home, "fay") == [("email", "fay@mail.example")]
