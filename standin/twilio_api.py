"""A local stand-in for Twilio's Messages API (REST API v2010), for tests, benchmarks and `make run`.

    from standin.twilio_api import TwilioStandin
    with TwilioStandin(account_sid="AC" + "0" * 32, auth_token="secret") as tw:
        client = standin.client.local_twilio_client(tw.base_url, tw.account_sid, tw.auth_token)
        client.messages.create(to="+254700000001", from_="+254709990001", body="hi")
        tw.messages[-1]["body"] == "hi"

Serves, under /2010-04-01/Accounts/{AccountSid}/:
    POST Messages.json          create (201, status "queued")
    GET  Messages.json          list (To, From, DateSent, DateSent<, DateSent> filters; PageSize, Page, PageToken)
    GET  Messages/{Sid}.json    fetch
Every request is checked against Twilio's OpenAPI description (standin.spec): one the real API's contract
rejects gets a 400 with Twilio's error JSON and lands in .violations. HTTP basic auth (account SID + auth
token) or 401/20003. Faults: rate limit (429/20429), per-number errors, 5xx, slow answers, dropped connections.
Status callbacks (queued -> sent -> delivered, or a configured outcome) are POSTed signed like Twilio's.

CLI (for `make run` and benchmarks):
    python -m standin.twilio_api --port 8010 --account-sid AC... --auth-token ... --rate 400 \\
        --callback-base http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import base64
import binascii
import email.utils
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from datetime import date, datetime, timezone
from typing import Any, Iterable
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from standin.callbacks import CallbackSender
from standin.sms import count_segments
from standin.spec import SpecError, TwilioSpec, shared_spec

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "standin-auth-token"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)(?P<rest>/.*)?$")

ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20422: "Invalid parameter",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number: {to}",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this "
           "destination.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number is not currently reachable via SMS",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21656: "The ContentVariables Parameter is invalid.",
    21910: "Invalid From and To pair. From and To should be of the same channel",
    30001: "Queue overflow",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    63016: "Failed to send freeform message because you are outside the allowed window. If you are using "
           "WhatsApp, please use a Message Template.",
    63018: "Rate limit exceeded for Channel",
}

# the order statuses move in; a message's resource never moves back (callbacks may, on purpose)
STATUS_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "failed": 4,
               "undelivered": 4, "delivered": 4, "read": 5, "canceled": 4}
FINAL_STATUSES = ("queued", "sent", "delivered", "undelivered", "failed", "read")


def twilio_error(code: int, status: int, message: str | None = None, **fmt: Any) -> Response:
    """Twilio's error body: {code, message, more_info, status}."""
    text = message or ERROR_MESSAGES.get(code, "Error").format(**{"to": "", "path": "", **fmt})
    body = {"code": code, "message": text, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
    return _json_response(body, status)


def _json_response(body: Any, status: int) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Twilio-Request-Id"] = "RQ" + uuid.uuid4().hex
    return response


def rfc2822(moment: datetime | None) -> str | None:
    return email.utils.format_datetime(moment) if moment else None


def _bare(number: str) -> str:
    return number.split(":", 1)[1] if ":" in number else number


def _flatten(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def _date_filter(value: str) -> date | None:
    """The date part of a DateSent filter: ISO (what twilio-python sends), RFC 2822, or M/D/Y."""
    value = value.strip()
    try:
        return datetime.fromisoformat(value[:10]).date()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.strptime(value.split()[0], "%m/%d/%Y").date()
    except (ValueError, IndexError):
        return None


class TokenBucket:
    """`rate` tokens per second, up to `burst` (default: one second's worth)."""

    def __init__(self, rate: float, burst: float | None = None):
        self.rate = float(rate)
        self.capacity = float(burst) if burst else max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self, cost: float = 1.0) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            cost = min(cost, self.capacity)  # a message bigger than the bucket passes when the bucket is full
            if self.tokens + 1e-9 >= cost:
                self.tokens -= cost
                return True
            return False


class _DropConnection(ConnectionAbortedError):
    """Raised inside the WSGI app after the socket was shut down: werkzeug treats it as a dropped client."""


class _Handler(WSGIRequestHandler):
    """werkzeug's handler, quiet (no access log) and tracked so stop() can close in-flight connections."""

    def setup(self) -> None:
        super().setup()
        self.server.standin_connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.standin_connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class TwilioStandin:
    """Twilio's Messages API on 127.0.0.1, recording everything, with faults on demand.

    Recorded (thread-safe snapshots): .requests, .messages, .violations, .callbacks.
    """

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN, *,
                 host: str = "127.0.0.1", port: int = 0, rate_mps: float | None = None,
                 count_segments: bool = False, burst: float | None = None, callback_delay: float = 0.0,
                 status_callback: str | None = None, callback_base: str | None = None,
                 callback_workers: int = 16, callback_timeout: float = 5.0,
                 validate_requests: bool = True, validate_responses: bool = False,
                 strict_params: bool = True, whatsapp_window_open: bool = True,
                 whatsapp_window_error: str = "async", max_records: int | None = None,
                 spec: TwilioSpec | None = None):
        """
        rate_mps: creates per second (token bucket, burst = one second's worth unless `burst`), None = no limit.
        count_segments: the bucket counts SMS segments (num_segments) instead of messages.
        callback_delay: seconds between one status of a message and the next.
        status_callback: where callbacks go when a create has no StatusCallback (None: nowhere).
        callback_base: deliver callbacks to this scheme://host[:port] (+ the URL's path), signed for the
            original URL; for an app that checks signatures against its public base URL.
        validate_requests: check requests against Twilio's OpenAPI description (400 + violation if not).
        validate_responses: check every answer against the spec too (violations of kind "response").
        strict_params: a parameter the spec does not define is a 400 (the real API silently ignores it, which
            hides a typo in our sender); False records the violation and accepts the request.
        whatsapp_window_open: whether WhatsApp numbers start inside the 24 h session window.
        whatsapp_window_error: "async" (like Twilio: 201 queued, then failed with 63016 in the callback and
            the resource) or "sync" (400 with code 63016) for free-form WhatsApp outside the window.
        max_records: keep only the latest this many requests, messages, violations and callbacks (for long
            `make run` sessions and benchmarks); None keeps everything.
        """
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.requested_port = port
        self.callback_delay = callback_delay
        self.status_callback = status_callback
        self.validate_requests = validate_requests
        self.validate_responses = validate_responses
        self.strict_params = strict_params
        self.whatsapp_window_open = whatsapp_window_open
        if whatsapp_window_error not in ("async", "sync"):
            raise ValueError("whatsapp_window_error must be 'async' or 'sync'")
        self.whatsapp_window_error = whatsapp_window_error
        self._spec = spec
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self.max_records = max_records
        self._requests: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._messages: dict[str, dict[str, Any]] = {}
        self._violations: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._bucket: TokenBucket | None = None
        self._seq = 0
        self.count_segments = count_segments
        self.set_rate(rate_mps, burst=burst)
        self._callback_args = dict(workers=callback_workers, timeout=callback_timeout,
                                   callback_base=callback_base, max_records=max_records)
        self._callbacks: CallbackSender | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.clear_faults()

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> "TwilioStandin":
        if self._server is not None:
            return self
        if self.validate_requests or self.validate_responses:
            self._spec = self._spec or shared_spec()
        self._stopping.clear()
        self._callbacks = CallbackSender(self.auth_token, **self._callback_args)
        server = make_server(self.host, self.requested_port, self.wsgi_app, threaded=True,
                             request_handler=_Handler)
        server.standin_connections = set()  # type: ignore[attr-defined]
        server.request_queue_size = 128
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"twilio-standin:{server.server_port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        for conn in list(server.standin_connections):  # type: ignore[attr-defined]
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._callbacks is not None:
            self._callbacks.close()

    close = stop

    def __enter__(self) -> "TwilioStandin":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def spec(self) -> TwilioSpec:
        self._spec = self._spec or shared_spec()
        return self._spec

    # -- configuration and faults -----------------------------------------------------------------------

    def set_rate(self, rate_mps: float | None, *, count_segments: bool | None = None,
                 burst: float | None = None) -> None:
        """Creates (or segments, with count_segments) per second before 429/20429; None lifts the limit."""
        with self._lock:
            if count_segments is not None:
                self.count_segments = count_segments
            self._bucket = TokenBucket(rate_mps, burst) if rate_mps else None

    def fail_number(self, number: str, code: int = 21610, *, status: int | None = None,
                    message: str | None = None) -> None:
        """Creates to `number` answer `status` (400; 429 for 20429) with Twilio error `code`.

        A bare +E164 matches SMS and WhatsApp; "whatsapp:+E164" matches WhatsApp only.
        """
        with self._lock:
            self._number_faults[number] = (code, status or (429 if code == 20429 else 400), message)

    def final_status(self, number: str, status: str, error_code: int | None = None) -> None:
        """Where messages to `number` end: delivered (default), sent, undelivered/failed (+ErrorCode), read."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"final status must be one of {FINAL_STATUSES}")
        if status in ("failed", "undelivered") and error_code is None:
            error_code = 30008 if status == "failed" else 30003
        with self._lock:
            self._final[number] = (status, error_code)

    def set_default_final_status(self, status: str, error_code: int | None = None) -> None:
        self.final_status("*", status, error_code)

    def set_whatsapp_window(self, number: str, open: bool = True) -> None:
        """Whether free-form WhatsApp to `number` is inside the 24 h window (else 63016 unless ContentSid)."""
        with self._lock:
            self._wa_window[_bare(number)] = open

    def fail_next(self, n: int = 1, status: int = 503, *, code: int | None = None,
                  after_create: bool = False) -> None:
        """The next n requests answer `status` with Twilio's error JSON. after_create: the message is created
        (and progresses) but the client still sees the error, as when Twilio fails after accepting."""
        with self._lock:
            self._fail_next = [n, status, code or (20500 if status == 500 else 20503 if status == 503
                                                   else 20429 if status == 429 else 20500 + status % 100),
                               after_create]

    def drop_next(self, n: int = 1, *, after_create: bool = False) -> None:
        """The next n requests get their connection closed without an answer (after_create: after creating)."""
        with self._lock:
            self._drop_next = [n, after_create]

    def set_delay(self, seconds: float, count: int | None = None) -> None:
        """Answer every request (or the next `count`) `seconds` late; 0 turns it off."""
        with self._lock:
            self._delay = [float(seconds), count]

    def callback_chaos(self, *, duplicate: bool = False, out_of_order: bool = False) -> None:
        """duplicate: every status callback is sent twice. out_of_order: each message's callbacks go out in
        reverse order (delivered before sent before queued). The resource itself never moves back."""
        with self._lock:
            self._chaos = {"duplicate": duplicate, "out_of_order": out_of_order}

    def clear_faults(self) -> None:
        with self._lock:
            self._number_faults: dict[str, tuple[int, int, str | None]] = {}
            self._final: dict[str, tuple[str, int | None]] = {}
            self._wa_window: dict[str, bool] = {}
            self._fail_next: list[Any] = [0, 503, 20503, False]
            self._drop_next: list[Any] = [0, False]
            self._delay: list[Any] = [0.0, None]
            self._chaos = {"duplicate": False, "out_of_order": False}

    def reset(self) -> None:
        """Forget recorded requests, messages, violations and callbacks, and clear every fault."""
        self.clear_faults()
        with self._lock:
            self._requests.clear()
            self._messages.clear()
            self._violations.clear()
        if self._callbacks is not None:
            with self._callbacks._lock:
                self._callbacks.sent.clear()

    # -- records ----------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._requests]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages in creation order: the API resource fields plus media_url, content_sid,
        content_variables, status_callback, statuses (history) and the raw create form."""
        with self._lock:
            return [self._snapshot(m) for m in self._messages.values()]

    def message(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return self._snapshot(self._messages[sid])

    @property
    def violations(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(v) for v in self._violations]

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        if self._callbacks is None:
            return []
        with self._callbacks._lock:
            return [dict(c) for c in self._callbacks.sent]

    def wait_for_callbacks(self, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until every message has gone through all its statuses (and callbacks); the callbacks sent."""
        if self._callbacks is not None and not self._callbacks.wait_idle(timeout):
            raise TimeoutError(f"{self._callbacks.pending} message(s) still progressing after {timeout}s")
        return self.callbacks

    @staticmethod
    def _snapshot(rec: dict[str, Any]) -> dict[str, Any]:
        out = dict(rec["resource"])
        out.update({k: (list(v) if isinstance(v, list) else v) for k, v in rec.items()
                    if k != "resource" and not k.startswith("_")})
        return out

    # -- WSGI -------------------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        record = self._record(request)
        try:
            response = self._handle(request, record, environ)
        except _DropConnection:
            record["status"] = None
            raise
        except Exception:  # a bug in the stand-in: say so loudly, in Twilio's error shape
            record["error"] = traceback.format_exc()
            print(f"twilio stand-in: error on {request.method} {request.path}\n{record['error']}",
                  file=sys.stderr, flush=True)
            response = twilio_error(20500, 500, "Internal Server Error (stand-in bug, see its stderr)")
        record["status"] = response.status_code
        if response.status_code >= 400:
            try:
                record["error_code"] = json.loads(response.get_data())["code"]
            except (ValueError, KeyError, TypeError):
                pass
        if self.validate_responses and request.path.startswith("/2010-04-01/") and not record.get("fault"):
            self._check_response(request, response)
        return response(environ, start_response)

    def _record(self, request: Request) -> dict[str, Any]:
        request.get_data(cache=True)  # before .form, so the raw body stays readable for the spec check
        form = request.form if request.mimetype == "application/x-www-form-urlencoded" else MultiDict()
        record = {
            "at": time.time(), "method": request.method, "path": request.path,
            "query": _flatten(request.args.items(multi=True)), "form": _flatten(form.items(multi=True)),
            "headers": {k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            "content_type": request.content_type, "status": None, "error_code": None, "fault": None,
            "violations": [], "message_sid": None,
        }
        with self._lock:
            self._requests.append(record)
        return record

    def _take(self, name: str) -> Any:
        """Consume one unit of a counted fault; the fault's settings, or None when not armed."""
        with self._lock:
            if name == "delay":
                seconds, count = self._delay
                if seconds <= 0:
                    return None
                if count is not None:
                    if count <= 0:
                        return None
                    self._delay[1] = count - 1
                return seconds
            armed = self._fail_next if name == "fail" else self._drop_next
            if armed[0] <= 0:
                return None
            armed[0] -= 1
            return armed[1:]

    def _drop(self, environ: dict, record: dict[str, Any]) -> None:
        record["fault"] = "drop"
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise _DropConnection("connection dropped by the stand-in (drop_next)")

    def _handle(self, request: Request, record: dict[str, Any], environ: dict) -> Response:
        delay = self._take("delay")
        if delay:
            record["delay"] = delay
            self._stopping.wait(delay)
        drop = self._take("drop")
        if drop is not None and not drop[0]:
            self._drop(environ, record)
        fail = self._take("fail")
        if fail is not None and not fail[2]:
            record["fault"] = f"http {fail[0]}"
            return twilio_error(fail[1], fail[0])
        response = self._dispatch(request, record)
        if drop is not None:  # after_create
            self._drop(environ, record)
        if fail is not None:  # after_create
            record["fault"] = f"http {fail[0]} after create"
            return twilio_error(fail[1], fail[0])
        return response

    def _dispatch(self, request: Request, record: dict[str, Any]) -> Response:
        match = ACCOUNT_PATH.match(request.path)
        if not match:
            return twilio_error(20404, 404, path=request.path)
        if not self._authorized(request, match.group("account")):
            response = twilio_error(20003, 401)
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if self.validate_requests:
            errors = self.spec.check_request(
                request.method, request.path, query=request.args.items(multi=True),
                headers=dict(request.headers), body=request.get_data(cache=True),
                content_type=request.content_type, unknown_params=True)
            if errors:
                blocking = [e for e in errors if self.strict_params or e.kind != "unknown"]
                self._violate(request, record, errors, rejected=bool(blocking))
                if any(e.kind == "path" for e in errors):  # no such operation: the API's 404, not a 400
                    return twilio_error(20404, 404, path=request.path)
                if blocking:
                    return self._spec_error(blocking)
        rest = match.group("rest") or ""
        if rest == "/Messages.json":
            if request.method == "POST":
                return self._create(request, record)
            if request.method == "GET":
                return self._list(request)
        fetch = re.fullmatch(r"/Messages/(?P<sid>[^/]+)\.json", rest)
        if fetch and request.method == "GET":
            return self._fetch(fetch.group("sid"), request.path)
        if rest in ("/Messages.json",) or fetch:
            return twilio_error(20004, 405, "Method not allowed")
        return twilio_error(20404, 404, path=request.path)

    def _authorized(self, request: Request, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.account_sid and password == self.auth_token and account == self.account_sid

    def _violate(self, request: Request, record: dict[str, Any], errors: list[SpecError],
                 rejected: bool) -> None:
        record["violations"] = [str(e) for e in errors]
        with self._lock:
            self._violations.append({
                "at": record["at"], "kind": "request", "method": request.method, "path": request.path,
                "query": record["query"], "form": record["form"], "errors": [str(e) for e in errors],
                "kinds": [e.kind for e in errors], "rejected": rejected})

    @staticmethod
    def _spec_error(errors: list[SpecError]) -> Response:
        first = errors[0]
        code = 20422
        if first.kind == "missing" and first.param == "To":
            code = 21604
        elif first.kind == "conditional" and first.param == "From":
            code = 21603
        elif first.kind == "conditional" and first.param == "Body":
            code = 21602
        elif first.param == "To":
            code = 21211
        message = {20422: "Invalid parameter", 21211: "Invalid 'To' Phone Number"}.get(code) or ERROR_MESSAGES[code]
        detail = "; ".join(str(e) for e in errors)
        return twilio_error(code, 400, f"{message} ({detail})")

    def _check_response(self, request: Request, response: Response) -> None:
        errors = self.spec.check_response(
            request.method, request.path, response.status_code, response.get_data(),
            content_type=response.content_type or "", headers=dict(response.headers),
            query=request.args.items(multi=True), request_headers=dict(request.headers),
            request_body=request.get_data(cache=True), request_content_type=request.content_type)
        if errors:
            with self._lock:
                self._violations.append({
                    "at": time.time(), "kind": "response", "method": request.method, "path": request.path,
                    "status": response.status_code, "errors": [str(e) for e in errors],
                    "kinds": [e.kind for e in errors], "rejected": False})

    # -- the Messages resource --------------------------------------------------------------------------

    def _create(self, request: Request, record: dict[str, Any]) -> Response:
        form = request.form
        to = form.get("To", "")
        sender = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        media = form.getlist("MediaUrl")
        content_sid = form.get("ContentSid") or None
        content_variables = form.get("ContentVariables") or None
        whatsapp = to.startswith("whatsapp:")

        # business rules of the real API that a schema cannot express
        if not E164.match(_bare(to)) or (":" in to and not whatsapp):
            return twilio_error(21211, 400, to=to)
        if sender and sender.startswith("whatsapp:") != whatsapp:
            return twilio_error(21910, 400)
        if len(body) > 1600:
            return twilio_error(21617, 400)
        if content_variables is not None:
            try:
                if not isinstance(json.loads(content_variables), dict):
                    raise ValueError
            except ValueError:
                return twilio_error(21656, 400)

        segments = 1 if (whatsapp or media or not body) else count_segments(body).segments
        with self._lock:
            bucket = self._bucket
            cost = float(segments) if self.count_segments else 1.0
            fault = self._number_faults.get(to) or self._number_faults.get(_bare(to))
            final = self._final.get(to) or self._final.get(_bare(to)) or self._final.get("*")
            window_open = self._wa_window.get(_bare(to), self.whatsapp_window_open)
        if bucket is not None and not bucket.take(cost):
            return twilio_error(20429, 429)
        if fault is not None:
            code, status, message = fault
            return twilio_error(code, status, message, to=to)
        outcome = final or ("delivered", None)
        if whatsapp and not content_sid and not window_open:
            if self.whatsapp_window_error == "sync":
                return twilio_error(63016, 400)
            outcome = ("failed", 63016)

        now = datetime.now(timezone.utc).replace(microsecond=0)
        sid = ("MM" if media else "SM") + uuid.uuid4().hex
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": body,
            "date_created": rfc2822(now), "date_sent": None, "date_updated": rfc2822(now),
            "direction": "outbound-api", "error_code": None, "error_message": None, "from": sender,
            "messaging_service_sid": service, "num_media": str(len(media)), "num_segments": str(segments),
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": uri[:-5] + "/Media.json"}, "to": to, "uri": uri,
        }
        callback = form.get("StatusCallback") or self.status_callback
        rec = {"resource": resource, "media_url": media, "content_sid": content_sid,
               "content_variables": content_variables, "status_callback": callback,
               "statuses": ["queued"], "form": _flatten(form.items(multi=True)),
               "_created": now, "_sent": None, "_seq": 0}
        with self._lock:
            self._seq += 1
            rec["_seq"] = self._seq
            self._messages[sid] = rec
            if self.max_records and len(self._messages) > self.max_records:
                del self._messages[next(iter(self._messages))]
        record["message_sid"] = sid
        body_json = dict(resource)
        self._progress(sid, outcome, callback)
        return _json_response(body_json, 201)

    def _plan(self, outcome: tuple[str, int | None]) -> list[tuple[str, int | None]]:
        status, error = outcome
        steps = {"queued": ["queued"], "sent": ["queued", "sent"], "delivered": ["queued", "sent", "delivered"],
                 "undelivered": ["queued", "sent", "undelivered"], "failed": ["queued", "failed"],
                 "read": ["queued", "sent", "delivered", "read"]}[status]
        return [(s, error if s in ("failed", "undelivered") else None) for s in steps]

    def _progress(self, sid: str, outcome: tuple[str, int | None], callback: str | None) -> None:
        sender = self._callbacks
        if sender is None:
            return
        with self._lock:
            chaos = dict(self._chaos)
        plan = self._plan(outcome)
        emitted = list(reversed(plan)) if chaos["out_of_order"] else list(plan)
        if chaos["duplicate"]:
            emitted = [step for step in emitted for _ in (0, 1)]
        sender.begin()

        def step(i: int) -> None:
            try:
                if self._stopping.is_set():
                    sender.end()
                    return
                status, error = emitted[i]
                params = self._apply_status(sid, status, error)
                if callback and params is not None:
                    sender.post(callback, params, sid=sid, status=status)
                if i + 1 < len(emitted):
                    sender.schedule(self.callback_delay, lambda: step(i + 1))
                else:
                    # out of order: the resource still ends at its final status
                    self._apply_status(sid, plan[-1][0], plan[-1][1])
                    sender.end()
            except Exception:  # pragma: no cover - never leave wait_for_callbacks hanging
                sender.end()
                raise

        # "queued" is already true when the create answers; its callback goes out right away
        sender.schedule(0.0 if emitted[0][0] == "queued" else self.callback_delay, lambda: step(0))

    def _apply_status(self, sid: str, status: str, error: int | None) -> dict[str, str] | None:
        """Move the resource forward (never back) and return the callback form for `status`."""
        with self._lock:
            rec = self._messages.get(sid)
            if rec is None:  # reset() in between
                return None
            res = rec["resource"]
            now = datetime.now(timezone.utc).replace(microsecond=0)
            if STATUS_RANK[status] > STATUS_RANK.get(res["status"], 0):
                res["status"] = status
                rec["statuses"].append(status)
                res["date_updated"] = rfc2822(now)
                if status in ("sent", "delivered", "undelivered", "read", "failed") and res["date_sent"] is None:
                    res["date_sent"] = rfc2822(now)
                    rec["_sent"] = now
                if error is not None:
                    res["error_code"] = error
                    res["error_message"] = ERROR_MESSAGES.get(error)
            params = {
                "AccountSid": self.account_sid, "ApiVersion": API_VERSION, "MessageSid": sid, "SmsSid": sid,
                "MessageStatus": status, "SmsStatus": status, "From": res["from"] or "", "To": res["to"],
            }
            if res["messaging_service_sid"]:
                params["MessagingServiceSid"] = res["messaging_service_sid"]
            if error is not None and status in ("failed", "undelivered"):
                params["ErrorCode"] = str(error)
            if res["to"].startswith("whatsapp:"):
                params["ChannelPrefix"] = "whatsapp"
                params["ChannelToAddress"] = _bare(res["to"]).lstrip("+")
            elif status == "delivered":
                params["RawDlrDoneDate"] = now.strftime("%y%m%d%H%M")
            if not res["from"]:
                del params["From"]
            return params

    def _fetch(self, sid: str, path: str) -> Response:
        with self._lock:
            rec = self._messages.get(sid)
            body = dict(rec["resource"]) if rec else None
        if body is None:
            return twilio_error(20404, 404, path=path)
        return _json_response(body, 200)

    def _list(self, request: Request) -> Response:
        args = request.args
        filters = [(k, args[k]) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if k in args]
        page_size = int(args.get("PageSize", 50))
        page = int(args.get("Page", 0))
        token = args.get("PageToken")
        with self._lock:
            recs = sorted(self._messages.values(), key=lambda r: (r["_created"], r["_seq"]), reverse=True)
            chosen = [r for r in recs if self._matches(r, filters)]
            if token and token[2:] and token[:2] in ("PA", "PB"):
                sids = [r["resource"]["sid"] for r in chosen]
                anchor = sids.index(token[2:]) if token[2:] in sids else None
                if anchor is None:
                    start = page * page_size
                elif token.startswith("PA"):
                    start = anchor + 1
                else:
                    start = max(0, anchor - page_size)
            else:
                start = page * page_size
            items = [dict(r["resource"]) for r in chosen[start:start + page_size]]
            more = start + page_size < len(chosen)
            before_first = chosen[start]["resource"]["sid"] if items else None
        base = request.path

        def uri(extra: list[tuple[str, Any]]) -> str:
            return base + "?" + urlencode(filters + [("PageSize", page_size)] + extra)

        current = [("Page", page)] + ([("PageToken", token)] if token else [])
        body = {
            "end": start + max(len(items) - 1, 0), "start": start, "page": page, "page_size": page_size,
            "first_page_uri": uri([("Page", 0)]),
            "next_page_uri": uri([("Page", page + 1), ("PageToken", "PA" + items[-1]["sid"])]) if more else None,
            "previous_page_uri": (uri([("Page", page - 1), ("PageToken", "PB" + before_first)])
                                  if page > 0 and before_first else None),
            "uri": uri(current), "messages": items,
        }
        return _json_response(body, 200)

    @staticmethod
    def _matches(rec: dict[str, Any], filters: list[tuple[str, str]]) -> bool:
        res = rec["resource"]
        for key, value in filters:
            if key == "To" and res["to"] != value:
                return False
            if key == "From" and res["from"] != value:
                return False
            if key.startswith("DateSent"):
                wanted = _date_filter(value)
                sent = rec["_sent"].date() if rec["_sent"] else None
                if wanted is None or sent is None:
                    return False
                if key == "DateSent" and sent != wanted:
                    return False
                if key == "DateSent<" and sent > wanted:
                    return False
                if key == "DateSent>" and sent < wanted:
                    return False
        return True


# ------------------------------------------------------------------------------------------------------------
# CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin.twilio_api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN))
    parser.add_argument("--rate", type=float, default=None, help="creates per second before 429 (default: none)")
    parser.add_argument("--burst", type=float, default=None, help="token bucket size (default: one second)")
    parser.add_argument("--count-segments", action="store_true", help="the rate counts SMS segments")
    parser.add_argument("--callback-base", default=None,
                        help="deliver status callbacks to this base URL (path kept), signed for the original URL")
    parser.add_argument("--status-callback", default=None,
                        help="status callback URL for creates that give none")
    parser.add_argument("--callback-delay", type=float, default=0.2, help="seconds between statuses")
    parser.add_argument("--no-spec-check", action="store_true", help="skip the OpenAPI request check")
    parser.add_argument("--lenient-params", action="store_true",
                        help="accept (but record) parameters Twilio's spec does not define")
    parser.add_argument("--max-records", type=int, default=100_000,
                        help="keep only the latest N requests/messages/callbacks in memory")
    parser.add_argument("--whatsapp-window-closed", action="store_true",
                        help="free-form WhatsApp fails with 63016 unless ContentSid is given")
    args = parser.parse_args(argv)

    standin = TwilioStandin(
        args.account_sid, args.auth_token, host=args.host, port=args.port, rate_mps=args.rate,
        burst=args.burst, count_segments=args.count_segments, callback_delay=args.callback_delay,
        status_callback=args.status_callback, callback_base=args.callback_base,
        validate_requests=not args.no_spec_check, strict_params=not args.lenient_params,
        whatsapp_window_open=not args.whatsapp_window_closed, max_records=args.max_records)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    with standin:
        print(f"twilio stand-in on {standin.base_url} (account {standin.account_sid}, rate "
              f"{args.rate or 'unlimited'}, spec check {'off' if args.no_spec_check else 'on'})", flush=True)
        while not done.wait(1.0):
            pass
        print(f"twilio stand-in stopping: {len(standin.requests)} requests, {len(standin.messages)} messages, "
              f"{len(standin.violations)} violations", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
