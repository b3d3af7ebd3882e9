"""The Rasa servers nlu/client.py talks to: for each (RASA_URL may list several), a pool of keep-alive
HTTP/1.1 connections (http.client: no proxy lookup, no retries but one on a pooled connection the server
had already closed), its own circuit breaker and the fingerprint of the model it serves."""
from __future__ import annotations

import http.client
import logging
import os
import json
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

log = logging.getLogger("nlu.client")


class RasaError(Exception):
    pass


# The server closed a kept-alive connection while it sat in the pool (idle timeout, restart).
_STALE = (http.client.RemoteDisconnected, http.client.BadStatusLine, BrokenPipeError, ConnectionResetError,
          ConnectionAbortedError)


class Pool:
    """Keep-alive HTTP/1.1 connections to one host, reused LIFO, at most ``size`` kept idle; thread-safe."""

    def __init__(self, base_url: str, timeout: float, size: int = 8):
        parts = urlsplit(base_url)
        self.error = None
        try:
            self.https = parts.scheme == "https"
            self.host, self.port = parts.hostname, parts.port
            if parts.scheme not in ("http", "https") or not self.host:
                raise ValueError
        except ValueError:  # a bad RASA_URL must not stop the app: every parse falls back instead
            self.error = f"RASA_URL must be http(s)://host[:port][/path], not {base_url!r}"
            log.error("nlu: %s", self.error)
        self.timeout = timeout
        self.size = max(1, size)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _new(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.error:
            raise RasaError(self.error)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        with self._lock:
            if self._pid != os.getpid():  # forked (gunicorn --preload): never share the parent's sockets
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        reused = conn is not None
        for attempt in (1, 2):
            if conn is None:
                conn = self._new()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except _STALE:
                conn.close()
                conn = None
                if reused and attempt == 1:  # no answer at all on an old connection: once on a new one
                    continue
                raise
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                with self._lock:
                    if len(self._idle) < self.size:
                        self._idle.append(conn)
                        conn = None
                if conn is not None:
                    conn.close()
            return response.status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class Backend:
    """One Rasa server: its pool, its breaker (passed in) and the model fingerprint it last reported."""

    def __init__(self, url: str, token: str | None, timeout: float, pool_size: int, breaker: Any):
        self.url, self.breaker = url, breaker
        self.pool = Pool(url, timeout, pool_size)
        query = f"?{urlencode({'token': token})}" if token else ""
        prefix = urlsplit(url).path  # a Rasa behind a proxy under /nlu
        self.parse_path = f"{prefix}/model/parse{query}"
        self.status_path = f"{prefix}/status{query}"
        self._fingerprint: str | None = None
        self._fingerprint_at = 0.0
        self._lock = threading.Lock()
        self.parsed = 0  # messages this server answered (health, benchmarks: is every replica used?)

    def post_parse(self, text: str) -> dict:
        status, body = self.pool.request("POST", self.parse_path, json.dumps({"text": text}).encode())
        if status != 200:
            raise RasaError(f"POST /model/parse -> HTTP {status}")
        data = json.loads(body)
        if not isinstance(data, dict) or "intent" not in data:
            raise RasaError("POST /model/parse: unexpected body")
        self.parsed += 1
        return data

    def status(self) -> dict:
        status, body = self.pool.request("GET", self.status_path)
        if status != 200:
            raise RasaError(f"GET /status -> HTTP {status}")
        data = json.loads(body)
        if not isinstance(data, dict):
            raise RasaError("GET /status: unexpected body")
        fp = data.get("model_id") or data.get("model_file")
        if not fp:
            raise RasaError("GET /status: no model loaded")
        with self._lock:
            self._fingerprint, self._fingerprint_at = str(fp), time.monotonic()
        return data

    def fingerprint(self, refresh: float) -> str:
        """The model's id, asked again every `refresh` seconds (a known one is kept while /status fails)."""
        with self._lock:
            fp, at = self._fingerprint, self._fingerprint_at
        if fp is None or time.monotonic() - at > refresh:
            try:
                self.status()
            except (http.client.HTTPException, OSError, ValueError, RasaError):
                if fp is None:
                    raise
                with self._lock:  # keep the known one; try again later
                    self._fingerprint_at = time.monotonic()
            with self._lock:
                fp = self._fingerprint
        assert fp is not None
        return fp
