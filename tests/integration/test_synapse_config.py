# SPDX-License-Identifier: Apache-2.0
"""[homeserver] synapse_config: mxdba reads server_name, the database (the
database: and databases: forms, psycopg2 args), bcrypt_rounds,
password_config, server_notices, the appservices and MAS from Synapse's own
homeserver.yaml, merged as Synapse merges its -c files; mxdba.ini wins.
And the refusals of a Synapse database mxdba must not write: MAS mode, a
schema version it does not know, users of another server_name. Every
refusal leaves the database row for row as it was."""
import json
import pytest

from mxtest import run
from synapse_db import SynapseHome

EX_USAGE, EX_CONFIG, EX_REFUSED = 2, 3, 6

MAIN = """server_name: example.org
database:
  name: sqlite3
  args:
    database: homeserver.db
bcrypt_rounds: 5
listeners:
  - port: 8448
    type: http
    resources: [{names: [federation]}]
  - port: 18008
    type: http
    bind_addresses: ['::1']
    resources: [{names: [client, federation]}]
"""


def synapse_yaml(home, text=MAIN, extra=None, as_list=False, ini_extra=""):
    """homeserver.yaml (and more files: a conf.d folder, or a comma list when AS_LIST) in HOME."""
    (home.dir / "homeserver.yaml").write_text(text)
    where = "homeserver.yaml"
    if extra:
        if as_list:
            for i, t in enumerate(extra):
                (home.dir / f"extra{i}.yaml").write_text(t)
            where += "," + ",".join(f"extra{i}.yaml" for i in range(len(extra)))
        else:
            (home.dir / "conf.d").mkdir(exist_ok=True)
            for name, t in extra.items():
                (home.dir / "conf.d" / name).write_text(t)
            where += ",conf.d"
    home.write_config(f"[homeserver]\ntype = synapse\nsynapse_config = {where}\n{ini_extra}")


def create(home, user, pw="long-enough-password-1"):
    return home.run("user", "create", user, "--password-stdin", input=pw + "\n")


def test_homeserver_yaml_gives_server_name_database_and_rounds():
    home = SynapseHome("sqlite")
    synapse_yaml(home)
    r = create(home, "alice")
    assert r.rc == 0, r
    assert home.password_hash("alice").startswith("$2b$05$")
    r = home.run("--json", "check")
    assert r.rc == 0, r
    doc = json.loads(r.out.splitlines()[0])
    assert str(home.dir / "homeserver.db") in doc["database"], doc


def test_conf_d_files_merge_in_name_order_later_keys_win():
    home = SynapseHome("sqlite")
    # 20- comes after 10- whatever the order on disk; a top-level key is replaced whole
    synapse_yaml(home, extra={"20-rounds.yaml": "bcrypt_rounds: 7\n", "10-rounds.yaml": "bcrypt_rounds: 6\n",
                              "15-pepper.yaml": "password_config:\n  pepper: PEPPER\n", "notes.txt": "bcrypt_rounds: 9\n"})
    assert create(home, "bob").rc == 0
    h = home.password_hash("bob")
    assert h.startswith("$2b$07$"), h                             # *.yaml only, last one wins
    r = home.run("user", "verify-password", "bob", "--password-stdin", input="long-enough-password-1\n")
    assert r.rc == 0, r
    # the same password without the pepper would not match: mxdba appended it
    home.write_config(home.config.read_text().replace(",conf.d", ""))
    r = home.run("user", "verify-password", "bob", "--password-stdin", input="long-enough-password-1\n")
    assert r.rc != 0, r


def test_comma_list_merges_left_to_right():
    home = SynapseHome("sqlite")
    synapse_yaml(home, extra=["bcrypt_rounds: 8\n", "bcrypt_rounds: 6\n"], as_list=True)
    assert create(home, "carol").rc == 0
    assert home.password_hash("carol").startswith("$2b$06$")


def test_ini_keys_win_over_homeserver_yaml():
    home = SynapseHome("sqlite")
    synapse_yaml(home, text=MAIN.replace("example.org", "wrong.example"),
                 ini_extra="server_name = example.org\n[passwords]\nbcrypt_cost = 4\n")
    assert create(home, "dave").rc == 0
    assert home.server_of("dave") == "example.org" and home.password_hash("dave").startswith("$2b$04$")


def test_databases_form_takes_the_main_store():
    home = SynapseHome("sqlite")
    synapse_yaml(home, text="""server_name: example.org
databases:
  state_db:
    name: psycopg2
    args: {database: nowhere, host: 127.0.0.1, port: 1}
    data_stores: [state]
  main_db:
    name: sqlite3
    args: {database: homeserver.db}
    data_stores: [main]
""")
    assert create(home, "erin").rc == 0 and home.exists("erin")


def test_psycopg2_args_become_a_connection_with_the_password_masked(pg):
    home = SynapseHome("postgres", pg=pg)
    dsn = pg.dsn(home.db)
    host, port = "127.0.0.1", str(pg.port)
    synapse_yaml(home, text=f"""server_name: example.org
database:
  name: psycopg2
  args:
    user: postgres
    password: s3cret-Synapse-pw
    database: {home.db}
    host: {host}
    port: {port}
    cp_min: 5
    cp_max: 10
    keepalives_idle: 10
""")
    r = home.run("check")
    assert r.rc == 0, r
    assert f"dbname={home.db}" in r.out and "keepalives_idle=10" in r.out and "password=****" in r.out, r.out
    assert "s3cret-Synapse-pw" not in r.out + r.err and "cp_min" not in r.out, r
    assert create(home, "frank").rc == 0 and home.exists("frank")
    assert dsn  # the cluster's own DSN was not needed


# MAS as each release names it: matrix_authentication_service from 1.136,
# experimental_features.msc3861 before that (removed in 1.157), which needed
# password_config.enabled: false beside it
MAS_KEYS = {
    "matrix_authentication_service": "matrix_authentication_service:\n  enabled: true\n"
                                     "  endpoint: http://127.0.0.1:8080/\n  secret: mas-secret\n",
    "msc3861": "experimental_features:\n  msc3861:\n    enabled: true\n    issuer: http://127.0.0.1:8080/\n"
               "    client_id: 0000000000000000000SYNAPSE\n    client_auth_method: client_secret_basic\n"
               "    client_secret: mas-secret\n    admin_token: mas-admin\n"
               "password_config:\n  enabled: false\n",
}


@pytest.mark.parametrize("key", sorted(MAS_KEYS))
def test_mas_refuses_account_writes_and_still_reads(key):
    home = SynapseHome("sqlite")
    synapse_yaml(home, text=MAIN + MAS_KEYS[key])
    home.add_account("gina")
    before = home.snapshot()
    for args in (["user", "create", "hugo", "--password-stdin"], ["user", "promote", "gina"],
                 ["user", "passwd", "gina", "--password-stdin"], ["user", "deactivate", "gina"],
                 ["user", "lock", "gina"]):
        r = home.run(*args, input="long-enough-password-1\n")
        assert r.rc == EX_REFUSED, (args, r)
        assert "Matrix Authentication Service" in r.err and "mas-cli" in r.err, (args, r.err)
    assert home.snapshot() == before
    assert home.run("user", "list").rc == 0 and home.run("user", "show", "gina").rc == 0
    r = home.run("check")
    assert r.rc == 0 and "Matrix Authentication Service" in r.out, r


@pytest.mark.parametrize("key", sorted(MAS_KEYS))
def test_mas_refuses_doctor_fixes_of_accounts_and_sessions(key):
    """Under MAS, doctor still reports; --fix refuses the repairs that write
    accounts, profiles or tokens (MAS owns them), changing nothing, and still
    makes those that are Synapse's own (the parting queue)."""
    home = SynapseHome("sqlite")
    synapse_yaml(home, text=MAIN + MAS_KEYS[key])
    home.add_account("admin", admin=True)
    home.add_account("gina")
    home.add_account("gone", deactivated=True)
    home.sql("DELETE FROM profiles WHERE user_id = 'gina'")
    home.sql("INSERT INTO access_tokens (id, user_id, device_id, token) VALUES (900, '@gone:example.org', NULL, 'gone-t')")
    home.sql("INSERT INTO users_pending_deactivation (user_id) VALUES ('bogus-not-an-mxid')")
    before = home.snapshot()
    r = home.run("doctor")
    assert r.rc == 11 and "synapse-missing-profile" in r.out and "synapse-deactivated-tokens" in r.out, r
    for checks in (None, "synapse-missing-profile", "synapse-deactivated-tokens"):
        r = home.run("doctor", "--fix", *(["--check", checks] if checks else []))
        assert r.rc == EX_REFUSED and "Matrix Authentication Service" in r.err and "mas-cli" in r.err, (checks, r)
        assert home.snapshot() == before, checks
    r = home.run("doctor", "--fix", "--check", "synapse-pending-deactivation")
    assert r.rc == 0 and "fixed 1" in r.out, r
    assert [str(n) for (n,) in home.sql("SELECT count(*) FROM users_pending_deactivation")] == ["0"]


def test_password_login_disabled_refuses_passwords():
    home = SynapseHome("sqlite")
    synapse_yaml(home, text=MAIN + "password_config:\n  enabled: false\n")
    home.add_account("ivan")
    before = home.snapshot()
    r = home.run("user", "passwd", "ivan", "--password-stdin", input="long-enough-password-1\n")
    assert r.rc != 0 and "password_config.enabled" in r.err, r
    assert home.snapshot() == before
    assert home.run("user", "create", "jane", "--no-password").rc == 0   # an account without a password is fine


def test_policy_from_homeserver_yaml():
    home = SynapseHome("sqlite")
    synapse_yaml(home, text=MAIN + "password_config:\n  policy:\n    enabled: true\n    minimum_length: 12\n"
                 "    require_digit: true\n    require_symbol: true\n    require_uppercase: true\n")
    before = home.snapshot()
    for pw in ("Short-1", "no-digits-Here-x", "nosymbols1Here", "no-upper-case-1"):
        r = create(home, "kate", pw)
        assert r.rc == EX_USAGE, (pw, r)
    assert home.snapshot() == before
    assert create(home, "kate", "Long-enough-1").rc == 0


def test_appservice_namespaces_and_notices_account_are_reserved():
    home = SynapseHome("sqlite")
    (home.dir / "bridge.yaml").write_text("""id: bridge
url: http://127.0.0.1:1
as_token: as-secret
hs_token: hs-secret
sender_localpart: bridgebot
namespaces:
  users:
    - exclusive: true
      regex: "@bridge_.*:example\\\\.org"
""")
    synapse_yaml(home, text=MAIN + "app_service_config_files: [bridge.yaml]\nserver_notices:\n"
                 "  system_mxid_localpart: notices\n")
    home.add_account("bridge_a")
    home.add_account("notices")
    before = home.snapshot()
    for args in (["user", "create", "bridge_b", "--no-password"], ["user", "promote", "bridge_a"],
                 ["user", "create", "bridgebot", "--no-password"], ["user", "promote", "notices"]):
        r = home.run(*args)
        assert r.rc == EX_REFUSED, (args, r)
    assert home.snapshot() == before
    assert "as-secret" not in home.run("check").out


def test_broken_or_missing_yaml_is_a_config_error():
    home = SynapseHome("sqlite")
    synapse_yaml(home, text="server_name: [unclosed\n")
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "homeserver.yaml" in r.err, r
    synapse_yaml(home, text="database:\n  name: sqlite3\n  args: {database: homeserver.db}\n")
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "server_name" in r.err, r
    synapse_yaml(home, text=MAIN.replace("sqlite3", "mysql"))
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "mysql" in r.err, r
    home.write_config("[homeserver]\ntype = synapse\nsynapse_config = nowhere.yaml\n")
    assert home.run("user", "list").rc == EX_CONFIG
    (home.dir / "empty.d").mkdir()
    home.write_config("[homeserver]\ntype = synapse\nsynapse_config = empty.d\n")
    r = home.run("user", "list")
    assert r.rc == EX_CONFIG and "no *.yaml" in r.err, r


def test_config_init_from_synapse(tmp_path):
    home = SynapseHome("sqlite")
    (home.dir / "homeserver.yaml").write_text(MAIN)
    out = tmp_path / "new.ini"
    r = run(["-c", out, "config", "init", "--from-synapse", home.dir / "homeserver.yaml"])
    assert r.rc == 0, r
    text = out.read_text()
    assert "type = synapse" in text and f"synapse_config = {home.dir / 'homeserver.yaml'}" in text, text
    home.add_account("quinn")
    r = run(["-c", out, "user", "list"])
    assert r.rc == 0 and "@quinn:example.org" in r.out, r
    assert run(["-c", tmp_path / "x.ini", "config", "init", "--from-synapse", tmp_path / "none.yaml"]).rc == EX_CONFIG


def test_a_missing_column_is_refused_by_name(pg):
    home = SynapseHome("postgres", pg=pg)
    home.sql("ALTER TABLE users DROP COLUMN locked")
    before = home.snapshot()
    r = home.run("user", "create", "nina", "--no-password")
    assert r.rc == EX_REFUSED and "users.locked" in r.err, r
    assert home.snapshot() == before


def test_users_of_another_server_name_are_refused():
    home = SynapseHome("sqlite")
    home.add_account("olga", server="old.example")
    before = home.snapshot()
    r = home.run("user", "create", "paul", "--no-password")
    assert r.rc == EX_REFUSED and "old.example" in r.err and "example.org" in r.err, r
    assert home.snapshot() == before


def test_deep_flow_nesting_is_refused_in_linear_time():
    """libyaml takes time that grows with the square of [ and { nesting (50,000
    levels: 3.7 s); mxdba refuses past 64 levels before libyaml reads the file,
    in one pass: doubling the input roughly doubles the time."""
    home = SynapseHome("sqlite")
    home.add_account("leo")
    before = home.snapshot()
    times = {}
    for n in (100_000, 200_000, 400_000):
        for shape in ("[" * n + "]" * n, "{a: " * n + "1" + "}" * n):
            synapse_yaml(home, text=MAIN + "deep: " + shape + "\n")
            t0 = child_cpu()
            r = home.run("user", "list")
            times[(n, shape[0])] = child_cpu() - t0
            assert r.rc == 3 and "homeserver.yaml:" in r.err and "nested more than 64 levels" in r.err, r
            assert "HINT" in r.err
    for c in "[{":
        assert times[(400_000, c)] < 2.0, times               # quadratic would take minutes here
        assert times[(400_000, c)] < 4 * times[(100_000, c)] + 0.2, times
    assert home.snapshot() == before
    # brackets in quotes, comments and plain scalars, and real nesting up to the limit, still load
    ok_text = (MAIN + "a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['\n"
               + 'b: "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\\""\n'
               + "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
               + "".join(f"p{i}: x[{i}\n" for i in range(100))
               + "c: it's [fine]\n" + "d: " + "[" * 64 + "]" * 64 + "\n")
    synapse_yaml(home, text=ok_text)
    r = home.run("user", "list")
    assert r.rc == 0 and home.uid("leo") in r.out, r


def child_cpu():
    """CPU seconds (user + system) of this process's children that have ended."""
    import resource
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def test_every_yaml_shape_costs_time_linear_in_its_size():
    """The worst shapes of a homeserver.yaml that stay within mxdba's limits (a long scalar, many keys,
    many list items, block nesting, flow nesting at its limit over and over, anchors and aliases at theirs),
    each read at two sizes, the second twice the first: the time about doubles (quadratic would be 4x).
    Past the limits (anchors, aliases, size) the file is refused in bounded time, the database unchanged."""
    import time
    home = SynapseHome("sqlite")
    home.add_account("mia")
    before = home.snapshot()
    mib = 1 << 20
    shapes = {
        "long scalar": lambda n: "form_secret: " + "x" * n + "\n",
        "many keys": lambda n: "".join(f"k{i:07d}: v\n" for i in range(n // 12)),
        "many items": lambda n: "list:\n" + "  - item\n" * (n // 9),
        "block nesting": lambda n: "".join(" " * i + f"k{i}:\n" for i in range(int((2 * n) ** 0.5))),
        "flow nesting": lambda n: "".join(f"f{i}: " + "[" * 64 + "]" * 64 + "\n" for i in range(n // 140)),
        "aliases": lambda n: "".join(f"a{i}: &x{i} v\n" for i in range(1000)) + "list:\n"
                             + "".join(f"  - *x{i % 1000}\n" for i in range(min(10000, n // 100))),
    }

    def cost(text):
        synapse_yaml(home, text=MAIN + text)
        best = None
        for _ in range(3):
            # mxdba's own CPU time (user + system), not the wall clock: a busy machine (CI, the other
            # test worker) stretches the wall clock of one run and not another, and the ratio with it
            t0 = child_cpu()
            r = home.run("user", "list")
            dt = child_cpu() - t0
            assert r.rc == 0 and home.uid("mia") in r.out, r.err[-300:]
            best = dt if best is None else min(best, dt)
        return best

    for name, make in shapes.items():
        small, large = (500_000, 1_000_000) if name == "aliases" else (mib, 2 * mib)
        t1, t2 = cost(make(small)), cost(make(large))
        assert t2 < 3 * t1 + 0.05, (name, t1, t2)
    refused = {
        "anchors": ("".join(f"a{i}: &x{i} v\n" for i in range(1001)), "more than 1000 YAML anchors"),
        "aliases": ("base: &b v\nlist:\n" + "  - *b\n" * 10001, "more than 10000 YAML aliases"),
        "size": ("form_secret: " + "x" * (4 * mib) + "\n", "larger than 4 MiB"),
        "anchors and aliases": ("".join(f"a{i}: &x{i} v\n" for i in range(40000)) + "list:\n"
                                + "".join(f"  - *x{i}\n" for i in range(40000)), "more than 1000 YAML anchors"),
    }
    for name, (text, msg) in refused.items():
        synapse_yaml(home, text=MAIN + text)
        t0 = time.perf_counter()
        r = home.run("user", "list")
        assert time.perf_counter() - t0 < 5, name      # 40,000 of each took libyaml 12 s
        assert r.rc == 3 and msg in r.err and "HINT" in r.err, (name, r.err)
    assert home.snapshot() == before
