# SPDX-License-Identifier: Apache-2.0
"""A stand-in homeserver URL for killing `queue apply` at a known point: it
answers the readiness probes (Synapse's /health, Dendrite's /_dendrite/monitor/up) at once and holds
every other request open until the test is done, setting `held` when the
first one arrives. Used to leave what a killed apply leaves behind."""
import http.server
import socket
import threading


class HangServer:
    def __init__(self):
        self.held = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path.startswith(("/health", "/_dendrite/monitor/up")):
                    body = b"OK"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.hold()

            def do_POST(self):
                self.hold()

            def do_PUT(self):
                self.hold()

            def hold(self):
                outer.held.set()
                outer.release.wait(60)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
