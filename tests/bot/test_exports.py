"""bot/desk/exports.py and bot/desk/stats.py on a real database: formats parse, anonymised files hold nothing
personal, places are coarsened, formulas are neutralised, the organization boundary holds, every
export is audited, and the figures match the rows."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.desk.accounts import create_user
from bot.desk.export_files import csv_cell
from bot.desk.exports import ExportError, export_reports
from bot.models import Member, Report
from bot.desk.filters import FilterError, ReportFilters
from bot.desk.stats import chart_filters, figures
from tests.dashboard.test_data import NAIROBI, PUNE, TODAY, add_report, audits, seed

ALL = ReportFilters()


@pytest.fixture
def settings(make_settings):
    """Exact figures and files: small-count suppression (on by default) is off here and tested on its
    own in tests/bot/test_suppression.py."""
    return make_settings(suppress_below=1)


@pytest.fixture
def seeded(services):
    return seed(services)


def unpacked(made) -> bytes:
    body = made.read()
    if made.format == "xlsx":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return body


def parse(made) -> list[dict]:
    body = made.read()
    if made.format == "csv":
        assert body.startswith("\ufeff".encode())
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    if made.format == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert book.sheetnames == ["Reports", "About"]
        values = list(book["Reports"].values)
        return [dict(zip(values[0], row)) for row in values[1:]]
    collection = json.loads(body)
    return [{**f["properties"], "_coordinates": f["geometry"]["coordinates"]} for f in collection["features"]]


# --------------------------------------------------------------------------- formats and anonymity


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_anonymised_exports_parse_and_hold_nothing_personal(services, seeded, fmt):
    made = export_reports(services, NAIROBI, fmt, ALL)
    assert made.anonymised and made.filename.startswith("nairobi-vendors-reports-anonymised-")
    assert made.filename.endswith(f"{TODAY.isoformat()}.{fmt}")
    rows = parse(made)
    expected = set(seeded.nairobi) - ({seeded.refs["unplaced"]} if fmt == "geojson" else set())
    assert {r["reference"] for r in rows} == expected and made.rows == len(expected)
    assert not {"description", "reporter_phone", "member_number", "member_name", "contact_id", "place_text",
                "address"} & set(rows[0])
    body = unpacked(export_reports(services, NAIROBI, fmt, ALL))
    for secret in seeded.phones + [p[1:] for p in seeded.phones] + [p[4:] for p in seeded.phones] \
            + seeded.names + seeded.numbers + seeded.secrets + seeded.pune:
        if secret in seeded.nairobi:  # references are random per organization: Pune's may equal one of ours
            continue
        assert secret.encode() not in body, secret
    gikomba = next(r for r in rows if r["reference"] == seeded.refs["pin"])
    if fmt == "geojson":
        assert gikomba["_coordinates"] == [36.8389, -1.2836]
    else:
        assert (float(gikomba["latitude"]), float(gikomba["longitude"])) == (-1.2836, 36.8389)
    assert str(gikomba["received_on"])[:10] == (TODAY - timedelta(days=8)).isoformat()


def test_geojson_is_a_valid_feature_collection(services, seeded):
    made = export_reports(services, NAIROBI, "geojson", ALL)
    collection = json.loads(made.read())
    assert collection["type"] == "FeatureCollection"
    assert collection["streetline"]["omitted_without_place"] == made.omitted == 1
    assert collection["streetline"]["anonymised"] is True
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 36 < lon < 38 and -2 < lat < 0  # Nairobi, in [longitude, latitude] order
        assert isinstance(feature["properties"], dict) and "latitude" not in feature["properties"]
    # A full GeoJSON places the report at its pin; the one without pin or place is still left out.
    full = json.loads(export_reports(services, NAIROBI, "geojson", ALL, anonymised=False, reason="map for lawyers")
                      .read())
    pin = next(f for f in full["features"] if f["id"] == seeded.refs["pin"])
    assert pin["geometry"]["coordinates"] == [36.83953, -1.28417]
    assert full["streetline"]["omitted_without_place"] == 1


def test_an_empty_export_is_still_a_valid_file(services):
    for fmt in ("csv", "xlsx", "geojson"):
        made = export_reports(services, NAIROBI, fmt, ALL)
        assert made.rows == 0 and parse(made) == []


def test_xlsx_keeps_text_as_text_and_dates_as_dates(services, seeded):
    made = export_reports(services, NAIROBI, "xlsx", ALL, anonymised=False, reason="case review")
    body = made.read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:  # no formula anywhere in the file, whatever cells say
        assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in archive.namelist())
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Reports"]
    header = [c.value for c in sheet[1]]
    by_ref = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    row = by_ref[seeded.refs["unplaced"]]
    name = row[header.index("member_name")]
    assert name.data_type == "s" and name.value.startswith("=HYPERLINK")  # a string, never a formula
    assert row[header.index("place_text")].data_type == "s"
    assert row[header.index("reporter_phone")].value == "+254733000303"
    assert row[header.index("occurred_on")].is_date
    assert sheet.freeze_panes == "A2"


def test_xlsx_rows_hold_any_text_as_text():
    """bot/desk/xlsx_rows.py writes the sheet's XML itself: formulas stay text, XML and control characters
    are escaped, spaces kept, days and times are dates, numbers numbers."""
    from datetime import datetime

    from bot.desk.export_files import xlsx_chunks

    texts = ["=1+1", "+254711000101", " lead", "trail ", 'a<b&c"', "bell\x01x", "Kiswahili ç नमस्ते"]
    names = ("reference", "received_on", "received_at_utc", "latitude", "reporter_anonymous")
    records = [{"reference": t, "received_on": date(2026, 12, 3), "received_at_utc": datetime(2026, 12, 3, 23, 30, 5),
                "latitude": -1.2836, "reporter_anonymous": True} for t in texts]
    meta = {"organization": "x", "generated_at": "now", "anonymised": False, "filters": {}, "timezone": "UTC"}
    body = b"".join(xlsx_chunks(iter(records), names, meta, "X"))
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Reports"]
    rows = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [(t.replace("\x01", "_x0001_"), "s") for t in texts]
    assert rows[0][1:] == [(datetime(2026, 12, 3), "d"), (datetime(2026, 12, 3, 23, 30, 5), "d"), (-1.2836, "n"),
                           ("yes", "s")]
    assert sheet.auto_filter.ref == "A1:E8" and sheet.freeze_panes == "A2"


def test_csv_cells_that_look_like_formulas_get_a_quote():
    for bad in ("=1+1", "+254711000101", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert csv_cell(bad) == "'" + bad
    assert csv_cell("Gikomba") == "Gikomba" and csv_cell(-1.2836) == "-1.2836" and csv_cell(None) == ""
    assert csv_cell(True) == "yes" and csv_cell(date(2026, 3, 1)) == "2026-03-01"


# --------------------------------------------------------------------------- who may export what


def test_full_exports_are_for_admins_with_a_reason_and_audited(services, seeded):
    organizer = create_user(services, NAIROBI, "o@example.org", "O", "correct horse battery", "organizer")
    admin = create_user(services, NAIROBI, "a@example.org", "A", "correct horse battery", "admin")
    outsider = create_user(services, PUNE, "p@example.org", "P", "correct horse battery", "admin")
    with pytest.raises(PermissionError):
        export_reports(services, NAIROBI, "csv", ALL, anonymised=False, account=organizer, reason="the city asked")
    with pytest.raises(PermissionError):
        export_reports(services, NAIROBI, "csv", ALL, account=outsider)
    with pytest.raises(ExportError, match="say why"):
        export_reports(services, NAIROBI, "csv", ALL, anonymised=False, account=admin, reason="  ")
    with pytest.raises(ExportError, match="format"):
        export_reports(services, NAIROBI, "pdf", ALL, account=admin)
    assert audits(services) == []

    made = export_reports(services, NAIROBI, "csv", ReportFilters(category="confiscation"), anonymised=False,
                          account=admin, reason="legal  aid\nclinic")
    rows = parse(made)
    assert {r["reporter_phone"] for r in rows} == {"'+254711000101", "'+254722000202"}
    [event] = audits(services)
    assert (event.user_id, event.target) == (admin.id, "reports.csv")
    assert event.detail == {"format": "csv", "filters": {"category": "confiscation"}, "anonymised": False,
                            "rows": 2, "via": "web", "reason": "legal aid clinic"}


def test_an_export_is_audited_before_its_first_byte(services, seeded):
    made = export_reports(services, NAIROBI, "geojson", ReportFilters(status="new"), via="cli")
    [event] = audits(services)
    made.chunks.close()  # never read: the session is given back all the same (before asserting: an open
    # REPEATABLE READ session would block the test database's clean-up)
    assert event.user_id is None and event.detail == {
        "format": "geojson", "filters": {"status": "new"}, "anonymised": True, "rows": 4, "via": "cli",
        "omitted_without_place": 1, "suppressed_below": 1, "suppressed": 0}


def test_each_organization_exports_only_its_own_reports(services, seeded):
    for fmt in ("csv", "xlsx", "geojson"):
        body = unpacked(export_reports(services, PUNE, fmt, ALL))
        assert seeded.pune[0].encode() in body
        for ref in seeded.nairobi:
            if ref not in seeded.pune:  # the same random reference in both organizations: not a leak
                assert ref.encode() not in body


# --------------------------------------------------------------------------- filters


def test_filters_parse_like_the_inbox(services):
    catalog = services.catalog
    parsed = ReportFilters.parse({"status": "new", "category": "eviction", "market": "nbo.gikomba",
                                  "from": "2026-01-01", "to": "2026-01-31"}, catalog, NAIROBI)
    assert parsed.as_dict() == {"status": "new", "category": "eviction", "market": "nbo.gikomba",
                                "from": "2026-01-01", "to": "2026-01-31"}
    assert ReportFilters.parse({"status": " ", "market": ""}, catalog, NAIROBI) == ALL
    for bad, message in [({"status": "lost"}, "status"), ({"category": "x"}, "category"),
                         ({"market": "pune.market-yard"}, "market"), ({"market": "Gikomba"}, "market"),
                         ({"from": "2026-02-30"}, "from must be a date"), ({"to": "1999-12-31"}, "between"),
                         ({"from": "2026-02-02", "to": "2026-02-01"}, "after the end date"),
                         ({"q": "x" * 101}, "at most 100"), ({"cluster": "x1"}, "cluster"), ({"page": "0"}, "page"),
                         ({"page": "①"}, "page")]:
        with pytest.raises(FilterError, match=message):
            ReportFilters.parse(bad, catalog, NAIROBI)
    # One filter for the inbox, the charts and the exports: the inbox's search, group and "no place" too.
    inbox = ReportFilters.parse({"market": "none", "q": "  bus   stage ", "cluster": "7", "page": "2"}, catalog, NAIROBI)
    assert (inbox.market, inbox.q, inbox.cluster, inbox.page) == ("none", "bus stage", 7, 2)
    assert inbox.as_dict() == {"market": "none", "q": "bus stage", "cluster": "7"}


def test_charts_and_exports_take_the_inbox_search_and_no_place(services, seeded):
    unplaced = ReportFilters(market="none")
    assert [r["reference"] for r in parse(export_reports(services, NAIROBI, "csv", unplaced))] == [seeded.refs["unplaced"]]
    filters = chart_filters({"market": "none", "from": (TODAY - timedelta(days=365)).isoformat()}, services.catalog, NAIROBI)
    assert figures(services, NAIROBI, filters).by_place.keys == [""]
    by_reference = ReportFilters(q=seeded.refs["pin"].lower())
    assert [r["reference"] for r in parse(export_reports(services, NAIROBI, "csv", by_reference))] == [seeded.refs["pin"]]


def test_the_date_range_is_inclusive_utc_days(services, seeded):
    eight_days_ago = TODAY - timedelta(days=8)
    one_day = ReportFilters(date_from=eight_days_ago, date_to=eight_days_ago)
    assert [r["reference"] for r in parse(export_reports(services, NAIROBI, "csv", one_day))] == [seeded.refs["pin"]]
    recent = ReportFilters(date_from=TODAY - timedelta(days=1), date_to=TODAY)
    assert len(parse(export_reports(services, NAIROBI, "csv", recent))) == 3


# --------------------------------------------------------------------------- figures


def test_figures_match_the_rows(services, seeded):
    filters = chart_filters({"from": (TODAY - timedelta(days=365)).isoformat()}, services.catalog, NAIROBI)
    made = figures(services, NAIROBI, filters)
    with services.db() as session:
        by_category = dict(session.execute(select(Report.category, func.count()).where(
            Report.organization == NAIROBI).group_by(Report.category)).all())
        members = session.scalar(select(func.count()).select_from(Member).where(Member.organization == NAIROBI))
    assert made.reports == sum(by_category.values()) == 6
    assert {k: v for k, v in zip(made.by_category.keys, made.by_category.values) if v} == by_category
    assert dict(zip(made.by_place.keys, made.by_place.values)) == {
        "nbo.gikomba": 3, "nbo.muthurwa": 1, "nbo.marikiti": 1, "": 1}
    assert made.by_place.labels[-1] == "Place not matched"
    assert sum(made.by_week.totals()) == 6 and len(made.by_week.weeks) in (53, 54)
    assert made.by_week.weeks[0].weekday() == 0
    assert made.members == members == 3
    assert dict(zip(made.members_by_trade.keys, made.members_by_trade.values)) == {"vendor": 2, "porter": 1}
    assert dict(zip(made.members_by_place.keys, made.members_by_place.values)) == {
        "nbo.gikomba": 1, "nbo.muthurwa": 1, "": 1}
    # The same filters give the charts and the export the same reports.
    confiscations = chart_filters({"category": "confiscation"}, services.catalog, NAIROBI)
    made = export_reports(services, NAIROBI, "csv", confiscations)
    assert figures(services, NAIROBI, confiscations).reports == made.rows == len(parse(made)) == 2


def test_weekly_figures_stack_by_category(services):
    add_report(services, NAIROBI, None, "eviction", place_id="nbo.toi", days_ago=0)
    add_report(services, NAIROBI, None, "eviction", place_id="nbo.toi", days_ago=0)
    add_report(services, NAIROBI, None, "waste", place_id="nbo.toi", days_ago=0)
    add_report(services, NAIROBI, None, "waste", days_ago=14)
    made = figures(services, NAIROBI, chart_filters({}, services.catalog, NAIROBI))
    weekly = made.by_week
    assert weekly.categories == ["eviction", "waste"]
    assert weekly.counts["eviction"][-1] == 2 and weekly.counts["waste"][-1] == 1
    assert sum(weekly.counts["waste"]) == 2 and weekly.totals()[-1] == 3
    assert made.json()["by_week"]["counts"] == [weekly.counts["eviction"], weekly.counts["waste"]]


# --------------------------------------------------------------------------- command line


def test_the_export_command_writes_an_audited_file(services, seeded, tmp_path):
    from bot.cli import cli

    out = tmp_path / "city.geojson"
    result = CliRunner().invoke(cli, ["export", NAIROBI, "--format", "geojson", "--out", str(out)], obj=services)
    assert result.exit_code == 0, result.output
    assert "5 reports written" in result.output and "1 without a place left out" in result.output
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    assert audits(services)[0].detail["via"] == "cli"
    bad = CliRunner().invoke(cli, ["export", NAIROBI, "--full"], obj=services)
    assert bad.exit_code != 0 and "say why" in bad.output
    bad = CliRunner().invoke(cli, ["export", NAIROBI, "--from", "yesterday"], obj=services)
    assert bad.exit_code != 0 and "from must be a date" in bad.output


# --------------------------------------------------------------------------- volume


def test_fifty_thousand_reports_stream_in_every_format(services):
    """~50k reports: every format is made in one pass over a server-side cursor (timings printed)."""
    import time

    from sqlalchemy import text

    with services.db.begin() as session:
        session.execute(text(
            "INSERT INTO reports (organization, reference, anonymous, channel, language, category, description,"
            " place_id, status, created_at, updated_at) "
            "SELECT 'nairobi-vendors', 'R-' || (100000 + n), false, 'sms', 'sw',"
            " (ARRAY['eviction','confiscation','harassment','bribe','closure'])[1 + n % 5], 'maelezo ' || n,"
            " (ARRAY['nbo.gikomba','nbo.muthurwa',NULL])[1 + n % 3], 'new',"
            " now() - (n % 300) * interval '1 day', now() FROM generate_series(1, 50000) AS n"))
    timings = {}
    for fmt in ("csv", "geojson", "xlsx"):
        started = time.perf_counter()
        made = export_reports(services, NAIROBI, fmt, ALL)
        size = sum(len(chunk) for chunk in made.chunks)
        timings[fmt] = (round(time.perf_counter() - started, 2), size)
        assert made.rows == (50000 - 16667 if fmt == "geojson" else 50000)
    started = time.perf_counter()
    made = figures(services, NAIROBI, chart_filters({}, services.catalog, NAIROBI))
    timings["figures"] = round(time.perf_counter() - started, 2)
    print("50k reports:", timings)
    assert made.reports > 0
