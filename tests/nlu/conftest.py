"""NLU fixtures: small fault-injecting Rasa stand-ins, the gazetteer and the fallback matcher.

The real Rasa server (`rasa_server`, session scope) lives in tests/conftest.py, so the NLU tests and
the conversation scenarios (tests/conversations) share one server per test session.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nlu.fallback import FallbackMatcher
from nlu.gazetteer import Gazetteer


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="session")
def matcher(gazetteer) -> FallbackMatcher:
    return FallbackMatcher.load(gazetteer=gazetteer)


# ---------------------------------------------------------------------------- fault-injecting stand-in
def parse_body(text: str, intent: str = "ask_market_status", confidence: float = 0.93, entities=None) -> dict:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "report_incident", "confidence": 0.04}]
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "intent_ranking": ranking,
            "entities": entities or [], "text_tokens": []}


@dataclass
class FakeRasa:
    """A local HTTP server speaking enough of Rasa's API; `mode` injects faults.

    mode: "ok" | "slow" (sleep `delay` then answer) | "500" | "drop" (close without answering) | "garbage"
    """
    mode: str = "ok"
    delay: float = 2.0
    model_id: str = "model-1"
    intent: str = "ask_market_status"
    confidence: float = 0.93
    entities: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def parse_calls(self) -> int:
        return sum(1 for r in self.requests if r[1].startswith("/model/parse"))

    def start(self) -> "FakeRasa":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _fault(self) -> bool:
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                elif fake.mode == "500":
                    self._send(500, b'{"status": "failure"}')
                    return True
                elif fake.mode == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return True
                return False

            def do_GET(self):
                fake.requests.append(("GET", self.path, None))
                if self._fault():
                    return
                self._send(200, json.dumps({"model_id": fake.model_id, "model_file": f"{fake.model_id}.tar.gz",
                                            "num_active_training_jobs": 0}).encode())

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(("POST", self.path, body))
                if self._fault():
                    return
                if fake.mode == "garbage":
                    self._send(200, b"<html>not json</html>", "text/html")
                    return
                self._send(200, json.dumps(parse_body(body.get("text", ""), fake.intent, fake.confidence,
                                                      fake.entities)).encode())

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        srv.block_on_close = False
        self.server = srv
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def fake_rasa():
    fakes: list[FakeRasa] = []

    def make(**kw) -> FakeRasa:
        f = FakeRasa(**kw).start()
        fakes.append(f)
        return f

    yield make
    for f in fakes:
        f.stop()
