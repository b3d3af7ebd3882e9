"""Knobs for sending broadcasts, read once from the environment (like bot.settings.Settings).

BROADCAST_RATE            default rate per sender when a broadcast gives none (10)
BROADCAST_RATE_UNIT       "segments" (SMS cost = segments; WhatsApp = 1) or "messages" (default segments)
BROADCAST_DRAINERS        RQ jobs working one broadcast at the same time (default 4: one per worker)
BROADCAST_THREADS         concurrent provider calls inside one job (default 8)
BROADCAST_BATCH_SECONDS   a claim takes this many seconds' worth of the sender's rate (default 0.5)
BROADCAST_LEASE_SECONDS   a row claimed longer ago than this is in doubt even if its worker lives (60;
                          keep it above TWILIO_HTTP_TIMEOUT plus one batch)
BROADCAST_MAX_ATTEMPTS    provider calls per recipient before it fails (default 6)
BROADCAST_BACKOFF_BASE / BROADCAST_BACKOFF_MAX   exponential backoff with full jitter (0.5 s / 60 s)
BROADCAST_JOB_SECONDS     a drain job re-enqueues itself after this long (default 60)
BROADCAST_QUEUE           RQ queue name (default "broadcasts")
BROADCAST_SWEEP_SECONDS   how often a worker looks for a 'sending' broadcast nobody works on (default 60)
BROADCAST_STATUS_CALLBACKS  0 sends no StatusCallback (benchmarks without an app); default 1
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BroadcastConfig:
    rate: float = 10.0
    rate_unit: str = "segments"
    drainers: int = 4
    threads: int = 8
    batch_seconds: float = 0.5
    lease_seconds: float = 60.0
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 60.0
    job_seconds: float = 60.0
    queue: str = "broadcasts"
    status_callbacks: bool = True
    heartbeat_ttl: float = 5.0
    sweep_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "BroadcastConfig":
        env = os.environ if environ is None else environ
        d = cls()

        def num(name, default, kind=float):
            raw = env.get(name)
            return kind(raw) if raw not in (None, "") else default

        unit = env.get("BROADCAST_RATE_UNIT") or d.rate_unit
        if unit not in ("segments", "messages"):
            raise ValueError("BROADCAST_RATE_UNIT must be 'segments' or 'messages'")
        return cls(
            rate=num("BROADCAST_RATE", d.rate), rate_unit=unit,
            drainers=num("BROADCAST_DRAINERS", d.drainers, int), threads=num("BROADCAST_THREADS", d.threads, int),
            batch_seconds=num("BROADCAST_BATCH_SECONDS", d.batch_seconds),
            lease_seconds=num("BROADCAST_LEASE_SECONDS", d.lease_seconds),
            max_attempts=num("BROADCAST_MAX_ATTEMPTS", d.max_attempts, int),
            backoff_base=num("BROADCAST_BACKOFF_BASE", d.backoff_base),
            backoff_max=num("BROADCAST_BACKOFF_MAX", d.backoff_max),
            job_seconds=num("BROADCAST_JOB_SECONDS", d.job_seconds),
            queue=env.get("BROADCAST_QUEUE") or d.queue,
            sweep_seconds=num("BROADCAST_SWEEP_SECONDS", d.sweep_seconds),
            status_callbacks=(env.get("BROADCAST_STATUS_CALLBACKS", "1") not in ("0", "false", "no")),
        )


def config_for(services) -> BroadcastConfig:
    """The services' broadcast config (tests attach one as services.broadcast_config), else the environment."""
    cfg = getattr(services, "broadcast_config", None)
    if cfg is None:
        cfg = BroadcastConfig.from_env()
        try:
            services.broadcast_config = cfg
        except AttributeError:  # pragma: no cover
            pass
    return cfg
