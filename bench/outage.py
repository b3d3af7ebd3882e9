"""A database outage under load: 250 signed messages/s for 40 s, PostgreSQL stopped for 10 s of them.

    .venv/bin/python bench/outage.py                  # ~70 s in all
    .venv/bin/python bench/outage.py --rate 250 --duration 40 --down-at 10 --down-for 10

Starts its own PostgreSQL and Redis (localservers, 127.0.0.1 only), gunicorn (gthread 2x4, as
bench/inbound.py) and the Procfile's worker (`python -m bot.cli worker`: the spool drainer). An
open-loop generator sends message i at i/rate seconds whatever the answers do (Twilio does not wait
for us), each request on a free keep-alive connection, with Twilio's 15 s timeout. The same hi / 1
/ menu messages as bench/inbound.py, from 5,000 numbers (each writes twice in 40 s).

Checked afterwards, once the spool is drained: lost = answered-or-not messages missing from the
database, or requests without a 200 and a reply; duplicated = SIDs stored twice or answered twice.
Recovery = seconds from the database being back (pg_ctl start returned) until every later one-second
window of sends has p99 under 250 ms. Progress goes to stderr; stdout ends with one JSON line.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import ROOT, CpuMeter, Gunicorn, Stack, app_env, latency_summary, log, percentile  # noqa: E402
from _load import Conn  # noqa: E402  one keep-alive HTTP/1.1 connection, one request at a time
from inbound import Messages  # noqa: E402

P99_GOAL_MS = 250.0
RECOVERY_GOAL_S = 5.0
TWILIO_TIMEOUT = 15.0


async def open_loop(port: int, requests: list[bytes], rate: float, events: list, t0_box: list) -> list[dict]:
    """Send request i at t0 + i/rate; returns one record per request: sent (s from t0), latency, ok."""
    loop = asyncio.get_running_loop()
    idle: list[Conn] = []
    records: list[dict] = [None] * len(requests)  # type: ignore[list-item]
    t0 = time.perf_counter()
    t0_box.append(t0)

    async def one(i: int, data: bytes) -> None:
        sent = time.perf_counter()
        conn = idle.pop() if idle else None
        ok, reply = False, 0
        async def exchange():
            nonlocal conn
            if conn is None or conn.closed:
                _, conn = await loop.create_connection(Conn, "127.0.0.1", port)
            return await conn.request(data)

        try:
            response = await asyncio.wait_for(exchange(), TWILIO_TIMEOUT)  # connecting included
            head_end = response.find(b"\r\n\r\n")
            ok = response[9:12] == b"200"
            reply = response[head_end:].count(b"<Message>")
            if b"connection: close" in response[:head_end].lower():
                conn.transport.close()
            else:
                idle.append(conn)
        except (OSError, ConnectionError, asyncio.TimeoutError):
            if conn is not None and conn.transport is not None:
                conn.transport.close()
        records[i] = {"at": sent - t0, "latency": time.perf_counter() - sent, "ok": ok, "reply": reply}

    tasks = []
    for i, data in enumerate(requests):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        while events and events[0][0] <= time.perf_counter() - t0:
            _, action = events.pop(0)
            threading.Thread(target=action, daemon=True).start()  # pg_ctl blocks: not on the loop
        tasks.append(asyncio.ensure_future(one(i, data)))
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.transport.close()
    return records


def windows(records: list[dict], width: float = 1.0) -> list[dict]:
    by: dict[int, list[float]] = {}
    for r in records:
        by.setdefault(int(r["at"] // width), []).append(r["latency"])
    return [{"t": k * width, "n": len(v), "p50_ms": round(percentile(sorted(v), 50) * 1000, 1),
             "p99_ms": round(percentile(sorted(v), 99) * 1000, 1)} for k, v in sorted(by.items())]


def recovery_seconds(wins: list[dict], back_at: float) -> float | None:
    """From `back_at` until the first window after which every window's p99 is under the goal."""
    after = [w for w in wins if w["t"] + 1.0 > back_at]
    for i, w in enumerate(after):
        if all(x["p99_ms"] < P99_GOAL_MS for x in after[i:]):
            return round(max(0.0, w["t"] - back_at), 2)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=250.0)
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--down-at", type=float, default=10.0)
    parser.add_argument("--down-for", type=float, default=10.0)
    parser.add_argument("--numbers", type=int, default=5000)
    parser.add_argument("--keep-logs", default=None, help="copy the gunicorn and worker logs into this folder")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with Stack() as stack:
        env = app_env(stack)
        worker_log = open(stack.tmp / "worker.log", "wb")
        worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], cwd=ROOT, env=env,
                                  stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            with Gunicorn(env, workers=2, worker_class="gthread", threads=4, extra_args=["--preload"],
                          log_path=stack.tmp / "gunicorn.log") as server:
                messages = Messages(pool=args.numbers)
                warm = messages.build(200, f"127.0.0.1:{server.port}")
                asyncio.run(open_loop(server.port, warm, 200.0, [], []))
                count = int(args.rate * args.duration)
                requests = messages.build(count, f"127.0.0.1:{server.port}")
                sids = [f"SM{messages.run}{i:020d}" for i in range(200, 200 + count)]
                marks: dict[str, float] = {}
                t0_box: list[float] = []

                def stop_db():
                    marks["stop_called"] = time.perf_counter() - t0_box[0]
                    stack.pg.stop("fast")
                    marks["stopped"] = time.perf_counter() - t0_box[0]

                def start_db():
                    marks["start_called"] = time.perf_counter() - t0_box[0]
                    stack.pg.start()
                    marks["back"] = time.perf_counter() - t0_box[0]

                events = [(args.down_at, stop_db), (args.down_at + args.down_for, start_db)]
                log(f"sending {count} messages at {args.rate}/s; PostgreSQL down at {args.down_at}s "
                    f"for {args.down_for}s")
                meter = CpuMeter({"gunicorn": server.proc.pid, "worker": worker.pid,
                                  "postgres": stack.postgres_pid(), "redis": stack.redis_pid()}).start()
                records = asyncio.run(open_loop(server.port, requests, args.rate, events, t0_box))
                cpu = meter.stop()
                while "back" not in marks:
                    time.sleep(0.1)
                spool_dir = stack.tmp / "spool"
                t_drain = time.monotonic()
                while (spool_dir / ".pending").exists() and time.monotonic() - t_drain < 120:
                    time.sleep(0.2)
                drained_after = round(time.monotonic() - t_drain, 1)
                problems = [line for line in server.log_tail(400).splitlines()
                            if "Traceback" in line or "WORKER TIMEOUT" in line]
        finally:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
            worker_log.close()

        if args.keep_logs:
            import shutil

            os.makedirs(args.keep_logs, exist_ok=True)
            for name in ("gunicorn.log", "worker.log"):
                shutil.copy(stack.tmp / name, os.path.join(args.keep_logs, name))
        # Requests still queued in gunicorn when the load ended are answered (and stored) for a while
        # after: count once the database has stopped changing.
        total, quiet_since = None, time.monotonic()
        while time.monotonic() - quiet_since < 2.0 and time.monotonic() - t_drain < 180:
            now_total = stack.scalar("SELECT count(*) FROM inbound_messages")
            if now_total != total:
                total, quiet_since = now_total, time.monotonic()
            time.sleep(0.25)
        sid_list = ",".join(f"'{s}'" for s in sids)
        # Reply rows per message against the <Message>s its HTTP answer carried: more rows means a
        # message was answered twice (live and again by a replay).
        db_replies = dict(stack.rows(
            "SELECT i.provider_sid, count(o.id) FROM inbound_messages i LEFT JOIN outbound_messages o "
            f"ON o.in_reply_to_id = i.id AND o.kind = 'reply' WHERE i.provider_sid IN ({sid_list}) "
            "GROUP BY i.provider_sid"))
        stored_sids = {row[0] for row in stack.rows(
            f"SELECT provider_sid FROM inbound_messages WHERE provider_sid IN ({sid_list})")}
        spooled_sids = {row[0] for row in stack.rows(
            f"SELECT provider_sid FROM inbound_messages WHERE spooled AND provider_sid IN ({sid_list})")}
        [(rows, stored)] = stack.rows("SELECT count(*), count(DISTINCT provider_sid) FROM inbound_messages "
                                      f"WHERE provider_sid IN ({sid_list})")
        spooled = stack.scalar(f"SELECT count(*) FROM inbound_messages WHERE spooled AND provider_sid IN ({sid_list})")
        left_in_spool = sum(1 for _ in spool_dir.glob("*/*.json")) if spool_dir.exists() else 0

    unanswered = sum(1 for r in records if not (r["ok"] and r["reply"]))
    # The worst kind: the worker got an answer but the message is not in the database.
    answered_not_stored = sum(1 for sid, r in zip(sids, records) if r["ok"] and r["reply"] and sid not in stored_sids)
    timed_out = sum(1 for r in records if not r["ok"])
    twice = [(sid, r) for sid, r in zip(sids, records) if r["ok"] and db_replies.get(sid, 0) > r["reply"]]
    twice_answered = len(twice)
    lost = (count - stored) + unanswered
    duplicated = (rows - stored) + twice_answered
    wins = windows(records)
    back = marks["back"]
    recovery = recovery_seconds(wins, back)
    outage = [r["latency"] for r in records if marks["stop_called"] <= r["at"] < back]
    after = [r["latency"] for r in records if back <= r["at"] < back + 5]
    later = [r["latency"] for r in records if r["at"] >= back + 5]
    before = [r["latency"] for r in records if r["at"] < marks["stop_called"]]
    summary = {
        "benchmark": "outage",
        "messages": count, "rate": args.rate, "duration_s": args.duration,
        "db_stopped_at_s": round(marks["stopped"], 2), "db_back_at_s": round(back, 2),
        "lost": lost, "duplicated": duplicated, "unanswered": unanswered,
        "answered_not_stored": answered_not_stored, "no_http_answer": timed_out,
        "stored": stored, "stored_via_spool": spooled, "left_in_spool": left_in_spool,
        "spool_drained_s_after_load": drained_after,
        "recovery_s": recovery,
        # Against floors of the same run: every message sent is stored (1.0), and the p99 of the first 5 s
        # after the database returns over the p99 before it stopped (1.0: no trace of the outage left).
        "ratio": round(stored / count, 4) if count else None,
        "p99_ratio_after_to_before": (round(latency_summary(after)["p99_ms"] / latency_summary(before)["p99_ms"], 2)
                                      if after and before and latency_summary(before)["p99_ms"] else None),
        "before": latency_summary(before), "outage": latency_summary(outage),
        "first_5s_after": latency_summary(after), "later": latency_summary(later),
        "worst_window_after_back": max((w for w in wins if w["t"] >= back), key=lambda w: w["p99_ms"], default=None),
        "twice_answered_samples": [{"sid": sid, "at_s": round(r["at"], 2), "twiml_messages": r["reply"],
                                    "reply_rows": db_replies.get(sid), "spooled": sid in spooled_sids}
                                   for sid, r in twice[:5]],
        "gunicorn_tracebacks": len(problems),
        "cpu_pct_of_core": cpu,
        # Busy CPU not ours (other processes on the machine), in % of one core: figures are noisy when high.
        "other_load_pct_of_core": round(max(0.0, cpu["machine_busy_pct"] * cpu["cores"] - sum(
            v for k, v in cpu.items() if k in ("gunicorn", "worker", "postgres", "redis", "generator"))), 1),
        "goal": {"lost": 0, "duplicated": 0, "p99_ms": P99_GOAL_MS, "recovery_s": RECOVERY_GOAL_S},
        "total_seconds": round(time.monotonic() - started, 1),
    }
    summary["goal_met"] = (lost == 0 and duplicated == 0 and recovery is not None
                           and recovery <= RECOVERY_GOAL_S)
    log("per second (t: n p50/p99 ms): " + "  ".join(f"{w['t']:.0f}:{w['n']} {w['p50_ms']}/{w['p99_ms']}"
                                                     for w in wins))
    print(f"messages {count} at {args.rate}/s; PostgreSQL stopped {marks['stopped']:.1f}s, back {back:.1f}s")
    print(f"lost {lost} (unanswered {unanswered}, of which {timed_out} without an HTTP answer in 15 s; answered but "
          f"not stored {answered_not_stored}), duplicated {duplicated}; stored {stored}, "
          f"{spooled} through the spool, drained {drained_after}s after the load ended")
    print(f"p99 before {summary['before']['p99_ms']} ms, during {summary['outage']['p99_ms']} ms, "
          f"first 5 s after {summary['first_5s_after']['p99_ms']} ms, later {summary['later']['p99_ms']} ms; "
          f"p99 under {P99_GOAL_MS:.0f} ms again {recovery} s after the database returned")
    print(f"CPU % of a core: {cpu}; other processes used {summary['other_load_pct_of_core']} % of a core")
    print(json.dumps(summary, separators=(",", ":")))
    return 0 if summary["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
