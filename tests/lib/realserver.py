# SPDX-License-Identifier: Apache-2.0
"""What the real homeservers of the e2e suites share: a private folder, the
project script that configures, starts, stops and kills the server
(scripts/dendrite, scripts/synapse), mxdba run on the server's own config,
and the client API over loopback (shared-secret registration, login)."""
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from mxtest import doctor_findings, run

SECRET = "mxdba-e2e-secret"   # registration_shared_secret in both scripts' configs


def uid(local):
    """A user ID on the e2e servers (both are example.org)."""
    return f"@{local}:example.org"


def q(s):
    return urllib.parse.quote(s, safe="")


def json_lines(r):
    """The objects of an `mxdba --json` run, one per line."""
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def wait_for(what, cond, tries=100):
    """COND() true within TRIES tries 0.2 s apart (the servers apply some things in the background)."""
    for _ in range(tries):
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


class RealServer:
    """A subclass sets SCRIPT (its scripts/NAME) and PIDFILE, and makes
    self.dir, self.config (mxdba.ini) and self.backend before start()."""
    SCRIPT = None
    PIDFILE = None
    script_env = None   # the environment of SCRIPT (None: this one), e.g. the release it runs

    # ---- process (timeouts: a hang fails the test, not the whole suite) ----
    def start(self):
        out = subprocess.run([self.SCRIPT, "start", str(self.dir)], check=True, capture_output=True, text=True,
                             timeout=180, env=self.script_env)
        self.port = int(out.stdout.strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        subprocess.run([self.SCRIPT, "stop", str(self.dir)], check=True, timeout=120, env=self.script_env)

    def restart(self):
        self.stop()
        self.start()

    def running(self):
        pidf = self.dir / self.PIDFILE
        if not pidf.exists():
            return False
        try:
            os.kill(int(pidf.read_text()), 0)
            return True
        except OSError:
            return False

    def close(self):
        if self.running():
            self.stop()

    def kill_if_running(self):
        """SIGKILL if still up (the owner's end: a failed start, a failed test, Ctrl-C)."""
        if self.running():
            subprocess.run([self.SCRIPT, "kill", str(self.dir)], check=False, timeout=120, env=self.script_env)

    def assert_doctor_clean(self):
        """At the end of every e2e scenario: whatever the test did through the server and mxdba, doctor
        finds nothing on the real server's database (no false alarms on a long-used install). Two notes are
        true statements about many scenarios, not false alarms: "no active admin" where the test made
        users but no admin, and background updates still pending once the test stopped Synapse. A test that leaves a schema mxdba refuses on purpose is not judged: doctor
        refuses it like any command."""
        if self.running():
            self.stop()
        r = self.mxdba("--json", "doctor")
        if r.rc in (3, 6, 7) and "found errors" not in r.err:
            return
        true_notes = ("-no-active-admin", "-updates-pending")   # true of a stopped server, not alarms
        left = [f for f in doctor_findings(r).values() if not f["check"].endswith(true_notes)]
        assert r.rc == 0 and not left, f"doctor after the test: {left or r}"

    def mxdba(self, *args, input=None):
        return run(["-c", self.config] + list(args), input=input)

    def write_ini(self, text):
        self.config.write_text(text)
        os.chmod(self.config, 0o600)

    # ---- HTTP ----
    def req(self, method, path, token=None, body=None, ua="mxdba-e2e/1.0", expect_json=True, allow_500=False):
        """(status, parsed body). Honours 429 retry_after_ms; a 500 fails the test at once (unless ALLOW_500:
        a test that shows the server failing on a broken row)."""
        for _ in range(20):
            data = json.dumps(body).encode() if body is not None else None
            r = urllib.request.Request(self.url + path, data=data, method=method)
            r.add_header("User-Agent", ua)
            if data is not None:
                r.add_header("Content-Type", "application/json")
            if token:
                r.add_header("Authorization", "Bearer " + token)
            try:
                with urllib.request.urlopen(r, timeout=30) as resp:
                    status, raw = resp.status, resp.read()
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
            doc = json.loads(raw) if raw and expect_json else raw
            if status == 429:
                time.sleep(min(doc.get("retry_after_ms", 500), 5000) / 1000)
                continue
            assert status != 500 or allow_500, f"{method} {path} -> 500 {raw!r}"
            return status, doc
        raise AssertionError(f"{method} {path}: still rate-limited")

    def register(self, user, password, admin=False):
        """Shared-secret registration (the HMAC-SHA1 scheme both servers take); the login response."""
        status, doc = self.req("GET", "/_synapse/admin/v1/register")
        assert status == 200, doc
        nonce = doc["nonce"]
        mac = hmac.new(SECRET.encode(), b"\0".join([nonce.encode(), user.encode(), password.encode(),
                                                      b"admin" if admin else b"notadmin"]), hashlib.sha1).hexdigest()
        status, doc = self.req("POST", "/_synapse/admin/v1/register",
                               body={"nonce": nonce, "username": user, "password": password, "admin": admin,
                                     "mac": mac})
        assert status == 200, doc
        return doc

    def login(self, user, password, ua="mxdba-e2e/1.0", allow_500=False):
        return self.req("POST", "/_matrix/client/v3/login", ua=ua, allow_500=allow_500,
                        body={"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user},
                              "password": password})

    def whoami(self, token, allow_500=False):
        return self.req("GET", "/_matrix/client/v3/account/whoami", token=token, allow_500=allow_500)

    def login_with_keys(self, user, password, fallback=False):
        """A new device of USER with device and one-time keys (and a fallback key): (token, device ID)."""
        tok = self.login(user, password)[1]["access_token"]
        dev = self.whoami(tok)[1]["device_id"]
        body = {"device_keys": {"user_id": uid(user), "device_id": dev, "algorithms": ["m.olm.v1.curve25519-aes-sha2"],
                                "keys": {f"ed25519:{dev}": "e", f"curve25519:{dev}": "c"}, "signatures": {}},
                "one_time_keys": {"signed_curve25519:AAAA": {"key": "k1", "signatures": {}}}}
        if fallback:
            body["fallback_keys"] = {"signed_curve25519:FFFF": {"key": "f1", "fallback": True, "signatures": {}}}
        status, doc = self.req("POST", "/_matrix/client/v3/keys/upload", token=tok, body=body)
        assert status == 200, doc
        return tok, dev

    def send(self, tok, room, body):
        """An m.text message; its event ID."""
        status, doc = self.req("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/{time.time_ns()}",
                               token=tok, body={"msgtype": "m.text", "body": body})
        assert status == 200, doc
        return doc["event_id"]

    def upload(self, tok, data):
        """DATA (bytes) uploaded to the media repository as TOK's user; its mxc:// URI."""
        req = urllib.request.Request(f"{self.url}/_matrix/media/v3/upload?filename=f.bin", data=data, method="POST")
        req.add_header("Authorization", "Bearer " + tok)
        req.add_header("Content-Type", "application/octet-stream")
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200
            return json.loads(resp.read())["content_uri"]

    def notice_arrived(self, tok, text):
        """TOK joins the rooms it is invited to (the server-notices room) and finds TEXT in one of its rooms."""
        status, sync = self.req("GET", f"/_matrix/client/v3/sync?timeout=0&_={time.time()}", token=tok)
        invited = list(sync.get("rooms", {}).get("invite", {}))
        for room in invited:
            self.join(tok, room)
        for room in invited + list(sync.get("rooms", {}).get("join", {})):
            status, msgs = self.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=50", token=tok)
            if status == 200 and any(e["type"] == "m.room.message" and e["content"].get("body") == text
                                     for e in msgs.get("chunk", [])):
                return True
        return False

    # ---- rooms, as a client sees them ----
    def create_room(self, tok, **body):
        status, doc = self.req("POST", "/_matrix/client/v3/createRoom", token=tok, body=body)
        assert status == 200, doc
        return doc["room_id"]

    def join(self, tok, room):
        status, doc = self.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/join", token=tok, body={})
        assert status == 200, doc

    def invite(self, tok, room, user):
        status, doc = self.req("POST", f"/_matrix/client/v3/rooms/{q(room)}/invite", token=tok, body={"user_id": user})
        assert status == 200, doc

    def joined_rooms(self, tok):
        status, doc = self.req("GET", "/_matrix/client/v3/joined_rooms", token=tok)
        assert status == 200, doc
        return set(doc["joined_rooms"])

    def joined_members(self, tok, room):
        status, doc = self.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/joined_members", token=tok)
        assert status == 200, doc
        return set(doc["joined"])

    def member_state(self, tok, room, user):
        status, doc = self.req("GET", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(user)}", token=tok)
        return doc.get("membership") if status == 200 else None

    # ---- its database (test setup and inspection only) ----
    def sqlite_sql(self, path, query):
        con = sqlite3.connect(path, timeout=10)
        try:
            rows = con.execute(query).fetchall()
            con.commit()
        finally:
            con.close()
        return [tuple("" if v is None else str(v) for v in r) for r in rows]
