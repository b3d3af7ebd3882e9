"""Small-count suppression (bot/desk/suppression.py, SUPPRESS_BELOW, default 5): charts and anonymised
exports never show a count from 1 to K-1 where it could point at a worker; they say "<K". Counts on
both sides of K; full exports (admins) hide nothing."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.desk import suppression
from bot.desk.accounts import create_user
from bot.desk.exports import export_reports
from bot.models import Report
from bot.settings import Settings, SettingsError
from bot.desk.filters import ReportFilters
from bot.desk.stats import chart_filters, figures
from tests.dashboard.conftest import signed_in_as
from tests.dashboard.test_data import NAIROBI, TODAY, add_report

ALL = ReportFilters()


# --------------------------------------------------------------------------- the rules


def test_a_line_hides_small_counts_and_one_more_when_only_one_is_hidden():
    assert suppression.hide_line([0, 5, 9], 5) == [False, False, False]  # 0 and K show
    assert suppression.hide_line([4, 5, 9], 5) == [True, True, False]  # 4 from the total: hide 5 too
    assert suppression.hide_line([1, 2, 9], 5) == [True, True, False]  # two hidden: their sum is all one learns
    assert suppression.hide_line([3, 0], 5) == [True, False]  # nothing else to hide
    assert [suppression.show(n, 5, h) for n, h in zip([4, 5, 9], [True, True, False])] == ["<5", "≥5", 9]
    assert suppression.show(0, 5) == 0 and suppression.show(1, 1) == 1  # K=1: suppression off


def test_a_grid_hides_rows_and_columns_until_no_single_cell_stands_alone():
    grid = [[6, 2, 7],
            [8, 9, 10]]
    hidden = suppression.hide_grid(grid, 5)
    assert hidden[0][1]  # the small one
    for r, row in enumerate(hidden):  # no row or column with exactly one hidden cell among counts
        assert sum(row) != 1, r
    for c in range(3):
        assert sum(hidden[r][c] for r in range(2)) != 1, c


def test_the_threshold_is_a_setting():
    assert Settings.from_env({}).suppress_below == 5
    assert Settings.from_env({"SUPPRESS_BELOW": "10"}).suppress_below == 10
    with pytest.raises(SettingsError, match="SUPPRESS_BELOW"):
        Settings.from_env({"SUPPRESS_BELOW": "0"})
    with pytest.raises(SettingsError, match="SUPPRESS_BELOW"):
        Settings.from_env({"SUPPRESS_BELOW": "five"})


# --------------------------------------------------------------------------- on real rows

@pytest.fixture
def groups(services):
    """Today in Nairobi: 6 confiscations at Gikomba (one of them said to have happened yesterday),
    4 evictions at Toi, 7 harassments at Muthurwa."""
    refs: dict[str, list[str]] = {"confiscation": [], "eviction": [], "harassment": []}
    for category, place, n in (("confiscation", "nbo.gikomba", 6), ("eviction", "nbo.toi", 4),
                               ("harassment", "nbo.muthurwa", 7)):
        for _ in range(n):
            refs[category].append(add_report(services, NAIROBI, None, category, place_id=place).reference)
    with services.db.begin() as session:
        session.execute(update(Report).where(Report.reference == refs["confiscation"][-1])
                        .values(occurred_on=TODAY - timedelta(days=1)))
    return refs


def test_charts_show_small_counts_as_a_marker(services, groups):
    fig = figures(services, NAIROBI, chart_filters({}, services.catalog, NAIROBI))
    shown = dict(zip(fig.by_category.keys, fig.by_category.shown))
    # eviction 4 < 5: hidden; confiscation 6 hidden beside it (else 17 - 6 - 7 gives 4 away); 7 shows.
    assert (shown["eviction"], shown["confiscation"], shown["harassment"]) == ("<5", "≥5", 7)
    assert fig.reports == 17 and fig.by_category.shown_total == 17
    places = dict(zip(fig.by_place.keys, fig.by_place.shown))
    assert places["nbo.toi"] == "<5" and places["nbo.muthurwa"] == 7
    data = fig.json()
    assert data["by_category"]["values"][fig.by_category.keys.index("eviction")] is None
    assert data["by_category"]["shown"][fig.by_category.keys.index("eviction")] == "<5"
    week = data["by_week"]
    assert week["counts"][week["categories"].index("eviction")][-1] is None
    assert week["shown"][week["categories"].index("eviction")][-1] == "<5"
    assert week["shown"][week["categories"].index("harassment")][-1] == "7"

    # One category at one market on one day: 4 evictions at Toi today -> "<5" everywhere.
    one = figures(services, NAIROBI, ReportFilters(category="eviction", market="nbo.toi", date_from=TODAY,
                                                   date_to=TODAY))
    assert one.reports == "<5" and one.any_reports
    data = one.json()
    counts = data["by_category"]["values"] + [n for line in data["by_week"]["counts"] for n in line]
    shown = data["by_category"]["shown"] + [t for line in data["by_week"]["shown"] for t in line]
    assert 4 not in counts and "4" not in shown and "<5" in shown and data["reports"] == "<5"
    # Five is not small.
    assert figures(services, NAIROBI, ReportFilters(category="confiscation", market="nbo.gikomba",
                                                    date_from=TODAY, date_to=TODAY)).reports == 6
    # K=1 turns it off.
    assert dict(zip(fig.by_category.keys, figures(services, NAIROBI, fig.filters, k=1).by_category.shown)) \
        ["eviction"] == 4


def test_the_data_page_says_so(services, groups, app):
    user = create_user(services, NAIROBI, "o@example.org", "O", "correct horse battery", "organizer")
    browser = signed_in_as(app, user)
    page = browser.get("/data").get_data(as_text=True)
    row = re.search(r'<tr data-key="eviction".*?</tr>', page, re.S).group(0)
    assert 'data-count="&lt;5"' in row and ">&lt;5<" in row and ">4<" not in row
    figures_json = browser.get("/data/figures.json").get_json()
    assert figures_json["suppressed_below"] == 5
    assert figures_json["by_place"]["shown"][figures_json["by_place"]["keys"].index("nbo.toi")] == "<5"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_anonymised_exports_hide_the_place_of_small_groups(services, groups, fmt):
    made = export_reports(services, NAIROBI, fmt, ALL)
    body = made.read()
    hidden = set(groups["eviction"]) | {groups["confiscation"][-1]}  # 4 at Toi; 1 said to be yesterday
    assert made.suppressed == 5
    if fmt == "geojson":
        collection = json.loads(body)
        refs = {f["id"] for f in collection["features"]}
        assert refs == (set(groups["confiscation"]) | set(groups["harassment"])) - hidden
        assert collection["streetline"]["suppressed"] == 5 and made.omitted == 5
        return
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body))
        values = list(book["Reports"].values)
        rows = [{k: ("" if v is None else str(v)) for k, v in zip(values[0], row)} for row in values[1:]]
        about = {row[0]: row[1] for row in book["About"].values if row and row[0]}
        assert "5 reports show <5" in about["Small groups"]
    assert len(rows) == 17
    for row in rows:
        if row["reference"] in hidden:
            assert (row["place_id"], row["place"], row["latitude"], row["longitude"]) == ("<5", "<5", "", ""), row
            assert row["city"] == "Nairobi"
        else:
            assert row["place_id"].startswith("nbo.") and row["latitude"], row


def test_full_exports_hide_nothing(services, groups):
    admin = create_user(services, NAIROBI, "a@example.org", "A", "correct horse battery", "admin")
    made = export_reports(services, NAIROBI, "csv", ALL, anonymised=False, account=admin, reason="legal aid clinic")
    rows = list(csv.DictReader(io.StringIO(made.read().decode("utf-8-sig"))))
    assert made.suppressed == 0
    assert {r["place_id"] for r in rows} == {"nbo.gikomba", "nbo.toi", "nbo.muthurwa"}


def test_the_threshold_moves_with_the_setting(make_settings, db, redis, groups):
    from bot.services import build_services

    strict = build_services(make_settings(suppress_below=8))
    try:
        made = export_reports(strict, NAIROBI, "csv", ALL)
        made.read()
        assert made.suppressed == 17  # 6, 4 and 7 are all below 8
        shown = figures(strict, NAIROBI, chart_filters({}, strict.catalog, NAIROBI)).by_category.shown
        assert "<8" in shown and 7 not in shown
    finally:
        strict.close()
