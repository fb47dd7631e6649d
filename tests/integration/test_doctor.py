# SPDX-License-Identifier: Apache-2.0
"""`mxdba doctor` on Dendrite and Synapse homes (SQLite and PostgreSQL): every
check finds the broken state it is written for (made here by hand SQL, the
way it happens in practice), says nothing on a clean database, never writes
without --fix, and --fix repairs what it says it repairs, audited, in one
transaction. What the real servers do with each broken state, before and
after --fix, is proven in tests/e2e/*/test_*_doctor.py."""
import csv
import io
import json

import pytest
from mxtest import doctor_findings

EX_USAGE, EX_REFUSED, EX_FINDINGS = 2, 6, 11
G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"


@pytest.fixture
def clean(home):
    """A database in good health: an admin, users with devices, a deactivated user without tokens."""
    home.add_account("admin", admin=True, password_hash=G)
    home.add_account("alice", password_hash=G)
    home.add_account("gone", deactivated=True)
    home.add_device("alice", "PHONE", "alice-token")
    return home


# what each kind's broken states look like, made by hand SQL; the checks that find them
BREAK = {
    "dendrite": [
        ("dendrite-orphan-devices",
         "INSERT INTO userapi_devices (access_token, session_id, device_id, localpart, server_name, created_ts,"
         " last_seen_ts) VALUES ('ghost-token', 77, 'GHOSTDEV', 'ghost', 'example.org', 1, 1)", True),
        ("dendrite-null-deactivated", "UPDATE userapi_accounts SET is_deactivated = NULL WHERE localpart = 'alice'", True),
        ("dendrite-null-password-hash", "UPDATE userapi_accounts SET password_hash = NULL WHERE localpart = 'gone'", True),
        ("dendrite-null-profile-fields", "UPDATE userapi_profiles SET avatar_url = NULL WHERE localpart = 'alice'", True),
        ("dendrite-orphan-profiles", "INSERT INTO userapi_profiles (localpart, server_name, display_name, avatar_url)"
         " VALUES ('nobody', 'example.org', 'Nobody', '')", False),
        ("dendrite-orphan-account-data", "INSERT INTO userapi_account_datas (localpart, server_name, room_id, type,"
         " content) VALUES ('nobody', 'example.org', '', 'm.direct', '{}')", False),
        ("dendrite-foreign-server-name", ["INSERT INTO userapi_accounts (localpart, server_name, created_ts, password_hash,"
         " account_type) VALUES ('renamed', 'old.example', 1, '', 1)", "INSERT INTO userapi_profiles (localpart,"
         " server_name, display_name, avatar_url) VALUES ('renamed', 'old.example', 'renamed', '')"], False),
        ("dendrite-accounts-without-profile", "DELETE FROM userapi_profiles WHERE localpart = 'gone'", True),
        ("dendrite-missing-migrations", "DELETE FROM db_migrations WHERE version = 'userapi: add is active'", False),
    ],
    "synapse": [
        ("synapse-missing-profile", "DELETE FROM profiles WHERE user_id = 'alice'", True),
        ("synapse-profile-full-user-id", [("postgres", "ALTER TABLE profiles DROP CONSTRAINT full_user_id_not_null"),  # a pre-1.83 database
                                          "UPDATE profiles SET full_user_id = NULL WHERE user_id = 'admin'"], True),
        ("synapse-deactivated-tokens",
         "INSERT INTO access_tokens (id, user_id, device_id, token) VALUES (900, '@gone:example.org', NULL, 'gone-token')",
         True),
        ("synapse-pending-deactivation",
         "INSERT INTO users_pending_deactivation (user_id) VALUES ('bogus-not-an-mxid'), ('@gone:example.org')", True),
        ("synapse-deactivated-devices", ["INSERT INTO devices (user_id, device_id, display_name, hidden) VALUES"
         " ('@gone:example.org', 'OLDDEV', 'old', FALSE)", "INSERT INTO e2e_device_keys_json (user_id, device_id,"
         " ts_added_ms, key_json) VALUES ('@gone:example.org', 'OLDDEV', 1, '{}')"], False),
        ("synapse-foreign-users", "INSERT INTO users (name, creation_ts) VALUES ('@old:old.example', 1)", False),
        ("synapse-deactivated-admins", "UPDATE users SET admin = 1 WHERE name = '@gone:example.org'", False),
        ("synapse-tasks-interrupted", "INSERT INTO scheduled_tasks (id, action, status, timestamp, resource_id, params)"
         " VALUES ('JOB1', 'shutdown_and_purge_room', 'active', 1, '!gone:example.org', '{}')", False),
        ("synapse-sliding-sync-leftovers", ["INSERT INTO rooms (room_id, is_public, creator) VALUES"
         " ('!listed:example.org', FALSE, '@alice:example.org')", "INSERT INTO sliding_sync_joined_rooms_to_recalculate"
         " (room_id) VALUES ('!listed:example.org')"], True),
    ],
}


def break_all(home):
    for _, sql, _ in BREAK[home.kind]:
        for stmt in [sql] if isinstance(sql, str) else sql:
            if isinstance(stmt, tuple):  # (backend, statement): for that backend only
                if stmt[0] != home.backend:
                    continue
                stmt = stmt[1]
            home.sql(stmt)


def test_a_clean_database_has_no_doctor_findings(clean):
    r = clean.run("doctor")
    assert r.rc == 0 and r.out == "" and "no findings" in r.err, r
    r = clean.run("--json", "doctor")
    assert r.rc == 0 and r.out == "", r


def test_a_fresh_empty_database_has_no_doctor_findings(home):
    r = home.run("doctor")
    assert r.rc == 0 and r.out == "", r


def test_every_check_finds_its_broken_state_and_changes_nothing(clean):
    break_all(clean)
    before = clean.snapshot()
    r = clean.run("--json", "doctor")
    assert r.rc == EX_FINDINGS and "found errors" in r.err and "HINT:" in r.err, r
    got = doctor_findings(r)
    assert sorted(got) == sorted(name for name, _, _ in BREAK[clean.kind]), got
    for name, _, fixable in BREAK[clean.kind]:
        f = got[name]
        assert f["count"] >= 1 and f["rows"] and f["why"] and f["repair"] and f["fixable"] == fixable, f
    assert clean.snapshot() == before  # read-only: not even mxdba's own tables were created
    # the text form: one line per finding
    r = clean.run("doctor")
    lines = r.out.splitlines()
    assert r.rc == EX_FINDINGS and lines[0].split()[:3] == ["SEVERITY", "CHECK", "COUNT"], r
    assert len(lines) == 1 + len(BREAK[clean.kind]), r.out
    assert clean.snapshot() == before


def test_rows_are_named_and_counted(clean):
    if clean.kind == "synapse":
        for i in range(7):
            clean.add_account(f"hand{i}", profile=False)
        f = doctor_findings(clean.run("--json", "doctor", "--check", "synapse-missing-profile"))["synapse-missing-profile"]
        assert f["count"] == 7 and f["rows"] == [f"@hand{i}:example.org" for i in range(5)], f
        r = clean.run("doctor", "--check", "synapse-missing-profile")
        assert "(2 more)" in r.out, r
    else:
        for i in range(7):
            clean.sql("INSERT INTO userapi_devices (access_token, session_id, device_id, localpart, server_name,"
                      f" created_ts, last_seen_ts) VALUES ('t{i}', {100 + i}, 'D{i}', 'ghost{i}', 'example.org', 1, 1)")
        f = doctor_findings(clean.run("--json", "doctor", "--check", "dendrite-orphan-devices"))["dendrite-orphan-devices"]
        assert f["count"] == 7 and f["rows"][0] == "@ghost0:example.org device D0" and len(f["rows"]) == 5, f


def test_dry_run_fix_changes_nothing(clean):
    break_all(clean)
    before = clean.snapshot()
    r = clean.run("--dry-run", "--json", "doctor", "--fix")
    assert r.rc == EX_FINDINGS, r
    for name, _, fixable in BREAK[clean.kind]:
        f = doctor_findings(r)[name]
        assert ("would_fix" in f) == fixable and f.get("would_fix", 1) >= 1, f
    assert clean.snapshot() == before


def test_fix_repairs_what_it_can_audited_and_leaves_the_rest(clean):
    break_all(clean)
    r = clean.run("--json", "doctor", "--fix")
    assert r.rc == 0, r  # what is left are warnings and notes
    got = doctor_findings(r)
    for name, _, fixable in BREAK[clean.kind]:
        if fixable:
            assert got[name]["fixed"] >= 1 and got[name]["left"] == 0, got[name]
    after = doctor_findings(clean.run("--json", "doctor"))
    left = [n for n, _, fixable in BREAK[clean.kind] if not fixable]
    if clean.kind == "synapse":
        left.append("synapse-updates-pending")  # the sliding-sync repair is an update for Synapse to run
    assert sorted(after) == sorted(left), after
    fields = {row[0] for row in clean.sql("SELECT field FROM mxdba_audit")}
    if clean.kind == "synapse":
        assert fields == {"profile", "access_token", "pending_deactivation", "background_update"}, fields
        assert clean.sql("SELECT update_name, progress_json FROM background_updates") == \
            [("sliding_sync_joined_rooms_bg_update", "{}")]
        assert clean.sql("SELECT displayname, full_user_id FROM profiles WHERE user_id = 'alice'") == \
            [("alice", "@alice:example.org")]
        assert clean.sql("SELECT user_id FROM users_pending_deactivation") == [("@gone:example.org",)]
        assert clean.sql("SELECT count(*) FROM access_tokens WHERE user_id = '@gone:example.org'") == [("0",)]
        assert clean.devices_of("alice") == [("alice", "PHONE")]  # an active user's token stays
    else:
        assert fields == {"devices", "deactivated", "password_hash", "profile"}, fields
        assert clean.is_deactivated("alice") is False and clean.password_hash("gone") == ""
        assert clean.sql("SELECT count(*) FROM userapi_devices WHERE localpart = 'ghost'") == [("0",)]
        assert clean.avatar_url("alice") == ""
    # a second --fix has nothing left to do and writes nothing
    before = clean.snapshot()
    r = clean.run("doctor", "--fix")
    assert r.rc == 0 and clean.snapshot() == before, r


def test_a_null_fill_cannot_be_undone_but_is_listed(clean):
    if clean.kind == "synapse":
        pytest.skip("Synapse's NOT NULL flags cannot be NULL")
    clean.sql("UPDATE userapi_accounts SET is_deactivated = NULL WHERE localpart = 'alice'")
    assert clean.run("doctor", "--fix").rc == 0
    rows = [a for a in map(json.loads, clean.run("--json", "audit", "list").out.splitlines())
            if a["field"] == "deactivated"]
    assert len(rows) == 1 and rows[0]["old"] in (None, "NULL") and rows[0]["new"] == "0", rows
    before = clean.snapshot()
    r = clean.run("audit", "undo", str(rows[0]["id"]))
    assert r.rc == EX_REFUSED and "no old value" in r.err and clean.snapshot() == before, r


def test_check_selects_and_unknown_names_are_refused(clean):
    break_all(clean)
    first = BREAK[clean.kind][0][0]
    r = clean.run("--json", "doctor", "--check", first)
    assert list(doctor_findings(r)) == [first], r
    before = clean.snapshot()
    for bad in (["doctor", "--check", "no-such-check"], ["doctor", "--fix", "--check", f"{first},nope"],
                ["doctor", "extra"], ["doctor", "--check"], ["doctor", "--check", ""], ["doctor", "--check", "a,,b"],
                ["doctor", "--list", "--fix"], ["doctor", "--fix", "--bogus"]):
        r = clean.run(*bad)
        assert r.rc == EX_USAGE and r.err.startswith("mxdba: error: "), (bad, r)
    assert clean.snapshot() == before


def test_list_names_every_check(home):
    r = home.run("--json", "doctor", "--list")
    assert r.rc == 0, r
    checks = [json.loads(line) for line in r.out.splitlines()]
    names = [c["check"] for c in checks]
    assert {"mxdba-minted-leftovers", "mxdba-queue-stuck", "mxdba-newer-schema"} <= set(names), names
    assert all(n.startswith((home.kind + "-", "mxdba-")) for n in names), names
    assert set(checks[0]) == {"check", "severity", "fixable", "finds", "why", "repair"}
    rows = list(csv.reader(io.StringIO(home.run("--csv", "doctor", "--list").out)))
    assert rows[0] == ["check", "severity", "fix", "finds"] and len(rows) == 1 + len(names), rows


def test_csv_has_one_row_per_finding(clean):
    break_all(clean)
    rows = list(csv.reader(io.StringIO(clean.run("--csv", "doctor").out)))
    assert rows[0] == ["severity", "check", "count", "problem", "rows", "why", "repair"], rows[0]
    assert len(rows) == 1 + len(BREAK[clean.kind]), rows


# ---- mxdba's own leftovers (the same on every homeserver) ----

def add_minted(home, localpart, token):
    home.add_device(localpart, "MINTED", token)
    home.sql("INSERT INTO mxdba_minted (access_token, device_id, localpart, server_name, created_ts) VALUES"
             f" ('{token}', 'MINTED', '{localpart}', 'example.org', 1700000000000)")


def test_minted_tokens_without_pending_work_are_leftovers(clean):
    assert clean.run("migrate").rc == 0
    add_minted(clean, "alice", "minted-alice")
    add_minted(clean, "admin", "minted-admin")
    # admin still has a pending leave: its token is in use, not a leftover
    clean.sql("INSERT INTO mxdba_queue (kind, user_id, room_id, created_ts, updated_ts) VALUES"
              " ('leave', '@admin:example.org', '!r:example.org', 1, 1)")
    f = doctor_findings(clean.run("--json", "doctor"))
    assert list(f) == ["mxdba-minted-leftovers"] and f["mxdba-minted-leftovers"]["count"] == 1, f
    assert f["mxdba-minted-leftovers"]["rows"][0].startswith("@alice:example.org (minted 2023-11-14"), f
    r = clean.run("--json", "doctor", "--fix")
    assert r.rc == 0 and doctor_findings(r)["mxdba-minted-leftovers"]["fixed"] == 1, r
    assert clean.sql("SELECT access_token FROM mxdba_minted") == [("minted-admin",)]
    assert ("alice", "MINTED") not in clean.devices_of("alice") and ("admin", "MINTED") in clean.devices_of("admin")
    assert [a[3] for a in clean.audit_rows("access_token")] == ["deleted"]


def test_stuck_queue_rows_and_a_newer_schema_are_warnings(clean):
    assert clean.run("migrate").rc == 0
    clean.sql("INSERT INTO mxdba_queue (kind, user_id, room_id, attempts, error, created_ts, updated_ts) VALUES"
              " ('leave', '@alice:example.org', '!r:example.org', 5, 'timed out', 1, 1),"
              " ('leave', '@alice:example.org', '!s:example.org', 1, 'timed out', 1, 1)")
    clean.sql("INSERT INTO mxdba_migrations (version, applied_ts, mxdba_version) VALUES ('9001_future', 1, '9.0')")
    before = clean.snapshot()
    r = clean.run("--json", "doctor")
    f = doctor_findings(r)
    assert r.rc == 0 and sorted(f) == ["mxdba-newer-schema", "mxdba-queue-stuck"], r
    assert f["mxdba-queue-stuck"]["count"] == 1 and "5 tries: timed out" in f["mxdba-queue-stuck"]["rows"][0], f
    assert f["mxdba-newer-schema"]["rows"] == ["9001_future (by mxdba 9.0)"], f
    assert clean.snapshot() == before


def test_fix_on_postgres_refuses_backup_and_changes_nothing(clean):
    break_all(clean)
    if clean.backend != "postgres":
        r = clean.run("doctor", "--fix")
        assert r.rc == 0 and "backed up" in r.err, r
        return
    before = clean.snapshot()
    r = clean.run("--backup", "doctor", "--fix")
    assert r.rc == EX_USAGE and "pg_dump" in r.err and clean.snapshot() == before, r
