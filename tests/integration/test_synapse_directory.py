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
