"""Broadcast throughput and exactly-once, end to end: PostgreSQL + Redis (localservers), the Twilio
stand-in (standin, a subprocess), and RQ broadcast workers (`python -m bot.cli broadcast worker`,
subprocesses) sending through twilio-python's real client.

    .venv/bin/python bench/broadcast.py          # all scenarios, ~3-4 minutes on 2 cores

Scenarios:
  1. 20,000 recipients at a configured 400 messages/s
  2.  6,000 recipients at 100 messages/s
  3.  6,000 recipients at 400 messages/s; one worker is SIGKILLed midway and a new one started
  4. enqueueing a 100,000-recipient broadcast (recipient rows with one INSERT ... SELECT + drain jobs),
     with the workers stopped, then cancelled
Achieved rate: recipients / (last sent_at - first sent_at) (sent_at is written when the worker records
the provider's answer). Duplicates: provider messages beyond one per recipient (the stand-in's message
list, read through the API). Lost: recipients not accepted by the provider, or whose SID the provider
does not have. Progress on stderr; the last stdout line is one JSON object.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import ROOT, CliProcesses, Stack, log, provider_counts  # noqa: E402

ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-standin-token-0123456789"
WORKERS = 4
SCENARIOS = [  # (name, org, market, recipients, rate, kill a worker)
    ("20k@400", "nairobi-vendors", "nbo.gikomba", 20_000, 400.0, False),
    ("6k@100", "nairobi-vendors", "nbo.muthurwa", 6_000, 100.0, False),
    ("6k@400+kill", "nairobi-vendors", "nbo.toi", 6_000, 400.0, True),
]
BIG = ("pune-wastepickers", 100_000)


def seed(stack: Stack) -> None:
    """Contacts (and members) with one statement each: numbers +2547 block per market, +9198 for Pune."""
    import psycopg

    dsn = stack.database_url.replace("postgresql+psycopg://", "postgresql://")
    t0 = time.monotonic()
    with psycopg.connect(dsn) as conn:
        start = 0
        for i, (_, org, market, n, _, _) in enumerate(SCENARIOS):
            conn.execute(
                "INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at,"
                " last_inbound_sms_at) SELECT %s, '+2547' || lpad((%s + g)::text, 8, '0'),"
                " CASE WHEN g %% 2 = 0 THEN 'sw' ELSE 'en' END, false, now(), now(), now() - interval '2 days'"
                " FROM generate_series(1, %s) g", (org, start, n))
            conn.execute(
                "INSERT INTO members (organization, contact_id, seq, number, name, trade, city, place_id, language,"
                " consent_version, consented_at, created_at, updated_at)"
                " SELECT organization, id, id, 'B-' || id, 'Bench Vendor', 'vendor', 'Nairobi', %s, language, 'v1',"
                " now(), now(), now() FROM contacts WHERE organization = %s AND phone >= %s AND phone <= %s",
                (market, org, "+2547" + f"{start + 1:08d}", "+2547" + f"{start + n:08d}"))
            start += 1_000_000
        org, n = BIG
        conn.execute(
            "INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at)"
            " SELECT %s, '+9198' || lpad(g::text, 8, '0'), CASE WHEN g %% 3 = 0 THEN 'en' ELSE 'hi' END, false,"
            " now(), now() FROM generate_series(1, %s) g", (org, n))
        conn.execute("ANALYZE")
    log(f"seeded {sum(s[3] for s in SCENARIOS) + BIG[1]} contacts in {time.monotonic() - t0:.1f}s")


class Procs:
    def __init__(self, env):
        self.env = env
        self.cli = CliProcesses(env, "worker", timeout=15)
        self.standin: subprocess.Popen | None = None

    def start_standin(self, port: int, rate: float | None) -> None:
        from localservers import wait_for_port

        cmd = [sys.executable, "-m", "standin.twilio_api", "--port", str(port), "--account-sid", ACCOUNT,
               "--auth-token", TOKEN, "--max-records", "300000", "--callback-delay", "0.2", "--no-spec-check"]
        if rate:
            cmd += ["--rate", str(rate)]
        self.standin = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(port, 30)

    def start_worker(self) -> subprocess.Popen:
        return self.cli.start("broadcast", "worker")

    @property
    def workers(self) -> list[subprocess.Popen]:
        return self.cli.procs

    def stop_workers(self) -> None:
        self.cli.stop()

    def stop(self) -> None:
        self.stop_workers()
        if self.standin and self.standin.poll() is None:
            self.standin.send_signal(signal.SIGTERM)
            try:
                self.standin.wait(15)
            except subprocess.TimeoutExpired:
                self.standin.kill()


def scale_sizes(argv: list[str]) -> None:
    """--scale F: every audience F times its size (make bench runs 0.1: the same scenarios, shorter)."""
    global SCENARIOS, BIG
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="audience sizes times this (default 1)")
    factor = parser.parse_args(argv).scale
    SCENARIOS = [(name, org, market, max(100, int(n * factor)), rate, kill)
                 for name, org, market, n, rate, kill in SCENARIOS]
    BIG = (BIG[0], max(1000, int(BIG[1] * factor)))


def main() -> int:
    from localservers import free_port

    scale_sizes(sys.argv[1:])

    t_start = time.monotonic()
    results = {}
    with Stack() as stack:
        seed(stack)
        port = free_port()
        env = dict(os.environ, DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url,
                   TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN,
                   TWILIO_API_BASE_URL=f"http://127.0.0.1:{port}", BROADCAST_STATUS_CALLBACKS="0",
                   BROADCAST_THREADS="6", BROADCAST_DRAINERS=str(WORKERS), BROADCAST_JOB_SECONDS="30",
                   BROADCAST_LEASE_SECONDS="30", BROADCAST_BATCH_SECONDS="0.25", PYTHONDONTWRITEBYTECODE="1",
                   STREETLINE_ENV="bench")
        for name in ("RASA_URL", "STATUS_CALLBACK_URL"):
            env.pop(name, None)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID",
                                                 "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL",
                                                 "BROADCAST_STATUS_CALLBACKS", "BROADCAST_DRAINERS",
                                                 "BROADCAST_JOB_SECONDS", "BROADCAST_THREADS")})
        procs = Procs(env)
        try:
            procs.start_standin(port, rate=480)  # the provider allows a little more than we configure
            for _ in range(WORKERS):
                procs.start_worker()
            from rq import Queue

            from bot import broadcasts
            from bot.services import build_services
            from bot.models import BroadcastRecipient as R
            from sqlalchemy import func, select

            services = build_services(nlu=False)  # as a broadcast worker builds them
            time.sleep(2.0)  # workers import and connect
            for name, org, market, n, rate, kill in SCENARIOS:
                bid = broadcasts.create_broadcast(
                    services, org, {"markets": [market], "registered": True},
                    {"en": f"Bench {name}: {market} market is closed on Monday for cleaning.",
                     "sw": f"Bench {name}: soko la {market} limefungwa Jumatatu kwa usafi."},
                    created_by="bench", name=name, rate=rate, rate_unit="messages")
                t0 = time.monotonic()
                broadcasts.send_broadcast(services, bid)
                killed_at = None
                last_log = 0.0
                while True:
                    p = broadcasts.progress(services, bid)
                    now = time.monotonic()
                    if kill and killed_at is None and p["accepted"] >= n // 3:
                        victim = procs.workers[0]
                        os.kill(victim.pid, signal.SIGKILL)
                        victim.wait()
                        procs.workers.remove(victim)
                        killed_at = now - t0
                        log(f"  {name}: SIGKILLed worker pid {victim.pid} at {killed_at:.1f}s "
                            f"({p['accepted']} sent); starting a new one")
                        procs.start_worker()
                    if now - last_log > 5:
                        last_log = now
                        log(f"  {name}: {now - t0:5.1f}s {p['counts']}")
                    if p["state"] == "done":
                        break
                    if now - t0 > 240:
                        log(f"  {name}: timed out: {p}")
                        break
                    time.sleep(0.25)
                wall = time.monotonic() - t0
                with services.engine.connect() as conn:
                    first, last, accepted = conn.execute(
                        select(func.min(R.sent_at), func.max(R.sent_at), func.count(R.provider_sid))
                        .where(R.broadcast_id == bid)).one()
                    our_sids = set(conn.scalars(select(R.provider_sid).where(R.broadcast_id == bid,
                                                                              R.provider_sid.is_not(None))))
                span = (last - first).total_seconds() if first and last else float("nan")
                achieved = (accepted - 1) / span if span and span > 0 else 0.0
                results[name] = {"broadcast": bid, "recipients": n, "configured_mps": rate,
                                 "achieved_mps": round(achieved, 1), "ratio": round(achieved / rate, 3),
                                 "wall_s": round(wall, 1), "accepted": accepted, "our_sids": our_sids,
                                 "reasons": p["reasons"], "killed_at_s": round(killed_at, 1) if killed_at else None}
                log(f"{name}: {accepted}/{n} accepted, {achieved:.1f} msg/s over {span:.1f}s "
                    f"(ratio {achieved / rate:.3f}), wall {wall:.1f}s, reasons {p['reasons']}")

            procs.stop_workers()
            counts, provider_sids = provider_counts(f"http://127.0.0.1:{port}", ACCOUNT, TOKEN)
            duplicates = sum(c - 1 for c in counts.values() if c > 1)
            total_lost = 0
            for name, r in results.items():
                sids = r.pop("our_sids")
                lost = (r["recipients"] - r["accepted"]) + len(sids - provider_sids)
                r["lost"] = lost
                total_lost += lost
            log(f"provider holds {len(provider_sids)} messages to {len(counts)} numbers; duplicates {duplicates}")

            # 4: enqueue 100k (workers stopped, so this measures rows + jobs only), then cancel
            org, n = BIG
            Queue(broadcasts.service.config_for(services).queue, connection=services.redis).empty()
            t0 = time.monotonic()
            bid = broadcasts.create_broadcast(services, org, {}, {"hi": "बाज़ार सोमवार को बंद रहेगा।",
                                                                  "en": "The market is closed on Monday."},
                                              created_by="bench", name="100k enqueue", rate=100)
            sent = broadcasts.send_broadcast(services, bid)
            enqueue_s = time.monotonic() - t0
            queued = broadcasts.progress(services, bid)["counts"]["queued"]
            broadcasts.cancel(services, bid)
            log(f"100k: {sent['recipients']} recipient rows ({queued} queued) and jobs in {enqueue_s:.2f}s")
        finally:
            procs.stop()

    main_runs = [results[s[0]] for s in SCENARIOS if not s[5]]
    worst = min(main_runs, key=lambda r: r["ratio"])
    summary = {
        "configured_mps": worst["configured_mps"], "achieved_mps": worst["achieved_mps"], "ratio": worst["ratio"],
        "duplicates": duplicates, "lost": total_lost, "enqueue_100k_s": round(enqueue_s, 2),
        "enqueue_100k_rows": sent["recipients"], "workers": WORKERS,
        "scenarios": results, "total_s": round(time.monotonic() - t_start, 1),
        "goals_met": worst["ratio"] >= 0.95 and duplicates == 0 and total_lost == 0 and enqueue_s <= 10,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
