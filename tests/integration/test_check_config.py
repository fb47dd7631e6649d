# SPDX-License-Identifier: Apache-2.0
"""`mxdba check`, schema refusals, config errors and the global CLI surface."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from mxtest import run
import scratch  # noqa: E402

EX_USAGE, EX_CONFIG, EX_REFUSED, EX_DB = 2, 3, 6, 7


@pytest.mark.kinds("dendrite")     # Synapse's check: test_synapse.py
def test_check_reports_layout_versions_counts(home):
    home.add_account("root", admin=True)
    home.add_account("alice", deactivated=True)
    home.add_device("root", "D1", "t1")
    r = home.run("check")
    assert r.rc == 0, r
    assert "Dendrite v0.10.8 or later" in r.out and "0.13.8" in r.out
    assert "accounts         2 (admins 1, active admins 1, deactivated 1); devices 1" in r.out
    assert "not running" in r.out
    docs = [json.loads(l) for l in home.run("--json", "check").out.splitlines()]
    u = docs[0]
    assert u["component"] == "userapi" and u["writable"] is True and u["accounts"] == 2
    assert u["dendrite_versions"][0]["dendrite_version"] == "0.13.8"
    assert u["server"] == "not running"
    assert any(d["component"] == "roomserver" for d in docs)


def test_check_sees_a_process_holding_the_sqlite_file(make_home):
    home = make_home("sqlite")
    holder = scratch.spawn([sys.executable, "-c",
                               "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1]);"
                               "c.execute('select count(*) from sqlite_master').fetchall(); print('ok', flush=True);"
                               "time.sleep(60)", str(home.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        r = home.run("--json", "check")
        u = json.loads(r.out.splitlines()[0])
        assert u["server"] == "running" and str(holder.pid) in u["server_detail"], r
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(home.run("--json", "check").out.splitlines()[0])["server"] == "not running"


def test_check_sees_other_postgres_sessions(make_home, pg):
    home = make_home("postgres")
    holder = scratch.spawn(["psql", "-X", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", home.db,
                               "-c", "select pg_sleep(30)"], stdout=subprocess.DEVNULL)
    try:
        import time
        for _ in range(50):
            u = json.loads(home.run("--json", "check").out.splitlines()[0])
            if u["server"] == "running":
                break
            time.sleep(0.1)
        assert u["server"] == "running" and "other session" in u["server_detail"]
    finally:
        holder.kill()
        holder.wait()


OLD_LAYOUT = """
CREATE TABLE db_migrations (version TEXT NOT NULL PRIMARY KEY, time TEXT NOT NULL, dendrite_version TEXT NOT NULL);
INSERT INTO db_migrations VALUES ('keyserver: refactor key changes', '2022-01-01T00:00:00Z', '0.8.9');
CREATE TABLE account_accounts (localpart TEXT NOT NULL PRIMARY KEY, created_ts BIGINT NOT NULL,
  password_hash TEXT, appservice_id TEXT, is_deactivated BOOLEAN DEFAULT FALSE, account_type SMALLINT NOT NULL);
CREATE TABLE account_profiles (localpart TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar_url TEXT);
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_writes_refused_on_old_account_accounts_layout(make_home, backend, tmp_path):
    schema = tmp_path / "old.sql"
    schema.write_text(OLD_LAYOUT)
    home = make_home(backend, schema=schema)
    before = home.snapshot()
    for args in (["user", "create", "root", "--no-password"], ["user", "promote", "root"],
                 ["user", "passwd", "root", "--password-stdin"]):
        r = home.run(*args, input="long-enough-pw\n")
        assert r.rc == EX_REFUSED and "before v0.10.4" in r.err and "HINT:" in r.err, r
    r = home.run("check")
    assert r.rc == EX_REFUSED and "account_accounts" in r.out + r.err
    assert home.snapshot() == before


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("breakage,found", [
    ("DROP TABLE db_migrations", "no db_migrations"),
    ("DELETE FROM db_migrations WHERE version = 'userapi: server names populate'", "server names populate"),
])
def test_writes_refused_without_migration_markers(make_home, backend, breakage, found):
    home = make_home(backend, extra_sql=breakage)
    home.add_account("alice")
    before = home.snapshot()
    r = home.run("user", "promote", "alice")
    assert r.rc == EX_REFUSED and found in r.err, r
    r = home.run("user", "create", "bob", "--no-password")
    assert r.rc == EX_REFUSED, r
    assert home.snapshot() == before
    # reading still works
    assert home.run("user", "show", "alice").rc == 0


def test_not_a_dendrite_database(tmp_path):
    db = tmp_path / "x.db"
    sqlite3.connect(db).executescript("CREATE TABLE t (a);")
    cfg = tmp_path / "mxdba.ini"
    cfg.write_text("[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\nuserapi = file:x.db\n")
    before = db.read_bytes()
    r = run(["-c", cfg, "user", "create", "root", "--no-password"])
    assert r.rc == EX_REFUSED and "no userapi_accounts" in r.err, r
    assert db.read_bytes() == before
    # a file that is not SQLite at all, and a missing one: database errors, nothing created
    (tmp_path / "x.db").write_bytes(b"not a database" * 100)
    r = run(["-c", cfg, "user", "list"])
    assert r.rc == EX_DB, r
    cfg.write_text("[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\nuserapi = file:missing.db\n")
    r = run(["-c", cfg, "user", "list"])
    assert r.rc == EX_DB and "does not exist" in r.err
    assert not (tmp_path / "missing.db").exists()


def test_config_errors_name_file_and_line(tmp_path):
    cfg = tmp_path / "bad.ini"
    cases = [
        ("[homeserver]\ntype = dendrite\nserver_name = example.org\ncolour = blue\n", ":4:", "unknown key colour"),
        ("[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = 99\n", ":5:",
         "bcrypt_cost"),
        ("[homeserver]\ntype = dendrite\n", "", "missing required key server_name"),
        ("[homserver]\ntype = dendrite\n", ":1:", "unknown section"),
    ]
    for text, where, what in cases:
        cfg.write_text(text)
        r = run(["-c", cfg, "user", "list"])
        assert r.rc == EX_CONFIG and f"{cfg}{where}" in r.err and what in r.err, r
    r = run(["-c", tmp_path / "none.ini", "check"])
    assert r.rc == EX_CONFIG and "none.ini" in r.err
    r = run(["check"], cwd=tmp_path, env={"MXDBA_CONFIG": ""})
    assert r.rc == EX_CONFIG and "no config file found" in r.err


def test_config_search_order(tmp_path, make_home):
    home = make_home("sqlite")
    home.add_account("alice")
    # $MXDBA_CONFIG
    r = run(["user", "list"], env={"MXDBA_CONFIG": str(home.config)}, cwd=tmp_path)
    assert r.rc == 0 and "@alice" in r.out
    # ./mxdba.ini in the working directory
    r = run(["user", "list"], cwd=home.dir)
    assert r.rc == 0 and "@alice" in r.out


def test_password_in_world_readable_config_warns_and_is_masked(tmp_path, pg):
    cfg = tmp_path / "mxdba.ini"
    cfg.write_text("[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\n"
                   f"default = postgres://postgres:Sup3rSecret@127.0.0.1:{pg.port}/no_such_db?sslmode=disable\n")
    os.chmod(cfg, 0o644)
    r = run(["-c", cfg, "check"])
    assert "readable by group or others" in r.err and "chmod 600" in r.err
    assert r.rc == EX_DB
    assert "Sup3rSecret" not in r.err + r.out
    assert "postgres:****@" in r.err + r.out
    os.chmod(cfg, 0o600)
    assert "readable by group" not in run(["-c", cfg, "check"]).err


def test_unreachable_postgres_is_a_database_error_without_password(tmp_path):
    cfg = tmp_path / "mxdba.ini"
    cfg.write_text("[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\n"
                   "default = postgres://u:TopSecret1@127.0.0.1:1/dendrite?sslmode=disable\n")
    os.chmod(cfg, 0o600)
    r = run(["-c", cfg, "user", "promote", "x"])
    assert r.rc == EX_DB and "cannot connect" in r.err and "TopSecret1" not in r.err, r


def test_global_options_help_version_and_usage():
    assert run(["--version"]).out.startswith("mxdba ")
    r = run(["--help"])
    assert r.rc == 0 and "user promote" in r.out and "Exit codes" in r.out
    for words in (["user", "create"], ["user", "passwd"], ["check"], ["hash"]):
        r = run(words + ["--help"])
        assert r.rc == 0 and "Usage: mxdba " + " ".join(words) in r.out and "Example:" in r.out, r
        assert run(["help"] + words).out == r.out
    r = run(["frobnicate"])
    assert r.rc == EX_USAGE and "unknown command" in r.err and "HINT:" in r.err
    assert run(["user"]).rc == EX_USAGE
    assert run(["user", "list", "--bogus"]).rc == EX_USAGE
    assert run([]).rc == EX_USAGE


def as_other_type(home):
    """HOME's config with [homeserver] type set to the other homeserver (its database key to match)."""
    lines = home.config.read_text().splitlines()
    if "type = synapse" in lines:
        lines = [l.replace("type = synapse", "type = dendrite").replace("default = ", "userapi = ") for l in lines]
    else:
        lines = [l.replace("type = dendrite", "type = synapse").replace("userapi = ", "default = ") for l in lines
                 if not l.startswith(("roomserver", "syncapi", "keyserver"))]
    home.write_config("\n".join(lines) + "\n")


@pytest.mark.parametrize("cmd", [["check"], ["user", "list"], ["user", "promote", "alice"], ["doctor"]])
def test_the_wrong_homeserver_type_is_named(home, cmd):
    """A Synapse database under type = dendrite, a Dendrite one under type =
    synapse: the refusal names what the database is and what to set."""
    home.add_account("alice")
    as_other_type(home)
    before = home.snapshot()
    r = home.run(*cmd)
    found = {"synapse": "a Synapse database (schema_version 94)",
             "dendrite": "Dendrite's userapi database (Dendrite v0.13.8)"}[home.kind]
    assert r.rc == 6, r
    assert f"mxdba: error: this is {found}; set [homeserver] type = {home.kind}\n" in r.err, r
    assert "HINT: " in r.err, r
    assert home.snapshot() == before


def test_a_dendrite_component_that_is_not_the_userapi_is_named(make_home):
    home = make_home("sqlite")
    home.write_config(home.config.read_text().replace("userapi = file:dendrite_userapi.db",
                                                       "userapi = file:dendrite_roomserver.db"))
    before = home.snapshot()
    r = home.run("user", "list")
    assert r.rc == 6 and "this is Dendrite's roomserver database, not the one mxdba writes" in r.err, r
    assert "user_api.account_database" in r.err, r
    assert home.snapshot() == before
