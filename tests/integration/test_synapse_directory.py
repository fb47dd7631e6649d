# SPDX-License-Identifier: Apache-2.0
"""Synapse's user directory follows the accounts mxdba writes, as Synapse's
own handlers keep it: an entry at creation (Synapse never adds one for a
user made outside it), renamed with the display name, gone at
deactivation (with the room-sharing rows), back at reactivation; and
rolled back with everything else when a command fails."""
import pytest

from synapse_db import SynapseHome


@pytest.fixture(params=["sqlite", "postgres"])
def home(request):
    return SynapseHome(request.param, pg=request.getfixturevalue("pg") if request.param == "postgres" else None)


def entry(home, localpart):
    rows = home.sql(f"SELECT coalesce(display_name, '') FROM user_directory WHERE user_id = '{home.uid(localpart)}'")
    search = home.sql(f"SELECT count(*) FROM user_directory_search WHERE user_id = '{home.uid(localpart)}'")
    return (rows[0][0] if rows else None, int(search[0][0]))


def test_created_renamed_deactivated_reactivated(home):
    assert home.run("user", "create", "ann", "--display-name", "Ann Über", "--no-password").rc == 0
    assert entry(home, "ann") == ("Ann Über", 1)
    csv = "user,display_name\n@ann:example.org,Annie\n"
    r = home.run("user", "import", "-", "--on-conflict", "update", input=csv)
    assert r.rc == 0, r
    assert entry(home, "ann") == ("Annie", 1)
    home.sql("INSERT INTO users_who_share_private_rooms (user_id, other_user_id, room_id) VALUES"
             f" ('@zed:example.org', '{home.uid('ann')}', '!r:example.org')")
    assert home.run("user", "deactivate", "ann").rc == 0
    assert entry(home, "ann") == (None, 0)
    assert home.sql("SELECT count(*) FROM users_who_share_private_rooms")[0][0] in ("0", 0)
    assert home.run("user", "reactivate", "ann").rc == 0
    assert entry(home, "ann") == ("Annie", 1)


def test_a_user_created_deactivated_gets_no_entry(home):
    csv = "user,deactivated\n@bea:example.org,true\n"
    assert home.run("user", "import", "-", input=csv).rc == 0
    assert entry(home, "bea") == (None, 0)


def test_dry_run_and_refusal_leave_the_directory_alone(home):
    before = home.snapshot()
    assert home.run("--dry-run", "user", "create", "cid", "--no-password").rc == 0
    assert home.run("user", "create", "cid", "--display-name", "bad \udcff", "--no-password").rc != 0
    assert home.snapshot() == before


def rebuild_rows(home):
    return home.sql("SELECT update_name, depends_on FROM background_updates"
                    " WHERE update_name LIKE 'populate_user_directory%' ORDER BY update_name")


REBUILD = [("populate_user_directory_cleanup", "populate_user_directory_process_users"),
           ("populate_user_directory_createtables", ""),
           ("populate_user_directory_process_rooms", "populate_user_directory_createtables"),
           ("populate_user_directory_process_users", "populate_user_directory_process_rooms")]


def test_doctor_finds_users_made_by_hand_and_fix_schedules_synapses_rebuild(home):
    import json
    from mxtest import doctor_findings
    home.add_account("kept")                                           # as Synapse registers: in the directory
    home.add_account("guest1", guest=True)                             # guests: Synapse leaves them out
    home.add_account("gone", deactivated=True)
    home.add_account("bridged", appservice="irc")
    home.sql("INSERT INTO users (name, creation_ts, admin, is_guest, deactivated, approved, locked, shadow_banned)"
             " VALUES ('@byhand:example.org', 1, 0, 0, 0, TRUE, FALSE, FALSE),"
             " ('@support:example.org', 1, 0, 0, 0, TRUE, FALSE, FALSE)")
    home.sql("UPDATE users SET user_type = 'support' WHERE name = '@support:example.org'")
    home.sql("DELETE FROM background_updates")
    f = doctor_findings(home.run("--json", "doctor"))
    assert f["synapse-user-directory-missing"]["rows"] == ["@byhand:example.org"], f
    before = home.snapshot()
    assert home.run("--dry-run", "doctor", "--fix", "--check", "synapse-user-directory-missing").rc == 0
    assert home.snapshot() == before
    assert home.run("doctor", "--fix", "--check", "synapse-user-directory-missing").rc == 0
    assert rebuild_rows(home) == REBUILD
    f = doctor_findings(home.run("--json", "doctor"))
    assert "synapse-user-directory-missing" not in f, f              # pending: Synapse will do it
    audit = [json.loads(x) for x in home.run("--json", "audit", "list").out.splitlines()]
    assert sorted(a["target"] for a in audit if a["field"] == "background_update") == sorted(r[0] for r in REBUILD)


def test_user_directory_rebuild(home):
    import json
    home.sql("DELETE FROM background_updates")
    before = home.snapshot()
    assert home.run("--dry-run", "user", "directory", "rebuild").rc == 0
    assert home.snapshot() == before
    r = home.run("--json", "user", "directory", "rebuild")
    assert r.rc == 0, r
    assert json.loads(r.out)["scheduled"] == ["populate_user_directory_createtables", "populate_user_directory_process_rooms",
                                             "populate_user_directory_process_users", "populate_user_directory_cleanup"]
    assert rebuild_rows(home) == REBUILD
    before = home.snapshot()
    r = home.run("user", "directory", "rebuild")                       # pending already
    assert r.rc == 5 and "pending already" in r.err, r
    for args in (["user", "directory"], ["user", "directory", "rebuild", "now"], ["user", "directory", "refresh"]):
        r = home.run(*args)
        assert r.rc == 2 and "HINT" in r.err, r
    assert home.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_dendrite_has_no_directory_to_rebuild(make_home, backend):
    d = make_home(backend)
    before = d.snapshot()
    r = d.run("user", "directory", "rebuild")
    assert r.rc == 6 and "not available on Dendrite" in r.err, r
    assert d.snapshot() == before
