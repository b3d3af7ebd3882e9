"""HTTP client for the Rasa NLU server with a circuit breaker, a Redis parse cache and a local fallback.

    client = NluClient("http://127.0.0.1:5005", token="T", timeout=1.5, redis=r, fallback=FallbackMatcher.load())
    result = client.parse("is gikomba opn 2moro", org="nairobi-vendors")   # never raises
    result.intent, result.confidence, result.entities, result.source      # source: rasa | fallback | none

- A small pool of keep-alive ``http.client`` connections (no proxy lookup, no retries except one on a pooled
  connection the server had already closed); ``POST {base_url}/model/parse?token=...`` with a short timeout.
  Not ``requests``: a Session spends ~0.8 ms of CPU per call (~0.3 ms for bare urllib3) preparing requests and
  responses, CPU the app's workers share with Rasa on a small machine (bench/nlu.py).
- After ``breaker_failures`` consecutive failures (connection error, timeout, 5xx, bad JSON) the client stops
  calling Rasa for ``breaker_cooldown`` seconds, then lets one trial request through (half-open).
- ``base_url`` may list several servers, comma-separated (RASA_URL=http://nlu1:5005,http://nlu2:5005): each
  message goes to the next one in turn (round robin), each server has its own pool and breaker, and a
  server that fails fast (killed, restarting) hands the message to the next (nlu/servers.py).
- Parses are cached in Redis (optional) under the normalised text, the org and the model fingerprint
  (``GET /status`` -> model_id/model_file, refreshed every ``status_refresh`` seconds), so a new model
  never serves old answers. Any Redis error is ignored.
- Rasa's ``nlu_fallback`` (low confidence) becomes the fallback matcher's intent when that one is confident
  enough, else ``out_of_scope``; ``source`` stays ``rasa`` because Rasa answered.
- Entities are resolved to gazetteer place ids (fuzzy) and canonical values; places and keywords Rasa missed
  are added from the same extractors the fallback uses.
"""

from __future__ import annotations

import hashlib
import http.client
import itertools
import json
import logging
import threading
import time
from typing import Any, Callable

from nlu import entities as kw
from nlu.gazetteer import Gazetteer
from nlu.servers import Backend, RasaError
from nlu.types import NONE, Entity, NluResult

__all__ = ["NluClient", "NluResult", "Entity", "CircuitBreaker"]

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
PLACE_TYPES = ("market", "place")


class CircuitBreaker:
    """closed -> (N consecutive failures) -> open -> (cooldown) -> half-open: one trial -> closed | open."""

    def __init__(self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.threshold = max(1, failures)
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            if self.clock() - self.opened_at < self.cooldown or self._trial:
                return False
            self._trial = True  # exactly one trial request after the cooldown
            return True

    def success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self._trial or self.failures >= self.threshold:
                if self.opened_at is None or self._trial:
                    log.warning("nlu: Rasa failing (%d in a row); breaker open for %.0f s", self.failures,
                                self.cooldown)
                self.opened_at = self.clock()
            self._trial = False


class NluClient:
    def __init__(self, base_url: str | None, token: str | None = None, timeout: float = 1.5, redis: Any = None,
                 fallback: Any = None, *, gazetteer: Gazetteer | None = None, breaker_failures: int = 3,
                 breaker_cooldown: float = 30.0, status_refresh: float = 60.0, cache_ttl: int = 7 * 86400,
                 pool_size: int = 8, cache_prefix: str = "nlu:parse:"):
        urls = [u.strip().rstrip("/") for u in (base_url or "").split(",") if u.strip()]
        self.base_url = ",".join(urls) or None
        self.token = token or None
        self.timeout = float(timeout)
        self.redis = redis
        self.fallback = fallback
        if gazetteer is None:
            gazetteer = getattr(fallback, "gazetteer", None)
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
        # Rasa is an internal service: per server one pool, no proxies, no retries, its own breaker.
        self.backends = [Backend(url, self.token, self.timeout, pool_size,
                                 CircuitBreaker(breaker_failures, breaker_cooldown)) for url in urls]
        self._turn = itertools.count()
        self.redis_breaker = CircuitBreaker(1, breaker_cooldown)  # Redis down: skip the cache for a while
        self.status_refresh = status_refresh
        self.cache_ttl = cache_ttl
        self.cache_prefix = cache_prefix

    @property
    def breaker(self) -> CircuitBreaker:
        """The first server's breaker (the only one with a single RASA_URL)."""
        return self.backends[0].breaker

    # ------------------------------------------------------------------ public API
    def parse(self, text: str, org: str | None = None) -> NluResult:
        """Intent and entities of a free-text message. Never raises."""
        try:
            if not text or not kw.normalize(text):
                return NONE
            if self.backends:
                result = self._parse_rasa(text, org)
                if result is not None:
                    return result
            return self._parse_fallback(text, org)
        except Exception:  # never let the NLU break the conversation
            log.exception("nlu: parse failed")
            try:
                return self._parse_fallback(text, org)
            except Exception:
                log.exception("nlu: fallback failed")
                return NONE

    def health(self) -> dict:
        if not self.backends:
            return {"status": "disabled", "fallback": self.fallback is not None}
        servers = [self._health(b) for b in self.backends]
        if len(servers) == 1:
            return {**servers[0], "fallback": self.fallback is not None}
        up = [s for s in servers if s["status"] == "ok"]
        return {"url": self.base_url, "status": "ok" if up else "down", "servers": servers,
                "model": up[0]["model"] if up else None, "fallback": self.fallback is not None}

    @staticmethod
    def _health(backend: Backend) -> dict:
        info: dict[str, Any] = {"url": backend.url, "breaker": backend.breaker.state, "parsed": backend.parsed}
        try:
            status = backend.status()
            info.update(status="ok", model=status.get("model_file") or status.get("model_id"))
        except Exception as exc:
            info.update(status="down", error=str(exc)[:200])
        return info

    def close(self) -> None:
        for backend in self.backends:
            backend.pool.close()

    # ------------------------------------------------------------------ Rasa path
    def _cache_key(self, fingerprint: str, text: str, org: str | None) -> str:
        digest = hashlib.sha1(f"{org or ''}\0{kw.normalize(text)}".encode()).hexdigest()
        return f"{self.cache_prefix}{fingerprint}:{digest}"

    def _cache_get(self, key: str) -> NluResult | None:
        if self.redis is None or self.cache_ttl <= 0 or not self.redis_breaker.allow():
            return None
        try:
            raw = self.redis.get(key)
            self.redis_breaker.success()
            return NluResult.from_dict(json.loads(raw)) if raw else None
        except Exception as exc:
            self.redis_breaker.failure()
            log.info("nlu: cache read failed: %s", exc)
            return None

    def _cache_set(self, key: str, result: NluResult) -> None:
        if self.redis is None or self.cache_ttl <= 0 or not self.redis_breaker.allow():
            return
        try:
            self.redis.set(key, json.dumps(result.to_dict()), ex=self.cache_ttl)
        except Exception as exc:
            self.redis_breaker.failure()
            log.info("nlu: cache write failed: %s", exc)

    def _parse_rasa(self, text: str, org: str | None) -> NluResult | None:
        """Round robin over the servers whose breaker lets a call through. A server that fails fast
        (refused, reset: killed or restarting) hands the message to the next one; one that fails after
        half the timeout does not, so a message never waits much more than NLU_TIMEOUT."""
        first = next(self._turn)
        started = time.monotonic()
        for i in range(len(self.backends)):
            backend = self.backends[(first + i) % len(self.backends)]
            if not backend.breaker.allow():
                continue
            result = self._parse_on(backend, text, org)
            if result is not None or time.monotonic() - started > self.timeout / 2:
                return result
        return None

    def _post_parse(self, backend: Backend, text: str) -> dict:
        return backend.post_parse(text)

    def _parse_on(self, backend: Backend, text: str, org: str | None) -> NluResult | None:
        try:
            fp = backend.fingerprint(self.status_refresh)
            key = self._cache_key(fp, text, org) if self.redis is not None and self.cache_ttl > 0 else None
            cached = self._cache_get(key) if key else None
            if cached is not None:
                backend.breaker.success()
                return cached
            data = self._post_parse(backend, text)
        except (http.client.HTTPException, OSError, ValueError, RasaError) as exc:
            backend.breaker.failure()
            log.info("nlu: Rasa at %s unavailable (%s)", backend.url, exc)
            return None
        backend.breaker.success()
        result = self._from_rasa(text, data, org)
        if key:
            self._cache_set(key, result)
        return result

    def _from_rasa(self, text: str, data: dict, org: str | None) -> NluResult:
        intent = (data.get("intent") or {}).get("name") or FALLBACK_INTENT
        confidence = float((data.get("intent") or {}).get("confidence") or 0.0)
        ranking = [(str(i.get("name")), float(i.get("confidence") or 0.0))
                   for i in data.get("intent_ranking") or [] if i.get("name") != FALLBACK_INTENT]
        if intent == FALLBACK_INTENT:
            intent, confidence = self._resolve_low_confidence(text, ranking)
        ents = self._rasa_entities(text, data.get("entities") or [], org)
        return NluResult(intent, confidence, ranking, ents, "rasa")

    def _resolve_low_confidence(self, text: str, ranking: list[tuple[str, float]]) -> tuple[str, float]:
        if self.fallback is not None:
            try:
                intent, conf = self.fallback.predict(text)
                if intent != "out_of_scope" and conf >= getattr(self.fallback, "min_confidence", 0.0):
                    return intent, conf
            except Exception:
                log.exception("nlu: fallback predict failed")
        return "out_of_scope", ranking[0][1] if ranking else 0.0

    def _rasa_entities(self, text: str, raw: list[dict], org: str | None) -> list[Entity]:
        found: list[Entity] = []
        for e in raw:
            etype = str(e.get("entity") or "")
            start, end = int(e.get("start") or 0), int(e.get("end") or 0)
            written = text[start:end] if 0 <= start < end <= len(text) else str(e.get("value") or "")
            value = str(e.get("value") or written)
            if etype in PLACE_TYPES:
                place = self.gazetteer.resolve(value, org) or self.gazetteer.resolve(written, org)
                if place is None:
                    found.append(Entity(etype, value, None, start, end, written))
                else:
                    found.append(Entity(place.entity, place.id, place.id, start, end, written))
            else:
                canon = kw.canonical(etype, written) or kw.canonical(etype, value) or value
                found.append(Entity(etype, canon, None, start, end, written))
        from nlu.fallback import extract_entities  # local import keeps client import light

        found.extend(extract_entities(text, org, self.gazetteer))
        return _dedupe(found)

    # ------------------------------------------------------------------ fallback path
    def _parse_fallback(self, text: str, org: str | None) -> NluResult:
        if self.fallback is None:
            from nlu.fallback import extract_entities

            return NluResult("out_of_scope", 0.0, [], extract_entities(text, org, self.gazetteer), "none")
        return self.fallback.parse(text, org=org)


def _dedupe(found: list[Entity]) -> list[Entity]:
    """Overlapping spans: keep resolved places first, then longer spans, then the earlier one."""
    ranked = sorted(found, key=lambda e: (e.place_id is None, -(e.end - e.start), e.start))
    kept: list[Entity] = []
    for e in ranked:
        if any(e.start < k.end and k.start < e.end for k in kept):
            continue
        kept.append(e)
    return sorted(kept, key=lambda e: (e.start, e.end))
