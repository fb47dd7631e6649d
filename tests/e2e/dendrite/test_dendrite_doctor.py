# SPDX-License-Identifier: Apache-2.0
"""`mxdba doctor` against the real Dendrite v0.13.8 (SQLite and PostgreSQL):
each broken state is made the way it happens in practice (hand SQL, a
killed process), Dendrite is shown misbehaving on it, doctor reports it,
doctor --fix repairs it, and Dendrite is shown behaving again. One Dendrite
per backend serves the whole file; at the end, after all of that use,
doctor finds nothing on it (no false alarms)."""
import os
import signal
import subprocess

import pytest
from dendrite import Dendrite, q
from hangserver import HangServer
from mxtest import BIN, doctor_findings, ok
from realserver import uid

PW = "password-123"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def den_server(request):
    pgc = request.getfixturevalue("pg") if request.param == "postgres" else None
    d = Dendrite(request.param, pg=pgc)
    yield d
    d.close()


@pytest.fixture
def d(den_server):
    if den_server.running():
        den_server.stop()
    yield den_server
    den_server.assert_doctor_clean()


def doctor(d, *args):
    return d.mxdba("--json", "doctor", *args)


def test_a_fresh_dendrite_has_no_doctor_findings(d):
    r = doctor(d)
    assert r.rc == 0 and r.out == "", r


def test_devices_of_an_account_deleted_by_hand(d):
    d.start()
    tok = d.register("erin", PW)["access_token"]
    d.stop()
    d.sql("DELETE FROM userapi_accounts WHERE localpart = 'erin'")  # the hand delete: no foreign keys
    d.start()
    status, doc = d.whoami(tok, allow_500=True)
    assert status == 500, (status, doc)
    d.stop()
    f = doctor_findings(doctor(d))
    assert f["dendrite-orphan-devices"]["rows"][0].startswith(uid("erin") + " device "), f
    assert "dendrite-orphan-profiles" in f and "dendrite-orphan-account-data" in f  # reported, not deleted
    ok(doctor(d, "--fix"))
    d.start()
    status, doc = d.whoami(tok)
    assert status == 401 and doc["errcode"] == "M_UNKNOWN_TOKEN", (status, doc)
    d.stop()
    d.sql("DELETE FROM userapi_profiles WHERE localpart = 'erin'")  # the decided repair of the report
    d.sql("DELETE FROM userapi_account_datas WHERE localpart = 'erin'")


def test_null_is_deactivated_locks_the_user_out(d):
    d.start()
    d.register("fred", PW)
    d.stop()
    d.sql("UPDATE userapi_accounts SET is_deactivated = NULL WHERE localpart = 'fred'")
    d.start()
    status, doc = d.login("fred", PW)
    assert status == 403, (status, doc)
    d.stop()
    assert doctor_findings(doctor(d))["dendrite-null-deactivated"]["rows"] == [uid("fred")]
    ok(doctor(d, "--fix"))
    d.start()
    status, doc = d.login("fred", PW)
    assert status == 200, (status, doc)
    d.stop()


def test_null_password_hash(d):
    d.start()
    d.register("gina", PW)
    d.stop()
    d.sql("UPDATE userapi_accounts SET password_hash = NULL WHERE localpart = 'gina'")
    d.start()
    before = d.login("gina", PW, allow_500=True)
    d.stop()
    assert before[0] == 500 and "Unable to fetch account" in before[1]["error"], before
    assert doctor_findings(doctor(d))["dendrite-null-password-hash"]["rows"] == [uid("gina")]
    ok(doctor(d, "--fix"))
    d.start()
    after = d.login("gina", PW)
    assert after[0] == 403, after  # '' : no password, refused cleanly
    d.stop()
    ok(d.mxdba("user", "passwd", "gina", "--password-stdin", input=PW + "\n"))
    d.start()
    assert d.login("gina", PW)[0] == 200
    d.stop()


def test_null_profile_fields(d):
    d.start()
    tok = d.register("hugo", PW)["access_token"]
    d.stop()
    d.sql("UPDATE userapi_profiles SET display_name = NULL WHERE localpart = 'hugo'")
    d.start()
    before = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('hugo'))}", token=tok, allow_500=True)
    d.stop()
    assert before[0] == 404 and before[1]["errcode"] == "M_NOT_FOUND", before  # it cannot read the row
    assert doctor_findings(doctor(d))["dendrite-null-profile-fields"]["rows"] == [uid("hugo")]
    ok(doctor(d, "--fix"))
    d.start()
    status, doc = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('hugo'))}", token=tok)
    assert status == 200, (status, doc)
    d.stop()


def test_a_token_left_by_a_killed_queue_apply(d):
    d.start()
    admin = d.register("boss", PW, admin=True)["access_token"]
    ivy = d.register("ivy", PW)["access_token"]
    room = d.create_room(admin, name="killed apply", preset="public_chat")
    d.join(ivy, room)
    d.stop()
    ok(d.mxdba("evacuate", "user", "ivy"))
    hang = HangServer()
    try:
        p = subprocess.Popen([BIN, "-c", str(d.config), "queue", "apply", "--url", hang.url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert hang.held.wait(30), "queue apply never sent the leave"
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    finally:
        hang.close()
    ok(d.mxdba("queue", "cancel", "--all-pending"))
    token = d.sql("SELECT access_token FROM mxdba_minted")[0][0]
    d.start()
    assert d.whoami(token)[0] == 200  # a working token of ivy that nobody uses
    d.stop()
    f = doctor_findings(doctor(d))
    assert f["mxdba-minted-leftovers"]["rows"][0].startswith(uid("ivy")), f
    ok(doctor(d, "--fix"))
    d.start()
    assert d.whoami(token)[0] == 401
    assert d.member_state(admin, room, uid("ivy")) == "join"  # nothing else was touched
    d.stop()


def test_a_missing_migration_row(d):
    """A userapi restored without its db_migrations rows (or one row lost): report only, with the INSERT."""
    d.sql("DELETE FROM db_migrations WHERE version = 'userapi: add last_seen_ts'")
    f = doctor_findings(doctor(d))
    assert f["dendrite-missing-migrations"]["rows"] == ["userapi: add last_seen_ts"], f
    assert not f["dendrite-missing-migrations"]["fixable"] and "INSERT INTO db_migrations" in \
        f["dendrite-missing-migrations"]["repair"]
    before = d.sql("SELECT count(*) FROM db_migrations")
    ok(doctor(d, "--fix"))
    assert d.sql("SELECT count(*) FROM db_migrations") == before  # report only: --fix leaves it
    if d.backend == "sqlite":
        # Dendrite runs the migration again on a table that has the column: it does not start
        with pytest.raises(subprocess.CalledProcessError):
            d.start()
        log = (d.dir / "dendrite.out").read_text(errors="replace")
        assert "unable to execute migration 'userapi: add last_seen_ts'" in log
        if d.running():
            d.stop()
        # the repair the finding names
        d.sql("INSERT INTO db_migrations (version, time, dendrite_version) VALUES"
              " ('userapi: add last_seen_ts', '2026-12-03T00:00:00Z', '0.13.8')")
    d.start()  # (PostgreSQL: its migration is ADD COLUMN IF NOT EXISTS, run again and recorded)
    d.stop()
    assert "dendrite-missing-migrations" not in doctor_findings(doctor(d))


def test_no_active_admin(d):
    """No active admin: a note; the admin endpoints refuse everyone until one is made."""
    for (lp,) in d.sql("SELECT localpart FROM userapi_accounts WHERE account_type = 3"):
        ok(d.mxdba("--yes", "user", "demote", lp))
    d.start()
    lee = d.register("lee", PW)["access_token"]
    assert d.whois(lee, uid("boss"))[0] == 403  # whois of another user needs an admin
    d.stop()
    assert doctor_findings(doctor(d))["dendrite-no-active-admin"]["severity"] == "note"
    ok(d.mxdba("user", "promote", "lee"))
    assert "dendrite-no-active-admin" not in doctor_findings(doctor(d))
    d.start()
    assert d.whois(lee, uid("boss"))[0] == 200
    d.stop()


def test_after_all_that_use_doctor_finds_nothing(d):
    d.start()
    d.stop()
    r = d.mxdba("doctor")
    assert r.rc == 0 and r.out == "", r
