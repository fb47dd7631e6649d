# SPDX-License-Identifier: Apache-2.0
"""`mxdba batch` and `mxdba user import`: one transaction, all or nothing,
errors naming the line, passwords never in the file, hashing on every core."""
import json
import os
import pty
import stat
import subprocess

import pytest
from mxtest import BIN

EX_USAGE, EX_CONFLICT, EX_NOTFOUND, EX_REFUSED = 2, 5, 4, 6
G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"   # "password", from Go's x/crypto


def refused(home, args, code, msg=None, input=None):
    before = home.snapshot()
    r = home.run(*args, input=input)
    assert r.rc == code, r
    if msg:
        assert msg in r.err, r.err
    assert home.snapshot() == before
    return r


def test_batch_runs_everything_in_one_transaction(home, tmp_path):
    home.add_account("alice")
    home.add_account("bob", admin=True)
    home.add_account("root", admin=True)
    f = tmp_path / "b.txt"
    f.write_text("# maintenance window\n\nuser promote alice\nuser demote bob\n"
                 f"user create carol --password-hash {G} --display-name 'Carol C.'\n"
                 "user create dave --random-password\n\tuser passwd alice --random-password --logout-devices\n")
    before = home.snapshot()
    r = home.run("--dry-run", "--yes", "batch", f, "--passwords-out", tmp_path / "pw.csv")
    assert r.rc == 0 and "would run 5 line(s)" in r.out, r
    assert "user promote" in r.out and "user create     " in r.out
    assert home.snapshot() == before and not (tmp_path / "pw.csv").exists()
    r = home.run("--json", "--yes", "batch", f, "--passwords-out", tmp_path / "pw.csv")
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["lines"] == 5 and doc["commands"]["user create"] == 2 and doc["dry_run"] is False
    assert home.is_admin("alice") and not home.is_admin("bob")
    assert home.display_name("carol") == "Carol C."
    pw = tmp_path / "pw.csv"
    assert stat.S_IMODE(pw.stat().st_mode) == 0o600
    lines = pw.read_text().splitlines()
    assert lines[0] == "user_id,password" and len(lines) == 3
    creds = dict(l.split(",") for l in lines[1:])
    assert set(creds) == {"@dave:example.org", "@alice:example.org"}
    for user, p in creds.items():
        assert home.run("user", "verify-password", user, "--password-stdin", input=p + "\n").rc == 0
    assert home.run("user", "verify-password", "carol", "--password-stdin", input="password\n").rc == 0
    # passwords are in the 0600 file only: not on stdout/stderr
    assert not any(p in r.out + r.err for p in creds.values())


def test_batch_error_names_the_line_and_rolls_everything_back(home, tmp_path):
    home.add_account("alice")
    f = tmp_path / "b.txt"
    f.write_text("user promote alice\nuser create bob --no-password\nuser promote nobody\nuser promote alice\n")
    r = refused(home, ["batch", f], EX_NOTFOUND, f"{f}:3: user @nobody:example.org not found")
    assert "rolled back" in r.err


@pytest.mark.parametrize("text,msg", [
    ("user show alice\n", "cannot be used in a batch"),
    ("check\n", "cannot be used in a batch"),
    ("user passwd alice --password-stdin\n", "never read"),
    ("user passwd alice --random-password\n", "--passwords-out"),
    ("user passwd alice\n", "never read inside a batch"),
    ("user promote alice --dry-run\n", "global option"),
    ("user promote alice --csv\n", "global option --csv inside a batch line"),
    ("user promote alice --config=x.ini\n", "global option"),
    ("user list\n", "queue cancel, audit undo"),
    ("user promote 'alice\n", "unterminated"),
    ("user promote alice\x01\n", "control characters"),
    ("user create Upper --no-password\n", "uppercase"),
    ("user passwd alice --password-hash $1$abc\n", "not a bcrypt hash"),
    ("\n# nothing\n", "no commands"),
    ("frobnicate\n", "cannot be used"),
])
def test_batch_refuses_bad_lines(home, tmp_path, text, msg):
    home.add_account("alice")
    f = tmp_path / "b.txt"
    f.write_bytes(text.encode())
    refused(home, ["batch", f], EX_USAGE, msg)


def test_batch_refuses_nul_bytes_and_huge_lines(home, tmp_path):
    home.add_account("alice")
    f = tmp_path / "b.txt"
    f.write_bytes(b"user promote alice\nuser promote \x00bob\n")
    refused(home, ["batch", f], EX_USAGE, ":2: the line contains a NUL byte")
    f.write_bytes(b"user promote " + b"a" * (1 << 20) + b"\n")
    refused(home, ["batch", f], EX_USAGE, "longer than")
    refused(home, ["batch", tmp_path / "missing.txt"], EX_USAGE, "cannot read")


def test_batch_from_stdin_and_existing_password_file_is_never_overwritten(home, tmp_path):
    home.add_account("alice")
    pw = tmp_path / "pw.csv"
    pw.write_text("precious\n")
    r = refused(home, ["batch", "-", "--passwords-out", pw], EX_USAGE, "never overwrites",
                input="user passwd alice --random-password\n")
    assert pw.read_text() == "precious\n"
    r = home.run("batch", input="user promote alice\n")
    assert r.rc == 0 and home.is_admin("alice"), r


# ---------- user import ----------

CSV = ("user,password_hash,password,admin,display_name,deactivated\n"
       f"@imp1:example.org,{G},,true,\"Imp, One\",\n"
       "imp2,,imp2-password,,,yes\n"
       "alice,,,true,Alice Renamed,\n")


def test_import_creates_and_updates(home, tmp_path):
    home.add_account("alice")
    f = tmp_path / "u.csv"
    f.write_text(CSV)
    refused(home, ["user", "import", f], EX_CONFLICT, f"{f}:4: user @alice:example.org already exists")
    before = home.snapshot()
    r = home.run("--dry-run", "user", "import", f, "--on-conflict", "update")
    assert r.rc == 0 and "would import: 2 created, 1 updated" in r.out, r
    assert home.snapshot() == before
    r = home.run("--json", "user", "import", f, "--on-conflict", "update")
    assert r.rc == 0 and json.loads(r.out) == {"created": 2, "updated": 1, "skipped": 0, "dry_run": False}, r
    assert home.is_admin("imp1") and home.password_hash("imp1") == G
    assert home.is_deactivated("imp2") is True
    assert home.display_name("imp1") == "Imp, One"
    assert home.display_name("alice") == "Alice Renamed"
    assert home.is_admin("alice")
    assert home.run("user", "verify-password", "imp2", "--password-stdin", input="imp2-password\n").rc == 0
    assert home.run("user", "verify-password", "imp1", "--password-stdin", input="password\n").rc == 0
    r = home.run("--json", "user", "import", f, "--on-conflict", "skip")
    assert json.loads(r.out)["skipped"] == 3


def test_import_accepts_2a_2b_2y_and_refuses_every_bad_line(home, tmp_path):
    f = tmp_path / "u.csv"
    y = "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
    f.write_text("user,password_hash,password\n"
                 f"ok2a,{G},\nok2b,{y.replace('2y', '2b')},\nok2y,{y},\n"
                 "bad user,,\n"
                 "md5,$1$abc$def,\n"
                 "both," + G + ",also-a-password\n"
                 "long,," + "x" * 600 + "\n"                   # too long for every homeserver
                 "Upper,,\n"
                 "@x:other.org,,\n"
                 "\"unterminated,,\n")
    r = refused(home, ["user", "import", f], EX_USAGE, "refused")
    for n in (5, 6, 7, 8, 9, 10, 11):
        # each bad line through the common error path (stderr is no terminal: no colour)
        assert f"mxdba: error: {f}:{n}:" in r.err, (n, r.err)
    assert f"{f}:2:" not in r.err and "\033" not in r.err
    f.write_text("user,password_hash\n" f"ok2a,{G}\nok2b,{y.replace('2y', '2b')}\nok2y,{y}\n")
    assert home.run("user", "import", f).rc == 0
    assert home.run("user", "verify-password", "ok2y", "--password-stdin", input="U*U\n").rc == 0
    assert home.run("user", "verify-password", "ok2b", "--password-stdin", input="U*U\n").rc == 0


@pytest.mark.parametrize("header,msg", [("", "header"), ("name,hash\n", "unknown column"),
                                         ("user,user\n", "duplicate column"), ("admin\n", "no user column")])
def test_import_bad_headers(home, tmp_path, header, msg):
    f = tmp_path / "u.csv"
    f.write_text(header + ("alice\n" if header else ""))
    refused(home, ["user", "import", f], EX_USAGE, msg)


def test_import_refuses_appservice_updates_and_bad_options(home, tmp_path):
    home.add_account("bridge", appservice="irc")
    f = tmp_path / "u.csv"
    f.write_text("user,admin\nbridge,true\n")
    refused(home, ["user", "import", f, "--on-conflict", "update"], EX_REFUSED, "appservice")
    refused(home, ["user", "import", f, "--on-conflict", "maybe"], EX_USAGE)
    refused(home, ["user", "import"], EX_USAGE)


def test_progress_bar_only_on_a_terminal(home, tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("".join(f"user create u{i} --no-password\n" for i in range(300)))
    r = home.run("batch", f)
    assert r.rc == 0 and "\r" not in r.err and "batch [" not in r.err, r
    f.write_text("".join(f"user promote u{i}\n" for i in range(300)))
    # stderr on a pseudo-terminal: the bar shows counts and a rate
    master, slave = pty.openpty()
    p = subprocess.run([BIN, "-c", str(home.config), "batch", str(f)], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=slave, timeout=120)
    os.close(slave)
    out = b""
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    os.close(master)
    assert p.returncode == 0
    assert b"batch [" in out and b"300/300" in out and b"/s" in out, out[-300:]


def bulk_accounts(home, n):
    """N ordinary accounts in one statement (the per-row helper is too slow for thousands)."""
    home.add_accounts(n, "u", start=1)


def test_many_promote_lines_match_one_by_one_semantics(home, tmp_path):
    """Runs of plain promote lines are checked and written many at a time: the
    result, the audit rows and the errors are those of running each line."""
    bulk_accounts(home, 2600)
    home.add_account("boss", admin=True)
    home.add_account("bridge", appservice="irc")
    lines = [f"user promote u{i}" for i in range(1, 2501)]
    lines[10] = "user promote @U11:example.org"          # Dendrite's lookup: lowercase first
    lines[20] = "user promote u21 u21 boss"                # named twice, and an admin already
    lines[30] = "user promote @U33:example.org"          # names u33 before line 33 does: line 31 changes it
    lines[1500] = "user passwd u1501 --password-hash " + G  # a line of another kind splits the run
    f = tmp_path / "many.txt"
    f.write_text("\n".join(lines) + "\n")
    before = home.snapshot()
    # an unknown user on line 2400: named, nothing changed
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(lines[:2399] + ["user promote nobody"] + lines[2400:]) + "\n")
    r = home.run("--no-backup", "batch", bad)
    assert r.rc == 4 and f"{bad}:2400: user @nobody:example.org not found" in r.err, r
    assert home.snapshot() == before
    # an appservice account: the same refusal as `user promote`, with the line
    bad.write_text("\n".join(lines[:99] + ["user promote bridge"] + lines[100:]) + "\n")
    r = home.run("--no-backup", "batch", bad)
    assert r.rc == 6 and f"{bad}:100: refusing to promote @bridge:example.org: it is an appservice account" in r.err, r
    assert home.snapshot() == before
    r = home.run("--no-backup", "--json", "batch", f)
    assert r.rc == 0, r
    doc = json.loads(r.out)
    assert doc["commands"] == {"user promote": 2499, "user passwd": 1}, doc  # lines, not accounts
    admins = home.admins("u")
    assert all(f"u{i}" in admins for i in range(1, 2501) if i not in (31, 1501))
    assert not {"u31", "u1501", "u2501"} & admins
    # the audit rows, in order, are those of running the lines one by one: one per
    # account changed, with the command of the line that changed it
    expected, done = [], {"boss"}
    for n, line in enumerate(lines, 1):
        words = line.split()
        if words[1] != "promote":
            continue
        for w in words[2:]:
            key = w.lstrip("@").split(":")[0].lower()
            if key not in done:
                done.add(key)
                expected.append((f"@{key}:example.org", f"batch {f}:{n}: {line}", "0", "1"))
    audit = home.audit_rows("admin")
    assert audit == expected
    assert len(audit) == 2498
    assert ("@u11:example.org", f"batch {f}:11: user promote @U11:example.org", "0", "1") in audit
    assert ("@u33:example.org", f"batch {f}:31: user promote @U33:example.org", "0", "1") in audit
    # the second run changes nothing and writes no audit row
    r = home.run("--no-backup", "batch", f)
    assert r.rc == 0 and len(home.audit_rows("admin")) == 2498


def test_many_create_lines_match_one_by_one_semantics(home, tmp_path):
    """Runs of plain create lines are written many at a time; any line the
    fast path is not sure of goes through `user create` itself, so errors are
    the command's own, named by line, and nothing is changed."""
    home.add_account("taken")
    home.add_profile("ghost", "ghost")  # a profile without an account
    lines = [f"user create c{i} --password-hash {G}" for i in range(1, 2201)]
    lines[5] = "user create c6 --no-password --admin --display-name 'Six Six'"
    lines[1200] = "user promote taken"
    f = tmp_path / "many.txt"
    f.write_text("\n".join(lines) + "\n")
    before = home.snapshot()
    for bad_line, msg, code in (("user create taken --no-password", "user @taken:example.org already exists", 5),
                                ("user create ghost --no-password", "a profile for @ghost:example.org exists", 5),
                                ("user create c7 --no-password", "user @c7:example.org already exists", 5),
                                ("user create Upper --no-password", "", 2),
                                ("user create _svc --no-password", "", 2)):
        bad = tmp_path / "bad.txt"
        bad.write_text("\n".join(lines[:1999] + [bad_line] + lines[1999:]) + "\n")
        r = home.run("--no-backup", "batch", bad)
        assert r.rc == code and f"{bad}:2000: " in r.err and msg in r.err, (bad_line, r)
        assert home.snapshot() == before, bad_line
    r = home.run("--no-backup", "--json", "batch", f)
    assert r.rc == 0, r
    assert json.loads(r.out)["commands"] == {"user create": 2199, "user promote": 1}
    made = home.accounts("c")
    assert len(made) == 2199 and "c1201" not in made
    assert home.password_hash("c1") == G and not home.is_admin("c1") and home.is_deactivated("c1") is False
    assert home.appservice_of("c1") == ""
    assert home.password_hash("c6") == home.no_password_hash and home.is_admin("c6")
    assert home.display_name("c1") == "c1" and home.display_name("c6") == "Six Six"
    assert all(home.display_name(f"c{i}") for i in (2, 1200, 1202, 2200))
    audit = home.audit_rows("account")
    assert len(audit) == 2199
    assert audit[0][:2] == ("@c1:example.org", f"batch {f}:1: user create c1 --password-hash ****")
    assert audit[0][2] in (None, "") and audit[0][3] == "created (user)"
    six = [a for a in audit if a[0] == "@c6:example.org"]
    assert len(six) == 1 and six[0][1].startswith(f"batch {f}:6: user create c6 --no-password --admin --display-name")
    assert six[0][3] == "created (admin)"
    # the same lines again: every one exists now, the first is named
    r = home.run("--no-backup", "batch", f)
    assert r.rc == 5 and f"{f}:1: user @c1:example.org already exists" in r.err, r


def test_audit_undo_runs_in_a_batch(home, tmp_path):
    home.add_account("alice")
    assert home.run("user", "promote", "alice").rc == 0
    row = [json.loads(line) for line in home.run("--json", "audit", "list").out.splitlines()][-1]
    f = tmp_path / "b.txt"
    f.write_text(f"audit undo {row['id']}\nuser promote alice\n")
    r = home.run("--json", "batch", f)
    assert r.rc == 0 and json.loads(r.out)["commands"] == {"audit undo": 1, "user promote": 1}, r
