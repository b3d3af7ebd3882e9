"""A broadcast to a very large audience (issue 16, item 3): how long `send` takes before the broadcast is
sending (audience counted, first chunk of recipient rows made, drain jobs queued), and the peak memory of
every process, against a floor measured in the same run.

    .venv/bin/python bench/broadcast_million.py                       # 100,000 contacts (make bench)
    .venv/bin/python bench/broadcast_million.py --contacts 1000000    # the issue's case, 4-7 min on 2 busy cores

Steps, on a throwaway PostgreSQL + Redis (localservers):
  1. seed N contacts of one organization and a member for each (INSERT ... SELECT generate_series): a
     third Swahili, a third English, a third with no language of their own (the member's is used), one
     in 20 last wrote on WhatsApp two days ago (window closed, no template: a 'skipped' row);
  2. floor: a bare INSERT INTO broadcast_recipients SELECT ... FROM contacts of all N rows (same table,
     same indexes and foreign keys), then TRUNCATE: what making every row at send would cost at least;
  3. enqueue: a separate process (`--child-send`, as a CLI or web process would) builds the services and
     times broadcasts.send_broadcast of a broadcast to every member (segment registered=true): the
     audience counted, its first chunk of rows (bot/broadcasts/chunks.py) + drain jobs. Its peak RSS is
     getrusage's ru_maxrss (exact), and it is sampled from outside;
  4. drain: one broadcast worker (`python -m bot.cli broadcast worker`) sends to the Twilio stand-in
     (standin/) for --drain-seconds, making chunks as it goes; its RSS is sampled every 0.5 s;
  5. rest: a process (`--child-complete`) makes the chunks the worker did not reach, as drainers would,
     without sending; then every contact must have exactly one row (N rows, N distinct contacts).
PostgreSQL backends, Redis and the stand-in are sampled all along (psutil). A PostgreSQL backend's RSS
counts the shared buffers it touched (128 MB by default), not memory of its own.

Goals: enqueue <= 15 s for 1,000,000 (scaled: 15 s x N / 1,000,000, at least 2 s) and <= 300 MB RSS
for every process of ours (enqueuer, worker, PostgreSQL backend, Redis; the stand-in is a test double
and is reported, not judged). Progress on stderr; the last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import ROOT, Stack, log  # noqa: E402

ORG = "nairobi-vendors"
ACCOUNT = "AC" + "c" * 32
TOKEN = "bench-standin-token-0123456789"
TEXTS = {"en": "Gikomba market is closed on Monday for cleaning.",
         "sw": "Soko la Gikomba limefungwa Jumatatu kwa usafi."}
MB = 1024 * 1024
WORKER_LOG = "/tmp/streetline-bench-million-worker.log"


def dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed(url: str, n: int) -> float:
    import psycopg

    t0 = time.monotonic()
    with psycopg.connect(dsn(url)) as conn:
        conn.execute(
            "INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at,"
            " last_inbound_sms_at, last_inbound_whatsapp_at, whatsapp_id)"
            " SELECT %s, '+2547' || lpad(g::text, 8, '0'),"
            " (ARRAY['sw', 'en', NULL])[g %% 3 + 1], false, now(), now(), now() - interval '3 days',"
            " CASE WHEN g %% 20 = 0 THEN now() - interval '2 days' END,"
            " CASE WHEN g %% 20 = 0 THEN '2547' || lpad(g::text, 8, '0') END"
            " FROM generate_series(1, %s) g", (ORG, n))
        conn.execute(
            "INSERT INTO members (organization, contact_id, seq, number, name, trade, city, place_id, language,"
            " consent_version, consented_at, created_at, updated_at)"
            " SELECT organization, id, id, 'M-' || id, 'Bench Vendor', 'vendor', 'Nairobi', 'nbo.gikomba', 'sw',"
            " 'v1', now(), now(), now() FROM contacts WHERE organization = %s", (ORG,))
        conn.execute("ANALYZE")
        conn.execute("SELECT count(*) FROM contacts JOIN members ON members.contact_id = contacts.id")  # warm
    return time.monotonic() - t0


def floor(url: str) -> tuple[float, int]:
    """The same rows with nothing but the INSERT ... SELECT: no audience rules."""
    import psycopg

    with psycopg.connect(dsn(url)) as conn:
        bid = conn.execute(
            "INSERT INTO broadcasts (organization, name, segment, texts, state, rate, rate_unit, created_by,"
            " created_at, updated_at) VALUES (%s, 'floor', '{}', %s, 'cancelled', 1, 'messages', 'bench', now(),"
            " now()) RETURNING id", (ORG, json.dumps(TEXTS))).fetchone()[0]
        conn.commit()
        t0 = time.monotonic()
        count = conn.execute(
            "INSERT INTO broadcast_recipients (broadcast_id, contact_id, channel, language, to_address, mode,"
            " state, attempts, status_rank, updated_at) SELECT %s, id, 'sms', coalesce(language, 'en'), phone,"
            " 'text', 'queued', 0, 0, now() FROM contacts WHERE organization = %s", (bid, ORG)).rowcount
        conn.commit()
        seconds = time.monotonic() - t0
        conn.execute("TRUNCATE broadcast_recipients")
        conn.commit()
    return seconds, count


def child_send() -> int:
    """Run in its own process: build services, create the broadcast, time send_broadcast."""
    from rq import Queue

    from bot import broadcasts
    from bot.broadcasts.config import config_for
    from bot.services import build_services

    services = build_services(nlu=False)
    bid = broadcasts.create_broadcast(services, ORG, {"registered": True}, TEXTS, created_by="bench",
                                      name="million", rate=float(os.environ["BENCH_RATE"]), rate_unit="messages")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.monotonic()
    sent = broadcasts.send_broadcast(services, bid)
    seconds = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    jobs = Queue(config_for(services).queue, connection=services.redis).count
    print(json.dumps({"broadcast": bid, "recipients": sent["recipients"], "seconds": seconds, "jobs": jobs,
                      "rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1)}))
    services.close()
    return 0


def child_complete(bid: int) -> int:
    """Run in its own process after the drain: make every chunk the worker did not reach (as drainers
    would, without sending), to check the whole audience gets exactly one row and time the rest."""
    from bot.broadcasts import chunks
    from bot.broadcasts.job import load_broadcast
    from bot.services import build_services

    services = build_services(nlu=False)
    b = load_broadcast(services, bid)
    t0 = time.monotonic()
    made, calls = 0, 0
    while (n := chunks.make_next(services, b)) is not None:
        made, calls = made + n, calls + 1
    print(json.dumps({"made": made, "chunks": calls, "seconds": time.monotonic() - t0}))
    services.close()
    return 0


class Sampler(threading.Thread):
    """Peak RSS per named group of processes, every `period` seconds; an optional time series."""

    def __init__(self, period: float = 0.25):
        super().__init__(daemon=True)
        self.period = period
        self.groups: dict[str, callable] = {}
        self.peak: dict[str, float] = {}
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.stop_event = threading.Event()
        self.t0 = time.monotonic()

    def watch(self, name: str, pids, series: bool = False) -> None:
        self.groups[name] = pids
        if series:
            self.series[name] = []

    def run(self) -> None:
        import psutil

        t0 = self.t0 = time.monotonic()
        while not self.stop_event.wait(self.period):
            for name, pids in list(self.groups.items()):
                worst = 0.0
                for pid in pids():
                    try:
                        worst = max(worst, psutil.Process(pid).memory_info().rss / MB)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
                if worst:
                    self.peak[name] = max(self.peak.get(name, 0.0), worst)
                    if name in self.series:
                        self.series[name].append((time.monotonic() - t0, worst))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(5)


def postgres_backends(stack: Stack):
    from _common import children

    def pids():
        root = stack.postgres_pid()
        return children(root) if root else []
    return pids


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def drain(stack: Stack, env: dict, bid: int, seconds: float, sampler: Sampler) -> dict:
    """One broadcast worker against the stand-in for `seconds`: recipients sent and its RSS over time."""
    from localservers import wait_for_port

    port = int(env["TWILIO_API_BASE_URL"].rsplit(":", 1)[1])
    standin = subprocess.Popen(
        [sys.executable, "-m", "standin.twilio_api", "--port", str(port), "--account-sid", ACCOUNT,
         "--auth-token", TOKEN, "--max-records", "20000", "--no-spec-check"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    worker = None
    try:
        wait_for_port(port, 30)
        sampler.watch("standin", lambda: [standin.pid])
        log_file = open(WORKER_LOG, "wb")
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "broadcast", "worker"], cwd=ROOT, env=env,
                                  stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        sampler.watch("worker", lambda: [worker.pid], series=True)
        count = (f"SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = {bid} AND state = 'sent'")
        started = time.monotonic()
        shown = started
        while not stack.scalar(count):  # imports and connections take a while on a busy machine
            if worker.poll() is not None or time.monotonic() - started > 150:
                raise RuntimeError(f"the broadcast worker sent nothing; see {WORKER_LOG}")
            if time.monotonic() - shown > 10:  # what is it waiting for?
                shown = time.monotonic()
                for row in stack.rows("SELECT pid, state, wait_event_type, wait_event, now() - query_start,"
                                      " left(query, 160) FROM pg_stat_activity WHERE state <> 'idle'"
                                      " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"):
                    log(f"  waiting for the first send: {row}")
            time.sleep(0.2)
        t0, first = time.monotonic(), stack.scalar(count)
        time.sleep(seconds)
        sent = stack.scalar(count) - first
        wall = time.monotonic() - t0
    finally:
        stop(worker)
        stop(standin)
    series = [rss for at, rss in sampler.series.get("worker", []) if at >= t0 - sampler.t0]
    # flat: the last fifth of the samples (after the first send) against the first fifth
    fifth = max(1, len(series) // 5)
    early, late = series[:fifth], series[-fifth:]
    return {"seconds": round(wall, 1), "sent": sent, "mps": round(sent / wall, 1),
            "worker_rss_early_mb": round(max(early), 1) if early else None,
            "worker_rss_late_mb": round(max(late), 1) if late else None,
            "worker_rss_peak_mb": round(max(series), 1) if series else None}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="audience size (default 100,000)")
    parser.add_argument("--drain-seconds", type=float, default=15.0, help="how long one worker drains (15)")
    parser.add_argument("--rate", type=float, default=300.0, help="the broadcast's rate, messages/s (300)")
    parser.add_argument("--child-send", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-complete", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_send:
        return child_send()
    if args.child_complete:
        return child_complete(args.child_complete)

    from localservers import free_port

    n = args.contacts
    goal_s = max(2.0, 15.0 * n / 1_000_000)
    sampler = Sampler()
    with Stack() as stack:
        seed_s = seed(stack.database_url, n)
        log(f"seeded {n} contacts + members in {seed_s:.1f}s")
        sampler.watch("postgres_backend", postgres_backends(stack))
        sampler.watch("redis", lambda: [p for p in [stack.redis_pid()] if p])
        sampler.start()
        floor_s, floor_rows = floor(stack.database_url)
        log(f"floor: bare INSERT ... SELECT of {floor_rows} rows in {floor_s:.2f}s")

        env = dict(os.environ, DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url,
                   TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN,
                   TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}", BROADCAST_STATUS_CALLBACKS="0",
                   BROADCAST_RATE=str(args.rate), BENCH_RATE=str(args.rate), PYTHONDONTWRITEBYTECODE="1",
                   STREETLINE_ENV="bench")
        for name in ("RASA_URL", "STATUS_CALLBACK_URL"):
            env.pop(name, None)
        child = subprocess.Popen([sys.executable, __file__, "--child-send"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, text=True)
        sampler.watch("enqueuer", lambda: [child.pid] if child.poll() is None else [])
        out, _ = child.communicate()
        if child.returncode != 0:
            log(f"the enqueuing process failed with exit {child.returncode}")
            return 1
        sent = json.loads(out.strip().splitlines()[-1])
        made_at_send = stack.scalar("SELECT count(*) FROM broadcast_recipients"
                                    f" WHERE broadcast_id = {sent['broadcast']}")
        log(f"enqueue: {sent['recipients']} recipients counted, the first {made_at_send} rows made, "
            f"+ {sent['jobs']} drain jobs in "
            f"{sent['seconds']:.2f}s (floor {floor_s:.2f}s, ratio {sent['seconds'] / floor_s:.2f}); "
            f"enqueuer RSS {sent['rss_before_mb']} MB before, {sent['rss_peak_mb']} MB peak")

        drained = drain(stack, env, sent["broadcast"], args.drain_seconds, sampler)
        log(f"drain: one worker sent {drained['sent']} in {drained['seconds']}s ({drained['mps']} msg/s); RSS "
            f"{drained['worker_rss_early_mb']} MB early, {drained['worker_rss_late_mb']} MB late, "
            f"peak {drained['worker_rss_peak_mb']} MB")
        # The chunks the worker did not reach, made as drainers make them (without sending): every member
        # of the audience gets exactly one row.
        rest = subprocess.run([sys.executable, __file__, "--child-complete", str(sent["broadcast"])], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, text=True, check=True)
        completed = json.loads(rest.stdout.strip().splitlines()[-1])
        rows, distinct = stack.rows("SELECT count(*), count(DISTINCT contact_id) FROM broadcast_recipients"
                                    f" WHERE broadcast_id = {sent['broadcast']}")[0]
        log(f"rest: {completed['made']} rows in {completed['chunks']} chunks in {completed['seconds']:.1f}s after "
            f"the drain; {rows} rows for {distinct} contacts in all")
        sampler.stop()

    peak = {name: round(v, 1) for name, v in sampler.peak.items()}
    peak["enqueuer"] = max(peak.get("enqueuer", 0.0), sent["rss_peak_mb"])  # ru_maxrss misses nothing
    judged = {k: v for k, v in peak.items() if k != "standin"}
    summary = {
        "contacts": n, "recipients_counted": sent["recipients"], "rows_made_at_send": made_at_send,
        "recipient_rows": rows, "distinct_contacts": distinct, "rest_chunks": completed["chunks"],
        "rest_s": round(completed["seconds"], 1),
        "drain_jobs": sent["jobs"], "enqueue_s": round(sent["seconds"], 2), "floor_s": round(floor_s, 2),
        "enqueue_ratio_to_floor": round(sent["seconds"] / floor_s, 2), "enqueue_goal_s": round(goal_s, 1),
        "rss_peak_mb": peak, "enqueuer_rss_before_mb": sent["rss_before_mb"], "drain": drained,
        "seed_s": round(seed_s, 1),
        "enqueue_goal_met": sent["seconds"] <= goal_s, "memory_goal_met": max(judged.values()) <= 300,
    }
    summary["goals_met"] = (summary["enqueue_goal_met"] and summary["memory_goal_met"] and rows == distinct == n
                            and sent["recipients"] == n and sent["jobs"] <= 16)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
