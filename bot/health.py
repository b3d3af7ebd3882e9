"""Health of what the line depends on, for /healthz and `make run`."""
from __future__ import annotations

import time

from sqlalchemy import text


def _timed(fn) -> dict:
    start = time.perf_counter()
    try:
        detail = fn() or {}
        state = {"status": "ok", **detail}
    except Exception as exc:  # health reports failures, it does not raise them
        state = {"status": "down", "error": type(exc).__name__ + ": " + str(exc).splitlines()[0][:200]}
    state["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return state


def check(services) -> dict:
    def database():
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"dialect": services.engine.dialect.name}

    def redis():
        if services.redis is None:
            return {"status": "disabled"}
        services.redis.ping()

    report = {"database": _timed(database), "redis": _timed(redis)}
    try:
        report["nlu"] = services.nlu.health()
    except Exception as exc:
        report["nlu"] = {"status": "down", "error": str(exc)[:200]}
    report["status"] = "ok" if report["database"]["status"] == "ok" else "degraded"
    return report
