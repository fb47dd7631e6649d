# SPDX-License-Identifier: Apache-2.0
"""A program on a pseudo-terminal, as a person at a terminal runs it. Every
wait has a time limit, and the program (its whole session) is killed when the
test is done with it, passed or failed, so a program that waits for input
that never comes fails its test instead of hanging the suite."""
import errno
import os
import pty
import select
import signal
import termios
import time

import scratch


class PtyProcess:
    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a new session whose terminal is the pty
            try:
                os.execve(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        scratch.on_end(self.close)  # killed when its test (or fixture) ends, however it ends
        self.out = b""
        self.pos = 0  # read_until looks past the last needle it found
        self.status = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def read_until(self, needle, timeout=20):
        """Read until NEEDLE shows after the last needle found; everything
        read is kept in .out."""
        end = time.monotonic() + timeout
        while self.out.find(needle, self.pos) < 0:
            left = end - time.monotonic()
            r, _, _ = select.select([self.fd], [], [], max(0.0, left))
            if not r:
                raise AssertionError(f"no {needle!r} within {timeout} s; the terminal showed {self.out!r}")
            if not self._read():
                raise AssertionError(f"the program ended before {needle!r}; the terminal showed {self.out!r}")
        self.pos = self.out.find(needle, self.pos) + len(needle)
        return self.out

    def _read(self):
        try:
            chunk = os.read(self.fd, 4096)
        except OSError as e:  # EIO: the other side is closed
            if e.errno != errno.EIO:
                raise
            chunk = b""
        self.out += chunk
        return chunk

    def write(self, data):
        os.write(self.fd, data)

    def echo(self):
        """Whether the terminal echoes input now (the pty's modes, read on our side)."""
        return bool(termios.tcgetattr(self.fd)[3] & termios.ECHO)

    def wait_for(self, predicate, timeout=20, what="the condition"):
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise AssertionError(f"{what} not reached within {timeout} s; the terminal showed {self.out!r}")
            time.sleep(0.0005)

    def wait(self, timeout=60):
        """The exit status, reading what the program prints meanwhile; killed after TIMEOUT."""
        end = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                break
            if time.monotonic() > end:
                self.close()
                raise AssertionError(f"the program did not end within {timeout} s; the terminal showed {self.out!r}")
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                self._read()
        while select.select([self.fd], [], [], 0)[0] and self._read():
            pass
        return self.status

    def exit_code(self, timeout=60):
        return os.waitstatus_to_exitcode(self.wait(timeout))

    def kill(self, sig):
        os.kill(self.pid, sig)

    def close(self):
        if self.status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, self.status = os.waitpid(self.pid, 0)  # SIGKILL: this wait ends
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
