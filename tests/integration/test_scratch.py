# SPDX-License-Identifier: Apache-2.0
"""The suite cleans up after itself (tests/lib/scratch.py): a slice of it,
passing and deliberately failing, timing out and interrupted, run with
TMPDIR an empty folder, leaves that folder empty and no child behind."""
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import scratch  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
PROBE = TESTS / "integration" / "scratch_probe.py"


def alive(mark):
    """PIDs of processes whose command line holds MARK."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if mark.encode() in open(f"/proc/{d}/cmdline", "rb").read():
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def pytest_run(tmpdir, *args, env_extra=None, wait=True):
    mark = "mxdba-probe-" + uuid.uuid4().hex
    env = dict(os.environ, TMPDIR=str(tmpdir), MXDBA_PROBE_MARK=mark, **(env_extra or {}))
    env.pop("MXDBA_KEEP_TMP", None)
    env.update(env_extra or {})
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(TESTS),
            "-c", str(TESTS / "pytest.ini")] + list(args)
    p = scratch.spawn(argv, cwd=TESTS, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait:
        return p, mark
    out, _ = p.communicate(timeout=240)
    return p.returncode, out, mark


def empty_dir():
    d = Path(scratch.mkdtemp("mxdba-scratch-test-"))
    os.chmod(d, 0o1777)
    return d


@pytest.mark.timeout(300)
def test_a_slice_of_the_suite_leaves_the_temp_folder_empty():
    t = empty_dir()
    rc, out, mark = pytest_run(t, str(PROBE), "integration/test_exit_codes.py", "integration/test_doctor.py",
                               "-k", "not slow_for_a_signal")
    assert rc == 1, out                                  # the deliberate failures fail the run...
    assert " failed" in out and " passed" in out, out
    assert "Timeout" in out, out                         # ...the time limit fired and the run went on
    assert "mxdba scratch folders" in out and "MXDBA_KEEP_TMP=1 keeps them" in out, out  # the report names them
    assert "scratch: FAILED" not in out, out             # nothing leaked into the run's root
    assert list(t.iterdir()) == [], (list(t.iterdir()), out)
    assert alive(mark) == [], out                         # every child killed


@pytest.mark.timeout(300)
def test_a_failed_tests_folders_are_kept_on_request():
    t = empty_dir()
    rc, out, _ = pytest_run(t, str(PROBE), "-k", "fails_with_a_home", env_extra={"MXDBA_KEEP_TMP": "1"})
    assert rc == 1, out
    assert "kept (MXDBA_KEEP_TMP=1)" in out, out
    homes = set(re.findall(r"/\S*/mxdba-home-[\w]+", out))
    assert len(homes) == 4, out                     # the failing test's home on each kind and backend
    for h in homes:
        assert Path(h).is_dir() and (Path(h) / "mxdba.ini").exists(), out   # there to inspect, as named


@pytest.mark.timeout(300)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_the_temp_folder_empty(sig):
    t = empty_dir()
    flag = Path(scratch.mkdtemp("mxdba-scratch-flag-")) / "started"
    p, mark = pytest_run(t, str(PROBE), "-k", "slow_for_a_signal or passes_with_a_home",
                         env_extra={"MXDBA_PROBE_SLOW": str(flag)}, wait=False)
    end = time.monotonic() + 120
    while not flag.exists():
        assert p.poll() is None and time.monotonic() < end, p.communicate()[0] if p.poll() is not None else "slow"
        time.sleep(0.1)
    os.kill(p.pid, sig)
    out, _ = p.communicate(timeout=120)
    assert p.returncode != 0, out
    assert list(t.iterdir()) == [], (list(t.iterdir()), out)
    assert alive(mark) == [], out
