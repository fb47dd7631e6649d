# SPDX-License-Identifier: Apache-2.0
"""Secrets: a password typed at mxdba's prompt is not in its command line,
environment, output or audit log; core dumps are off while it runs."""
import os
import pty
import select
import time

import pytest
from mxtest import BIN, make_home as new_home

SECRET = "Correct-Horse-77"


def read_until(fd, needle, timeout=20):
    buf = b""
    end = time.time() + timeout
    while needle not in buf:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not r:
            raise AssertionError(f"no {needle!r} in {buf!r}")
        buf += os.read(fd, 4096)
    return buf


@pytest.mark.parametrize("backend", ["sqlite"])
def test_prompted_password_is_nowhere_but_the_hash(backend):
    home = new_home("dendrite", backend)
    home.add_account("alice")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(BIN, [BIN, "-c", str(home.config), "user", "passwd", "alice"])
    try:
        out = read_until(fd, b"New password: ")
        # while it waits at the prompt: nothing secret in argv or the environment, and no core dumps
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        environ = open(f"/proc/{pid}/environ", "rb").read()
        limits = open(f"/proc/{pid}/limits").read()
        assert SECRET.encode() not in cmdline + environ
        core = [l for l in limits.splitlines() if l.startswith("Max core file size")][0]
        assert core.split()[4] == "0", core
        os.write(fd, SECRET.encode() + b"\n")
        out += read_until(fd, b"Again: ")
        # typed once, held in memory now: still not in argv or environ
        assert SECRET.encode() not in open(f"/proc/{pid}/cmdline", "rb").read()
        os.write(fd, SECRET.encode() + b"\n")
        try:
            while True:
                r, _, _ = select.select([fd], [], [], 20)
                if not r:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert SECRET.encode() not in out                     # the prompt does not echo
    assert b"password changed for @alice:example.org" in out
    assert SECRET not in str(home.sql("SELECT * FROM mxdba_audit"))
    assert SECRET not in home.account_dump()
    assert home.run("user", "verify-password", "alice", "--password-stdin", input=SECRET + "\n").rc == 0


def test_passwords_never_come_from_argv_or_env():
    home = new_home("dendrite", "sqlite")
    home.add_account("alice")
    r = home.run("user", "passwd", "alice", SECRET)
    assert r.rc == 2 and SECRET not in r.err
    r = home.run("user", "passwd", "alice", "--password", SECRET)
    assert r.rc == 2 and SECRET not in r.err
    r = home.run("user", "passwd", "alice", "--password-stdin", input="short\n")
    assert r.rc == 2 and "short" not in r.err     # the refused password is not echoed either
