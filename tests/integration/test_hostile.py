# SPDX-License-Identifier: Apache-2.0
"""A corpus of hostile input: user and room IDs with quotes, SQL fragments,
control bytes and invalid UTF-8, huge arguments; broken INI files; malformed
batch lines and CSV files. Each must be refused with a clear error and a
documented exit code, and leave the database byte-for-byte unchanged."""
import os
import subprocess

import pytest
from mxtest import BIN, make_home as new_home

EX_USAGE, EX_CONFIG, EX_NOTFOUND, EX_CONFLICT = 2, 3, 4, 5

BAD_IDS = [
    b"' OR '1'='1", b"alice' --", b"alice\"; DROP TABLE userapi_accounts; --", b"x'); DELETE FROM userapi_accounts; --",
    b"@alice:example.org' OR 1=1", b"%27%20OR%201=1", b"alice\\", b"`id`", b"$(reboot)", b"alice%00", b"al ice",
    b"@alice", b"@:example.org", b"@alice:", b"@alice:evil.org", b"@alice:example.org:8448", b"@@alice:example.org",
    b"alice:example.org", b"a@b", b"", b" ", b"\t", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xe0\x80\xaf", b"alice\x01", b"alice\x1b[31m", b"alice\x7f", b"alice\n", b"\ralice", b"ali\x08ce",
    b"a" * 300, b"@" + b"a" * 250 + b":example.org", b"x" * 100000, b"../../etc/passwd", b"alice/../root",
    b"\xe2\x80\xaeecila", b"*", b"%", b"_", b"alice;", b"alice|", b"{\"a\":1}",
]
ID_COMMANDS = [["user", "promote"], ["user", "show"], ["user", "demote"], ["rooms"], ["evacuate", "user"],
               ["user", "create", "--no-password"]]
BAD_ROOMS = [b"#alias:example.org", b"!", b"!:", b"!abc", b"!abc:", b"abc:example.org", b"!a'b:example.org",
             b"!a\x01b:example.org", b"!\xff:example.org", b"!" + b"a" * 300 + b":x", b"!x; DROP TABLE x:example.org",
             b"", b"!a b:example.org\n", b"!nope:example.org", b"!' OR 1=1 --:example.org"]

BAD_INI = [
    "[homeserver\ntype = dendrite\n", "[homeserver]\ntype dendrite\n", "[homeserver]\n= dendrite\n",
    "type = dendrite\n", "[homeserver]\ntype = dendrite\nserver_name = example.org\n[bogus]\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\nbogus = 1\n",
    "[homeserver]\ntype = synapse\nserver_name = example.org\n", "[homeserver]\ntype = dendrite\n",
    "[homeserver]\nserver_name = example.org\n", "[homeserver]\ntype = dendrite\nserver_name = \n",
    "[homeserver]\ntype = dendrite\nserver_name = exa mple.org\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\nserver_name = other.org\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = 3\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = 32\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = -10\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = 10abc\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[passwords]\nbcrypt_cost = 99999999999999999999\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\ndefault = mysql://x\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\ndefault = file:\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\nfoo = file:x.db\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[server]\nurl = ftp://x\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[server]\nadmin_user = root\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[safety]\nbackup_keep = 0\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[safety]\nkeep = 1\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\ndendrite_config = /nonexistent.yaml\n",
    "[homeserver]\ntype = dendrite\nserver_name = " + "a" * 300 + "\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n" + "x" * 1_000_000 + " = 1\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\nbase_dir = \x01\n",
    "[homeserver]\n\ttype = dendrite\n  [database\n", "\x00\x01\x02", "[]\n", "[ ]\nx = y\n",
    "[homeserver]\ntype = dendrite\nserver_name = example.org\n[database]\ndefault =    \n",
    "=\n", "[homeserver]\n;\n#\ntype\n", "[homeserver]\ntype = dendrite\nserver_name = example.org\n[Database]\n",
    "[homeserver]\nTYPE = dendrite\nserver_name = example.org\n", "[homeserver]\ntype = Dendrite\nserver_name = e\n",
]
BAD_INI_BYTES = [b"[homeserver]\ntype = dendrite\nserver_name = ex\xffample.org\n",
                 b"[homeserver]\ntype = den\x00drite\nserver_name = example.org\n",
                 b"\xef\xbb\xbf\xef\xbb\xbf[homeserver]\n", b"[home\xc3\x28server]\n"]

BAD_BATCH = [
    "user show alice\n", "check\n", "hash\n", "queue apply\n", "batch x\n", "user\n", "user frobnicate\n",
    "user promote\n", "user promote nobody\n", "user promote 'alice\n", "user promote \"alice\n",
    "user promote alice --dry-run\n", "user promote alice -c /etc/x\n", "user promote alice --json\n",
    "user passwd alice\n", "user passwd alice --password-stdin\n", "user passwd alice --password-file /etc/passwd\n",
    "user passwd alice --random-password\n", "user passwd alice --password-hash nope\n",
    "user create Bad --no-password\n", "user create _x --no-password\n", "user create 123 --no-password\n",
    "user create alice --no-password\n", "user promote alice --bogus\n", "evacuate\n", "evacuate house x\n",
    "evacuate room nope\n", "notice\n", "queue cancel abc\n", "queue cancel\n",
    "user promote alice\x01\n", "user promote \x1b[2J\n", "#only a comment\n", "\n\n\n", "   \n",
    "user promote " + "a" * 70000 + "\n", "user promote alice " + " x" * 70 + "\n",
    "user promote alice\nuser promote nobody\n", "user create ok1 --no-password\nuser create ok1 --no-password\n",
    "audit undo 999999\n",
]
BAD_BATCH_BYTES = [b"user promote ali\x00ce\n", b"user promote \xff\xfe\n", b"user promote alice\r\nuser show x\r\n"]

BAD_CSV = [
    "", "\n", "name\nalice\n", "user,user\nalice,bob\n", "admin\ntrue\n", "user\n\"alice\n", "user\n\"al\"ice\"x\n",
    "user,admin\nalice,maybe\n", "user,deactivated\nalice,2\n", "user,password_hash\nalice,$1$abc$def\n",
    "user,password_hash\nalice,$2a$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
    "user,password_hash\nalice,$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n",
    "user,password\nalice,short\n", "user,password\nalice," + "p" * 73 + "\n",
    "user,password,password_hash\nbob,long-enough-1,$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy\n",
    "user\nBad User\n", "user\n_svc\n", "user\n12345\n", "user\n@x:other.org\n", "user\nx\x01y\n",
    "user,display_name\nnewuser," + "d" * 300 + "\n", "user\n" + "u" * 2_000_000 + "\n",
    "user\n" + ",".join(["a"] * 20) + "\n", "user\nalice\n",
]
BAD_CSV_BYTES = [b"user\nal\x00ice\n", b"user\n\xff\xfe\n", b"user,display_name\nnewuser,\xc3\x28\n"]

# dendrite.yaml (read through [homeserver] dendrite_config): each shape the fuzzers and the doubling tests
# found, and the classic YAML attacks; refused (exit 3) in bounded time
DENDRITE_YAML = "version: 2\nglobal:\n  server_name: example.org\n"
BAD_YAML = [
    DENDRITE_YAML + "deep: " + "[" * 100_000 + "]" * 100_000 + "\n",
    DENDRITE_YAML + "deep: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
    DENDRITE_YAML + "".join(f"a{i}: &x{i} v\n" for i in range(40_000)) + "l:\n" + "".join(f"  - *x{i}\n" for i in range(40_000)),
    DENDRITE_YAML + "b: &b v\nl:\n" + "  - *b\n" * 20_000,
    DENDRITE_YAML + "s: " + "x" * (5 << 20) + "\n",
    DENDRITE_YAML + "user_api:\n  bcrypt_cost: abc\n",            # once quoted after the document was freed
    DENDRITE_YAML + "user_api:\n  bcrypt_cost: " + "9" * 5000 + "\n",
    DENDRITE_YAML + 'user_api:\n  bcrypt_cost: "1\\u001b[31m"\n',
    DENDRITE_YAML + "x: !!python/object/apply:os.system ['true']\nbad: [\n",
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",                # billion laughs, and no server_name
    "version: 2\nglobal: [unterminated\n", "\t\x01", "global:\n  server_name: [not, a, scalar]\n",
]
BAD_YAML_BYTES = [DENDRITE_YAML.encode() + b"k: v\x00w\n", DENDRITE_YAML.encode() + b"k: \xff\xfe\n"]

BAD_OPTIONS = [["user", "list", "--admin"], ["user", "list", "extra"], ["user", "create"], ["user", "create", "a", "b"],
               ["user", "passwd", "alice", "--scheme"], ["user", "passwd", "alice", "--scheme=md5", "--password-stdin"],
               ["user", "list", "--admins=yes"], ["--config"], ["hash", "--cost"], ["hash", "--cost", "abc"],
               ["rooms", "alice", "--membership", "joined,left"], ["members"], ["queue", "list", "--state", "x"],
               ["queue", "apply", "--limit", "-1"], ["queue", "apply", "--wait", "x"], ["audit", "undo"],
               ["audit", "list", "--since", "tomorrow"], ["migrate", "now"], ["batch", "a", "b"],
               ["user", "import", "x.csv", "--on-conflict", "sometimes"], ["config", "init", "x"], ["frob"],
               ["user", "verify-password"], ["notice", "alice"], ["evacuate", "user"]]


@pytest.fixture(scope="module")
def h():
    home = new_home("dendrite", "sqlite")
    home.add_account("alice")
    home.add_account("root", admin=True)
    home.add_room("!room:example.org")
    home.add_member("!room:example.org", "@alice:example.org", "join")
    home.run("migrate")
    return home


def run_bytes(home, args, input=None, config=None):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=99"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:exitcode=98"
    cmd = [BIN.encode(), b"-c", str(config or home.config).encode()] + [a if isinstance(a, bytes) else a.encode()
                                                                       for a in args]
    cp = subprocess.run(cmd, input=input, capture_output=True, env=env, timeout=60, start_new_session=True)
    err = cp.stderr.decode("utf-8")   # messages must themselves be valid UTF-8
    assert "Sanitizer" not in err and "runtime error" not in err, err
    return cp.returncode, err


def check_refused(home, args, codes, input=None, config=None):
    before = home.snapshot()
    rc, err = run_bytes(home, args, input=input, config=config)
    assert rc in codes, (args[:3], rc, err[:500])
    assert err.startswith("mxdba: error: ") or err.startswith("mxdba: "), err[:300]
    assert "\x1b" not in err and "\x00" not in err
    assert home.snapshot() == before
    return err


@pytest.mark.parametrize("cmd", ID_COMMANDS, ids=lambda c: "-".join(c))
@pytest.mark.parametrize("bad", BAD_IDS, ids=range(len(BAD_IDS)))
def test_hostile_user_ids(h, cmd, bad):
    if cmd[1:2] == ["create"] and bad in (b"../../etc/passwd", b"alice/../root"):
        pytest.skip("a valid Dendrite localpart ('.' and '/' are allowed): nothing hostile for a create")
    words = [w for w in cmd if not w.startswith("--")]
    flags = [w for w in cmd if w.startswith("--")]
    check_refused(h, words + [bad] + flags, {EX_USAGE, EX_NOTFOUND})


@pytest.mark.parametrize("bad", BAD_ROOMS, ids=range(len(BAD_ROOMS)))
@pytest.mark.parametrize("cmd", [["members"], ["evacuate", "room"]], ids=["members", "evacuate-room"])
def test_hostile_room_ids(h, cmd, bad):
    check_refused(h, cmd + [bad], {EX_USAGE, EX_NOTFOUND})


@pytest.mark.parametrize("text", BAD_INI + BAD_INI_BYTES, ids=range(len(BAD_INI) + len(BAD_INI_BYTES)))
def test_hostile_config_files(h, tmp_path, text):
    cfg = tmp_path / "bad.ini"
    cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
    os.chmod(cfg, 0o600)
    err = check_refused(h, ["user", "promote", "alice"], {EX_CONFIG}, config=cfg)
    assert "bad.ini" in err


@pytest.mark.parametrize("text", BAD_BATCH + BAD_BATCH_BYTES, ids=range(len(BAD_BATCH) + len(BAD_BATCH_BYTES)))
def test_hostile_batch_files(h, tmp_path, text):
    f = tmp_path / "b.txt"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    err = check_refused(h, ["batch", str(f)], {EX_USAGE, EX_NOTFOUND, EX_CONFLICT})
    assert str(f) in err


@pytest.mark.parametrize("text", BAD_CSV + BAD_CSV_BYTES, ids=range(len(BAD_CSV) + len(BAD_CSV_BYTES)))
def test_hostile_import_files(h, tmp_path, text):
    f = tmp_path / "u.csv"
    f.write_bytes(text if isinstance(text, bytes) else text.encode())
    check_refused(h, ["user", "import", str(f)], {EX_USAGE, EX_CONFLICT})


@pytest.mark.parametrize("text", BAD_YAML + BAD_YAML_BYTES, ids=range(len(BAD_YAML) + len(BAD_YAML_BYTES)))
def test_hostile_dendrite_yaml(h, tmp_path, text):
    import time
    (tmp_path / "dendrite.yaml").write_bytes(text if isinstance(text, bytes) else text.encode())
    cfg = tmp_path / "mxdba.ini"
    cfg.write_text(f"[homeserver]\ntype = dendrite\ndendrite_config = dendrite.yaml\n"
                   f"[database]\nuserapi = file:{h.dir / 'dendrite_userapi.db'}\n")
    os.chmod(cfg, 0o600)
    t0 = time.perf_counter()
    err = check_refused(h, ["user", "promote", "alice"], {EX_CONFIG}, config=cfg)
    assert time.perf_counter() - t0 < 10, err[:200]
    assert "dendrite.yaml" in err


@pytest.mark.parametrize("args", BAD_OPTIONS, ids=lambda a: "-".join(a))
def test_hostile_options(h, args):
    check_refused(h, args, {EX_USAGE}, input=b"")


def test_corpus_is_large_enough():
    n = (len(BAD_IDS) * len(ID_COMMANDS) + len(BAD_ROOMS) * 2 + len(BAD_INI) + len(BAD_INI_BYTES) + len(BAD_BATCH)
         + len(BAD_BATCH_BYTES) + len(BAD_CSV) + len(BAD_CSV_BYTES) + len(BAD_OPTIONS) + len(BAD_YAML)
         + len(BAD_YAML_BYTES))
    assert n >= 200, n
