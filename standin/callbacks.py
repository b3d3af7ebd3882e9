"""Status callbacks the way Twilio sends them: form-encoded POSTs signed with X-Twilio-Signature.

A scheduler thread keeps a heap of due steps; a thread pool does the HTTP. Each message's statuses go out one
after the other (the next step is scheduled only when the previous POST has finished), so "in order" holds per
message while many messages progress at once, and a callback_delay never parks a pool thread.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3
from twilio.request_validator import RequestValidator


def deliver_url(url: str, callback_base: str | None) -> str:
    """Where to POST a callback signed for `url`: the same path and query on callback_base, if given.

    The app signs-checks against its public URL (PUBLIC_BASE_URL + path), which is what Twilio signs; locally
    that public host is not reachable, so the stand-in signs the URL it was given and delivers to callback_base.
    """
    if not callback_base:
        return url
    base = urlsplit(callback_base)
    parts = urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


class CallbackSender:
    def __init__(self, auth_token: str, *, workers: int = 16, timeout: float = 5.0,
                 callback_base: str | None = None, max_records: int | None = None):
        self.validator = RequestValidator(auth_token)
        self.timeout = timeout
        self.callback_base = callback_base
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="standin-callback")
        # urllib3 directly: one thread-safe pool, and lighter per POST than requests (callbacks are 3x the creates)
        self._http = urllib3.PoolManager(num_pools=16, maxsize=workers, retries=False,
                                         timeout=urllib3.Timeout(total=timeout))
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._pending = 0
        self._closed = False
        self.sent: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._scheduler = threading.Thread(target=self._run, name="standin-callback-scheduler", daemon=True)
        self._scheduler.start()

    # -- bookkeeping for "wait until everything has gone out" --------------------------------------------

    def begin(self) -> None:
        with self._cond:
            self._pending += 1

    def end(self) -> None:
        with self._cond:
            self._pending -= 1
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    @property
    def pending(self) -> int:
        with self._cond:
            return self._pending

    # -- scheduling -------------------------------------------------------------------------------------

    def schedule(self, delay: float, fn: Callable[[], None]) -> None:
        """Run fn on the pool after delay seconds."""
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn))
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                self._pool.submit(fn)
            except RuntimeError:  # pool shut down
                return

    # -- HTTP -------------------------------------------------------------------------------------------

    def post(self, url: str, params: dict[str, str], **record: Any) -> dict[str, Any]:
        """POST one signed callback; never raises (a receiver that is down is recorded, as Twilio logs it)."""
        signature = self.validator.compute_signature(url, params)
        target = deliver_url(url, self.callback_base)
        entry: dict[str, Any] = {**record, "url": url, "delivered_to": target, "params": dict(params),
                                 "signature": signature, "at": time.time(), "response_status": None,
                                 "error": None}
        try:
            response = self._http.request(
                "POST", target, body=urlencode(params), redirect=False,
                headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1",
                         "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                         "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            entry["response_status"] = response.status
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.sent.append(entry)
        return entry

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
        self._scheduler.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._http.clear()
