# SPDX-License-Identifier: Apache-2.0
"""make install honours PREFIX and DESTDIR and puts the binary, the man page,
the bash completion and an example config in place; make uninstall removes
exactly what it installed. (`make test-deb` installs the Debian package on a
clean Debian.)"""
import os
import subprocess
from pathlib import Path

from mxtest import run

ROOT = Path(__file__).resolve().parents[2]


def make(*args):
    p = subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p
    return p


def tree(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*") if p.is_file())


def test_install_and_uninstall(tmp_path):
    dest = tmp_path / "dest"
    make("install", "PREFIX=/opt/mx", f"DESTDIR={dest}")
    assert tree(dest) == ["opt/mx/bin/mxdba", "opt/mx/share/bash-completion/completions/mxdba",
                          "opt/mx/share/doc/mxdba/mxdba.ini.example", "opt/mx/share/man/man8/mxdba.8"]
    b = dest / "opt/mx/bin/mxdba"
    assert os.access(b, os.X_OK)
    assert oct((dest / "opt/mx/share/man/man8/mxdba.8").stat().st_mode & 0o777) == "0o644"
    v = subprocess.run([str(b), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("mxdba ")
    text = (dest / "opt/mx/share/doc/mxdba/mxdba.ini.example").read_text()
    for key in ("type", "server_name", "dendrite_config", "base_dir", "server_notices_local_part", "default",
                "userapi", "roomserver", "syncapi", "bcrypt_cost", "backup_dir", "backup_keep", "url",
                "admin_user"):
        assert f"{key} =" in text, key
    make("uninstall", "PREFIX=/opt/mx", f"DESTDIR={dest}")
    assert tree(dest) == []


def test_the_example_config_parses(tmp_path):
    make("build/mxdba.ini.example")
    ex = tmp_path / "mxdba.ini"
    lines = (ROOT / "build/mxdba.ini.example").read_text().replace(
        "; userapi = file:dendrite_userapi.db", "userapi = file:dendrite_userapi.db")
    ex.write_text(lines)
    os.chmod(ex, 0o600)
    r = run(["-c", ex, "check"])
    assert r.rc == 7 and "does not exist" in r.err, r  # parsed; only the database file is missing
