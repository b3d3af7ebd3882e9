"""One broadcast worker process: its id, its heartbeat in Redis and its thread pool. Other workers
reconcile the rows of a process whose heartbeat is gone (bot/broadcasts/reconcile.py)."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

HEARTBEAT_PREFIX = "streetline:broadcasts:alive:"


class _Process:
    def __init__(self):
        self.pid = None

    def ensure(self, services, cfg) -> "_Process":
        if self.pid != os.getpid():  # first use, or a forked child
            self.pid = os.getpid()
            self.worker_id = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
            self.pool = ThreadPoolExecutor(max_workers=cfg.threads, thread_name_prefix="broadcast-send")
            self.local = threading.local()
            self.redis = services.redis
            self.ttl = cfg.heartbeat_ttl
            self.last_beat = 0.0
            if self.redis is not None:
                self.beat()
                threading.Thread(target=self._beat_forever, name="broadcast-heartbeat", daemon=True).start()
        if services.redis is not None and (services.redis is not self.redis
                                           or time.monotonic() - self.last_beat > self.ttl / 5):
            self.redis = services.redis
            self.beat()
        return self

    def beat(self) -> None:
        try:
            self.redis.set(HEARTBEAT_PREFIX + self.worker_id, "1", px=int(self.ttl * 1000))
            self.last_beat = time.monotonic()
        except Exception:  # noqa: BLE001 - Redis away: fresh() turns false and sending stops
            log.debug("broadcast heartbeat failed", exc_info=True)

    def _beat_forever(self) -> None:
        me = self.pid
        while os.getpid() == me:
            time.sleep(self.ttl / 5)
            self.beat()

    def fresh(self) -> bool:
        """Whether other workers still see us alive (else they may reconcile our rows: stop sending)."""
        return self.redis is None or time.monotonic() - self.last_beat < self.ttl / 2


PROCESS = _Process()
