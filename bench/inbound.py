"""Inbound webhook throughput: signed menu messages against gunicorn + PostgreSQL + Redis, and against a
floor measured in the same run with the same gunicorn settings.

    .venv/bin/python bench/inbound.py                 # app and floor at concurrency 4 8 16 32, ~2 min
    .venv/bin/python bench/inbound.py --sweep         # try worker classes/counts and concurrency
    .venv/bin/python bench/inbound.py --workers 3 --worker-class gthread --threads 4 --concurrency 16

Starts its own throwaway PostgreSQL and Redis (localservers), migrates with Alembic, mirrors the
content/ organizations, then runs `gunicorn 'webhooks:create_app()'` as a subprocess. Every request
is built and signed (X-Twilio-Signature over PUBLIC_BASE_URL + path) before the timed phase; a
closed loop of `concurrency` keep-alive connections (asyncio, raw HTTP/1.1 over loopback; opened
10 ms apart, as traffic arrives, so that they spread over gunicorn's workers) sends them: `hi`, `1` and `menu` from many numbers (+2547110xxxxx, every fifth one on WhatsApp) to the
Nairobi line. Correct means: every answer is 200 with a <Message>, and the database holds exactly
one inbound row (handled) and one reply row per message sent.

The floor (bench/floor_app.py) is the least a Twilio webhook app must do: a minimal Flask app that
checks the signature with RequestValidator, inserts the inbound row in PostgreSQL, does one Redis SET NX
for the MessageSid and returns a fixed TwiML reply. Both run side by side under the same gunicorn
settings; at each concurrency the floor's phase and the app's phase follow each other, so both see the
same machine. An absolute msg/s says more about the machine than about the code; the ratio does not.
Goal: the app >= 0.6x the floor's rate, and its p99 <= 50 ms at the highest concurrency where the
floor's p99 is <= 25 ms.

Progress goes to stderr; the last line on stdout is one JSON object: per concurrency both rates, the
ratio, both p99s and CPU ms per message, the concurrency the goal is judged at, and the verdict.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import CpuMeter, Gunicorn, Stack, app_env, latency_summary, log, signed_post  # noqa: E402
from _load import run_load  # noqa: E402

PATH = "/webhooks/twilio/messages"
NAIROBI = "+254709990001"
BODIES = ("hi", "1", "menu")
# Best measured on a 2-core machine (see --sweep): the default a bare run uses.
DEFAULTS = {"workers": 2, "worker_class": "gthread", "threads": 4, "concurrency": 8}
P99_GOAL_MS = 50.0
FLOOR_APP = "bench.floor_app:create_app()"
SKELETON_APP = "bench.floor_app:create_skeleton()"
FLOOR_P99_MS = 25.0  # the goal is judged at the highest concurrency where the floor stays under this
RATIO_GOAL = 0.6
COMPARE_CONCURRENCY = [4, 8, 16, 32]
# Seconds between opening one client connection and the next (bench/_load.run_load says why): the same
# for the floor and the app.
STAGGER = 0.01


class Messages:
    """Signed requests, numbered across the whole run so every MessageSid is unique.

    Message i comes from number i % pool, so `concurrency` consecutive messages never share a
    phone (which would make them wait on each other's per-contact lock); the body rotates
    through hi / 1 / menu, and numbers whose index is a multiple of five write on WhatsApp."""

    def __init__(self, pool: int = 5000, whatsapp_every: int = 5, to: str = NAIROBI):
        self.pool, self.whatsapp_every, self.to = pool, whatsapp_every, to
        self.next = 0
        self.run = uuid.uuid4().hex[:12]
        self.whatsapp = 0

    def form(self, i: int) -> dict:
        n = i % self.pool
        number = f"+2547110{n:05d}"
        whatsapp = self.whatsapp_every and n % self.whatsapp_every == 0
        form = {
            "MessageSid": f"SM{self.run}{i:020d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"whatsapp:{number}" if whatsapp else number,
            "To": f"whatsapp:{self.to}" if whatsapp else self.to,
            "Body": BODIES[(i + i // self.pool) % len(BODIES)],
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        if whatsapp:
            form["WaId"] = number.lstrip("+")
            form["ProfileName"] = f"Worker {n}"
            form["MessageType"] = "text"
        else:
            form["FromCountry"] = "KE"
            form["ToCountry"] = "KE"
        return form

    def build(self, count: int, host: str) -> list[bytes]:
        out = []
        for i in range(self.next, self.next + count):
            form = self.form(i)
            self.whatsapp += form["From"].startswith("whatsapp:")
            out.append(signed_post(PATH, form, host=host))
        self.next += count
        return out


def db_counts(stack: Stack) -> dict:
    return {
        "inbound": stack.scalar("SELECT count(*) FROM inbound_messages"),
        "handled": stack.scalar("SELECT count(*) FROM inbound_messages WHERE handled_at IS NOT NULL"),
        "replies": stack.scalar("SELECT count(*) FROM outbound_messages WHERE kind = 'reply'"),
        "contacts": stack.scalar("SELECT count(*) FROM contacts"),
    }


def phase(stack: Stack, server: Gunicorn, messages: Messages, concurrency: int, duration: float,
          max_rps: float, floor: bool = False) -> dict:
    """One timed phase; returns the figures, checked against the database (the floor stores the
    inbound row only: no handling, no reply row)."""
    requests = messages.build(int(max_rps * duration) + concurrency, f"127.0.0.1:{server.port}")
    before = db_counts(stack)
    meter = CpuMeter({"gunicorn": server.proc.pid, "postgres": stack.postgres_pid(),
                      "redis": stack.redis_pid()}).start()
    result = run_load(server.port, requests, concurrency, duration, stagger=STAGGER)
    cpu = meter.stop()
    # Anything still being handled (a timed-out request) lands before we count.
    time.sleep(0.2)
    after = db_counts(stack)
    sent = result.sent
    stored = after["inbound"] - before["inbound"]
    handled = after["handled"] - before["handled"]
    replies = after["replies"] - before["replies"]
    db_errors = abs(stored - sent) if floor else abs(stored - sent) + abs(handled - sent) + abs(replies - result.ok)
    if result.sent >= len(requests):
        log(f"  note: all {len(requests)} pre-built requests sent before {duration}s; raise --max-rps")
    rps = sent / result.wall
    ours = sum(cpu[k] for k in ("gunicorn", "postgres", "redis", "generator"))
    # CPU milliseconds per message: steadier than rps when other work shares the machine.
    cpu_ms = {k: round(cpu[k] * 10 / rps, 3) for k in ("gunicorn", "postgres", "redis", "generator")} if rps else {}
    served = sum(v for k, v in cpu_ms.items() if k != "generator")
    figures = {
        "rps": round(rps, 1),
        **latency_summary(result.latencies),
        "messages": sent,
        "errors": result.errors + db_errors,
        "http_errors": result.errors,
        "db_mismatch": db_errors,
        "db_inbound_rows": stored,
        "db_handled_rows": handled,
        "db_reply_rows": replies,
        "seconds": round(result.wall, 2),
        "concurrency": concurrency,
        "connections_opened": result.connects,
        "cpu_pct_of_core": cpu,
        "cpu_ms_per_msg": {**cpu_ms, "servers_total": round(served, 3)},
        # What the servers could do with every core to themselves at this CPU cost per message.
        "capacity_rps_estimate": round(cpu["cores"] * 1000 / served, 0) if served else None,
        # Busy CPU not ours (other processes on the machine), in % of one core: figures are noisy when high.
        "other_load_pct_of_core": round(max(0.0, cpu["machine_busy_pct"] * cpu["cores"] - ours), 1),
    }
    if result.error_samples:
        figures["error_samples"] = result.error_samples
    return figures


def run_config(stack: Stack, messages: Messages, workers: int, worker_class: str, threads: int,
               concurrencies: list[int], duration: float, warmup: float, max_rps: float,
               preload: bool = False, app: str = "webhooks:create_app()") -> list[dict]:
    extra = ["--preload"] if preload else []
    config = {"workers": workers, "worker_class": worker_class, "threads": threads, "preload": preload}
    log(f"gunicorn {config}")
    t0 = time.monotonic()
    log_path = stack.tmp / f"gunicorn-{worker_class}-{workers}x{threads}-{time.monotonic_ns()}.log"
    with Gunicorn(app_env(stack), app=app, workers=workers, worker_class=worker_class, threads=threads,
                  extra_args=extra, log_path=log_path) as server:
        log(f"  booted in {time.monotonic() - t0:.1f}s on :{server.port}")
        out = []
        try:
            if warmup > 0:
                w = phase(stack, server, messages, max(concurrencies), warmup, max_rps)
                log(f"  warm-up {w['messages']} msgs {w['rps']}/s errors {w['errors']}")
                if w["errors"]:
                    log(f"  warm-up errors: {w.get('error_samples')}")
            for concurrency in concurrencies:
                figures = {**config, **phase(stack, server, messages, concurrency, duration, max_rps)}
                cpu = figures["cpu_pct_of_core"]
                log(f"  c={concurrency:3d}: {figures['rps']:7.1f} msg/s  p50 {figures['p50_ms']:6.2f} ms  "
                    f"p99 {figures['p99_ms']:6.2f} ms  errors {figures['errors']}  cpu% gunicorn "
                    f"{cpu['gunicorn']} postgres {cpu['postgres']} redis {cpu['redis']} generator "
                    f"{cpu['generator']} others {figures['other_load_pct_of_core']}; cpu ms/msg "
                    f"{figures['cpu_ms_per_msg'].get('servers_total')} -> capacity ~{figures['capacity_rps_estimate']}/s")
                if figures.get("error_samples"):
                    log(f"  errors: {figures['error_samples'][:2]}")
                out.append(figures)
        except BaseException:
            log(server.log_tail())
            raise
        problems = [line for line in server.log_tail(200).splitlines()
                    if "Traceback" in line or "ERROR" in line or "WORKER TIMEOUT" in line]
        if problems:
            log(f"  gunicorn log has {len(problems)} error lines, e.g. {problems[:3]}")
    return out


def _line(name: str, f: dict) -> str:
    cpu = f["cpu_pct_of_core"]
    return (f"  {name:5} c={f['concurrency']:3d}: {f['rps']:7.1f} msg/s  p50 {f['p50_ms']:6.2f} ms  p99 "
            f"{f['p99_ms']:6.2f} ms  errors {f['errors']}  cpu ms/msg {f['cpu_ms_per_msg'].get('servers_total')} "
            f"(gunicorn {f['cpu_ms_per_msg'].get('gunicorn')})  others {f['other_load_pct_of_core']}% of a core"
            f"  cpu% gunicorn {cpu['gunicorn']} postgres {cpu['postgres']} redis {cpu['redis']}")


def compare(stack: Stack, messages: Messages, workers: int, worker_class: str, threads: int,
            concurrencies: list[int], duration: float, warmup: float, max_rps: float, preload: bool,
            app: str, skeleton: bool = False) -> list[dict]:
    """The floor and the app side by side, same gunicorn settings; per concurrency a floor phase, then
    an app phase. Returns one row per concurrency with both sets of figures. With `skeleton`, a
    skeleton phase between them (bench/floor_app.create_skeleton: the floor plus the round trips the
    line cannot skip, no logic)."""
    extra = ["--preload"] if preload else []
    config = {"workers": workers, "worker_class": worker_class, "threads": threads, "preload": preload}
    log(f"gunicorn {config}, floor and app")

    def server(spec: str, name: str) -> Gunicorn:
        return Gunicorn(app_env(stack), app=spec, workers=workers, worker_class=worker_class, threads=threads,
                        extra_args=extra, log_path=stack.tmp / f"gunicorn-{name}-{time.monotonic_ns()}.log")

    rows = []
    with contextlib.ExitStack() as servers:
        floor_server = servers.enter_context(server(FLOOR_APP, "floor"))
        skeleton_server = servers.enter_context(server(SKELETON_APP, "skeleton")) if skeleton else None
        app_server = servers.enter_context(server(app, "app"))
        order = [("floor", floor_server, True), ("skel", skeleton_server, False), ("app", app_server, False)]
        order = [o for o in order if o[1] is not None]
        try:
            for name, srv, is_floor in order:
                if warmup > 0:
                    w = phase(stack, srv, messages, max(concurrencies), warmup, max_rps, floor=is_floor)
                    log(f"  {name} warm-up {w['messages']} msgs {w['rps']}/s errors {w['errors']}")
            for concurrency in concurrencies:
                got = {}
                for name, srv, is_floor in order:
                    got[name] = phase(stack, srv, messages, concurrency, duration, max_rps, floor=is_floor)
                    log(_line(name, got[name]))
                f, a = got["floor"], got["app"]
                ratio = round(a["rps"] / f["rps"], 3) if f["rps"] else None
                row = {"concurrency": concurrency, "ratio": ratio, "floor": f, "app": a}
                if skeleton:
                    s = got["skel"]
                    row["skeleton"] = s
                    row["skeleton_ratio"] = round(s["rps"] / f["rps"], 3) if f["rps"] else None
                    row["app_to_skeleton"] = round(a["rps"] / s["rps"], 3) if s["rps"] else None
                    log(f"  c={concurrency}: app/floor {ratio}  skeleton/floor {row['skeleton_ratio']}  "
                        f"app/skeleton {row['app_to_skeleton']}")
                else:
                    log(f"  c={concurrency}: app/floor {ratio}")
                rows.append(row)
        except BaseException:
            for _name, srv, _ in order:
                log(srv.log_tail())
            raise
    return rows


def verdict(rows: list[dict]) -> dict:
    """Judged at the highest concurrency where the floor's p99 <= FLOOR_P99_MS (else the lowest)."""
    calm = [r for r in rows if r["floor"]["p99_ms"] <= FLOOR_P99_MS and r["floor"]["errors"] == 0]
    at = max(calm, key=lambda r: r["concurrency"]) if calm else min(rows, key=lambda r: r["concurrency"])
    a, f = at["app"], at["floor"]
    return {
        "judged_at_concurrency": at["concurrency"],
        "floor_p99_under_25ms_there": bool(calm),
        "ratio": at["ratio"],
        "app_rps": a["rps"], "floor_rps": f["rps"],
        "app_p99_ms": a["p99_ms"], "floor_p99_ms": f["p99_ms"],
        "app_cpu_ms_per_msg": a["cpu_ms_per_msg"].get("servers_total"),
        "floor_cpu_ms_per_msg": f["cpu_ms_per_msg"].get("servers_total"),
        # With --skeleton: how far the line's unavoidable round trips are from the floor, and the app from them.
        **({"skeleton_ratio": at["skeleton_ratio"], "app_to_skeleton_ratio": at["app_to_skeleton"]}
           if "skeleton" in at else {}),
        "goal": {"ratio": RATIO_GOAL, "app_p99_ms": P99_GOAL_MS, "floor_p99_ms": FLOOR_P99_MS},
        "goal_met": bool(calm) and (at["ratio"] or 0) >= RATIO_GOAL and a["p99_ms"] <= P99_GOAL_MS
                    and a["errors"] == 0 and f["errors"] == 0,
    }


def _brief(f: dict) -> dict:
    keep = ("rps", "p50_ms", "p99_ms", "messages", "errors", "cpu_ms_per_msg", "cpu_pct_of_core",
            "other_load_pct_of_core", "capacity_rps_estimate")
    return {k: f[k] for k in keep if k in f}


def best(results: list[dict]) -> dict:
    good = [r for r in results if r["errors"] == 0 and r["p99_ms"] <= P99_GOAL_MS]
    if good:
        return max(good, key=lambda r: r["rps"])
    return min(results, key=lambda r: (r["errors"], r["p99_ms"]))


SWEEP = [  # (worker_class, workers, threads), each at several concurrency levels
    ("sync", 2, 1), ("sync", 3, 1), ("sync", 4, 1), ("sync", 6, 1),
    ("gthread", 2, 4), ("gthread", 3, 4), ("gthread", 4, 2), ("gthread", 2, 8),
]
SWEEP_CONCURRENCY = [4, 8, 16, 32]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=DEFAULTS["workers"])
    parser.add_argument("--worker-class", default=DEFAULTS["worker_class"], choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=DEFAULTS["threads"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=None,
                        help=f"one or more concurrency levels, each a timed phase (default {COMPARE_CONCURRENCY}; "
                             f"with --no-floor {DEFAULTS['concurrency']})")
    parser.add_argument("--duration", type=float, default=None,
                        help="seconds per timed phase (default 10 with the floor, 20 without)")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="the app alone, as before the floor existed")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per gunicorn start")
    parser.add_argument("--max-rps", type=float, default=2500.0,
                        help="requests pre-built per second of phase (an upper bound on throughput)")
    parser.add_argument("--numbers", type=int, default=5000, help="distinct sender numbers")
    parser.add_argument("--no-preload", dest="preload", action="store_false",
                        help="let every worker build the app itself (as the Procfile does) instead of gunicorn "
                             "--preload; slower start: each worker trains the NLU fallback matcher")
    parser.add_argument("--app", default="webhooks:create_app()", help="gunicorn app spec")
    parser.add_argument("--skeleton", action="store_true",
                        help="also measure bench/floor_app.create_skeleton (the floor plus the round trips the "
                             "line cannot skip) between the floor and the app")
    parser.add_argument("--sweep", action="store_true",
                        help=f"try {len(SWEEP)} gunicorn configurations x concurrency {SWEEP_CONCURRENCY} "
                             "(shorter phases; several minutes)")
    args = parser.parse_args(argv)

    messages = Messages(pool=args.numbers)
    started = time.monotonic()
    if args.floor and not args.sweep:
        concurrencies = args.concurrency or COMPARE_CONCURRENCY
        with Stack() as stack:
            rows = compare(stack, messages, args.workers, args.worker_class, args.threads, concurrencies,
                           args.duration or 10.0, args.warmup, args.max_rps, args.preload, args.app,
                           skeleton=args.skeleton)
        summary = {
            "benchmark": "inbound",
            **verdict(rows),
            "config": {"workers": args.workers, "worker_class": args.worker_class, "threads": args.threads,
                       "preload": args.preload, "seconds_per_phase": args.duration or 10.0},
            "per_concurrency": [{"concurrency": r["concurrency"], "ratio": r["ratio"],
                                 "floor": _brief(r["floor"]), "app": _brief(r["app"]),
                                 **({"skeleton_ratio": r["skeleton_ratio"], "app_to_skeleton": r["app_to_skeleton"],
                                     "skeleton": _brief(r["skeleton"])} if "skeleton" in r else {})}
                                for r in rows],
            "bodies": list(BODIES),
            "total_seconds": round(time.monotonic() - started, 1),
        }
        print(json.dumps(summary, separators=(",", ":")))
        errors = sum(r["floor"]["errors"] + r["app"]["errors"] + r.get("skeleton", {}).get("errors", 0)
                     for r in rows)
        return 0 if errors == 0 else 1
    args.concurrency = args.concurrency or [DEFAULTS["concurrency"]]
    args.duration = args.duration or 20.0
    with Stack() as stack:
        results: list[dict] = []
        if args.sweep:
            duration = args.duration if "--duration" in (argv or sys.argv) else 6.0
            for worker_class, workers, threads in SWEEP:
                results += run_config(stack, messages, workers, worker_class, threads, SWEEP_CONCURRENCY,
                                      duration, min(args.warmup, 2.0), args.max_rps, args.preload, args.app)
        else:
            results = run_config(stack, messages, args.workers, args.worker_class, args.threads,
                                 args.concurrency, args.duration, args.warmup, args.max_rps, args.preload, args.app)
        totals = db_counts(stack)

    chosen = dict(best(results))
    sent_total = messages.next  # every request built was not necessarily sent; count what was
    summary = {
        "benchmark": "inbound",
        **{k: chosen[k] for k in ("rps", "p50_ms", "p99_ms", "messages", "errors")},
        **{k: v for k, v in chosen.items() if k not in ("rps", "p50_ms", "p99_ms", "messages", "errors")},
        "goal": {"rps": 500, "p99_ms": P99_GOAL_MS},
        "goal_met": chosen["rps"] >= 500 and chosen["p99_ms"] <= P99_GOAL_MS and chosen["errors"] == 0,
        "bodies": list(BODIES),
        "whatsapp_share": round(1 / 5, 2),
        "distinct_numbers": args.numbers,
        "run_db_totals": totals,
        "requests_built": sent_total,
        "total_seconds": round(time.monotonic() - started, 1),
    }
    if len(results) > 1:
        summary["all"] = [
            {k: r[k] for k in ("worker_class", "workers", "threads", "concurrency", "rps", "p50_ms", "p99_ms",
                               "errors", "capacity_rps_estimate", "other_load_pct_of_core")}
            | {"cpu": r["cpu_pct_of_core"]}
            for r in results
        ]
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
