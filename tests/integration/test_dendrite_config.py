# SPDX-License-Identifier: Apache-2.0
"""[homeserver] dendrite_config: mxdba takes server_name, databases (with the
global.database fallback), bcrypt_cost, the server-notices account and the
appservices' exclusive namespaces from Dendrite's own YAML; mxdba.ini wins.
Also `config init` and the build-time check of the named SQL."""
import os
import shutil
import stat
import subprocess

from dendrite_db import DendriteHome
from mxtest import ROOT, run

EX_USAGE, EX_CONFIG, EX_CONFLICT, EX_REFUSED = 2, 3, 5, 6

YAML = """version: 2
global:
  server_name: {server}
  database:
    connection_string: "{global_db}"
  server_notices:
    enabled: true
    local_part: _notices
app_service_api:
  config_files:
    - irc.yaml
user_api:
  bcrypt_cost: 5
  account_database:
    connection_string: {userapi_db}
room_server:
  database:
    connection_string: file:dendrite_roomserver.db
"""

IRC = """id: irc-bridge
url: http://127.0.0.1:1
as_token: secret-as-token
hs_token: secret-hs-token
sender_localpart: ircbot
namespaces:
  users:
    - exclusive: true
      regex: "@irc_.*:example\\\\.org"
    - exclusive: false
      regex: "@shared_.*:example\\\\.org"
"""


def with_yaml(home, server="example.org", userapi_db="file:dendrite_userapi.db", global_db="", ini_extra=""):
    (home.dir / "dendrite.yaml").write_text(YAML.format(server=server, userapi_db=userapi_db, global_db=global_db))
    (home.dir / "irc.yaml").write_text(IRC)
    home.write_config(f"[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n{ini_extra}")


def test_yaml_gives_server_name_databases_and_cost(tmp_path):
    home = DendriteHome("sqlite")
    with_yaml(home)
    r = home.run("user", "create", "alice", "--password-stdin", input="alice-password\n")
    assert r.rc == 0, r
    assert home.password_hash("alice").startswith("$2a$05$")         # user_api.bcrypt_cost
    r = home.run("check")
    assert r.rc == 0 and str(home.dir / "dendrite_userapi.db") in r.out and "roomserver" in r.out, r


def test_ini_keys_win_over_yaml():
    home = DendriteHome("sqlite")
    with_yaml(home, server="wrong.example", ini_extra="server_name = example.org\n[passwords]\nbcrypt_cost = 6\n")
    r = home.run("user", "create", "@bob:example.org", "--password-stdin", input="bob-password-1\n")
    assert r.rc == 0, r
    assert home.server_of("bob") == "example.org" and home.password_hash("bob").startswith("$2a$06$")


def test_global_database_fallback(pg):
    home = DendriteHome("postgres", pg=pg)
    # no user_api block: the component falls back to global.database
    (home.dir / "dendrite.yaml").write_text(
        f"global:\n  server_name: example.org\n  database:\n    connection_string: {pg.dsn(home.db)}\n")
    home.write_config("[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n")
    r = home.run("user", "create", "carol", "--no-password")
    assert r.rc == 0, r
    assert home.exists("carol")


def test_exclusive_namespace_sender_and_notices_accounts_are_refused():
    home = DendriteHome("sqlite")
    with_yaml(home)
    home.add_account("irc_alice")
    home.add_account("ircbot", appservice="irc-bridge")
    home.add_account("_notices")
    before = home.snapshot()
    for args in (["user", "create", "irc_bob", "--no-password"], ["user", "promote", "irc_alice"],
                 ["user", "passwd", "irc_alice", "--password-stdin"], ["user", "promote", "ircbot"],
                 ["user", "promote", "_notices"]):
        r = home.run(*args, input="long-enough-1\n")
        assert r.rc == EX_REFUSED, (args, r)
    r = home.run("user", "create", "irc_bob", "--no-password")
    assert "irc-bridge" in r.err and "exclusive namespace" in r.err
    assert home.snapshot() == before
    # a non-exclusive namespace is fine
    assert home.run("user", "create", "shared_x", "--no-password").rc == 0


def test_broken_yaml_and_missing_appservice_file_are_config_errors():
    home = DendriteHome("sqlite")
    (home.dir / "dendrite.yaml").write_text("global:\n  server_name: [unclosed\n")
    home.write_config("[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n")
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "dendrite.yaml:" in r.err, r
    with_yaml(home)
    os.unlink(home.dir / "irc.yaml")
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "irc.yaml" in r.err, r
    home.write_config("[homeserver]\ntype = dendrite\ndendrite_config = nowhere.yaml\n")
    assert home.run("user", "list").rc == EX_CONFIG


def test_config_init(tmp_path):
    home = DendriteHome("sqlite")
    with_yaml(home)
    out = tmp_path / "new.ini"
    r = run(["-c", out, "config", "init", "--from-dendrite", home.dir / "dendrite.yaml"])
    assert r.rc == 0, r
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    home.add_account("alice")
    r = run(["-c", out, "user", "list"])
    assert r.rc == 0 and "@alice:example.org" in r.out, r
    before = out.read_bytes()
    r = run(["-c", out, "config", "init"])
    assert r.rc == EX_CONFLICT and out.read_bytes() == before
    plain = tmp_path / "plain.ini"
    assert run(["-c", plain, "config", "init"]).rc == 0
    r = run(["-c", plain, "check"])
    assert r.rc == EX_CONFIG and "no database configured" in r.err   # parses; database still to be set
    assert run(["-c", tmp_path / "x.ini", "config", "init", "--from-dendrite", tmp_path / "none.yaml"]).rc == EX_CONFIG


def embed(tree, out):
    return subprocess.run(["bash", tree / "scripts" / "embed-sql", out], capture_output=True, text=True)


def test_build_fails_when_a_statement_exists_for_one_backend_only(tmp_path):
    """embed-sql checks every namespace (common, each homeserver profile) on
    both backends, and the fragments statements share."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "sql", tree / "sql")
    shutil.copytree(ROOT / "scripts", tree / "scripts")
    ok = embed(tree, tmp_path / "ok.c")
    assert ok.returncode == 0, ok.stderr
    pristine = {p: p.read_text() for p in (tree / "sql").rglob("*.sql")}

    def broken(path, text, needle):
        for p, t in pristine.items():
            p.write_text(t)
        with open(tree / "sql" / path, "a") as f:
            f.write(text)
        out = tmp_path / "bad.c"
        r = embed(tree, out)
        assert r.returncode != 0 and needle in r.stderr, (path, r.stderr)
        assert not out.exists()

    broken("dendrite/postgres/accounts.sql", "\n-- name: only_on_postgres\nSELECT 1;\n", "only_on_postgres")
    broken("dendrite/sqlite/accounts.sql", "\n-- name: account_get\nSELECT 2;\n", "account_get")  # twice
    broken("common/sqlite/audit.sql", "\n-- name: only_common_sqlite\nSELECT 1;\n", "only_common_sqlite")
    # a profile may not shadow a common statement (on both backends, so only that is wrong)
    broken("dendrite/postgres/accounts.sql", "\n-- name: audit_insert\nSELECT 1;\n", "audit_insert")
    broken("dendrite/postgres/memberships.sql", "\n-- name: uses_nothing\nSELECT {{no_such_fragment}};\n",
           "no_such_fragment")
    broken("dendrite/postgres/memberships.sql", "\n-- fragment: never_used\nSELECT 1\n", "never_used")


def test_a_bad_bcrypt_cost_in_dendrite_yaml_is_said_safely():
    """Found by tests/fuzz/fuzz_yaml.c: the error once quoted the value after the YAML document holding it
    was freed. Now a config error (exit 3), the value quoted only when it is short clean text."""
    home = DendriteHome("sqlite")
    for value, shown in (("abc", '"abc"'), ("3", '"3"'), ("x" * 500, '"' + "x" * 40 + '"'),
                         ('"bad\\u0007bell"', '"(not clean text)"')):
        (home.dir / "dendrite.yaml").write_text(YAML.format(server="example.org", userapi_db="file:dendrite_userapi.db",
                                                            global_db="").replace("bcrypt_cost: 5", f"bcrypt_cost: {value}"))
        (home.dir / "irc.yaml").write_text(IRC)
        home.write_config("[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n")
        before = home.snapshot()
        r = home.run("user", "list")
        assert r.rc == EX_CONFIG and f"user_api.bcrypt_cost {shown} is not a whole number" in r.err, r
        assert home.snapshot() == before
