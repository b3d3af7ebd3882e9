"""Fixtures for the Twilio stand-in: a running stand-in, twilio-python's real Client on it, and a receiver
for status callbacks that checks X-Twilio-Signature the way the app will (RequestValidator.validate)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from standin.client import local_twilio_client
from standin.twilio_api import TwilioStandin

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token"
FROM = "+254709990001"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        pass


@dataclass
class Receiver:
    """Records callbacks; `public_base`: the base URL the sender signed for (default: the receiver's own)."""

    token: str
    public_base: str | None = None
    status: int = 204
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        base = (self.public_base or request.host_url).rstrip("/")
        query = request.query_string.decode()
        signed_url = base + request.path + (f"?{query}" if query else "")
        signature = request.headers.get("X-Twilio-Signature")
        valid = signature is not None and RequestValidator(self.token).validate(signed_url, request.form, signature)
        with self.lock:
            self.received.append({"path": request.path, "form": request.form.to_dict(), "valid": valid,
                                  "signature": signature, "headers": dict(request.headers)})
        return Response(status=self.status if valid else 403)(environ, start_response)

    def statuses(self, sid: str) -> list[str]:
        with self.lock:
            return [r["form"]["MessageStatus"] for r in self.received if r["form"].get("MessageSid") == sid]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recv = Receiver(AUTH_TOKEN)
    server = make_server("127.0.0.1", 0, recv.app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    recv.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield recv
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def tw() -> Iterator[TwilioStandin]:
    with TwilioStandin(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, validate_responses=True) as standin:
        yield standin


@pytest.fixture
def twilio(tw: TwilioStandin) -> Iterator[Any]:
    """twilio.rest.Client on the stand-in (closed after the test)."""
    client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN, timeout=5)
    try:
        yield client
    finally:
        client.http_client.close()
