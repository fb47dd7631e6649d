# SPDX-License-Identifier: Apache-2.0
"""A local SMTP server that keeps every mail it is given: enough of RFC 5321
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a homeserver's mailer,
on 127.0.0.1, no TLS, no auth. For the e2e tests that follow a password-reset
mail to the address mxdba gave the user."""
import socketserver
import threading
import time


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 smtpcatch ready")
        sender, rcpts = None, []
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self.reply("250-smtpcatch")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 smtpcatch")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip().strip("<>").split(">")[0])
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                body = []
                while True:
                    raw = self.rfile.readline(1 << 20)
                    if not raw or raw in (b".\r\n", b".\n"):
                        break
                    body.append(raw.decode("utf-8", "replace"))
                self.server.catcher.mails.append({"from": sender, "to": list(rcpts), "data": "".join(body)})
                self.reply("250 OK: kept")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPCatcher:
    """with SMTPCatcher() as smtp: smtp.port; smtp.mails; smtp.wait_for(address)."""

    def __init__(self):
        self.mails = []
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.catcher = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, address, timeout=60):
        """The first mail to ADDRESS, waiting up to TIMEOUT seconds; None if none came."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in self.mails:
                if address in m["to"]:
                    return m
            time.sleep(0.2)
        return None

