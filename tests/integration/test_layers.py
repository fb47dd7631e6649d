# SPDX-License-Identifier: Apache-2.0
"""ARCHITECTURE.md's rules, checked on the source: which layer may include
which, commands speak to a homeserver only through src/hs/hs.h, a profile
never includes another, and no SQL text lives in C."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# layer -> the layers its files may include (besides system and library headers)
ALLOWED = {
    "core": {"core"},
    "db": {"core", "db"},
    "store": {"core", "db", "store"},
    "net": {"core", "net"},
    "hs": {"core", "db", "hs"},
    "cli": {"core", "db", "store", "hs", "net", "cli"},
    "main": {"core", "cli"},
}


def layer_of(path):
    rel = path.relative_to(SRC)
    return "main" if len(rel.parts) == 1 else rel.parts[0]


def includes(path):
    """The project headers PATH includes, as paths from src/ (a bare name: the same folder)."""
    out = []
    for name in re.findall(r'^#include "([^"]+)"', path.read_text(), re.M):
        if "/" not in name:
            name = str((path.parent / name).relative_to(SRC))
        out.append(name)
    return out


def sources():
    return sorted(p for p in SRC.rglob("*") if p.suffix in (".c", ".h"))


def test_each_layer_includes_only_the_layers_below_it():
    bad = []
    for p in sources():
        for inc in includes(p):
            if inc.split("/")[0] not in ALLOWED[layer_of(p)] and inc != "sql_embed.h":
                bad.append(f"{p.relative_to(ROOT)} includes {inc}")
    assert not bad, "\n".join(bad)


def test_commands_see_a_homeserver_only_through_hs_h():
    bad = [f"{p.relative_to(ROOT)} includes {inc}" for p in sources() if layer_of(p) in ("cli", "main")
           for inc in includes(p) if inc.startswith("hs/") and inc != "hs/hs.h"]
    assert not bad, "\n".join(bad)


def test_a_profile_never_includes_another():
    bad = []
    for p in sources():
        parts = p.relative_to(SRC).parts
        if parts[0] == "hs" and len(parts) == 3:
            bad += [f"{p.relative_to(ROOT)} includes {inc}" for inc in includes(p)
                    if inc.startswith("hs/") and inc.count("/") == 2 and inc.split("/")[1] != parts[1]]
    assert not bad, "\n".join(bad)


def test_commands_and_core_name_no_homeserver_table_or_statement():
    """What issue 13 asked: the homeserver's language stays in its profile."""
    pat = re.compile(r"db_(exec|query|scalar|stream)|ACCT_|userapi_|roomserver_|h->user|membership_nid|_dendrite")
    bad = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in sources() if layer_of(p) in ("cli", "core")
           for n, line in enumerate(p.read_text().splitlines(), 1) if pat.search(line)]
    assert not bad, "\n".join(bad)


def test_no_sql_text_in_c():
    """Statements live in sql/ by name; C holds none (BEGIN/COMMIT are named too)."""
    pat = re.compile(r'"\s*(SELECT |INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|INDEX)|DROP |ALTER TABLE|BEGIN;?"|'
                     r'COMMIT;?"|ROLLBACK;?")')
    bad = [f"{p.relative_to(ROOT)}:{n}" for p in sources()
           for n, line in enumerate(p.read_text().splitlines(), 1) if pat.search(line)]
    assert not bad, "\n".join(bad)
