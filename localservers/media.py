"""A local stand-in for Twilio's media host (the MediaUrl a report's photo comes from), for tests.

Serves named files, or one default file at any path; optionally only with the right HTTP Basic auth
(Twilio's account SID and auth token); can answer the next requests with 503, or redirect every request
to another host. Records each request's path and Authorization header, so a test can tell whether
credentials went where they should not."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 500


class MediaServer:
    def __init__(self, files: dict[str, tuple[str, bytes]] | None = None, *, default: bytes | None = JPEG,
                 auth: tuple[str, str] | None = None, redirect_to: str | None = None):
        self.files = dict(files or {})
        self.default = default  # served as image/jpeg at a path not in `files`; None: 404 there
        self.redirect_to = redirect_to
        self.fail_next = 0
        self.requests: list[dict] = []
        expected = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization")})
                if outer.redirect_to:
                    return self._send(302, "text/plain", b"", location=outer.redirect_to + self.path)
                if expected and self.headers.get("Authorization") != expected:
                    return self._send(401, "text/plain", b"auth")
                if outer.fail_next:
                    outer.fail_next -= 1
                    return self._send(503, "text/plain", b"busy")
                if self.path in outer.files:
                    return self._send(200, *outer.files[self.path])
                if outer.default is None:
                    return self._send(404, "text/plain", b"gone")
                self._send(200, "image/jpeg", outer.default)

            def _send(self, code, ctype, body, location=None):
                self.send_response(code)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "MediaServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
