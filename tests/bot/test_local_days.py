"""Days are the organization's local days (`timezone:` in content/orgs/<slug>/org.yaml): a report the
line receives at 23:30 UTC is a Nairobi report of the next day (UTC+3) in the inbox, the charts and
the exports alike, on PostgreSQL and on make run's SQLite; one received at 01:30 UTC is a Montevideo
report of the day before (UTC-3)."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from alembic import command

from bot.desk import inbox, report_map
from bot.line.answers import dates
from bot.desk.exports import export_reports
from bot.orgs import sync_organizations
from bot.line.reports import create_report
from bot.services import build_services
from bot.desk.filters import ReportFilters
from bot.desk.stats import chart_filters, figures
from tests.conftest import alembic_config

NAIROBI, MONTEVIDEO = "nairobi-vendors", "montevideo-feriantes"
SUNDAY = date(2026, 11, 8)  # its Monday is 2026-11-02; the next day starts the week of 2026-11-09
LATE = datetime(2026, 11, 8, 23, 30, tzinfo=timezone.utc)  # Monday 02:30 in Nairobi
EARLY = datetime(2026, 11, 9, 1, 30, tzinfo=timezone.utc)  # Sunday 22:30 in Montevideo


@pytest.fixture(params=["postgresql", "sqlite"])
def backend(request, make_settings, redis, tmp_path):
    if request.param == "postgresql":
        request.getfixturevalue("db")  # the migrated test database, cleaned after the test
        services = build_services(make_settings(suppress_below=1))
    else:
        url = f"sqlite:///{tmp_path / 'line.db'}"
        command.upgrade(alembic_config(url), "heads")
        services = build_services(make_settings(database_url=url, suppress_below=1))
    sync_organizations(services)
    yield services
    services.close()


def report(services, org: str, place_id: str, at: datetime) -> str:
    made = create_report(services, org, contact_id=None, channel="sms", language="en", category="confiscation",
                         description=None, place={"place_id": place_id, "place_text": "market"}, occurred_on=None, occurred_text=None,
                         anonymous=False, now=at)
    return made.reference


def exported(services, org: str, filters: ReportFilters) -> list[dict]:
    body = export_reports(services, org, "csv", filters).read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_zone_comes_from_content(backend):
    catalog = backend.catalog
    assert {slug: o.timezone for slug, o in catalog.organizations.items()} == {
        "nairobi-vendors": "Africa/Nairobi", "pune-wastepickers": "Asia/Kolkata",
        "dakar-vendors": "Africa/Dakar", "montevideo-feriantes": "America/Montevideo"}
    nairobi = catalog.organizations[NAIROBI]
    assert dates.local_today(nairobi, LATE) == SUNDAY + timedelta(days=1)  # market status: "today"
    assert dates.local_today(catalog.organizations[MONTEVIDEO], EARLY) == SUNDAY


def test_a_late_report_counts_on_the_next_local_day_in_nairobi(backend):
    ref = report(backend, NAIROBI, "nbo.gikomba", LATE)
    monday = SUNDAY + timedelta(days=1)

    # The inbox: its date and its date filter.
    def found(day: date) -> list[str]:
        f = ReportFilters.parse({"from": day.isoformat(), "to": day.isoformat()}, backend.catalog, NAIROBI)
        return [row.reference for row in inbox.search(backend, NAIROBI, f).rows]

    assert found(monday) == [ref] and found(SUNDAY) == []
    [row] = inbox.search(backend, NAIROBI, ReportFilters.parse({}, backend.catalog, NAIROBI)).rows
    assert row.day == monday
    assert inbox.detail(backend, NAIROBI, ref).day == monday
    [point] = report_map.map_points(backend, NAIROBI, ReportFilters.parse({}, backend.catalog, NAIROBI))["points"]
    assert point["date"] == monday.isoformat()

    # The charts: counted on Monday, in Monday's week, not in Sunday's.
    fig = figures(backend, NAIROBI, ReportFilters(date_from=SUNDAY - timedelta(days=6), date_to=monday + timedelta(days=6)))
    assert fig.by_week.weeks == [SUNDAY - timedelta(days=6), monday]
    assert fig.by_week.counts == {"confiscation": [0, 1]}
    assert figures(backend, NAIROBI, ReportFilters(date_from=SUNDAY, date_to=SUNDAY)).reports == 0
    assert figures(backend, NAIROBI, ReportFilters(date_from=monday, date_to=monday)).reports == 1
    # The charts' default range ends on the organization's today.
    assert chart_filters({}, backend.catalog, NAIROBI, today=None).date_to == dates.local_today(
        backend.catalog.organizations[NAIROBI])

    # The export: received on Monday, and found by Monday's filter only.
    [line] = exported(backend, NAIROBI, ReportFilters(date_from=monday, date_to=monday))
    assert line["reference"] == ref and line["received_on"] == monday.isoformat()
    assert exported(backend, NAIROBI, ReportFilters(date_from=SUNDAY, date_to=SUNDAY)) == []


def test_an_early_report_counts_on_the_day_before_in_montevideo(backend):
    ref = report(backend, MONTEVIDEO, None, EARLY)
    monday = SUNDAY + timedelta(days=1)
    f = ReportFilters.parse({"from": SUNDAY.isoformat(), "to": SUNDAY.isoformat()}, backend.catalog, MONTEVIDEO)
    assert [row.reference for row in inbox.search(backend, MONTEVIDEO, f).rows] == [ref]
    fig = figures(backend, MONTEVIDEO, ReportFilters(date_from=SUNDAY - timedelta(days=6), date_to=monday))
    assert fig.by_week.counts == {"confiscation": [1, 0]}
    [line] = exported(backend, MONTEVIDEO, ReportFilters(date_from=SUNDAY, date_to=SUNDAY))
    assert line["received_on"] == SUNDAY.isoformat()
