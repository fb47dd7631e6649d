# SPDX-License-Identifier: Apache-2.0
"""Every Synapse schema mxdba claims, read and written on both backends:
the database each release of tests/releases creates (made once by the real
release, cached in .cache/), and the shapes around them: one number with
different deltas, a schema newer than mxdba knows (as Synapse itself
decides: by schema_compat_version), one older. The real servers prove the
same on each release in tests/e2e/synapse/test_synapse_releases.py."""
import json

import pytest

from mxtest import ok
from synapse_db import NEWEST, SynapseHome, release_rows

EX_REFUSED = 6
RELEASES = release_rows()
CASES = [(r["release"], b) for r in RELEASES for b in ("sqlite", "postgres")]
PW = "long-enough-password-1\n"


def home_of(release, backend, pg):
    return SynapseHome(backend, pg=pg if backend == "postgres" else None, release=release)


def check_json(home):
    r = ok(home.run("--json", "check"))
    return json.loads(r.out.splitlines()[0]), r


def versions(home):
    return home.sql("SELECT version FROM schema_version") + home.sql("SELECT compat_version FROM schema_compat_version")


@pytest.mark.parametrize("release,backend", CASES, ids=[f"{v}-{b}" for v, b in CASES])
def test_each_release_schema_is_read_and_written(release, backend, pg):
    row = next(r for r in RELEASES if r["release"] == release)
    home = home_of(release, backend, pg)
    c, r = check_json(home)
    # the numbers in tests/releases are the real release's
    assert (c["schema_version"]["version"], c["schema_version"]["compat_version"]) == (row["schema"], row["compat"])
    first, last = (row["stands_for"].split("–") + [row["stands_for"]])[:2]
    short = lambda v: ".".join(v.split(".")[:2])  # noqa: E731
    span = f"Synapse {short(first)}–{short(last)}" if short(first) != short(last) else f"Synapse {short(first)}"
    assert c["layout"].startswith(f"Synapse schema {row['schema']} (compat {row['compat']}): {span}"), c
    assert c["writable"] is True and "warning" not in r.err, r
    numbers = versions(home)
    # a fresh database: nothing to report
    assert ok(home.run("doctor")).rc == 0
    # the first admin, a second account, every account write
    ok(home.run("user", "create", "root", "--admin", "--password-stdin", input=PW))
    ok(home.run("user", "create", "bob", "--password-stdin", input=PW))
    assert home.is_admin("root") and home.exists("bob") and not home.is_admin("bob")
    ok(home.run("user", "promote", "bob"))
    assert home.is_admin("bob")
    ok(home.run("user", "demote", "bob"))
    assert not home.is_admin("bob")
    old = home.password_hash("bob")
    ok(home.run("user", "passwd", "bob", "--password-stdin", input="another-long-password-2\n"))
    assert home.password_hash("bob") != old
    ok(home.run("user", "verify-password", "bob", "--password-stdin", input="another-long-password-2\n"))
    ok(home.run("user", "lock", "bob"))
    assert home.is_locked("bob")
    ok(home.run("user", "unlock", "bob"))
    ok(home.run("user", "deactivate", "bob"))
    assert home.is_deactivated("bob")
    # many at once: the batch statements of this shape
    csv = home.dir / "people.csv"
    csv.write_text("user,admin\ncarol,false\ndave,true\n")
    ok(home.run("--no-backup", "user", "import", str(csv)))
    assert home.exists("carol") and home.is_admin("dave")
    if home.has_suspended:
        assert home.sql("SELECT count(*) FROM users WHERE suspended") == [("0",)]
    # the audit trail undoes on this shape too
    audit = [json.loads(x) for x in ok(home.run("--json", "audit", "list")).out.splitlines()]
    promote = next(a for a in audit if a["target"] == home.uid("dave") and a["field"] == "account")
    assert promote
    last = max(a["id"] for a in audit if a["target"] == home.uid("bob"))
    ok(home.run("audit", "undo", str(last)))
    assert not home.is_deactivated("bob")
    assert ok(home.run("doctor")).rc == 0
    assert versions(home) == numbers           # mxdba never writes the schema's numbers


def test_one_number_many_shapes_are_told_apart():
    """Schema 94 came in three steps (1.151, 1.152, 1.157): the applied deltas,
    not the number, say which release last upgraded the database."""
    home = SynapseHome("sqlite")
    c, _ = check_json(home)
    assert c["layout"].endswith("Synapse 1.151–1.163, last upgraded by 1.157–1.163"), c
    home.sql("DELETE FROM applied_schema_deltas WHERE version = 94 AND file >= '94/05'")
    c, _ = check_json(home)
    assert c["layout"].endswith("last upgraded by 1.152–1.156"), c
    home.sql("DELETE FROM applied_schema_deltas WHERE version = 94 AND file >= '94/03'")
    c, _ = check_json(home)
    assert c["layout"].endswith("last upgraded by 1.151"), c
    # and the release pairs seen on the real ones: 1.135 brought thread_subscriptions
    r135 = SynapseHome("sqlite", release="1.135.0")
    assert check_json(r135)[0]["layout"].endswith("last upgraded by 1.135–1.142")
    r135.sql("DELETE FROM applied_schema_deltas WHERE file = '92/04_thread_subscriptions.sql'")
    assert check_json(r135)[0]["layout"].endswith("last upgraded by 1.129–1.134")
    r120 = SynapseHome("sqlite", release="1.120.2")
    assert check_json(r120)[0]["layout"].endswith("last upgraded by 1.116–1.122")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_newer_schema_with_a_known_compat_is_written_as_synapse_would(backend, pg):
    """The next release's shape: schema 95, an extra column, compat still 84.
    Synapse of schema 94 runs on it, so mxdba writes it, with one warning."""
    home = SynapseHome(backend, pg=pg if backend == "postgres" else None)
    home.add_account("leo")
    home.sql("UPDATE schema_version SET version = 95")
    home.sql("ALTER TABLE users ADD COLUMN next_release_flag BOOLEAN NOT NULL DEFAULT FALSE")
    numbers = versions(home)
    for args in (["user", "create", "mia", "--password-stdin"], ["user", "promote", "leo"], ["user", "list"]):
        r = home.run(*args, input=PW)
        assert r.rc == 0, (args, r)
        warnings = [x for x in r.err.splitlines() if "warning" in x]
        assert len(warnings) == 1 and "schema 95" in warnings[0] and "(94)" in warnings[0], r.err
    assert home.exists("mia") and home.is_admin("leo")
    c, _ = check_json(home)
    assert c["writable"] is True and c["layout"].startswith("Synapse schema 95 (compat 84): a Synapse newer than"), c
    assert versions(home) == numbers


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_schema_whose_compat_is_newer_is_read_but_never_written(backend, pg):
    home = SynapseHome(backend, pg=pg if backend == "postgres" else None)
    home.add_account("leo")
    home.sql("UPDATE schema_version SET version = 96")
    home.sql("UPDATE schema_compat_version SET compat_version = 95")
    before = home.snapshot()
    for args in (["user", "create", "mia", "--no-password"], ["user", "promote", "leo"],
                 ["user", "deactivate", "leo"], ["doctor", "--fix"]):
        r = home.run(*args)
        assert r.rc == EX_REFUSED, (args, r)
        assert "newer than mxdba knows" in r.err and "compat version 95" in r.err, r.err
        assert "HINT" in r.err and "schema 96" in r.err and "mxdba release" in r.err, r.err
        assert "upgrade" not in r.err.lower() and "start synapse" not in r.err.lower(), r.err
    assert home.snapshot() == before
    r = home.run("user", "list")                          # reads by column name still work
    assert r.rc == 0 and home.uid("leo") in r.out, r
    assert sum("warning" in x for x in r.err.splitlines()) == 1 and "only reads" in r.err, r.err
    c = json.loads(home.run("--json", "check").out.splitlines()[0])
    assert c["writable"] is False


def test_an_older_schema_is_read_and_its_writes_refused_without_an_upgrade_hint():
    home = SynapseHome("sqlite", release="1.98.0")
    home.add_account("leo")
    home.sql("UPDATE schema_version SET version = 82")
    home.sql("UPDATE schema_compat_version SET compat_version = 82")
    before = home.snapshot()
    r = home.run("user", "promote", "leo")
    assert r.rc == EX_REFUSED and "older than mxdba knows" in r.err and "83 to 94" in r.err, r
    assert "upgrade" not in r.err.split("HINT")[1].lower() and "start" not in r.err.split("HINT")[1].lower(), r.err
    assert home.snapshot() == before
    assert ok(home.run("user", "list")).rc == 0


def test_a_column_the_number_promises_missing_is_refused_by_name():
    """users.suspended belongs to schema 85 on: missing there, the database is
    not as any release leaves it; missing at 84 it is simply not there yet."""
    home = SynapseHome("sqlite", release="1.107.0")
    home.add_account("leo")
    home.sql("ALTER TABLE users DROP COLUMN suspended")
    before = home.snapshot()
    r = home.run("user", "promote", "leo")
    assert r.rc == EX_REFUSED and "users.suspended" in r.err and "schema 85" in r.err, r
    assert "upgrade Synapse" not in r.err and "start Synapse" not in r.err, r.err
    assert home.snapshot() == before
    assert NEWEST in [x["release"] for x in RELEASES]
