"""The organizers' side at scale: N reports in a real PostgreSQL, then
1. exports: CSV, XLSX and GeoJSON (anonymised, as organizers share them), against a floor measured in
   the same run: the same rows read with one plain SELECT and written with the csv module (what any CSV
   export must at least cost);
2. pages: the inbox, a filtered inbox, the map's points, the data page and its figures, Today, each
   signed in through the Flask app, against the sign-in page (a template with no query) as baseline.

    .venv/bin/python bench/organizer.py            # 50,000 reports, ~1-2 minutes on 2 cores
    .venv/bin/python bench/organizer.py --reports 10000

Per format: wall seconds (best of --rounds), rows/s, ratio to the floor, bytes, and the peak of Python
memory allocated while exporting (tracemalloc, a separate pass: it slows the code it watches). Exports
stream: the peak should stay flat as N grows. Each round times the floor right before the export, and
the ratio is best export / best floor of those rounds: on a machine shared with other work the two see
the same load. CPU seconds of this process (time.process_time: the Python side, PostgreSQL's share
left out) give a second ratio that other load disturbs less. Progress on stderr; the last stdout line is one JSON object.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import Stack, log  # noqa: E402

ORG = "nairobi-vendors"
PLACES = ("nbo.gikomba", "nbo.muthurwa", "nbo.toi", "nbo.githurai", "nbo.marikiti", None)
CATEGORIES = ("eviction", "confiscation", "harassment", "bribe", "closure", "fire_flood", "waste", "unpaid")


def seed(stack: Stack, count: int) -> None:
    import psycopg

    places = "ARRAY[" + ",".join(f"'{p}'" if p else "NULL" for p in PLACES) + "]::text[]"
    categories = "ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "]"
    dsn = stack.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute(f"""
            INSERT INTO reports (organization, reference, anonymous, channel, language, category, description,
                                 place_id, place_text, status, occurred_on, created_at, updated_at)
            SELECT '{ORG}', 'R-' || lpad(n::text, 6, '0'), n % 3 = 0, CASE WHEN n % 4 = 0 THEN 'whatsapp' ELSE 'sms' END,
                   'sw', ({categories})[1 + n % {len(CATEGORIES)}], 'askari walichukua mzigo wangu ' || n,
                   ({places})[1 + n % {len(PLACES)}], 'soko ' || n, 'new', current_date - (n % 90),
                   now() - make_interval(hours => n % 2000), now()
            FROM generate_series(1, {count}) AS n""")
    log(f"seeded {count:,} reports")


def floor(services, count: int) -> tuple[float, int, float]:
    """The same anonymised columns, one SELECT, the csv module: the least a CSV export costs."""
    from sqlalchemy import text

    t0, c0 = time.perf_counter(), time.process_time()
    out = io.StringIO()
    writer = csv.writer(out)
    with services.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=2000).execute(text(
            "SELECT reference, (created_at AT TIME ZONE 'Africa/Nairobi')::date, occurred_on, category, status, "
            "place_id FROM reports "
            "WHERE organization = :org ORDER BY created_at, id"), {"org": ORG})
        for row in result:
            writer.writerow(row)
    size = len(out.getvalue().encode())
    return time.perf_counter() - t0, size, time.process_time() - c0


def export(services, fmt: str) -> tuple[float, int, int, float]:
    from bot.desk.exports import export_reports
    from bot.desk.filters import ReportFilters

    t0, c0 = time.perf_counter(), time.process_time()
    made = export_reports(services, ORG, fmt, ReportFilters(), anonymised=True, via="bench")
    size = sum(len(chunk) for chunk in made.chunks)
    return time.perf_counter() - t0, size, made.rows, time.process_time() - c0


PAGES = ("/reports", "/reports?category=confiscation&market=nbo.gikomba", "/reports/map.json",
         "/reports/map.json?category=eviction", "/data", "/data/figures.json", "/")


def pages(services, rounds: int) -> dict:
    """Wall ms per page (best of `rounds`), signed in as an organizer, and the ratio to /login."""
    import re

    from bot.desk.accounts import create_user
    from webhooks import create_app

    password = "bench-password-123"
    create_user(services, ORG, "bench@example.org", "Bench", password)
    client = create_app(services=services).test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"email": "bench@example.org", "password": password,
                                       "csrf_token": token}).status_code == 302

    def best(path: str) -> tuple[float, int]:
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, (path, response.status_code)
        return min(times) * 1000, len(response.data)

    anonymous = create_app(services=services).test_client()
    t_login = min(_timed(lambda: anonymous.get("/login")) for _ in range(rounds)) * 1000
    out = {"login_ms": round(t_login, 2)}
    for path in PAGES:
        ms, size = best(path)
        out[path] = {"ms": round(ms, 1), "x_login": round(ms / t_login, 1), "bytes": size}
        log(f"{path:55} {ms:8.1f} ms  x{ms / t_login:6.1f} of /login  {size:,} bytes")
    return out


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--formats", nargs="+", default=["csv", "geojson", "xlsx"], choices=["csv", "geojson", "xlsx"])
    parser.add_argument("--no-pages", dest="pages", action="store_false", help="exports only")
    args = parser.parse_args()

    from bot.services import build_services
    from bot.settings import Settings

    with Stack() as stack:
        seed(stack, args.reports)
        services = build_services(Settings(env="test", database_url=stack.database_url, redis_url=stack.redis_url))
        try:
            summary = {"reports": args.reports}
            for fmt in args.formats:
                floors, exports = [], []
                for _ in range(args.rounds):  # floor and export back to back: the same load on both
                    floors.append(floor(services, args.reports))
                    exports.append(export(services, fmt))
                floor_s, floor_cpu = min(f[0] for f in floors), min(f[2] for f in floors)
                seconds, cpu = min(e[0] for e in exports), min(e[3] for e in exports)
                size, rows = exports[0][1], exports[0][2]
                tracemalloc.start()
                export(services, fmt)
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                summary[fmt] = {"s": round(seconds, 3), "rows": rows, "rows_per_s": round(rows / seconds),
                                "floor_s": round(floor_s, 3), "ratio_to_floor": round(seconds / floor_s, 2),
                                "cpu_s": round(cpu, 3), "floor_cpu_s": round(floor_cpu, 3),
                                "cpu_ratio_to_floor": round(cpu / floor_cpu, 2), "bytes": size,
                                "peak_mib": round(peak / 2**20, 1)}
                log(f"{fmt:8} {seconds:6.2f}s  {rows / seconds:9,.0f} rows/s  x{seconds / floor_s:.1f} of the floor "
                    f"({floor_s:.2f}s)  CPU x{cpu / floor_cpu:.1f} ({cpu:.2f}s / {floor_cpu:.2f}s)  {size:,} bytes  "
                    f"peak {peak / 2**20:.1f} MiB")
            if args.pages:
                summary["pages"] = pages(services, max(3, args.rounds))
        finally:
            services.close()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
