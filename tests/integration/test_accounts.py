# SPDX-License-Identifier: Apache-2.0
"""The account commands against Dendrite-shaped databases on SQLite and a
throwaway PostgreSQL: what they write, and that every refusal changes nothing."""
import json

import pytest
from mxtest import SERVER

PW = "correct-horse-9\n"
EX_USAGE, EX_CONFIG, EX_NOTFOUND, EX_CONFLICT, EX_REFUSED, EX_DB, EX_MISMATCH = 2, 3, 4, 5, 6, 7, 8


def refused(home, args, code, input=None, msg=None):
    """Run a command that must be refused: exit CODE, message, database unchanged."""
    before = home.snapshot()
    r = home.run(*args, input=input)
    assert r.rc == code, r
    assert r.err.startswith("mxdba: error: "), r.err
    if msg:
        assert msg in r.err, r.err
    assert home.snapshot() == before, "a refused command changed the database"
    return r


# ---------- create ----------

def test_create_admin_writes_account_and_profile_rows(home):
    r = home.run("user", "create", "@root:example.org", "--admin", "--password-stdin", input=PW)
    assert r.rc == 0, r
    assert "created @root:example.org (admin)" in r.out
    assert home.server_of("root") == SERVER
    h = home.password_hash("root")
    assert h.startswith(home.hash_prefix + "04$") and len(h) == 60  # configured cost 4
    assert home.appservice_of("root") == ""                      # no appservice
    assert home.is_deactivated("root") is False                  # false, not NULL
    assert home.is_admin("root")
    # never NULL where the homeserver reads a string
    assert (home.display_name("root"), home.avatar_url("root")) == ("root", "")
    assert home.created_ms("root") > 1_700_000_000_000           # milliseconds
    assert home.run("user", "verify-password", "root", "--password-stdin", input=PW).rc == 0


def test_create_user_with_display_name_and_random_password(home):
    r = home.run("--json", "user", "create", "bob", "--random-password", "--display-name", "Bob B.")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["user_id"] == "@bob:example.org" and doc["type"] == "user" and doc["created"] is True
    assert len(doc["password"]) == 24
    assert not home.is_admin("bob")
    assert home.display_name("bob") == "Bob B."
    assert home.run("user", "verify-password", "bob", "--password-stdin", input=doc["password"] + "\n").rc == 0
    # the password is printed once, never stored in clear
    assert doc["password"] not in home.account_dump()


def test_create_no_password_stores_what_the_homeserver_reads_as_none(home):
    r = home.run("user", "create", "svc", "--no-password")
    assert r.rc == 0, r
    assert home.password_hash("svc") == home.no_password_hash    # Dendrite: empty, not NULL; Synapse: NULL


def test_create_password_file(home, tmp_path):
    f = tmp_path / "pw"
    f.write_text("from-a-file-123\n")
    assert home.run("user", "create", "carol", "--password-file", f).rc == 0
    assert home.run("user", "verify-password", "carol", "--password-file", f).rc == 0


def test_create_refuses_existing_account(home):
    home.add_account("alice")
    refused(home, ["user", "create", "alice", "--password-stdin"], EX_CONFLICT, PW, "already exists")
    refused(home, ["user", "create", "@alice:example.org", "--no-password"], EX_CONFLICT, None, "already exists")


@pytest.mark.kinds("dendrite")     # Synapse refuses the whole database then (test_synapse_accounts.py)
def test_create_refuses_localpart_taken_under_other_server_name(home):
    home.add_account("dave", server="old.example.org")
    refused(home, ["user", "create", "dave", "--no-password"], EX_CONFLICT, None, "old.example.org")


def test_create_refuses_orphan_profile(home):
    home.add_profile("ghost", "ghost")                           # an account deleted by hand
    refused(home, ["user", "create", "ghost", "--no-password"], EX_CONFLICT, None, "without an account")


@pytest.mark.parametrize("user", ["Alice", "_alice", "12345", "al ice", "al'ice", "a;DROP TABLE x", "ä",
                                  "@x:other.org", "@x", "a" * 250, "", "x\x01y", "al\"ice"])
def test_create_refuses_bad_localparts(home, user):
    refused(home, ["user", "create", user, "--no-password"], EX_USAGE)


def test_create_refuses_bad_passwords(home):
    for pw, word in home.bad_passwords.items():
        refused(home, ["user", "create", "erin", "--password-stdin"], EX_USAGE, pw, word)


def test_create_refuses_two_password_sources_and_unknown_options(home, tmp_path):
    refused(home, ["user", "create", "erin", "--password-stdin", "--random-password"], EX_USAGE, PW)
    refused(home, ["user", "create", "erin", "--no-password", "--random-password"], EX_USAGE)
    # there is no way to pass a password on the command line
    refused(home, ["user", "create", "erin", "--password", "hunter22hunter"], EX_USAGE, None, "unknown option")


def test_create_without_terminal_asks_for_another_source(home):
    r = refused(home, ["user", "create", "erin"], EX_USAGE, "", "no terminal")
    assert "--password-stdin" in r.err


def test_create_dry_run_changes_nothing(home):
    before = home.snapshot()
    r = home.run("--dry-run", "user", "create", "frank", "--admin", "--password-stdin", input=PW)
    assert r.rc == 0, r
    assert "would create @frank:example.org" in r.out
    assert home.snapshot() == before


# ---------- promote / demote ----------

def test_promote_and_demote(home):
    home.add_account("alice")
    home.add_account("root", admin=True)
    r = home.run("user", "promote", "alice")
    assert r.rc == 0 and "promoted @alice:example.org" in r.out, r
    assert home.is_admin("alice")
    r = home.run("user", "promote", "@alice:example.org")
    assert r.rc == 0 and "already an admin" in r.out, r
    r = home.run("user", "demote", "alice")
    assert r.rc == 0 and "demoted @alice:example.org" in r.out, r
    assert not home.is_admin("alice")
    r = home.run("--json", "user", "demote", "alice")
    assert r.rc == 0 and json.loads(r.out) == {"user_id": "@alice:example.org", "action": "demote",
                                               "changed": False, "old_type": 1, "new_type": 1, "dry_run": False}


def test_promote_many_is_all_or_nothing(home):
    home.add_account("alice")
    home.add_account("bob")
    refused(home, ["user", "promote", "alice", "nobody", "bob"], EX_NOTFOUND, None, "@nobody:example.org")
    r = home.run("user", "promote", "alice", "bob", "alice")
    assert r.rc == 0, r
    assert home.is_admin("alice") and home.is_admin("bob")


def test_promote_refuses_appservice_guest_and_notices_accounts(home):
    home.add_account("irc_bridge", appservice="irc")
    home.add_account("1234", guest=True)
    home.add_account("_server")
    home.configure_notices("_server")
    refused(home, ["user", "promote", "irc_bridge"], EX_REFUSED, None, "appservice")
    refused(home, ["user", "demote", "irc_bridge"], EX_REFUSED, None, "appservice")
    refused(home, ["user", "promote", "1234"], EX_REFUSED, None, "guest")
    refused(home, ["user", "promote", "_server"], EX_REFUSED, None, "server-notices")


def test_demote_last_admin_needs_yes(home):
    home.add_account("root", admin=True)
    home.add_account("other", admin=True, deactivated=True)
    refused(home, ["user", "demote", "root"], EX_REFUSED, None, "last active admin")
    assert home.run("--dry-run", "user", "demote", "root").rc == 0
    assert home.is_admin("root")
    r = home.run("user", "demote", "root", "--yes")
    assert r.rc == 0, r
    assert not home.is_admin("root")


def test_demoting_a_deactivated_admin_takes_no_active_admin_away(home):
    """No active admin at all and a deactivated one demoted: nothing to confirm (the question is about
    losing the last admin who can act); demoting it with the last active one still asks."""
    home.add_account("gone", admin=True, deactivated=True)
    r = home.run("user", "demote", "gone")
    assert r.rc == 0, r
    assert not home.is_admin("gone")
    home.add_account("root", admin=True)
    home.add_account("gone2", admin=True, deactivated=True)
    refused(home, ["user", "demote", "gone2", "root"], EX_REFUSED, None, "last active admin")
    assert home.is_admin("root") and home.is_admin("gone2")


def test_promote_unknown_user(home):
    refused(home, ["user", "promote", "nobody"], EX_NOTFOUND, None, "not found")
    refused(home, ["user", "promote"], EX_USAGE)


def test_lookup_is_lowercase_first_then_exact(home):
    home.add_account("Legacy")
    r = home.run("user", "promote", "Legacy")
    assert r.rc == 0 and "@Legacy:example.org" in r.out, r
    home.add_account("mixed")
    r = home.run("user", "promote", "MIXED")
    assert r.rc == 0 and "@mixed:example.org" in r.out, r


# ---------- passwd ----------

def test_passwd_changes_hash_and_keeps_devices(home):
    home.add_account("alice", password_hash="$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy")
    home.add_device("alice", "DEV1", "tok1")
    assert home.run("user", "verify-password", "alice", "--password-stdin", input="password\n").rc == 0
    r = home.run("user", "passwd", "alice", "--password-stdin", input="new-password-1\n")
    assert r.rc == 0, r
    assert home.run("user", "verify-password", "alice", "--password-stdin", input="password\n").rc == EX_MISMATCH
    assert home.run("user", "verify-password", "alice", "--password-stdin", input="new-password-1\n").rc == 0
    assert len(home.devices_of("alice")) == 1


def test_passwd_logout_devices_needs_yes_then_deletes_only_that_users_devices(home):
    home.add_account("alice")
    home.add_account("bob")
    home.add_device("alice", "DEV1", "tok1")
    home.add_device("alice", "DEV2", "tok2")
    home.add_device("bob", "DEV1", "tok3")
    refused(home, ["user", "passwd", "alice", "--password-stdin", "--logout-devices"], EX_REFUSED, PW, "--yes")
    r = home.run("--json", "user", "passwd", "alice", "--password-stdin", "--logout-devices", "--yes", input=PW)
    assert r.rc == 0, r
    assert json.loads(r.out)["devices_logged_out"] == 2
    assert home.devices_of() == [("bob", "DEV1")]


def test_passwd_refusals_change_nothing(home):
    home.add_account("alice")
    home.add_account("irc_bridge", appservice="irc")
    refused(home, ["user", "passwd", "nobody", "--password-stdin"], EX_NOTFOUND, PW)
    for pw, word in home.bad_passwords.items():
        refused(home, ["user", "passwd", "alice", "--password-stdin"], EX_USAGE, pw, word)
    refused(home, ["user", "passwd", "alice", "--password-stdin"], EX_USAGE, "with\x00nul\n", "NUL")
    refused(home, ["user", "passwd", "alice", "--password-stdin", "--scheme", "argon2id"], EX_REFUSED, PW, "bcrypt")
    refused(home, ["user", "passwd", "alice", "--password-stdin", "--scheme", "md5"], EX_USAGE, PW)
    refused(home, ["user", "passwd", "irc_bridge", "--password-stdin"], EX_REFUSED, PW, "appservice")
    refused(home, ["user", "passwd", "alice", "--password-file", "/nonexistent/pw"], EX_USAGE)


def test_passwd_random_and_dry_run(home):
    home.add_account("alice")
    before = home.snapshot()
    r = home.run("--dry-run", "user", "passwd", "alice", "--random-password")
    assert r.rc == 0 and "password:" not in r.out, r
    assert home.snapshot() == before
    r = home.run("user", "passwd", "alice", "--random-password")
    assert r.rc == 0, r
    pw = [l for l in r.out.splitlines() if l.startswith("password: ")][0][10:]
    assert home.run("user", "verify-password", "alice", "--password-stdin", input=pw + "\n").rc == 0


def test_passwd_hash_is_libxcrypt_compatible(home):
    crypt = pytest.importorskip("crypt")
    home.add_account("alice")
    assert home.run("user", "passwd", "alice", "--password-stdin", input=PW).rc == 0
    h = home.password_hash("alice")
    assert crypt.crypt(PW.strip(), h) == h


# ---------- verify-password ----------

def test_verify_password_mismatch_and_no_password(home):
    home.add_account("alice", password_hash="$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
    home.add_account("nopw", password_hash="")
    assert home.run("user", "verify-password", "alice", "--password-stdin", input="U*U\n").rc == 0
    r = home.run("user", "verify-password", "alice", "--password-stdin", input="U*V\n")
    assert r.rc == EX_MISMATCH and "does not match" in r.err
    r = home.run("user", "verify-password", "nopw", "--password-stdin", input="anything\n")
    assert r.rc == EX_MISMATCH and "no password" in r.err
    assert home.run("user", "verify-password", "nobody", "--password-stdin", input="x\n").rc == EX_NOTFOUND


# ---------- list / show ----------

def test_list_and_filters(home):
    home.add_account("alice")
    home.add_account("root", admin=True)
    home.add_account("gone", deactivated=True)
    r = home.run("--json", "user", "list")
    docs = [json.loads(l) for l in r.out.splitlines()]
    assert [d["user_id"] for d in docs] == ["@alice:example.org", "@gone:example.org", "@root:example.org"]
    assert docs[1]["deactivated"] is True and docs[2]["type"] == "admin"
    r = home.run("--json", "user", "list", "--admins")
    assert [json.loads(l)["localpart"] for l in r.out.splitlines()] == ["root"]
    r = home.run("user", "list", "--deactivated")
    assert r.rc == 0 and "@gone:example.org" in r.out and "alice" not in r.out
    assert home.run("user", "list", "extra").rc == EX_USAGE


def test_show_lists_devices_like_whois(home):
    home.add_account("alice", admin=True, password_hash="$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy")
    home.add_device("alice", "PHONE", "tok1", ip="192.0.2.7", ua="Element/1.11", last_seen=1700000200000)
    home.add_device("alice", "LAPTOP", "tok2", ip="198.51.100.3", ua="curl/8", last_seen=1700000100000)
    r = home.run("--json", "user", "show", "alice")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["type"] == "admin" and doc["deactivated"] is False
    assert doc["password_hash_scheme"] == "bcrypt $2a$ cost 04"
    assert [(d["device_id"], d["ip"], d["user_agent"]) for d in doc["devices"]] == \
        [("PHONE", "192.0.2.7", "Element/1.11"), ("LAPTOP", "198.51.100.3", "curl/8")]
    assert "tok1" not in r.out  # access tokens are never shown
    r = home.run("user", "show", "alice")
    assert "PHONE" in r.out and "192.0.2.7" in r.out
    # Dendrite's own account_type code beside the name; Synapse has none
    assert ("admin (3)" if home.kind == "dendrite" else "account type     admin\n") in r.out, r.out
    assert home.run("user", "show", "nobody").rc == EX_NOTFOUND


def test_show_flags_null_deactivated_and_missing_profile(home):
    home.add_account("odd", profile=False)
    if home.has_null_deactivated:
        home.set_deactivated_null("odd")
    r = home.run("user", "show", "odd")
    assert r.rc == 0 and f"no {home.profile_table} row" in r.out, r
    assert ("deactivated      NULL" in r.out) == home.has_null_deactivated, r


# ---------- hash ----------

def test_hash_bcrypt_and_argon2id():
    from mxtest import run
    r = run(["hash", "--password-stdin", "--cost", "5"], input="hash-me-please\n")
    assert r.rc == 0 and r.out.startswith("$2a$05$") and len(r.out.strip()) == 60, r
    r = run(["--json", "hash", "--scheme", "argon2id", "--password-stdin"], input="hash-me-please\n")
    assert r.rc == 0 and json.loads(r.out)["hash"].startswith("$argon2id$"), r
    assert run(["hash", "--scheme", "md5", "--password-stdin"], input="hash-me-please\n").rc == EX_USAGE
    assert run(["hash", "--cost", "40", "--password-stdin"], input="hash-me-please\n").rc == EX_USAGE
    assert run(["hash", "hash-me-please"]).rc == EX_USAGE


def test_a_refused_write_does_not_announce_migrations_it_rolled_back(home):
    """mxdba's own tables are created inside the command's transaction: a refused command rolls them
    back, so it must not say it applied them (it used to print "applying … migration" before refusing)."""
    home.add_account("alice")
    before = home.snapshot()
    r = home.run("user", "create", "alice", "--no-password")
    assert r.rc == 5 and "migration" not in r.err, r
    assert home.snapshot() == before
    r = home.run("user", "create", "bob", "--no-password")
    assert r.rc == 0 and "applied mxdba's own migration(s) (4)" in r.err, r
