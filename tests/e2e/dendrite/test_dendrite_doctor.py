# SPDX-License-Identifier: Apache-2.0
"""`mxdba doctor` against the real Dendrite v0.13.8 (SQLite and PostgreSQL):
each broken state is made the way it happens in practice (hand SQL, a
killed process), Dendrite is shown misbehaving on it, doctor reports it,
doctor --fix repairs it, and Dendrite is shown behaving again. One Dendrite
per backend serves the whole file; at the end, after all of that use,
doctor finds nothing on it (no false alarms)."""
import os
import signal
import sqlite3
import subprocess

import own_checks
import pytest
from dendrite import Dendrite, q
from hangserver import HangServer
from mxtest import BIN, doctor_findings, ok
from realserver import uid
import scratch  # noqa: E402

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


def test_an_account_without_its_profile_row(d):
    """An account whose userapi_profiles row is gone (deleted by hand, or the account inserted by hand): the
    real Dendrite answers its room joins, room creation and display-name changes 500, its profile 404."""
    d.start()
    owner = d.register("nadia", PW)["access_token"]
    tok = d.register("noah", PW)["access_token"]
    room = d.create_room(owner, preset="public_chat")
    d.stop()
    d.sql("DELETE FROM userapi_profiles WHERE localpart = 'noah'")
    d.start()
    join = d.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/join", token=tok, body={}, allow_500=True)
    create = d.req("POST", "/_matrix/client/v3/createRoom", token=tok, body={}, allow_500=True)
    name = d.req("PUT", f"/_matrix/client/v3/profile/{q(uid('noah'))}/displayname", token=tok,
                 body={"displayname": "Pia"}, allow_500=True)
    profile = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('noah'))}", token=tok, allow_500=True)
    d.stop()
    assert join[0] == 500 and "no profile found" in join[1]["error"], join
    assert create[0] == 500 and name[0] == 500, (create, name)
    assert profile[0] == 404 and profile[1]["errcode"] == "M_NOT_FOUND", profile
    f = doctor_findings(doctor(d))["dendrite-accounts-without-profile"]
    assert f["rows"] == [uid("noah")] and f["severity"] == "error" and f["fixable"], f
    ok(doctor(d, "--fix"))
    assert d.sql("SELECT display_name, avatar_url FROM userapi_profiles WHERE localpart = 'noah'") == [("noah", "")]
    audit = ok(d.mxdba("--json", "audit", "list", "--user", uid("noah"))).out
    assert "doctor" in audit and "profile" in audit, audit
    d.start()
    d.join(tok, room)
    assert d.req("POST", "/_matrix/client/v3/createRoom", token=tok, body={})[0] == 200
    assert d.req("PUT", f"/_matrix/client/v3/profile/{q(uid('noah'))}/displayname", token=tok,
                 body={"displayname": "Pia"})[0] == 200
    status, doc = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('noah'))}", token=tok)
    assert status == 200 and doc["displayname"] == "Pia", (status, doc)
    d.stop()


def account_data(d, tok, user, kind):
    return d.req("GET", f"/_matrix/client/v3/user/{q(uid(user))}/account_data/{kind}", token=tok)


def test_account_data_of_a_deleted_account_goes_to_the_next_account_of_that_name(d):
    """An account deleted by hand with its devices and profile, its account data left: whoever registers the
    name next reads it (a note: nothing fails, but a stranger inherits a private list)."""
    d.start()
    for who in ("kim", "kai"):
        tok = d.register(who, PW)["access_token"]
        status, doc = d.req("PUT", f"/_matrix/client/v3/user/{q(uid(who))}/account_data/org.example.notes",
                            token=tok, body={"notes": f"{who}'s private notes"})
        assert status == 200, doc
    d.stop()
    for table in ("userapi_accounts", "userapi_devices", "userapi_profiles"):
        d.sql(f"DELETE FROM {table} WHERE localpart IN ('kim', 'kai')")
    f = doctor_findings(doctor(d))
    data = f["dendrite-orphan-account-data"]
    assert data["severity"] == "note" and not data["fixable"], data
    assert {uid("kim") + " org.example.notes", uid("kai") + " org.example.notes"} <= set(data["rows"]), data
    # the repair the finding names, decided for kai only
    d.sql(data["repair"].split("once decided: ")[1].replace("LOCALPART", "kai").replace("SERVER", "example.org"))
    d.start()
    kim = d.register("kim", PW)["access_token"]
    assert account_data(d, kim, "kim", "org.example.notes") == (200, {"notes": "kim's private notes"})
    kai = d.register("kai", PW)["access_token"]
    assert account_data(d, kai, "kai", "org.example.notes")[0] == 404
    d.stop()
    assert "dendrite-orphan-account-data" not in doctor_findings(doctor(d))


def test_profile_of_a_deleted_account(d):
    """An account deleted by hand with its devices and account data, the profile left: Dendrite still
    answers the profile of a user that does not exist, and registering the name again fails half-way (200
    with a token, but no account row: whoami 500, login 403). The DELETE doctor names, then --fix for the
    half-registered device, and the name registers properly."""
    d.start()
    tok = d.register("pia", PW)["access_token"]
    status, doc = d.req("PUT", f"/_matrix/client/v3/profile/{q(uid('pia'))}/displayname", token=tok,
                        body={"displayname": "Pia the former"})
    assert status == 200, doc
    watcher = d.register("wes", PW)["access_token"]
    d.stop()
    d.sql("DELETE FROM userapi_accounts WHERE localpart = 'pia'")
    d.sql("DELETE FROM userapi_devices WHERE localpart = 'pia'")
    d.sql("DELETE FROM userapi_account_datas WHERE localpart = 'pia'")
    f = doctor_findings(doctor(d))
    prof = f["dendrite-orphan-profiles"]
    assert prof["rows"] == [uid("pia")] and prof["severity"] == "warning" and not prof["fixable"], prof
    assert "DELETE FROM userapi_profiles" in prof["repair"], prof
    d.start()
    status, doc = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('pia'))}", token=watcher)
    assert status == 200 and doc.get("displayname") == "Pia the former", (status, doc)  # a ghost's profile
    half = d.register("pia", PW)["access_token"]  # answers 200 ...
    assert d.whoami(half, allow_500=True)[0] == 500  # ... but no account was stored
    assert d.login("pia", PW)[0] == 403
    d.stop()
    assert d.sql("SELECT count(*) FROM userapi_accounts WHERE localpart = 'pia'") == [("0",)]
    # the admin's decision: the DELETE doctor printed; --fix then drops the half-registered device
    d.sql("DELETE FROM userapi_profiles WHERE localpart = 'pia'")
    ok(doctor(d, "--fix"))
    f = doctor_findings(doctor(d))
    assert "dendrite-orphan-profiles" not in f and "dendrite-orphan-devices" not in f, f
    d.start()
    again = d.register("pia", PW)["access_token"]
    assert d.whoami(again)[0] == 200 and d.login("pia", PW)[0] == 200
    status, doc = d.req("GET", f"/_matrix/client/v3/profile/{q(uid('pia'))}", token=watcher)
    assert status == 200 and doc.get("displayname") != "Pia the former", (status, doc)
    d.stop()


def drop_not_null_on_account_type(d):
    """An accounts table without NOT NULL on account_type (a database rebuilt by hand or restored from an
    older dump): the only way account_type can be NULL."""
    if d.backend == "postgres":
        d.sql("ALTER TABLE userapi_accounts ALTER COLUMN account_type DROP NOT NULL")
        return
    con = sqlite3.connect(d.dir / "dendrite_userapi.db")
    try:
        (old,) = con.execute("SELECT sql FROM sqlite_master WHERE name = 'userapi_accounts'").fetchone()
        new = old.replace("account_type INTEGER NOT NULL", "account_type INTEGER")
        assert new != old, old
        con.execute("PRAGMA writable_schema = ON")
        con.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'userapi_accounts'", (new,))
        con.commit()
        con.execute("PRAGMA writable_schema = OFF")
    finally:
        con.close()


def test_null_account_type(d):
    d.start()
    tok = d.register("nora", PW)["access_token"]
    d.stop()
    drop_not_null_on_account_type(d)
    d.sql("UPDATE userapi_accounts SET account_type = NULL WHERE localpart = 'nora'")
    d.start()
    login = d.login("nora", PW, allow_500=True)
    whoami = d.whoami(tok, allow_500=True)
    d.stop()
    assert login[0] == 500 and "Unable to fetch account" in login[1]["error"] and whoami[0] == 500, (login, whoami)
    f = doctor_findings(doctor(d))
    assert f["dendrite-null-account-type"]["rows"] == [uid("nora")], f
    r = doctor(d, "--fix", "--check", "dendrite-null-account-type")
    assert doctor_findings(ok(r))["dendrite-null-account-type"]["fixed"] == 1, r
    assert d.sql("SELECT account_type FROM userapi_accounts WHERE localpart = 'nora'") == [("1",)]
    d.start()
    assert d.login("nora", PW)[0] == 200 and d.whoami(tok)[0] == 200
    d.stop()


def test_accounts_left_under_an_old_server_name(d):
    """The operator changes server_name in dendrite.yaml after users registered: those users cannot log in
    and their tokens stop working. doctor names them (report only); putting the old name back is the repair."""
    d.start()
    tok = d.register("olga", PW)["access_token"]
    d.stop()
    yaml = d.yaml.read_text()
    assert yaml.count("server_name: example.org") == 1, "one server_name in dendrite.yaml"
    renamed = yaml.replace("server_name: example.org", "server_name: renamed.example")
    try:
        d.yaml.write_text(renamed)
        # with server notices on (the generated config), Dendrite on SQLite does not even start: making
        # its notices account under the new name fails (on PostgreSQL it is made, and Dendrite starts)
        if d.backend == "sqlite":
            with pytest.raises(subprocess.CalledProcessError):
                d.start()
            log = (d.dir / "dendrite.out").read_text(errors="replace")
            assert "unable to get account for sending server notices" in log
        else:
            d.start()
        if d.running():
            d.stop()
        assert "    enabled: true\n    local_part: _server" in renamed
        d.yaml.write_text(renamed.replace("    enabled: true\n    local_part: _server",
                                          "    enabled: false\n    local_part: _server"))
        d.start()
        login = d.login("olga", PW, allow_500=True)
        whoami = d.whoami(tok, allow_500=True)
        d.stop()
        assert login[0] == 403 and whoami[0] == 401, (login, whoami)
        f = doctor_findings(doctor(d))
        foreign = f["dendrite-foreign-server-name"]
        (accounts,), (devices,) = d.sql("SELECT count(*) FROM userapi_accounts WHERE server_name = 'example.org'"), \
            d.sql("SELECT count(*) FROM userapi_devices WHERE server_name = 'example.org'")
        assert foreign["count"] == int(accounts[0]) + int(devices[0]) and not foreign["fixable"], foreign
        assert all(r.endswith(":example.org") for r in foreign["rows"]) and "account @_server:example.org" in \
            foreign["rows"], foreign
        assert "sending server notices" in foreign["why"], foreign
        assert "put the old server_name back" in foreign["repair"]
    finally:
        if d.running():
            d.stop()
        d.yaml.write_text(yaml)  # the repair
    d.start()
    assert d.login("olga", PW)[0] == 200 and d.whoami(tok)[0] == 200
    d.stop()
    # what Dendrite made for itself under the other name while it ran (its notices account, keys)
    for table in ("userapi_accounts", "userapi_profiles", "userapi_devices", "userapi_account_datas"):
        d.sql(f"DELETE FROM {table} WHERE server_name = 'renamed.example'")
    assert "dendrite-foreign-server-name" not in doctor_findings(doctor(d))


def test_a_queue_row_nothing_moves(d):
    own_checks.stuck_queue_row(d, PW)


def test_migrations_of_a_newer_mxdba(d):
    own_checks.newer_mxdba_schema(d)


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
        p = scratch.spawn([BIN, "-c", str(d.config), "queue", "apply", "--url", hang.url],
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
