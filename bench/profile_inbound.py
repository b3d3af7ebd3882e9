"""Where the CPU of one inbound menu message goes, in-process: the same signed hi / 1 / menu webhooks as
bench/inbound.py, posted through Flask's test client to the real app on a throwaway PostgreSQL and Redis.

    .venv/bin/python bench/profile_inbound.py                    # 1,500 messages, cProfile top 30
    .venv/bin/python bench/profile_inbound.py -n 3000 --no-profile --numbers 500

Prints per message: CPU ms (process time, no profiler), SQL statements (a SQLAlchemy
before_cursor_execute listener, and a count of bot/db.HotStatement runs marked "(driver)", grouped
by their first words), Redis commands (INFO commandstats
before and after); then the cProfile listing sorted by cumulative and by own time. One thread, so it
shows code cost, not contention. The last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import io
import json
import os
import pstats
import re
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import AUTH_TOKEN, PUBLIC_BASE_URL, Stack, app_env, log, sign  # noqa: E402
from inbound import PATH, Messages  # noqa: E402

# bench/nlu.py would shadow the nlu package the app imports.
BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != BENCH]


def redis_calls(client) -> dict:
    return {k.removeprefix("cmdstat_"): v["calls"] for k, v in client.info("commandstats").items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=1500)
    parser.add_argument("--numbers", type=int, default=5000, help="distinct senders (bench/inbound.py: 5000)")
    parser.add_argument("--warmup", type=int, default=150)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", help="write the cProfile stats here (pstats / snakeviz)")
    args = parser.parse_args()

    with Stack() as stack:
        os.environ.update(app_env(stack))
        from sqlalchemy import event

        from webhooks import create_app

        app = create_app()
        services = app.extensions["streetline"]
        client = app.test_client()
        messages = Messages(pool=args.numbers)
        forms = [messages.form(i) for i in range(args.warmup + args.messages)]
        posts = [(urlencode(f), sign(PUBLIC_BASE_URL + PATH, f, AUTH_TOKEN)) for f in forms]

        def send(body: str, signature: str) -> None:
            response = client.post(PATH, data=body, headers={"X-Twilio-Signature": signature},
                                   content_type="application/x-www-form-urlencoded")
            assert response.status_code == 200 and b"<Message>" in response.data, response.data

        for body, signature in posts[:args.warmup]:
            send(body, signature)
        timed = posts[args.warmup:]

        statements: collections.Counter = collections.Counter()

        def count(conn, cursor, statement, parameters, context, executemany):
            statements[" ".join(re.sub(r"\s+", " ", statement).split(" ")[:4])] += 1

        event.listen(services.engine, "before_cursor_execute", count)
        # Statements run straight on the driver (bot/db.HotStatement) pass no SQLAlchemy event: counted here.
        from bot.db import HotStatement

        hot_run = HotStatement.run

        def counted(self, engine, params, **kw):
            sql = self._for(engine.dialect)[0]
            statements["(driver) " + " ".join(re.sub(r"\s+", " ", sql).split(" ")[:4])] += 1
            return hot_run(self, engine, params, **kw)

        HotStatement.run = counted
        redis_before = redis_calls(services.redis)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for body, signature in timed:
            send(body, signature)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        event.remove(services.engine, "before_cursor_execute", count)
        HotStatement.run = hot_run
        redis_after = redis_calls(services.redis)
        n = len(timed)
        redis_per = {k: round((v - redis_before.get(k, 0)) / n, 2) for k, v in redis_after.items()
                     if v - redis_before.get(k, 0) > 0 and k != "info"}
        sql_per = {k: round(v / n, 3) for k, v in statements.most_common()}
        log(f"{n} messages: {cpu / n * 1000:.2f} ms CPU, {wall / n * 1000:.2f} ms wall per message")
        log(f"SQL statements per message: {sum(statements.values()) / n:.3f}")
        for k, v in sql_per.items():
            log(f"  {v:6.3f}  {k}")
        log(f"Redis commands per message: {redis_per}")

        if not args.no_profile:
            profile_posts = [(urlencode(f), sign(PUBLIC_BASE_URL + PATH, f, AUTH_TOKEN))
                             for f in (messages.form(i) for i in range(len(forms), len(forms) + n))]
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the servers
            profiler.enable()
            for body, signature in profile_posts:
                send(body, signature)
            profiler.disable()
            if args.save:
                profiler.dump_stats(args.save)
            for key in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
                log(out.getvalue())
        print(json.dumps({"messages": n, "cpu_ms_per_message": round(cpu / n * 1000, 3),
                          "wall_ms_per_message": round(wall / n * 1000, 3),
                          "sql_per_message": round(sum(statements.values()) / n, 3), "sql": sql_per,
                          "redis_per_message": redis_per, "load_avg": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
