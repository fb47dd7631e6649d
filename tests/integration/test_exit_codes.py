# SPDX-License-Identifier: Apache-2.0
"""One case per documented exit code (README "Exit codes", mxdba(8) EXIT
STATUS): the code, the error form (error, then HINT), and no change to the
database. Code 1 (internal error) has no way in from the outside by design."""
import os

import pytest

from mxtest import run

G = "$2a$04$uuPybQ5n8a659jO0/QaM8OdKQfZ7aej/JTrHTEuxP5rUeo3xt9Hyy"


@pytest.fixture
def world(home):
    home.add_account("alice", admin=True, password_hash=G)
    home.add_account("bob", password_hash=G)
    home.add_account("_server")
    home.configure_notices("_server")
    home.write_config(home.config.read_text() + "\n[server]\nurl = http://127.0.0.1:9\n")
    return home


CASES = [
    (0, lambda h: h.run("user", "list")),
    (2, lambda h: h.run("user", "create", "@Bad'Name:example.org", "--password-hash", G)),
    (3, lambda h: run(["-c", h.dir / "missing.ini", "check"])),
    (4, lambda h: h.run("user", "show", "nobody")),
    (5, lambda h: h.run("user", "create", "bob", "--password-hash", G)),
    (6, lambda h: h.run("user", "promote", "_server")),
    (7, lambda h: h.run("-c", h.dir / "pg-down.ini", "check")),
    (8, lambda h: h.run("user", "verify-password", "bob", "--password-stdin", input="wrong-password\n")),
    (9, lambda h: h.run("queue", "apply", "--wait", "0")),
]


@pytest.mark.parametrize("code,fn", CASES, ids=[str(c) for c, _ in CASES])
def test_exit_code(world, code, fn):
    bad = world.dir / "pg-down.ini"
    bad.write_text(f"[homeserver]\ntype = {world.kind}\nserver_name = example.org\n"
                   "[database]\ndefault = postgres://mxdba@127.0.0.1:1/none\n")
    os.chmod(bad, 0o600)
    world.add_device("bob", "D1", "tok")
    if world.reads_rooms:
        world.add_room("!q:example.org")
        world.add_member("!q:example.org", "@bob:example.org", "join")
        assert world.run("evacuate", "user", "bob").rc == 0  # something queue apply would carry out
    before = world.snapshot()
    r = fn(world)
    assert r.rc == code, r
    if code:
        assert r.err.startswith("mxdba: error: ") and ("HINT: " in r.err or code == 8), r
    assert world.snapshot() == before


def test_exit_10_some_queued_operations_failed(world):
    """A server that answers but refuses: exit 10, the row is failed with its reason."""
    import http.server
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _answer(self):
            if self.path.startswith(("/_dendrite/monitor/up", "/health")):
                self.send_response(200)
                self.end_headers()
                return
            body = b'{"errcode":"M_FORBIDDEN","error":"no"}'
            self.send_response(403 if "/leave" in self.path else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        world.add_room("!r:example.org")
        world.add_member("!r:example.org", "@bob:example.org", "join")
        assert world.run("evacuate", "user", "bob").rc == 0
        r = world.run("queue", "apply", "--url", f"http://127.0.0.1:{srv.server_address[1]}", "--wait", "5")
        assert r.rc == 10, r
        assert "M_FORBIDDEN" in world.run("queue", "list", "--state", "failed").out
    finally:
        srv.shutdown()
