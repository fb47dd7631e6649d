# SPDX-License-Identifier: Apache-2.0
"""Human output on a terminal: tables fit the terminal's width, the header is
bold and errors red; no colour when NO_COLOR is set, TERM is dumb, or the
output is not a terminal."""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

import pytest

import scratch  # noqa: E402
from mxtest import BIN, make_home as new_home

ESC = "\x1b["


def on_pty(args, cols=80, env_extra=None, drop=()):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS") + tuple(drop)}
    env.setdefault("TERM", "xterm")
    env.update(env_extra or {})
    p = scratch.spawn([BIN] + [str(a) for a in args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                      env=env, close_fds=True)
    os.close(slave)
    chunks = []
    end = time.monotonic() + 60
    try:
        while True:
            r, _, _ = select.select([master], [], [], max(0.0, end - time.monotonic()))
            assert r, f"mxdba {args} wrote nothing more for 60 s: {b''.join(chunks)!r}"
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(master)
    rc = p.wait(timeout=60)
    return rc, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture
def wide():
    home = new_home("dendrite", "sqlite")
    home.add_account("alice")
    home.set_display_name("alice", "Ålice Wonderland " * 12)
    home.add_account("bob")
    return home


def test_table_fits_a_narrow_terminal(wide):
    for cols in (50, 70, 80, 120):
        rc, out = on_pty(["-c", wide.config, "user", "list"], cols=cols)
        assert rc == 0, out
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines() if "@" in line or "USER" in line]
        assert len(lines) == 3, out
        assert all(len(line) <= cols for line in lines), (cols, [len(x) for x in lines])
        assert "…" in lines[1], lines  # the long display name was cut, visibly
        if cols >= 70:
            assert "@alice:example.org" in lines[1] and "Ålice" in lines[1]


def test_not_a_terminal_keeps_whole_cells_and_no_colour(wide):
    p = subprocess.run([BIN, "-c", str(wide.config), "user", "list"], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "40", "TERM": "xterm"})
    assert p.returncode == 0 and "Ålice Wonderland " * 12 in p.stdout and ESC not in p.stdout + p.stderr


def test_colour_on_a_terminal_and_never_with_no_color(wide):
    rc, out = on_pty(["-c", wide.config, "user", "list"])
    assert rc == 0 and ESC + "1m" in out, out
    rc, out = on_pty(["-c", wide.config, "user", "show", "nobody"])
    assert rc == 4 and ESC + "1;31merror:" in out, out
    for extra in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        rc, out = on_pty(["-c", wide.config, "user", "list"], env_extra=extra)
        assert rc == 0 and ESC not in out, (extra, out)
        rc, out = on_pty(["-c", wide.config, "user", "show", "nobody"], env_extra=extra)
        assert rc == 4 and ESC not in out and "mxdba: error:" in out, (extra, out)
    # an empty NO_COLOR does not count (no-color.org)
    rc, out = on_pty(["-c", wide.config, "user", "list"], env_extra={"NO_COLOR": ""})
    assert ESC + "1m" in out
