# SPDX-License-Identifier: Apache-2.0
"""The bash completion script (completion/mxdba.bash): commands, sub-commands
and options equal to what --help lists, values for enumerated options, and
local user IDs read from the configured database."""
import os
import subprocess
from pathlib import Path

import pytest

from mxtest import BIN, make_home as new_home
from test_docs import help_commands, help_options, run

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "completion" / "mxdba.bash"


@pytest.fixture(scope="module")
def path_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bin")
    (d / "mxdba").symlink_to(BIN)
    return d


def complete(path_dir, line, env_extra=None):
    script = (f"source {SCRIPT}\nCOMP_LINE={sh(line)}\nCOMP_POINT=${{#COMP_LINE}}\n"
              "COMP_WORDS=($COMP_LINE); COMP_CWORD=$((${#COMP_WORDS[@]}-1))\n"
              "_mxdba\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "PATH": f"{path_dir}:{os.environ['PATH']}", **(env_extra or {})}
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, env=env,
                       timeout=30)
    assert p.returncode == 0 and p.stderr == "", p
    return sorted(x for x in p.stdout.splitlines() if x)


def sh(s):
    return "'" + s.replace("'", "'\\''") + "'"


def global_options():
    out = run(["--help"]).out
    block = out.split("Global options (anywhere on the line):\n", 1)[1].split("\n\n", 1)[0]
    opts = set()
    for line in block.splitlines():
        if line.startswith("  -"):
            for w in line.strip().split("  ")[0].replace(",", " ").split():
                if w.startswith("-"):
                    opts.add(w)
    return opts


def test_commands_and_sub_commands(path_dir):
    cmds = help_commands()
    assert complete(path_dir, "mxdba ") == sorted({c.split()[0] for c in cmds} | {"help"})
    for group in {c.split()[0] for c in cmds if " " in c}:
        subs = sorted({c.split()[1] for c in cmds if c.startswith(group + " ")})
        assert complete(path_dir, f"mxdba {group} ") == subs, group
    for two in {" ".join(c.split()[:2]) for c in cmds if len(c.split()) == 3}:   # user ratelimit set
        assert complete(path_dir, f"mxdba {two} ") == sorted(c.split()[2] for c in cmds if c.startswith(two + " ")), two
    assert complete(path_dir, "mxdba evacuate ") == ["room", "user"]
    assert complete(path_dir, "mxdba --json us") == ["user"]
    assert complete(path_dir, "mxdba help queue ") == ["apply", "cancel", "list"]


def test_options_of_every_command_and_the_global_ones(path_dir):
    glob = global_options()
    assert set(complete(path_dir, "mxdba -")) == glob
    for cmd in help_commands():
        words = cmd + (" user" if cmd == "evacuate" else "")
        got = set(complete(path_dir, f"mxdba {words} -"))
        assert got == help_options(cmd) | glob, cmd


def test_values_of_enumerated_options(path_dir):
    assert complete(path_dir, "mxdba rooms alice --membership ") == ["all", "ban", "invite", "join", "knock", "leave"]
    assert complete(path_dir, "mxdba user import f.csv --on-conflict u") == ["update"]
    assert complete(path_dir, "mxdba queue list --state f") == ["failed"]
    assert complete(path_dir, "mxdba user passwd alice --scheme ") == ["argon2id", "bcrypt"]


def test_user_ids_come_from_the_configured_database(path_dir):
    home = new_home("dendrite", "sqlite")
    for lp in ("alice", "albert", "bob"):
        home.add_account(lp)
    c = f"mxdba -c {home.config}"
    assert complete(path_dir, f"{c} user promote @al") == ["@albert:example.org", "@alice:example.org"]
    assert complete(path_dir, f"{c} user promote @alice:example.org @b") == ["@bob:example.org"]
    # after a colon bash replaces only what follows it
    assert complete(path_dir, f"{c} user show @alice:ex") == ["example.org"]
    assert complete(path_dir, f"{c} rooms @b") == ["@bob:example.org"]
    assert complete(path_dir, f"{c} evacuate user @b") == ["@bob:example.org"]
    assert complete(path_dir, f"{c} audit list --user @b") == ["@bob:example.org"]
    # nothing typed: no database query unless asked for
    assert complete(path_dir, f"{c} user show ") == []
    assert len(complete(path_dir, f"{c} user show ", {"MXDBA_COMPLETE_USERS": "1"})) == 3
    assert complete(path_dir, f"{c} user show @", {"MXDBA_COMPLETE_USERS": "0"}) == []
    # a broken config completes nothing and prints nothing
    assert complete(path_dir, "mxdba -c /nonexistent.ini user show @a") == []
    # only one USER for user show
    assert complete(path_dir, f"{c} user show @bob:example.org @a") == []
