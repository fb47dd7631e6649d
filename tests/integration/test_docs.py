# SPDX-License-Identifier: Apache-2.0
"""The documentation tells the truth: the man page, the README and --help list
the same commands, options, config keys and exit codes; the options --help
lists are the ones the commands accept; every command's --json objects carry
exactly the fields the README documents; --csv and human tables parse."""
import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from mxtest import BIN, run

ROOT = Path(__file__).resolve().parents[2]
MAN = ROOT / "man" / "mxdba.8"
README = ROOT / "README.md"


def unroff(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\(aq", "'").replace('"', "")


def man_sections():
    """{'SH name': [lines]}, and for COMMANDS/CONFIGURATION {'SS name': [lines]}."""
    sh, ss, cur_sh, cur_ss = {}, {}, None, None
    for line in MAN.read_text().splitlines():
        if line.startswith(".SH "):
            cur_sh, cur_ss = unroff(line[4:]).strip(), None
            sh[cur_sh] = []
        elif line.startswith(".SS ") and cur_sh:
            cur_ss = (cur_sh, unroff(line[4:]).strip())
            ss[cur_ss] = []
        elif cur_ss:
            ss[cur_ss].append(line)
        elif cur_sh:
            sh[cur_sh].append(line)
    return sh, ss


def tp_items(lines):
    """The first line after each .TP, unroffed."""
    out = []
    for i, line in enumerate(lines):
        if line == ".TP" and i + 1 < len(lines):
            out.append(unroff(re.sub(r"^\.(B|BI|BR|I|IR)\s+", "", lines[i + 1])).strip())
    return out


def help_commands():
    out = run(["--help"]).out
    block = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [re.split(r"\s{2,}", line.strip())[0] for line in block.splitlines()]


def help_options(cmd):
    r = run(["help"] + cmd.split())
    assert r.rc == 0, r
    if "\nOptions:\n" not in r.out:
        return set()
    block = r.out.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0] for line in block.splitlines()}


def man_command_name(heading):
    words = []
    for w in heading.split():
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", w):   # command words: lower case and digits (3pid)
            break
        words.append(w)
    return " ".join(words)


def test_man_page_renders_without_warnings():
    r = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-ww", "-z", str(MAN)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_man_page_and_help_list_the_same_commands_and_options():
    _, ss = man_sections()
    man_cmds = {man_command_name(name): lines for (sh, name), lines in ss.items() if sh == "COMMANDS"}
    cmds = help_commands()
    assert len(cmds) >= 20
    assert sorted(man_cmds) == sorted(cmds)
    for cmd in cmds:
        man_opts = {item.split()[0] for item in tp_items(man_cmds[cmd])}
        assert man_opts == help_options(cmd), cmd


def test_help_options_are_the_ones_each_command_accepts():
    for cmd in help_commands():
        words = cmd.split() + (["user"] if cmd == "evacuate" else [])
        bogus = run(words + ["--surely-not-an-option"])
        assert bogus.rc == 2 and "unknown option --surely-not-an-option" in bogus.err, (cmd, bogus)
        for o in help_options(cmd):
            r = run(["-c", "/nonexistent/mxdba.ini"] + words + [o, "x"], input="")
            assert "unknown option" not in r.err, (cmd, o, r)


def test_global_options_are_the_same_in_help_man_and_readme():
    out = run(["--help"]).out
    block = out.split("Global options (anywhere on the line):\n", 1)[1].split("\n\n", 1)[0]
    helped = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(
        line.strip().split("  ")[0] for line in block.splitlines() if line.startswith("  -"))))
    sh, _ = man_sections()
    manned = set()
    for item in tp_items(sh["GLOBAL OPTIONS"]):
        manned |= set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", item.split(" FILE")[0]))
    readme = README.read_text().split("Global options may stand anywhere", 1)[1].split("\n\n", 2)[1]
    readmed = set()
    for row in readme.splitlines()[2:]:
        readmed |= set(re.findall(r"`(--?[a-z][a-z-]*)", row.split("|")[1]))
    assert helped == manned == readmed, (helped, manned, readmed)
    assert {"--csv", "--json", "--dry-run", "--version"} <= helped


def test_exit_codes_are_the_same_in_help_man_and_readme():
    out = run(["--help"]).out
    helped = {int(n) for n in re.findall(r"(\d+) [a-z]", out.split("Exit codes:", 1)[1])}
    sh, _ = man_sections()
    manned = {int(x) for x in tp_items(sh["EXIT STATUS"])}
    table = README.read_text().split("## Exit codes", 1)[1].split("\n\n", 2)[1]
    readmed = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert helped == manned == readmed == set(range(12))


def test_config_keys_are_the_same_in_the_parser_man_and_readme(tmp_path):
    _, ss = man_sections()
    manned = {}
    for (sh, name), lines in ss.items():
        if sh == "CONFIGURATION":
            manned[name.strip("[]")] = {i.split()[0] for i in tp_items(lines)}
    readmed = {}
    for sec, keys in re.findall(r"^\| (homeserver|database|passwords|server|safety) \| ([^|]+) \|",
                                README.read_text(), re.M):
        readmed.setdefault(sec, set()).update(re.findall(r"`([a-z_]+)`", keys))
    parsed = {}
    for sec in manned:
        for kind in ("dendrite", "synapse"):   # each homeserver's own keys, together
            ini = tmp_path / f"{sec}.ini"
            ini.write_text(f"[homeserver]\ntype = {kind}\nserver_name = example.org\n[{sec}]\nno_such_key = 1\n")
            os.chmod(ini, 0o600)
            r = run(["-c", ini, "check"])
            assert r.rc == 3, r
            known = re.search(r"\(known: ([^)]*)\)", r.err).group(1)
            parsed.setdefault(sec, set()).update(known.replace(" ", "").split(","))
    assert manned == readmed == parsed
    assert set(manned) == {"homeserver", "database", "passwords", "safety", "server"}


# ---- JSON: every command's objects carry exactly the documented fields ----

def documented_fields():
    table = README.read_text().split("## JSON output", 1)[1].split("\n## ", 1)[0]
    doc = {}
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        top = re.sub(r"\([^)]*\)", "", cells[2])
        fields = frozenset(re.findall(r"`([a-z_]+)`", top))
        for cmd in re.findall(r"`([a-z0-9 -]+)`", cells[0]):
            doc.setdefault(cmd, set()).add(fields)
    return doc


def objects(r):
    assert r.rc in (0, 9, 10), r
    return [json.loads(line) for line in r.out.splitlines()]


G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"


# the kinds whose memberships mxdba reads (rooms, members, evacuate, the queue)
ROOM_KINDS = {"dendrite"}
ROOM_COMMANDS = {"rooms", "members", "evacuate user", "evacuate room", "notice", "queue list", "queue cancel",
                 "queue apply"}


@pytest.fixture
def world(home):
    home.add_account("alice", admin=True, password_hash=G)
    home.add_account("bob", password_hash=G)
    home.add_device("alice", "DEV1", "tok1")
    if home.kind in ROOM_KINDS:
        home.add_room("!r1:example.org", name="One")
        home.add_member("!r1:example.org", "@alice:example.org", "join")
        home.add_member("!r1:example.org", "@bob:example.org", "join")
    text = home.config.read_text() + "\n[server]\nadmin_user = @alice:example.org\nurl = http://127.0.0.1:9\n"
    home.write_config(text)
    return home


def test_every_command_emits_the_documented_json_fields(world, tmp_path):
    doc = documented_fields()
    j = lambda *a, **k: objects(world.run("--json", *a, **k))  # noqa: E731
    seen = {}

    def check(cmd, objs):
        assert objs, cmd
        for o in objs:
            assert frozenset(o) in doc[cmd], (cmd, sorted(o), doc[cmd])
        seen[cmd] = True

    check("check", j("check"))
    check("user list", j("user", "list"))
    check("user show", j("user", "show", "alice"))
    assert set(j("user", "show", "alice")[0]["devices"][0]) == {
        "device_id", "display_name", "ip", "user_agent", "last_seen_ts", "created_ts"}
    check("user create", j("user", "create", "carol", "--password-hash", G))
    check("user promote", j("user", "promote", "carol", "alice"))
    check("user demote", j("user", "demote", "carol"))
    check("user passwd", j("user", "passwd", "carol", "--password-hash", G))
    check("user verify-password", j("user", "verify-password", "carol", "--password-stdin", input="password\n"))
    imp = tmp_path / "i.csv"
    imp.write_text("user,admin\ndave,true\n")
    check("user import", j("--no-backup", "user", "import", imp))
    check("hash", j("hash", "--cost", "4", "--password-stdin", input="password-1\n"))
    if world.kind in ROOM_KINDS:
        check("rooms", j("rooms", "alice", "--membership", "all"))
        check("members", j("members", "!r1:example.org"))
        check("evacuate user", j("evacuate", "user", "bob"))
        check("evacuate room", j("evacuate", "room", "!r1:example.org"))
        check("notice", j("notice", "bob", "hello"))
        rows = j("queue", "list")
        check("queue list", rows)
        check("queue cancel", j("queue", "cancel", str(rows[0]["id"])))
        check("queue apply", j("--dry-run", "queue", "apply"))
        check("room delete", j("room", "delete", "!r1:example.org"))
    check("report tables", j("report", "tables"))
    if world.kind == "synapse":
        world.sql("INSERT INTO local_media_repository (media_id, media_type, media_length, created_ts, user_id)"
                  " VALUES ('m1', 'image/png', 123, 1, '@alice:example.org')")
        world.sql("INSERT INTO background_updates (update_name, progress_json, ordering) VALUES ('mx_test', '{}', 1)")
        world.add_room("!big:example.org", name="Big")
        check("report rooms", j("report", "rooms"))
        check("report media", j("report", "media"))
        check("report updates", j("report", "updates"))
        check("room delete", j("room", "delete", "!big:example.org", "--block"))
        check("room purge-history", j("room", "purge-history", "!big:example.org", "--before", "30d"))
        check("media purge-remote", j("media", "purge-remote", "--before", "30d"))
        check("token create", j("token", "create", "--token", "t1", "--uses", "2"))
        check("token list", j("token", "list"))
        world.sql("INSERT INTO ui_auth_sessions (session_id, creation_time, serverdict, clientdict, uri, method,"
                  " description) VALUES ('s1', 1, '{\"m.login.registration_token\": \"t1\"}',"
                  " '{\"username\": \"x\"}', '/register', 'POST', 'register')")
        shown = j("token", "show", "t1")
        check("token show", shown[:1])
        check("token show", shown[1:])
        check("token delete", j("token", "delete", "t1"))
    check("user 3pid add", j("user", "3pid", "add", "dave", "email", "dave@mail.example"))
    check("user 3pid remove", j("user", "3pid", "remove", "dave", "email", "dave@mail.example"))
    check("user deactivate", j("user", "deactivate", "dave"))
    check("user reactivate", j("user", "reactivate", "dave"))
    if world.kind == "synapse":
        check("user lock", j("user", "lock", "dave"))
        check("user unlock", j("user", "unlock", "dave"))
        check("user shadow-ban", j("user", "shadow-ban", "dave"))
        check("user unshadow-ban", j("user", "unshadow-ban", "dave"))
        check("user ratelimit set", j("user", "ratelimit", "set", "dave", "--messages-per-second", "3", "--burst", "9"))
        check("user ratelimit clear", j("user", "ratelimit", "clear", "dave"))
        world.sql("DELETE FROM background_updates WHERE update_name LIKE 'populate_user_directory%'")
        check("user directory rebuild", j("user", "directory", "rebuild"))
    check("audit list", j("audit", "list"))
    undo = [a for a in j("audit", "list") if a["field"] == "admin"][-1]["id"]  # the demote: still current
    check("audit undo", j("audit", "undo", str(undo)))
    # doctor: a stuck queue row (a warning, report only) and a token a killed queue apply left (repairable)
    world.sql("INSERT INTO mxdba_queue (kind, user_id, room_id, attempts, created_ts, updated_ts) VALUES"
              " ('leave', '@bob:example.org', '!stuck:example.org', 4, 1, 1)")
    world.add_device("bob", "MINTED", "minted-bob")
    world.sql("INSERT INTO mxdba_minted (access_token, device_id, localpart, server_name, created_ts) VALUES"
              " ('minted-bob', 'MINTED', 'bob', 'example.org', 1)")
    world.sql("UPDATE mxdba_queue SET user_id = '@alice:example.org' WHERE room_id = '!stuck:example.org'")
    check("doctor", j("doctor"))
    check("doctor", j("--dry-run", "doctor", "--fix"))
    check("doctor", j("doctor", "--fix"))
    check("doctor --list", j("doctor", "--list"))
    check("migrate", j("migrate"))
    check("migrate --status", j("migrate", "--status"))
    b = tmp_path / "b.txt"
    b.write_text("user promote bob\n")
    check("batch", j("--no-backup", "batch", b))
    check("config init", objects(run(["--json", "-c", tmp_path / "new.ini", "config", "init"])))
    from mxtest import make_home
    src, dst = make_home(world.kind, "sqlite"), make_home(world.kind, "sqlite")
    src.add_account("bob")
    assert src.run("user", "promote", "bob").rc == 0
    check("store copy", objects(dst.run("--json", "store", "copy", "--from", src.path)))
    check("store copy", objects(dst.run("--json", "store", "copy", "--from", src.path)))  # already copied
    expected = set(doc) - (set() if world.kind in ROOM_KINDS else ROOM_COMMANDS)
    expected -= ({"user lock", "user unlock", "user shadow-ban", "user unshadow-ban", "user ratelimit set",
                  "user ratelimit clear", "user directory rebuild"}
                 if world.kind == "dendrite" else set())  # Dendrite has no lock, shadow-ban or rate-limit override
    expected -= ({"report rooms", "report media", "report updates", "room purge-history", "media purge-remote",
                  "token create", "token list", "token show", "token delete"}
                 if world.kind == "dendrite" else set())
    assert sorted(seen) == sorted(expected), expected ^ set(seen)


def raw_csv(home, *args):
    """stdout as bytes decoded without newline translation (CSV ends lines with CRLF)."""
    p = subprocess.run([BIN, "-c", str(home.config), "--csv", *map(str, args)], capture_output=True, timeout=60)
    assert p.returncode == 0, p
    return p.stdout.decode()


def test_every_listing_parses_as_csv_with_the_same_rows_as_json(world):
    if world.kind in ROOM_KINDS:
        assert world.run("notice", "bob", 'a "quoted", text').rc == 0
    world.run("user", "promote", "bob")
    listings = [["user", "list"], ["queue", "list"], ["audit", "list"], ["migrate", "--status"], ["report", "tables"]]
    if world.kind == "synapse":
        world.add_room("!big:example.org", name="Big, bigger")
        world.sql("INSERT INTO local_media_repository (media_id, media_type, media_length, created_ts, user_id)"
                  " VALUES ('m1', 'image/png', 123, 1, '@alice:example.org')")
        world.sql("INSERT INTO registration_tokens (token, uses_allowed, pending, completed, expiry_time) VALUES"
                  " ('csv-t', 3, 1, 0, NULL)")
        world.sql("INSERT INTO ui_auth_sessions (session_id, creation_time, serverdict, clientdict, uri, method,"
                  " description) VALUES ('s2', 1, '{\"m.login.registration_token\": \"csv-t\"}',"
                  " '{\"username\": \"a, b\"}', '/register', 'POST', 'register')")
        listings += [["report", "rooms"], ["report", "media"], ["report", "updates"], ["token", "list"]]
    if world.kind in ROOM_KINDS:
        listings += [["rooms", "alice", "--membership", "all"], ["members", "!r1:example.org"]]
    for cmd in listings:
        js = objects(world.run("--json", *cmd))
        raw = raw_csv(world, *cmd)
        assert raw.endswith("\r\n"), raw
        rows = list(csv.reader(io.StringIO(raw, newline="")))
        header, body = rows[0], rows[1:]
        assert all(re.fullmatch(r"[a-z0-9_]+", h) for h in header), header
        assert len(body) == len(js) and all(len(row) == len(header) for row in body), (cmd, rows)
    if world.kind == "synapse":  # token show: the token's line in JSON, then its registrations; CSV: those alone
        raw = list(csv.reader(io.StringIO(raw_csv(world, "token", "show", "csv-t"), newline="")))
        assert raw[1][2] == "a, b" and len(raw) - 1 == len(objects(world.run("--json", "token", "show", "csv-t"))) - 1
    if world.kind in ROOM_KINDS:
        q = list(csv.DictReader(io.StringIO(raw_csv(world, "queue", "list"), newline="")))
        assert any(row["room_text"] == '"a "quoted", text"' for row in q), q
    # a human table parses too: one header line, columns two spaces apart
    r = world.run("user", "list")
    lines = r.out.splitlines()
    assert lines[0].split()[0] == "USER" and len(lines) == 1 + len(objects(world.run("--json", "user", "list")))


def test_csv_is_refused_where_it_does_not_apply(world):
    before = world.snapshot()
    for args in (["--csv", "user", "show", "alice"], ["--csv", "--json", "user", "list"],
                 ["--csv", "user", "promote", "bob"], ["user", "list", "--ids", "--json"]):
        r = world.run(*args)
        assert r.rc == 2 and "HINT:" in r.err, (args, r)
    assert world.snapshot() == before


def test_user_list_ids_prints_bare_ids(world):
    r = world.run("user", "list", "--ids")
    assert r.rc == 0 and r.out.split() == ["@alice:example.org", "@bob:example.org"], r


def test_every_source_file_carries_the_licence():
    """LICENSE is Apache-2.0, and every source file says so in its first lines
    (an SPDX tag), so that each file can be packaged or reused on its own."""
    assert "Apache License\n                           Version 2.0" in (ROOT / "LICENSE").read_text()
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    exempt = {"LICENSE", "README.md", "BENCHMARKS.md", "ARCHITECTURE.md", "bench.png", ".gitignore", ".clang-format"}
    missing = [f for f in files.split()
               if f not in exempt and not f.startswith("tests/fuzz/corpus/")
               and "SPDX-License-Identifier: Apache-2.0" not in "".join((ROOT / f).read_text().splitlines(True)[:3])]
    assert not missing, missing


def readme_support_table():
    """{command: {"Dendrite": bool, "Synapse": bool}} from the README's "What works where"."""
    text = README.read_text().split("### What works where", 1)[1].split("\n\n", 2)[1]
    rows = [r for r in text.splitlines() if r.startswith("| `")]
    head = [c.strip() for c in text.splitlines()[0].strip("|").split("|")]
    table = {}
    for r in rows:
        cells = [c.strip() for c in r.strip().strip("|").split("|")]
        for cmd in re.findall(r"`([a-z][a-z0-9 -]*)`", cells[0]):
            assert cmd not in table, f"{cmd} is in the table twice"
            table[cmd] = {head[i]: cells[i].startswith("yes") for i in range(1, len(head))}
    return table


def help_homeservers(cmd):
    r = run(["help"] + cmd.split())
    m = re.search(r"^Homeservers: (.*)$", r.out, re.M)
    assert r.rc == 0 and m, r
    return {name.strip() for name in m.group(1).split(",")}


def test_the_readme_says_what_works_on_which_homeserver():
    """The README's table names every command once, and says for each
    homeserver what `--help` (the profile's operations) says."""
    table = readme_support_table()
    assert sorted(table) == sorted(help_commands())
    for cmd, where in table.items():
        assert set(where) == {"Dendrite", "Synapse"}
        assert {hs for hs, yes in where.items() if yes} == help_homeservers(cmd), cmd


def test_a_command_the_homeserver_lacks_is_refused_as_documented():
    """Where the table says no, the command really is refused (exit 6) and the
    database is unchanged; where it says yes it is not refused for that reason."""
    from mxtest import make_home
    lacking = [(cmd, hs) for cmd, where in readme_support_table().items() for hs, yes in where.items() if not yes]
    assert lacking, "the table has no 'no' left: drop this test's premise with care"
    for cmd, hs in lacking:
        home = make_home(hs.lower(), "sqlite")
        home.add_account("alice")
        before = home.snapshot()
        r = home.run(*cmd.split(), "alice")
        assert r.rc == 6 and hs in r.err, (cmd, hs, r)
        assert home.snapshot() == before


def test_the_readme_supported_versions_are_the_releases_the_tests_run():
    """README.md's "Supported versions" table is tests/releases, row for row:
    the releases each schema stands for, its numbers, the real release the
    e2e matrix runs and the backends it runs on."""
    from synapse_db import release_rows
    text = README.read_text().split("### Supported versions", 1)[1].split("\n\n", 2)[1]
    rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in text.splitlines()[2:] if r.startswith("|")]
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    want = []
    for home, display in (("synapse", "Synapse"), ("dendrite", "Dendrite")):
        for r in release_rows(home):
            numbers = f"{r['schema']} ({r['compat']})" if r["schema"] is not None else "-"
            want.append([display, r["stands_for"], numbers, r["release"], ", ".join(names[b] for b in r["backends"])])
    assert rows == want
