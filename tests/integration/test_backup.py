# SPDX-License-Identifier: Apache-2.0
"""Backups before bulk writes on SQLite (online backup API, newest N kept),
--backup / --no-backup, and the pg_dump line on PostgreSQL."""
import sqlite3
import stat


EX_USAGE = 2


def backups(home):
    d = home.dir / "mxdba-backups"
    return sorted(d.iterdir()) if d.exists() else []


def test_batch_and_import_back_up_first_and_keep_the_newest(make_home, tmp_path):
    home = make_home("sqlite")
    home.add_account("alice")
    home.write_config(home.config.read_text() + "[safety]\nbackup_keep = 2\n")
    f = tmp_path / "b.txt"
    f.write_text("user promote alice\n")
    r = home.run("batch", f)
    assert r.rc == 0 and "backed up" in r.err, r
    [b] = backups(home)
    assert stat.S_IMODE(b.stat().st_mode) == 0o600
    # the copy is the state before the batch: alice still a user there
    assert home.exists("alice", db=b) and not home.is_admin("alice", db=b)
    con = sqlite3.connect(b)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    con.close()
    csv = tmp_path / "u.csv"
    csv.write_text("user\nbob\n")
    assert home.run("user", "import", csv).rc == 0
    assert home.run("batch", f).rc == 0
    assert len(backups(home)) == 2                   # backup_keep = 2
    assert home.run("--no-backup", "batch", f).rc == 0
    assert len(backups(home)) == 2
    before = backups(home)
    assert home.run("--dry-run", "batch", f).rc == 0
    assert backups(home) == before


def test_single_commands_back_up_only_with_flag(make_home):
    home = make_home("sqlite")
    home.add_account("alice")
    assert home.run("user", "promote", "alice").rc == 0
    assert backups(home) == []
    r = home.run("--backup", "user", "demote", "alice", "--yes")
    assert r.rc == 0 and len(backups(home)) == 1, r


def test_backup_dir_setting_and_unwritable_dir(make_home, tmp_path):
    home = make_home("sqlite")
    home.add_account("alice")
    target = tmp_path / "elsewhere"
    home.write_config(home.config.read_text() + f"[safety]\nbackup_dir = {target}\n")
    assert home.run("--backup", "user", "promote", "alice").rc == 0
    assert len(list(target.iterdir())) == 1
    home.write_config(home.config.read_text().replace(str(target), "/proc/no/such/dir"))
    before = home.snapshot()
    r = home.run("--backup", "user", "demote", "alice", "--yes")
    assert r.rc == 7 and "backup folder" in r.err and "--no-backup" in r.err, r
    assert home.snapshot() == before


def test_postgres_gets_the_pg_dump_line(make_home):
    home = make_home("postgres")
    home.add_account("alice")
    r = home.run("check")
    assert "pg_dump --format=custom --table='userapi_*'" in r.out, r
    before = home.snapshot()
    r = home.run("--backup", "user", "promote", "alice")
    assert r.rc == EX_USAGE and "pg_dump" in r.err, r
    assert home.snapshot() == before
    r = home.run("batch", input="user promote alice\n")
    assert r.rc == 0 and "pg_dump" in r.err, r
