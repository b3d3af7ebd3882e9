"""Evidence packs (issue 14): time to render the PDF brief of N reports through the real page.

    .venv/bin/python bench/evidence.py                   # 50,000 reports over a year (the issue's figure)
    .venv/bin/python bench/evidence.py --reports 5000

Starts its own throwaway PostgreSQL and Redis (bench/_common.Stack), puts N reports over the last 365 days
(one INSERT ... SELECT: categories, places, statuses spread), three authorities with a third of the reports
raised with them, a third agreeing to be quoted, then signs in as an organizer and times
GET /evidence.pdf?from=<a year ago> (the data page's figures, open-case age, scorecards, the map of places,
quotes, pygal charts, WeasyPrint), median of three, and the same brief
of an empty filter (the floor: template, charts and PDF only). Goal: every run < 60 s.
The last line on stdout is one JSON object of figures.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import Stack, log  # noqa: E402

ORG = "nairobi-vendors"
PASSWORD = "bench password 0123"


def fill(stack: Stack, n: int) -> None:
    import psycopg

    sql = f"""
    INSERT INTO reports (organization, reference, anonymous, quote_consent, channel, language, category, description,
                         place_id, status, created_at, updated_at)
    SELECT '{ORG}', 'R-' || i, false, i % 3 = 0, 'sms', 'en',
           (ARRAY['eviction','confiscation','harassment','bribe','closure','fire_flood','waste','unpaid','injury','other'])[1 + i % 10],
           'bench report ' || i || ' taken at the market gate',
           (ARRAY['nbo.gikomba','nbo.toi','nbo.githurai','nbo.muthurwa',NULL])[1 + (i / 7) % 5],
           (ARRAY['new','verified','in_progress','resolved','rejected'])[1 + (i / 3) % 5],
           now() - (i % 365) * interval '1 day' - (i % 24) * interval '1 hour', now()
    FROM generate_series(1, {n}) AS i;
    INSERT INTO authorities (organization, name, kind, categories, places, deadlines, default_days, active,
                             created_at, updated_at)
    SELECT '{ORG}', 'Authority ' || a, 'city_department', '[]', '[]', '{{}}', 14, true, now(), now()
    FROM generate_series(1, 3) AS a;
    INSERT INTO escalations (organization, authority_id, report_id, method, raised_by, raised_at, due_at, state,
                             first_response_at, overdue, reopened, created_at, updated_at)
    SELECT '{ORG}', (SELECT min(id) FROM authorities) + r.id % 3, r.id, 'letter', 'bench', r.created_at,
           r.created_at + interval '14 days', CASE WHEN r.status = 'resolved' THEN 'resolved' ELSE 'open' END,
           CASE WHEN r.id % 2 = 0 THEN r.created_at + (r.id % 20) * interval '1 day' END,
           r.created_at + interval '14 days' < now(), false, now(), now()
    FROM reports r WHERE r.id % 3 = 0;
    """
    with psycopg.connect(stack.database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--save", help="write the last PDF here (artifacts/: pdftoppm makes the picture of page 1)")
    args = parser.parse_args()
    with Stack() as stack:
        os.environ.update(DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url,
                          SPOOL_DIR=str(stack.tmp / "spool"), OUTBOX_PATH=str(stack.tmp / "outbox.jsonl"),
                          RASA_URL="http://127.0.0.1:9", SECRET_KEY="bench-secret-key-0123456789")
        from bot.desk.accounts import create_user
        from bot.models import utcnow
        from bot.services import build_services
        from bot.settings import Settings
        from webhooks import create_app

        t0 = time.monotonic()
        fill(stack, args.reports)
        log(f"{args.reports} reports and their escalations in {time.monotonic() - t0:.1f}s")
        services = build_services(Settings.from_env())
        create_user(services, ORG, "bench@nairobi.example.org", "Bench", PASSWORD, "organizer")
        client = create_app(services=services).test_client()
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        assert client.post("/login", data={"email": "bench@nairobi.example.org", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        since = (utcnow() - timedelta(days=365)).date().isoformat()
        times, size = [], 0
        for run in range(args.runs):
            t0 = time.monotonic()
            response = client.get(f"/evidence.pdf?from={since}")
            times.append(time.monotonic() - t0)
            assert response.status_code == 200 and response.data.startswith(b"%PDF-"), response.status_code
            size = len(response.data)
            if args.save:
                with open(args.save, "wb") as f:
                    f.write(response.data)
            log(f"run {run + 1}: {times[-1]:.2f}s, {size} bytes")
        # the floor: the same brief with no report in the filter (a day before any), same warm process
        empty = []
        for _ in range(args.runs):
            t0 = time.monotonic()
            assert client.get("/evidence.pdf?from=2001-01-01&to=2001-01-02").status_code == 200
            empty.append(time.monotonic() - t0)
        services.close()
    median, floor = statistics.median(times), statistics.median(empty)
    print(json.dumps({"bench": "evidence", "reports": args.reports, "pdf_seconds_median": round(median, 2),
                      "pdf_seconds_max": round(max(times), 2), "pdf_bytes": size, "empty_pdf_seconds": round(floor, 2),
                      "ratio_to_empty": round(median / floor, 2), "goal_seconds": 60, "goal_met": max(times) < 60}))


if __name__ == "__main__":
    main()
