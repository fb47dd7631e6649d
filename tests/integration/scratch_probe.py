# SPDX-License-Identifier: Apache-2.0
"""Not collected by the suite (no test_ prefix): test_scratch.py runs it in a
pytest of its own, with TMPDIR an empty folder, and checks the folder is
empty afterwards. Passing tests, failing tests, a timeout, a module-scoped
fixture, children, a pty, tmp_path: every way a test makes things."""
import os
import sys
import time

import pytest

import scratch
from mxtest import BIN
from ptyrun import PtyProcess

MARK = os.environ.get("MXDBA_PROBE_MARK", "probe")


def sleeper():
    return scratch.spawn([sys.executable, "-c", "import time, sys; time.sleep(600)", MARK])


@pytest.fixture(scope="module")
def shared():
    d = scratch.mkdtemp("mxdba-probe-module-")
    sleeper()
    return d


def test_passes_with_a_home(home):
    assert home.dir.exists()


def test_fails_with_a_home(home):
    sleeper()
    assert False, "deliberate"


def test_module_fixture_then_fails(shared):
    assert os.path.isdir(shared)
    assert False, "deliberate"


def test_module_fixture_passes(shared):
    assert os.path.isdir(shared)


@pytest.mark.timeout(3)
def test_times_out_with_a_child(home):
    sleeper()
    time.sleep(60)


def test_pty_left_waiting(home):
    home.add_account("probe")
    p = PtyProcess([BIN, "-c", str(home.config), "user", "passwd", "probe"])
    p.read_until(b"New password: ")
    assert False, "deliberate: the prompt is still waiting"


def test_tmp_path_fails(tmp_path):
    (tmp_path / "f").write_text("x")
    assert False, "deliberate"


def test_slow_for_a_signal():
    if os.environ.get("MXDBA_PROBE_SLOW"):
        sleeper()
        (open(os.environ["MXDBA_PROBE_SLOW"], "w")).close()
        time.sleep(120)
