# SPDX-License-Identifier: Apache-2.0
"""Every folder and child process a test makes is removed or killed when its
owner ends: the test that made it, or the fixture (at whatever scope) whose
set-up made it. Passed, failed, timed out (pytest-timeout) or interrupted
(Ctrl-C, SIGTERM): the same.

  scratch.mkdtemp(prefix)       a folder under the run's temp root
  scratch.spawn(argv, **popen)  a child in its own session, killed (the whole
                                group) when its owner ends
  scratch.on_end(fn)            fn() when the owner ends, before its folders go
                                (a daemonised server's stop)

The run has its own temp root (TMPDIR for every child too), removed at the
end; anything left in it by then is a leak: it is named and fails the run.
MXDBA_KEEP_TMP=1 keeps the folders of an owner during whose life a test
failed; a failing test's report names the folders either way.

Loaded by tests/conftest.py (pytest_plugins) for every suite."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest

KEEP = os.environ.get("MXDBA_KEEP_TMP") == "1"


class _Owner:
    def __init__(self, name):
        self.name = name
        self.dirs = []
        self.children = []
        self.ends = []
        self.failures_at_start = _state["failures"]

    def end(self):
        """Run the end hooks, kill the children, remove the folders (or keep them)."""
        kept = []
        for fn in reversed(self.ends):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - the next hooks still run
                print(f"scratch: {self.name}: end hook {fn!r} failed: {e}", file=sys.stderr)
        for p in self.children:
            _kill(p)
        keep = KEEP and _state["failures"] > self.failures_at_start
        for d in self.dirs:
            if keep:
                kept.append(d)
            else:
                shutil.rmtree(d, ignore_errors=True)
        _state["kept"] += kept
        self.dirs, self.children, self.ends = [], [], []


_state = {"failures": 0, "kept": [], "root": None, "parent_tmp": None}
_stack = [_Owner("the session")]
_fixture_owners = {}


def _kill(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            p.kill()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def mkdtemp(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _stack[-1].dirs.append(d)
    return d


def spawn(argv, **kw):
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen(argv, **kw)
    _stack[-1].children.append(p)
    return p


def on_end(fn):
    _stack[-1].ends.append(fn)


def live_dirs():
    return [d for o in _stack for d in o.dirs] + [d for o in _fixture_owners.values() for d in o.dirs]


# ---- the run's temp root -------------------------------------------------
def _on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    _state["parent_tmp"] = tempfile.gettempdir()
    root = tempfile.mkdtemp(prefix="mxdba-pytest-")
    os.chmod(root, 0o1777)  # as /tmp: the postgres user (initdb) and nobody (runuser tests) work in it too
    _state["root"] = root
    os.environ["TMPDIR"] = root
    tempfile.tempdir = root
    signal.signal(signal.SIGTERM, _on_sigterm)  # `timeout` and CI stop the run: clean up as for Ctrl-C
    signal.signal(signal.SIGHUP, _on_sigterm)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """After the session's fixtures are torn down: end what is left, remove
    the root, and fail the run if anything was left in it."""
    root = _state["root"]
    if not root:
        return
    while len(_stack) > 1:
        _stack.pop().end()
    _stack[0].end()
    for o in list(_fixture_owners.values()):
        o.end()
    _fixture_owners.clear()
    kept = set(_state["kept"])
    leaks = sorted(e for e in os.listdir(root)
                   if not e.startswith("pytest-of-") and os.path.join(root, e) not in kept)
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    say = (lambda m: tr.write_line(m)) if tr else (lambda m: print(m, file=sys.stderr))
    if kept:
        say(f"scratch: kept for inspection (MXDBA_KEEP_TMP=1): {' '.join(sorted(kept))}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    if leaks:
        say(f"scratch: FAILED: the run left {len(leaks)} entries in its temp root {root} (removed now): "
            f"{' '.join(leaks[:20])}; a test's folders come from scratch.mkdtemp, tmp_path or a fixture that removes them")
        if session.exitstatus == 0:
            session.exitstatus = 1


def pytest_unconfigure(config):
    if _state["parent_tmp"] is not None:
        tempfile.tempdir = None
        os.environ["TMPDIR"] = _state["parent_tmp"]


# ---- owners: each test, each fixture instance ------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _stack.append(_Owner(item.nodeid))
    try:
        yield
    finally:
        _stack.pop().end()


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    owner = _Owner(f"fixture {fixturedef.argname}")
    _stack.append(owner)
    try:
        yield
    finally:
        _stack.pop()
        if owner.dirs or owner.children or owner.ends:
            _fixture_owners[id(fixturedef)] = owner


def pytest_fixture_post_finalizer(fixturedef, request):
    owner = _fixture_owners.pop(id(fixturedef), None)
    if owner:
        owner.end()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        _state["failures"] += 1
        dirs = live_dirs()
        if dirs:
            fate = ("kept (MXDBA_KEEP_TMP=1)" if KEEP
                    else "removed when their owner ends; MXDBA_KEEP_TMP=1 keeps them")
            rep.sections.append(("mxdba scratch folders", f"{fate}:\n" + "\n".join(dirs)))
