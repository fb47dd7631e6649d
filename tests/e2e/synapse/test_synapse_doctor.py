# SPDX-License-Identifier: Apache-2.0
"""`mxdba doctor` against the real Synapse 1.163.2 (SQLite and PostgreSQL):
each broken state is made the way it happens in practice (the hand SQL of
old docs, a killed process), Synapse is shown misbehaving on it, doctor
reports it, doctor --fix repairs it, and Synapse is shown behaving again.
The same Synapse serves the whole file; at the end, after all of that use,
doctor finds nothing on it (no false alarms)."""
import fcntl
import os
import signal
import struct
import subprocess
import time

import own_checks
from hangserver import HangServer
from mxtest import BIN, doctor_findings, ok
from realserver import uid
from synapse import q
import scratch  # noqa: E402

PW = "password-123"


def doctor(s, *args):
    return s.mxdba("--json", "doctor", *args)


def bcrypt(s, password):
    return ok(s.mxdba("hash", "--cost", "4", "--password-stdin", input=password + "\n")).out.strip()


# A first start leaves background updates pending (Synapse runs them slowly,
# only while it runs): on a server just stopped that note is true, not an alarm.
TRUE_NOTES = {"synapse-updates-pending"}


def test_a_fresh_synapse_has_no_doctor_findings(s):
    r = doctor(s)
    assert r.rc == 0 and set(doctor_findings(r)) <= TRUE_NOTES, r


def test_user_inserted_by_hand_gets_its_profile(s):
    """The old docs' recipe (one INSERT INTO users) leaves the user without a profile: 404 on their own profile;
    nor is the user in the user directory, which a new database's first build (pending in a fresh one) would
    have caught: that build is let finish first."""
    s.start()
    for _ in range(240):
        if s.sql("SELECT count(*) FROM background_updates WHERE update_name LIKE 'populate_user_directory%'") in (
                [("0",)], [(0,)]):
            break
        time.sleep(0.5)
    s.stop()
    s.sql(f"INSERT INTO users (name, password_hash, creation_ts) VALUES ('{uid('hank')}', '{bcrypt(s, PW)}', 1700000000)")
    s.start()
    status, doc = s.login("hank", PW)
    assert status == 200, doc
    status, doc = s.req("GET", f"/_matrix/client/v3/profile/{q(uid('hank'))}", token=doc["access_token"])
    assert status == 404 and "profiles" in doc.get("error", ""), (status, doc)
    s.stop()
    f = doctor_findings(doctor(s))
    assert f["synapse-missing-profile"]["rows"] == [uid("hank")], f
    assert f["synapse-user-directory-missing"]["rows"] == [uid("hank")], f    # nor is he in the user directory
    r = doctor(s, "--fix", "--check", "synapse-missing-profile,synapse-user-directory-missing")
    assert r.rc == 0 and doctor_findings(r)["synapse-missing-profile"]["fixed"] == 1, r
    assert doctor_findings(r)["synapse-user-directory-missing"]["fixed"] == 4, r   # the rebuild's four updates
    s.start()
    status, doc = s.login("hank", PW)
    status, prof = s.req("GET", f"/_matrix/client/v3/profile/{q(uid('hank'))}", token=doc["access_token"])
    assert status == 200 and prof.get("displayname") == "hank", (status, prof)
    for _ in range(120):                                    # Synapse runs the rebuild: hank is in its directory
        if s.sql(f"SELECT count(*) FROM user_directory WHERE user_id = '{uid('hank')}'") in ([("1",)], [(1,)]):
            break
        time.sleep(0.5)
    assert s.sql(f"SELECT display_name FROM user_directory WHERE user_id = '{uid('hank')}'") == [("hank",)]
    s.stop()


def test_a_profile_without_full_user_id(s):
    """A profile row inserted by hand with only user_id (the localpart): Synapse reads profiles by full_user_id."""
    s.start()
    tok = s.register("pat", PW)["access_token"]
    s.stop()
    if s.backend == "postgres":  # PostgreSQL enforces CHECK full_user_id_not_null on new rows: an older database
        s.sql("ALTER TABLE profiles DROP CONSTRAINT full_user_id_not_null")
    s.sql("DELETE FROM profiles WHERE user_id = 'pat'")
    s.sql("INSERT INTO profiles (user_id, displayname) VALUES ('pat', 'Pat')")
    s.start()
    status, doc = s.req("GET", f"/_matrix/client/v3/profile/{q(uid('pat'))}", token=tok)
    assert status == 404 and "profiles" in doc.get("error", ""), (status, doc)
    s.stop()
    f = doctor_findings(doctor(s))
    assert f["synapse-profile-full-user-id"]["rows"] == [f"pat (of {uid('pat')})"], f
    assert "synapse-missing-profile" not in f  # the row is there: only its key is missing
    ok(doctor(s, "--fix"))
    s.start()
    status, doc = s.req("GET", f"/_matrix/client/v3/profile/{q(uid('pat'))}", token=tok)
    assert status == 200 and doc.get("displayname") == "Pat", (status, doc)
    s.stop()
    if s.backend == "postgres":
        s.sql("ALTER TABLE profiles ADD CONSTRAINT full_user_id_not_null CHECK (full_user_id IS NOT NULL) NOT VALID")


def test_devices_of_a_user_deactivated_by_hand_keep_their_keys(s):
    s.start()
    admin = s.register("keys_admin", PW, admin=True)["access_token"]
    tok = s.register("quin", PW)["access_token"]
    dev = s.whoami(tok)[1]["device_id"]
    status, _ = s.req("POST", "/_matrix/client/v3/keys/upload", token=tok, body={"device_keys": {
        "user_id": uid("quin"), "device_id": dev, "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
        "keys": {f"ed25519:{dev}": "x", f"curve25519:{dev}": "y"}, "signatures": {}}})
    assert status == 200
    s.stop()
    # by hand (or an older mxdba): the flag and the tokens; the device and its keys stay
    s.sql(f"UPDATE users SET deactivated = 1 WHERE name = '{uid('quin')}'")
    s.sql(f"DELETE FROM access_tokens WHERE user_id = '{uid('quin')}'")
    f = doctor_findings(doctor(s))
    assert f["synapse-deactivated-devices"]["rows"] == [f"{uid('quin')} (1 device(s) with keys)"], f
    assert f["synapse-deactivated-devices"]["severity"] == "note"
    s.start()
    keys = lambda: s.req("POST", "/_matrix/client/v3/keys/query", token=admin,  # noqa: E731
                         body={"device_keys": {uid("quin"): []}})[1]["device_keys"].get(uid("quin"), {})
    assert dev in keys()  # other users still encrypt for it
    s.stop()
    ok(s.mxdba("user", "deactivate", "quin"))  # the report's repair: as Synapse's deactivation
    assert "synapse-deactivated-devices" not in doctor_findings(doctor(s))
    s.start()
    assert keys() == {}
    s.stop()
    ok(s.mxdba("--yes", "user", "demote", "keys_admin"))


def test_tokens_of_a_user_deactivated_by_hand_stop_working(s):
    s.start()
    tok = s.register("carl", PW)["access_token"]
    s.stop()
    s.sql(f"UPDATE users SET deactivated = 1 WHERE name = '{uid('carl')}'")  # the hand edit
    s.start()
    status, doc = s.whoami(tok)
    assert status == 200 and doc["user_id"] == uid("carl"), (status, doc)  # the old token still works
    s.stop()
    assert doctor_findings(doctor(s))["synapse-deactivated-tokens"]["rows"] == [f"{uid('carl')} (1 token(s))"]
    ok(doctor(s, "--fix"))
    s.start()
    status, doc = s.whoami(tok)
    assert status == 401 and doc["errcode"] == "M_UNKNOWN_TOKEN", (status, doc)
    s.stop()


def test_fixing_tokens_is_refused_while_synapse_serves_them_from_its_cache(s):
    s.start()
    tok = s.register("cora", PW)["access_token"]
    s.sql(f"UPDATE users SET deactivated = 1 WHERE name = '{uid('cora')}'")
    assert s.whoami(tok)[0] == 200
    # what --fix would write (and mxdba's own tables): not the whole database, which the running Synapse
    # itself keeps writing (background updates' progress, stats), most visibly on a busy machine
    def touched():
        rows = {}
        for t in ("users", "access_tokens", "refresh_tokens", "devices", "mxdba_audit"):
            try:
                rows[t] = sorted(map(str, s.sql(f"SELECT * FROM {t}")))
            except Exception:  # noqa: BLE001 - mxdba's tables need not exist yet
                rows[t] = None
        return rows
    before = touched()
    r = s.mxdba("doctor", "--fix")
    assert r.rc == 6 and "while Synapse runs" in r.err and "--while-running" in r.err, r
    assert touched() == before
    s.stop()
    ok(doctor(s, "--fix"))


def test_a_malformed_pending_deactivation_row_no_longer_stops_the_parter(s):
    s.start()
    admin = s.register("root", PW, admin=True)["access_token"]
    dave = s.register("dave", PW)["access_token"]
    room = s.create_room(admin, name="parting", preset="public_chat")
    s.join(dave, room)
    s.stop()
    # the hand SQL: a typo queued first, then the user
    s.sql("INSERT INTO users_pending_deactivation (user_id) VALUES ('dave')")
    s.sql(f"INSERT INTO users_pending_deactivation (user_id) VALUES ('{uid('dave')}')")
    s.start()
    time.sleep(3)
    assert s.member_state(admin, room, uid("dave")) == "join"  # the parter died on 'dave'
    s.stop()
    f = doctor_findings(doctor(s))
    assert f["synapse-pending-deactivation"]["rows"] == ["'dave'"], f
    ok(doctor(s, "--fix"))
    assert s.sql("SELECT user_id FROM users_pending_deactivation") == [(uid("dave"),)]
    s.start()
    for _ in range(60):
        if s.member_state(admin, room, uid("dave")) == "leave":
            break
        time.sleep(0.5)
    assert s.member_state(admin, room, uid("dave")) == "leave"
    s.stop()


def sqlite_lock_holder(path):
    """The pid holding a lock on SQLite's shared range of PATH (0: none)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fl = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0x40000002, 510, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, fl))
        return 0 if kind == fcntl.F_UNLCK else pid
    finally:
        os.close(fd)


def child_pids(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def test_a_token_left_by_a_killed_queue_apply(s):
    s.start()
    admin = s.register("boss", PW, admin=True)["access_token"]
    erin = s.register("erin", PW)["access_token"]
    room = s.create_room(admin, name="killed apply", preset="public_chat")
    other = s.create_room(admin, name="killed apply 2", preset="public_chat")
    s.join(erin, room)
    s.join(erin, other)
    s.stop()
    ok(s.mxdba("evacuate", "user", "erin"))
    hang = HangServer()
    try:
        # two rows, two workers: the case where one worker's connection could
        # undo another's commit (apply runs one row in its own process)
        p = scratch.spawn([BIN, "-c", str(s.config), "queue", "apply", "--parallel", "2", "--url", hang.url],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert hang.held.wait(30), "queue apply never sent the leave"
        if s.backend == "sqlite":
            # the worker sending the leave still holds its SQLite read lock: once
            # a second connection's open dropped it, another worker's close took
            # the WAL for unused and deleted it, and the token's commit with it
            assert sqlite_lock_holder(s.dir / "homeserver.db") in child_pids(p.pid)
        os.kill(p.pid, signal.SIGKILL)  # killed while the leave was in flight
        p.wait()
    finally:
        hang.close()
    ok(s.mxdba("queue", "cancel", "--all-pending"))  # the admin gives up on it
    token = s.sql("SELECT access_token FROM mxdba_minted")[0][0]
    s.start()
    assert s.whoami(token) == (200, {"user_id": uid("erin"), "is_guest": False}) or s.whoami(token)[0] == 200
    s.stop()
    f = doctor_findings(doctor(s))
    assert f["mxdba-minted-leftovers"]["rows"][0].startswith(uid("erin")), f
    ok(doctor(s, "--fix"))
    assert s.sql("SELECT count(*) FROM mxdba_minted") == [("0",)]
    s.start()
    assert s.whoami(token)[0] == 401
    assert s.member_state(admin, room, uid("erin")) == "join"  # nothing else was touched
    assert s.member_state(admin, other, uid("erin")) == "join"
    s.stop()


def test_a_queue_row_nothing_moves(s):
    own_checks.stuck_queue_row(s, PW)


def test_migrations_of_a_newer_mxdba(s):
    own_checks.newer_mxdba_schema(s)


def test_reports_without_a_fix_name_the_rows(s):
    s.start()
    s.register("gwen", PW)
    s.register("old_admin", PW, admin=True)
    s.stop()
    s.sql("INSERT INTO users (name, creation_ts) VALUES ('@renamed:old.example', 1700000000)")
    ok(s.mxdba("user", "deactivate", "old_admin"))
    f = doctor_findings(doctor(s))
    assert f["synapse-foreign-users"]["rows"] == ["@renamed:old.example"], f
    assert uid("old_admin") in f["synapse-deactivated-admins"]["rows"], f
    assert not f["synapse-foreign-users"]["fixable"]
    # Synapse agrees: a user under another server_name cannot log in
    s.start()
    status, _ = s.login("@renamed:old.example", PW)
    assert status in (400, 403), status
    status, doc = s.login("old_admin", PW)  # an admin in name only (its hash gone, as Synapse's deactivation does)
    assert status == 403 and doc["errcode"] == "M_FORBIDDEN", (status, doc)
    s.stop()
    s.sql("DELETE FROM users WHERE name = '@renamed:old.example'")
    ok(s.mxdba("user", "demote", "old_admin"))
    assert "synapse-deactivated-admins" not in doctor_findings(doctor(s))


def test_a_user_deactivated_by_hand_stays_in_their_rooms_until_evacuated(s):
    s.start()
    admin = s.register("host", PW, admin=True)["access_token"]
    jack = s.register("jack", PW)["access_token"]
    room = s.create_room(admin, name="still here", preset="public_chat")
    s.join(jack, room)
    s.stop()
    s.sql(f"UPDATE users SET deactivated = 1 WHERE name = '{uid('jack')}'")
    f = doctor_findings(doctor(s))
    assert f["synapse-deactivated-joined"]["rows"] == [f"{uid('jack')} (1 room(s))"], f
    assert "evacuate user" in f["synapse-deactivated-joined"]["repair"]
    ok(doctor(s, "--fix"))  # the tokens go; the rooms are the report's repair
    s.start()
    assert uid("jack") in s.joined_members(admin, room)  # Synapse keeps the deactivated member
    s.stop()
    ok(s.mxdba("evacuate", "user", "jack"))
    s.start()
    ok(s.mxdba("queue", "apply", "--wait", "60"))
    assert s.member_state(admin, room, uid("jack")) == "leave"
    s.stop()
    assert "synapse-deactivated-joined" not in doctor_findings(doctor(s))


def test_no_active_admin(s):
    """A server whose only admin left: a note, and the admin API refuses everyone until one is made."""
    other = s.sql("SELECT name FROM users WHERE admin = 1 AND deactivated = 0")
    for (name,) in other:  # the admins the tests above made
        ok(s.mxdba("--yes", "user", "demote", name))
    s.start()
    kim = s.register("kim", PW)["access_token"]
    assert s.admin_user(kim, uid("kim"))[0] == 403
    s.stop()
    f = doctor_findings(doctor(s))
    assert f["synapse-no-active-admin"]["severity"] == "note", f
    ok(s.mxdba("user", "promote", "kim"))
    assert "synapse-no-active-admin" not in doctor_findings(doctor(s))
    s.start()
    assert s.admin_user(kim, uid("kim"))[0] == 200
    s.stop()


def test_after_all_that_use_doctor_finds_nothing(s):
    """Every test above ran on this Synapse: registrations, rooms, logins, a parting, a killed apply."""
    s.start()
    s.stop()
    r = doctor(s)
    assert r.rc == 0 and set(doctor_findings(r)) <= TRUE_NOTES, r
