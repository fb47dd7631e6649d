# SPDX-License-Identifier: Apache-2.0
"""`user shadow-ban`, `user unshadow-ban`, `user ratelimit set|clear` and
`user list --shadow-banned` on Synapse's schema (both backends): the rows the
admin API writes, audit rows and `audit undo`, batch lines, the refusal while
a Synapse holds the database (both values are cached), and refusals that
change nothing; Dendrite has neither. The real Synapse's behaviour (a
shadow-banned user's message reaching no one, an override letting a user past
rc_message) is in the e2e suite."""
import json
import subprocess

import pytest

from mxtest import BIN, ok
from synapse_db import SynapseHome

EX_USAGE, EX_NOTFOUND, EX_REFUSED = 2, 4, 6


def lines(r):
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


@pytest.fixture(params=["sqlite", "postgres"])
def sy(request):
    pg = request.getfixturevalue("pg") if request.param == "postgres" else None
    home = SynapseHome(request.param, pg=pg)
    for u in ("alice", "bob", "carol"):
        home.add_account(u)
    return home


def flag(home, user):
    v = home.sql(f"SELECT shadow_banned FROM users WHERE name = '@{user}:example.org'")[0][0]
    return {"": None, "0": False, "1": True, "False": False, "True": True, "f": False, "t": True}[v]


def override(home, user):
    return home.sql("SELECT messages_per_second, burst_count FROM ratelimit_override"
                    f" WHERE user_id = '@{user}:example.org'")


def audit(home, field):
    return [a for a in lines(ok(home.run("--json", "audit", "list"))) if a["field"] == field]


def test_shadow_ban_lists_shows_and_undoes(sy):
    r = lines(ok(sy.run("--json", "user", "shadow-ban", "bob")))[0]
    assert r["changed"] is True and flag(sy, "bob") is True
    assert "already shadow-banned" in ok(sy.run("user", "shadow-ban", "bob")).out
    assert [u["user_id"] for u in lines(ok(sy.run("--json", "user", "list", "--shadow-banned")))] == ["@bob:example.org"]
    assert ok(sy.run("user", "list", "--shadow-banned", "--ids")).out.split() == ["@bob:example.org"]
    show = lines(ok(sy.run("--json", "user", "show", "bob")))[0]
    assert show["shadow_banned"] is True and show["ratelimit"] is None
    assert "shadow-banned" in ok(sy.run("user", "show", "bob")).out
    row = audit(sy, "shadow_banned")
    assert [(a["target"], a["old"], a["new"]) for a in row] == [("@bob:example.org", "0", "1")]
    ok(sy.run("audit", "undo", str(row[0]["id"])))
    assert flag(sy, "bob") is False
    ok(sy.run("user", "shadow-ban", "carol"))
    ok(sy.run("user", "unshadow-ban", "carol"))
    assert flag(sy, "carol") is False and lines(ok(sy.run("--json", "user", "list", "--shadow-banned"))) == []


def test_a_null_flag_of_an_old_row_reads_as_not_banned(sy):
    sy.sql("UPDATE users SET shadow_banned = NULL WHERE name = '@alice:example.org'")
    assert lines(ok(sy.run("--json", "user", "show", "alice")))[0]["shadow_banned"] is False
    ok(sy.run("user", "shadow-ban", "alice"))
    assert flag(sy, "alice") is True


def test_ratelimit_set_replace_clear_and_undo(sy):
    r = lines(ok(sy.run("--json", "user", "ratelimit", "set", "bob", "--messages-per-second", "5", "--burst", "20")))[0]
    assert r == {"user_id": "@bob:example.org", "ratelimit": {"messages_per_second": 5, "burst_count": 20},
                 "changed": True, "dry_run": False}
    assert override(sy, "bob") == [("5", "20")]
    ok(sy.run("user", "ratelimit", "set", "bob"))                               # 0 and 0: exempt
    assert override(sy, "bob") == [("0", "0")]
    assert "no limit at all" in ok(sy.run("user", "show", "bob")).out
    assert "already has that" in ok(sy.run("user", "ratelimit", "set", "bob", "--burst", "0")).out
    ok(sy.run("user", "ratelimit", "clear", "bob"))
    assert override(sy, "bob") == []
    assert "no rate-limit override" in ok(sy.run("user", "ratelimit", "clear", "bob")).out
    rows = audit(sy, "ratelimit")
    assert [(a["old"], a["new"]) for a in rows] == [
        ("NULL", "messages_per_second=5 burst_count=20"),
        ("messages_per_second=5 burst_count=20", "messages_per_second=0 burst_count=0"),
        ("messages_per_second=0 burst_count=0", "NULL")]
    ok(sy.run("audit", "undo", str(rows[2]["id"])))                            # the clear undone
    assert override(sy, "bob") == [("0", "0")]
    r = sy.run("audit", "undo", str(rows[0]["id"]))                            # changed since: refused
    assert r.rc == EX_REFUSED and "changed since" in r.err, r
    ok(sy.run("audit", "undo", str(rows[1]["id"])))                            # back to 5/20
    assert override(sy, "bob") == [("5", "20")]


def test_batch_lines(sy, tmp_path):
    b = tmp_path / "b.txt"
    b.write_text("user shadow-ban alice\nuser ratelimit set carol --messages-per-second 1 --burst 2\n")
    ok(sy.run("--no-backup", "batch", b))
    assert flag(sy, "alice") is True and override(sy, "carol") == [("1", "2")]
    b.write_text("user unshadow-ban alice\nuser ratelimit clear nosuchuser\n")        # all or nothing
    r = sy.run("--no-backup", "batch", b)
    assert r.rc == EX_NOTFOUND, r
    assert flag(sy, "alice") is True


@pytest.mark.parametrize("args, rc, why", [
    (["user", "ratelimit"], EX_USAGE, "needs a sub-command: set, clear"),
    (["user", "ratelimit", "reset", "bob"], EX_USAGE, "unknown command: user ratelimit reset"),
    (["user", "ratelimit", "set", "bob", "--burst", "-1"], EX_USAGE, "whole number"),
    (["user", "ratelimit", "set", "bob", "--messages-per-second", "1.5"], EX_USAGE, "whole number"),
    (["user", "ratelimit", "clear", "bob", "--burst", "1"], EX_USAGE, "unknown option"),
    (["user", "ratelimit", "set"], EX_USAGE, "exactly one USER"),
    (["user", "ratelimit", "set", "nobody"], EX_NOTFOUND, "not found"),
    (["user", "shadow-ban", "nobody"], EX_NOTFOUND, "not found"),
    (["user", "shadow-ban", "@bob:elsewhere.org"], EX_USAGE, "elsewhere.org"),
])
def test_bad_input_changes_nothing(sy, args, rc, why):
    before = sy.snapshot()
    r = sy.run(*args)
    assert r.rc == rc and why in r.err and "HINT" in r.err, r
    assert sy.snapshot() == before


def test_refused_while_a_synapse_holds_the_database(sy):
    if sy.backend != "sqlite":
        pytest.skip("a running Synapse on PostgreSQL is another session: shown in the e2e suite")
    # a process holding SQLite's shared lock, as a running Synapse does (src/hs/synapse/probe.c)
    holder = subprocess.Popen(["python3", "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(sy.path)!r}); c.execute('PRAGMA journal_mode=WAL');"
        " c.execute('BEGIN'); c.execute('SELECT count(*) FROM users').fetchall()\n"
        "print('held', flush=True); time.sleep(60)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = sy.snapshot()
        for args in (["user", "shadow-ban", "bob"], ["user", "ratelimit", "set", "bob"]):
            r = sy.run(*args)
            assert r.rc == EX_REFUSED and "while Synapse runs" in r.err and "--while-running" in r.err, r
        assert sy.snapshot() == before
        ok(sy.run("--while-running", "user", "shadow-ban", "bob"))
    finally:
        holder.kill()
        holder.wait()
    assert flag(sy, "bob") is True


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_dendrite_has_neither(make_home, backend):
    home = make_home(backend)
    home.add_account("bob")
    before = home.snapshot()
    for args in (["user", "shadow-ban", "bob"], ["user", "unshadow-ban", "bob"],
                 ["user", "ratelimit", "set", "bob"], ["user", "ratelimit", "clear", "bob"],
                 ["user", "list", "--shadow-banned"]):
        r = home.run(*args)
        assert r.rc == EX_REFUSED and "not available on Dendrite" in r.err, (args, r)
    assert home.snapshot() == before
    assert BIN


# --- what the rate limit makes of an evacuation: Synapse takes every leave
# out of the user's rc_message budget (proven on the real server in the e2e
# suite); evacuate and deactivate say how long queue apply will take, and how
# to lift it, once that is a minute or more ---

def member_of(home, user, n):
    """USER joined to N rooms of its own."""
    for i in range(n):
        room = f"!{user}{i}:example.org"
        home.add_room(room)
        home.add_member(room, f"@{user}:example.org", "join")


def limit_warning(r):
    return [x for x in r.err.splitlines() if "leave" in x and "a second" in x]


def test_evacuate_says_how_long_rc_message_holds_the_apply_and_how_to_lift_it(sy):
    member_of(sy, "alice", 30)
    r = ok(sy.run("evacuate", "user", "alice"))
    # Synapse's default, 0.2 a second after 10: 20 more leaves take 100 s
    assert limit_warning(r) == ["mxdba: warning: the server lets @alice:example.org leave 0.2 room(s) a second after"
                                " the first 10 (rc_message, Synapse's default): these 30 leaves take queue apply"
                                " about 100 seconds, whatever --parallel says"], r.err
    assert "`mxdba user ratelimit set @alice:example.org --messages-per-second 0 --burst 0` with the server stopped" \
        in r.err and "`mxdba user ratelimit clear @alice:example.org` after the apply" in r.err, r.err
    # the rows already pending count too (a second run queues nothing new)
    r = ok(sy.run("evacuate", "user", "alice"))
    assert "these 30 leaves" in r.err, r.err
    # lifted as the hint says: no warning
    ok(sy.run("user", "ratelimit", "set", "alice", "--messages-per-second", "0", "--burst", "0"))
    assert not limit_warning(ok(sy.run("evacuate", "user", "alice")))


def test_no_warning_when_the_burst_or_a_minute_covers_it(sy):
    member_of(sy, "bob", 10)
    assert not limit_warning(ok(sy.run("evacuate", "user", "bob")))  # all within the burst
    member_of(sy, "carol", 21)  # 11 beyond the burst: 55 s
    assert not limit_warning(ok(sy.run("evacuate", "user", "carol")))


def test_an_override_sets_the_rate_and_its_hint_puts_it_back(sy):
    member_of(sy, "alice", 70)
    ok(sy.run("user", "ratelimit", "set", "alice", "--messages-per-second", "1", "--burst", "5"))
    r = ok(sy.run("evacuate", "user", "alice", "--dry-run"))
    assert limit_warning(r) == ["mxdba: warning: the server lets @alice:example.org leave 1 room(s) a second after"
                                " the first 5 (its rate-limit override): these 70 leaves take queue apply about"
                                " 65 seconds, whatever --parallel says"], r.err
    assert "`mxdba user ratelimit set @alice:example.org --messages-per-second 1 --burst 5` after the apply puts" \
        " its override back" in r.err, r.err


def test_deactivate_warns_as_evacuate_does(sy):
    member_of(sy, "bob", 40)
    r = ok(sy.run("user", "deactivate", "bob"))
    assert "these 40 leaves take queue apply about 3 minutes" in r.err, r.err


def home_with_yaml(yaml, rooms):
    """A Synapse home read through a homeserver.yaml ending in YAML; alice in ROOMS rooms."""
    home = SynapseHome("sqlite")
    home.add_account("alice")
    member_of(home, "alice", rooms)
    (home.dir / "homeserver.yaml").write_text("server_name: example.org\ndatabase:\n  name: sqlite3\n  args:\n"
                                              "    database: homeserver.db\n" + yaml)
    home.write_config("[homeserver]\ntype = synapse\nsynapse_config = homeserver.yaml\n")
    return home


@pytest.mark.parametrize("yaml, rate", [
    ("rc_message:\n  per_second: 0.5\n  burst_count: 20\n", "0.5 room(s) a second after the first 20 (rc_message in"
     " homeserver.yaml): these 300 leaves take queue apply about 9 minutes"),
    ("rc_message:\n  burst_count: 100\n", "0.2 room(s) a second after the first 100 (rc_message in homeserver.yaml):"
     " these 300 leaves take queue apply about 17 minutes"),
    # before rc_message: the two top-level keys (rc_message wins when both are there)
    ("rc_messages_per_second: 0.01\n", "0.01 room(s) a second after the first 10 (rc_message in homeserver.yaml):"
     " these 300 leaves take queue apply about 8 h 03 min"),
    ("rc_message:\n  per_second: 1e-300\n", "1e-300 room(s) a second after the first 10 (rc_message in"
     " homeserver.yaml): these 300 leaves take queue apply about 11574074 days"),
    ("rc_messages_per_second: 0.01\nrc_message:\n  per_second: 0.1\n", "0.1 room(s) a second after the first 10"
     " (rc_message in homeserver.yaml): these 300 leaves take queue apply about 48 minutes"),
])
def test_rc_message_from_homeserver_yaml(yaml, rate):
    home = home_with_yaml(yaml, 300)
    r = ok(home.run("evacuate", "user", "alice", "--dry-run"))
    assert len(limit_warning(r)) == 1 and rate in limit_warning(r)[0], r.err


def test_an_appservice_sender_is_never_limited():
    """Synapse never rate-limits an appservice's own sender: no warning for it, one for a user beside it."""
    home = home_with_yaml("app_service_config_files: [bridge.yaml]\n", 30)
    (home.dir / "bridge.yaml").write_text("id: bridge\nurl: http://127.0.0.1:1\nas_token: a\nhs_token: h\n"
                                          "sender_localpart: bridgebot\nnamespaces: {}\n")
    home.add_account("bridgebot")
    member_of(home, "bridgebot", 30)
    assert not limit_warning(ok(home.run("evacuate", "user", "bridgebot", "--dry-run")))
    assert limit_warning(ok(home.run("evacuate", "user", "alice", "--dry-run")))


@pytest.mark.parametrize("yaml", ["rc_message:\n  per_second: fast\n", "rc_message:\n  burst_count: -1\n",
                                  "rc_messages_per_second: nan\n"])
def test_a_bad_rc_message_is_a_config_error_that_changes_nothing(yaml):
    home = home_with_yaml(yaml, 3)
    before = home.snapshot()
    r = home.run("evacuate", "user", "alice")
    assert r.rc == 3 and "is not a number of 0 or more" in r.err and "homeserver.yaml" in r.err, r
    assert home.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_dendrite_says_nothing_of_rc_message(make_home, backend):
    home = make_home(backend)
    home.add_account("bob")
    member_of(home, "bob", 30)
    assert not limit_warning(ok(home.run("evacuate", "user", "bob")))
