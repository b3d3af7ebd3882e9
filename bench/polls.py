"""Member polls (issue 15): enqueue time, answers ingested per second against menu traffic, results time.

    .venv/bin/python bench/polls.py                      # 5,000 members, 1,000 answers per phase (~1 min)
    .venv/bin/python bench/polls.py --members 100000 --answers 5000    # the issue's figures

Starts its own throwaway PostgreSQL and Redis (bench/_common.Stack), then, in this process, with the
services the app builds:
1. members: N contacts with a member row each (one INSERT ... SELECT from generate_series), a third of
   them on WhatsApp inside the 24 h window;
2. enqueue: create a two-question poll and send it (the audience counted, the first chunk of recipient
   rows and the RQ drain jobs; nobody drains them here: the other chunks are made as drainers make them,
   then every row is marked sent, as a worker would);
3. ingest: alternating phases of the same size through bot.line.engine.receive (store, answer, record),
   menu traffic ("hi", "1", "menu") from contacts outside the poll, then poll answers (digits, words,
   typos) from members, each answering both questions. Goal: answers/s >= 0.8 x menu messages/s in the same run;
4. results: the poll's answers topped up to N with one INSERT ... SELECT, then bot.broadcasts.polls.results
   (every breakdown) timed, median of five. Goal: <= 200 ms at 100,000 answers.
The last line on stdout is one JSON object of figures.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid

# The repository root, not bench/ (bench/nlu.py would hide the nlu package this process imports).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import Stack, log  # noqa: E402

NAIROBI = "+254709990001"
ANSWERS = ("1", "2", "yes", "ndiyo", "hapana", "yse", "nope", "2", "1", "sawa")
MENU = ("hi", "1", "menu")
POLL = {"name": "bench", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True},
                      {"texts": {"en": "Best time?", "sw": "Saa gani?"},
                       "options": [{"value": "am", "labels": {"en": "Morning", "sw": "Asubuhi"}},
                                   {"value": "pm", "labels": {"en": "Evening", "sw": "Jioni"}}]}]}


def services_for(stack: Stack):
    from bot.orgs import sync_organizations
    from bot.services import build_services
    from bot.settings import Settings

    os.environ.update(DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url,
                      SPOOL_DIR=str(stack.tmp / "spool"), OUTBOX_PATH=str(stack.tmp / "outbox.jsonl"),
                      RASA_URL="http://127.0.0.1:9")  # no NLU server: menu words never need it
    services = build_services(Settings.from_env())
    sync_organizations(services)
    return services


def make_members(stack: Stack, n: int, others: int) -> None:
    sql = f"""
    INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at,
                          last_inbound_sms_at, last_inbound_whatsapp_at)
    SELECT 'nairobi-vendors', '+25472' || lpad(i::text, 7, '0'), CASE WHEN i % 2 = 0 THEN 'en' ELSE 'sw' END,
           false, now(), now(), now() - interval '3 days',
           CASE WHEN i % 3 = 0 THEN now() - interval '1 hour' END
    FROM generate_series(1, {n + others}) AS i;
    INSERT INTO members (organization, contact_id, seq, number, name, trade, city, place_id, language,
                         consent_version, consented_at, created_at, updated_at)
    SELECT 'nairobi-vendors', id, id, 'B-' || id, 'Bench', 'vendor', 'Nairobi',
           (ARRAY['nbo.gikomba', 'nbo.toi', 'nbo.muthurwa'])[1 + id % 3], language, 'v1', now(), now(), now()
    FROM contacts WHERE organization = 'nairobi-vendors' AND phone <= '+25472' || lpad('{n}', 7, '0');
    """
    import psycopg

    with psycopg.connect(stack.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(sql)


def inbound(number: int, body: str):
    from bot.messages import Inbound

    phone = f"+25472{number:07d}"
    whatsapp = number % 3 == 0
    return Inbound(sid="SM" + uuid.uuid4().hex, channel="whatsapp" if whatsapp else "sms",
                   from_address=f"whatsapp:{phone}" if whatsapp else phone,
                   to_address=f"whatsapp:{NAIROBI}" if whatsapp else NAIROBI, phone=phone, to_number=NAIROBI,
                   body=body)


def phase(services, messages) -> float:
    from bot.line.engine import receive

    t0 = time.perf_counter()
    for m in messages:
        outcome = receive(m, services)
        assert outcome.replies, m.body
    return len(messages) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--answers", type=int, default=1000, help="messages per ingest phase (two of each kind)")
    args = ap.parse_args()
    n, per = args.members, args.answers
    with Stack() as stack:
        services = services_for(stack)
        from bot.broadcasts import polls

        t0 = time.perf_counter()
        make_members(stack, n, others=2 * per)
        log(f"{n} members in {time.perf_counter() - t0:.1f}s")
        pid = polls.create_poll(services, "nairobi-vendors", POLL)
        t0 = time.perf_counter()
        sent = polls.send_poll(services, pid)
        enqueue_s = time.perf_counter() - t0
        from bot.broadcasts import chunks
        from bot.broadcasts.job import load_broadcast

        b = load_broadcast(services, sent["broadcast_id"])
        while chunks.make_next(services, b) is not None:  # what the drainers would make while sending
            pass
        stack.rows(f"UPDATE broadcast_recipients SET state = 'sent', sent_at = now() - interval '1 minute' "
                   f"WHERE broadcast_id = {sent['broadcast_id']} AND state = 'queued' RETURNING 1")
        log(f"sent to {sent['recipients']} recipients: enqueued in {enqueue_s * 1000:.0f} ms")

        rates = {"menu": [], "answers": []}
        answerer = iter(range(1, n + 1))
        menu_from = iter(range(n + 1, n + 2 * per + 1))
        for round_ in range(2):
            menu = [inbound(next(menu_from), MENU[i % 3]) for i in range(per // 2)]
            # Each member answers both questions, as a poll's traffic goes: per // 4 members, two answers each.
            who = [next(answerer) for _ in range(per // 4)]
            answers = [inbound(m, ANSWERS[(i + k) % len(ANSWERS)]) for k in (0, 1) for i, m in enumerate(who)]
            rates["menu"].append(phase(services, menu))
            rates["answers"].append(phase(services, answers))
            log(f"round {round_ + 1}: menu {rates['menu'][-1]:.0f}/s, answers {rates['answers'][-1]:.0f}/s")
        stored = stack.scalar(f"SELECT count(*) FROM poll_answers WHERE poll_id = {pid}")
        assert stored == 2 * 2 * (per // 4), (stored, per)  # every answer stored once

        stack.rows(f"""INSERT INTO poll_answers (poll_id, version_id, question, contact_id, option, channel, language,
                                                 market, trade, changes, answered_at)
                       SELECT {pid}, v.id, 0, r.contact_id, CASE WHEN r.contact_id % 3 = 0 THEN 'no' ELSE 'yes' END,
                              r.channel, r.language, m.place_id, m.trade, 0, now()
                       FROM broadcast_recipients r JOIN poll_versions v ON v.broadcast_id = r.broadcast_id
                       JOIN members m ON m.contact_id = r.contact_id
                       WHERE r.broadcast_id = {sent['broadcast_id']}
                       ON CONFLICT DO NOTHING RETURNING 1""")
        stack.scalar("SELECT count(*) FROM poll_answers")  # warm; autovacuum analyses in its own time
        timings = []
        for _ in range(5):
            t0 = time.perf_counter()
            result = polls.results(services, pid)
            timings.append(time.perf_counter() - t0)
        answers_total = result["questions"][0]["answers"]
        menu_rate, answer_rate = statistics.mean(rates["menu"]), statistics.mean(rates["answers"])
        figures = {"members": n, "recipients": sent["recipients"], "enqueue_ms": round(enqueue_s * 1000, 1),
                   "menu_per_s": round(menu_rate, 1), "answers_per_s": round(answer_rate, 1),
                   "ratio": round(answer_rate / menu_rate, 3), "ratio_goal": 0.8,
                   "results_answers": answers_total, "results_ms_median": round(statistics.median(timings) * 1000, 1),
                   "results_goal_ms": 200}
        services.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
