"""More than one of each process against one PostgreSQL and one Redis: two web instances (gunicorn, each
on its own port) and three broadcast workers plus the Procfile's worker (media, spool), a broadcast and
inbound traffic at the same time.

    .venv/bin/python bench/scale.py                              # 20,000 recipients at 400/s
    .venv/bin/python bench/scale.py --recipients 2000 --rate 200 # short (make bench)

Inbound: signed `hi`/`1`/`menu` webhooks, closed loop, half of the connections on each web instance, for
as long as the broadcast sends. Figures: messages answered per instance (all instances used), answered
but not stored (lost), broadcast messages the provider (the Twilio stand-in) got twice (duplicates) or
never (lost), drain jobs run per broadcast worker, achieved broadcast rate over the configured one (its
floor: the ratio), and CPU per process kind, as ms per inbound message and per broadcast message: the
capacity model of docs/deploying.md. Progress on stderr; the last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    ROOT, CliProcesses, CpuMeter, Gunicorn, Stack, app_env, latency_summary, log, provider_counts, signed_post,
)
from _load import run_load  # noqa: E402

ACCOUNT = "AC" + "c" * 32
TOKEN = "bench-standin-token-0123456789"
NAIROBI = "+254709990001"
BODIES = ("hi", "1", "menu")
MARKET = "nbo.gikomba"


def seed(stack: Stack, n: int) -> None:
    import psycopg

    with psycopg.connect(stack.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at,"
            " last_inbound_sms_at) SELECT 'nairobi-vendors', '+2547' || lpad(g::text, 8, '0'),"
            " CASE WHEN g %% 2 = 0 THEN 'sw' ELSE 'en' END, false, now(), now(), now() - interval '2 days'"
            " FROM generate_series(1, %s) g", (n,))
        conn.execute(
            "INSERT INTO members (organization, contact_id, seq, number, name, trade, city, place_id, language,"
            " consent_version, consented_at, created_at, updated_at)"
            " SELECT organization, id, id, 'S-' || id, 'Bench Vendor', 'vendor', 'Nairobi', %s, language, 'v1',"
            " now(), now(), now() FROM contacts WHERE organization = 'nairobi-vendors'", (MARKET,))
        conn.execute("ANALYZE")


def requests_for(run: str, start: int, count: int, host: str) -> list[bytes]:
    out = []
    for i in range(start, start + count):
        number = f"+2547119{i % 4000:05d}"
        form = {"MessageSid": f"SM{run}{i:020d}", "AccountSid": ACCOUNT, "From": number, "To": NAIROBI,
                "Body": BODIES[i % len(BODIES)], "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01"}
        out.append(signed_post("/webhooks/twilio/messages", form, host=host, token=TOKEN))
    return out


def ready_by(services, queue_name: str, count: int, timeout: float = 180.0) -> None:
    """Until `count` workers listen on the queue: a broadcast sent before then would leave the late
    ones without a drain job (on a busy machine a worker takes tens of seconds to boot)."""
    from rq import Queue, Worker

    queue = Queue(queue_name, connection=services.redis)
    deadline = time.monotonic() + timeout
    while Worker.count(queue=queue) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {Worker.count(queue=queue)} of {count} broadcast workers after {timeout}s")
        time.sleep(0.2)


def jobs_per_worker(services, queue_name: str) -> Counter:
    """Drain jobs each broadcast worker ran (RQ keeps the worker's name on every finished job)."""
    from rq import Queue
    from rq.job import Job

    queue = Queue(queue_name, connection=services.redis)
    ids = queue.finished_job_registry.get_job_ids() + queue.started_job_registry.get_job_ids()
    return Counter(job.worker_name for job in Job.fetch_many(ids, connection=services.redis) if job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=400.0, help="configured broadcast messages/s")
    parser.add_argument("--web", type=int, default=2, help="web instances (gunicorn, one port each)")
    parser.add_argument("--broadcast-workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4, help="inbound connections per web instance")
    parser.add_argument("--seconds", type=float, default=None, help="inbound seconds (default: while sending)")
    args = parser.parse_args(argv)
    from localservers import free_port, wait_for_port

    started = time.monotonic()
    with Stack() as stack:
        seed(stack, args.recipients)
        port = free_port()
        env = app_env(stack, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN,
                      TWILIO_API_BASE_URL=f"http://127.0.0.1:{port}", BROADCAST_STATUS_CALLBACKS="0",
                      BROADCAST_DRAINERS=str(args.broadcast_workers), BROADCAST_THREADS="6",
                      BROADCAST_JOB_SECONDS="30", BROADCAST_BATCH_SECONDS="0.25", STREETLINE_ENV="bench")
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                                 "TWILIO_API_BASE_URL", "BROADCAST_STATUS_CALLBACKS",
                                                 "BROADCAST_DRAINERS", "BROADCAST_THREADS")})
        standin = subprocess.Popen(
            [sys.executable, "-m", "standin.twilio_api", "--port", str(port), "--account-sid", ACCOUNT,
             "--auth-token", TOKEN, "--max-records", str(args.recipients + 10_000), "--callback-delay", "0.2",
             "--no-spec-check", "--rate", str(args.rate * 1.2)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        workers = CliProcesses(env, "scale")
        webs = [Gunicorn(env, workers=1, worker_class="gthread", threads=4) for _ in range(args.web)]
        try:
            wait_for_port(port, 30)
            for _ in range(args.broadcast_workers):
                workers.start("broadcast", "worker")
            workers.start("worker")  # the Procfile's worker: media downloads, spool drainer
            booting = [threading.Thread(target=web.start) for web in webs]  # side by side: boots are slow
            [t.start() for t in booting]
            [t.join() for t in booting]
            if not all(web.proc for web in webs):
                raise RuntimeError("a web instance did not start")
            log(f"{args.web} web instances on ports {[w.port for w in webs]}, {args.broadcast_workers} broadcast "
                f"workers + 1 worker; {args.recipients} recipients seeded")
            from bot import broadcasts
            from bot.broadcasts.config import config_for
            from bot.services import build_services

            services = build_services(nlu=False)  # as a broadcast worker builds them
            ready_by(services, config_for(services).queue, args.broadcast_workers)
            run = uuid.uuid4().hex[:12]
            per_web = int(600 * (args.seconds or args.recipients / args.rate)) + 500  # more than gets sent
            loads = {w.port: requests_for(run, n * per_web, per_web, f"127.0.0.1:{w.port}") for n, w in enumerate(webs)}
            roots = {f"web{n}": w.proc.pid for n, w in enumerate(webs)}
            roots.update({f"worker{n}": p.pid for n, p in enumerate(workers.procs)})
            roots.update(postgres=stack.postgres_pid(), redis=stack.redis_pid(), provider=standin.pid)
            meter = CpuMeter(roots).start()
            metered_at = time.monotonic()
            bid = broadcasts.create_broadcast(services, "nairobi-vendors", {"markets": [MARKET]},
                                              {"en": "Gikomba market is closed on Monday for cleaning.",
                                               "sw": "Soko la Gikomba limefungwa Jumatatu kwa usafi."},
                                              created_by="bench", name="scale", rate=args.rate, rate_unit="messages")
            broadcasts.send_broadcast(services, bid)
            results: dict = {}
            duration = args.seconds or (args.recipients / args.rate)
            threads = [threading.Thread(target=lambda p=p: results.__setitem__(
                p, run_load(p, loads[p], args.concurrency, duration))) for p in loads]
            [t.start() for t in threads]
            while broadcasts.progress(services, bid)["state"] != "done" and time.monotonic() - metered_at < 600:
                time.sleep(0.25)
            [t.join() for t in threads]
            cpu = meter.stop()
            metered_s = time.monotonic() - metered_at
            per_worker = jobs_per_worker(services, config_for(services).queue)
            services.close()
        finally:
            for web in webs:
                web.stop()
            workers.stop()
        try:
            counts, provider_sids = provider_counts(f"http://127.0.0.1:{port}", ACCOUNT, TOKEN)
        finally:
            standin.send_signal(signal.SIGTERM)
            standin.wait(15)
        first, last, accepted = stack.rows("SELECT min(sent_at), max(sent_at), count(provider_sid)"
                                           f" FROM broadcast_recipients WHERE broadcast_id = {bid}")[0]
        ours = {r[0] for r in stack.rows(f"SELECT provider_sid FROM broadcast_recipients WHERE broadcast_id = {bid}"
                                         " AND provider_sid IS NOT NULL")}
        stored = stack.scalar(f"SELECT count(*) FROM inbound_messages WHERE provider_sid LIKE 'SM{run}%'")

    span = (last - first).total_seconds() if first and last else 0.0
    achieved = (accepted - 1) / span if span > 0 else 0.0
    answered = {f"web{n}": results[w.port].ok for n, w in enumerate(webs)}
    inbound_ok = sum(answered.values())
    latencies = sorted(x for r in results.values() for x in r.latencies)
    inbound_wall = max(r.wall for r in results.values())

    def ms_per(kinds: list[str], messages: int) -> float | None:
        seconds = sum(cpu.get(k) or 0.0 for k in kinds) / 100.0 * metered_s
        return round(1000.0 * seconds / messages, 2) if messages else None

    web_kinds = [k for k in cpu if k.startswith("web")]
    bworkers = [f"worker{n}" for n in range(args.broadcast_workers)]
    summary = {
        "web_instances": args.web, "broadcast_workers": args.broadcast_workers,
        "inbound": {"answered": answered, "errors": sum(r.errors for r in results.values()),
                    "rps": round(inbound_ok / inbound_wall, 1) if inbound_wall else 0.0,
                    "stored": stored, "lost": max(0, inbound_ok - stored), **latency_summary(latencies)},
        "broadcast": {"recipients": args.recipients, "accepted": accepted, "configured_mps": args.rate,
                      "achieved_mps": round(achieved, 1), "ratio": round(achieved / args.rate, 3),
                      "duplicates": sum(c - 1 for c in counts.values() if c > 1),
                      "lost": (args.recipients - accepted) + len(ours - provider_sids),
                      "jobs_per_worker": dict(per_worker)},
        "cpu_pct_of_core": cpu,
        "cpu_ms_per_inbound": {"web": ms_per(web_kinds, inbound_ok)},
        "cpu_ms_per_broadcast_message": {"workers": ms_per(bworkers, accepted),
                                         "provider_standin": ms_per(["provider"], accepted)},
        "cpu_ms_per_message_any_kind": {"postgres": ms_per(["postgres"], inbound_ok + accepted),
                                        "redis": ms_per(["redis"], inbound_ok + accepted)},
        "total_s": round(time.monotonic() - started, 1),
    }
    b, i = summary["broadcast"], summary["inbound"]
    summary["goal_met"] = (b["duplicates"] == 0 and b["lost"] == 0 and i["lost"] == 0
                           and all(answered.values()) and len(per_worker) >= args.broadcast_workers)
    log(f"inbound {i['rps']} msg/s over {args.web} instances {answered}, p99 {i.get('p99_ms')} ms, lost {i['lost']}; "
        f"broadcast {b['achieved_mps']}/s of {args.rate} (ratio {b['ratio']}), duplicates {b['duplicates']}, "
        f"lost {b['lost']}, jobs per worker {b['jobs_per_worker']}")
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
