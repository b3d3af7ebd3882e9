"""The Data page: charts with their tables, and report exports (anonymised for organizers, full for
admins with a reason), scoped to the organization, audited, with bad filters refused."""
from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select, update

from bot.line.members import save_member
from bot.models import AuditEvent, Contact, Report
from bot.line.reports import create_report

NAIROBI, PUNE = "nairobi-vendors", "pune-wastepickers"
# Days are Nairobi's local days (content/orgs/nairobi-vendors/org.yaml): "today" there, whatever the hour.
TODAY = datetime.now(ZoneInfo("Africa/Nairobi")).date()


# --------------------------------------------------------------------------- seeding (used by tests/bot too)


def add_contact(services, org: str, phone: str, language: str = "en") -> int:
    with services.db.begin() as session:
        contact = Contact(organization=org, phone=phone, language=language)
        session.add(contact)
        session.flush()
        return contact.id


def add_member(services, org: str, phone: str, name: str, trade: str, place_id: str | None):
    contact_id = add_contact(services, org, phone)
    member = save_member(services, services.catalog.organizations[org], contact_id,
                         {"name": name, "trade": trade, "place_id": place_id, "language": "en"}, consent_version="v1")
    return contact_id, member


def add_report(services, org: str, contact_id: int | None, category: str, *, place_id: str | None = None,
               place_text: str | None = None, pin: tuple[float, float] | None = None, description: str | None = None,
               anonymous: bool = False, days_ago: int = 0, status: str | None = None) -> Report:
    place = {"place_id": place_id, "place_text": place_text, "latitude": pin[0] if pin else None,
             "longitude": pin[1] if pin else None, "address": "Stall 14, behind the bus stage" if pin else None}
    report = create_report(services, org, contact_id=contact_id, channel="whatsapp" if pin else "sms", language="en",
                           category=category, description=description, place=place,
                           occurred_on=TODAY - timedelta(days=days_ago), occurred_text="today", anonymous=anonymous)
    values = {"created_at": datetime.now(timezone.utc) - timedelta(days=days_ago)}
    if status:
        values["status"] = status
    with services.db.begin() as session:
        session.execute(update(Report).where(Report.id == report.id).values(**values))
    return report


@dataclass
class Seeded:
    nairobi: list[str] = field(default_factory=list)  # references
    pune: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # member numbers
    secrets: list[str] = field(default_factory=list)  # text only a full export may hold
    refs: dict[str, str] = field(default_factory=dict)  # label -> reference


def seed(services) -> Seeded:
    """Nairobi: 3 members and 6 reports over 3 weeks; Pune: 1 member and 1 report."""
    s = Seeded()
    amina_c, amina = add_member(services, NAIROBI, "+254711000101", "Amina Wekesa", "vendor", "nbo.gikomba")
    otieno_c, otieno = add_member(services, NAIROBI, "+254722000202", "Otieno Ochieng", "vendor", "nbo.muthurwa")
    evil_c, evil = add_member(services, NAIROBI, "+254733000303", '=HYPERLINK("http://evil.example/","x")',
                              "porter", None)
    s.phones += ["+254711000101", "+254722000202", "+254733000303"]
    s.names += ["Amina Wekesa", "Otieno Ochieng", "HYPERLINK"]
    s.numbers += [amina.number, otieno.number, evil.number]
    made = {
        "eviction": add_report(services, NAIROBI, amina_c, "eviction", place_id="nbo.gikomba", place_text="Gikomba",
                               description="Askari Kamau took my goods, call me on 0711000101", days_ago=15),
        "pin": add_report(services, NAIROBI, amina_c, "confiscation", place_id="nbo.gikomba", pin=(-1.28417, 36.83953),
                          description="they took the cart", days_ago=8, status="verified"),
        "muthurwa": add_report(services, NAIROBI, otieno_c, "confiscation", place_id="nbo.muthurwa",
                               place_text="Muthurwa", days_ago=1),
        "unplaced": add_report(services, NAIROBI, evil_c, "harassment", place_text="=1+2 behind the bus stage",
                               description="-2+3 @SUM(A1) beaten by county askari", days_ago=1),
        "anonymous": add_report(services, NAIROBI, otieno_c, "bribe", place_id="nbo.marikiti", anonymous=True,
                                description="asked for 200 shillings", days_ago=0),
        "old": add_report(services, NAIROBI, None, "fire_flood", place_id="nbo.gikomba", days_ago=200),
    }
    s.refs = {k: r.reference for k, r in made.items()}
    s.nairobi = [r.reference for r in made.values()]
    s.secrets += ["Askari Kamau", "took the cart", "shillings", "bus stage", "Stall 14", "36.8395", "-1.2841"]
    pune_c, pune = add_member(services, PUNE, "+919890001111", "Savita Kamble", "waste_picker", "pune.market-yard")
    s.pune.append(add_report(services, PUNE, pune_c, "unpaid", place_id="pune.market-yard", days_ago=2).reference)
    return s


@pytest.fixture
def settings(make_settings):
    """Exact figures and files: small-count suppression (on by default) is off here and tested on its
    own in tests/bot/test_suppression.py."""
    return make_settings(suppress_below=1)


@pytest.fixture
def seeded(services):
    return seed(services)


def audits(services, action: str = "export") -> list[AuditEvent]:
    with services.db() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --------------------------------------------------------------------------- the page


def test_data_page_draws_every_chart_with_its_table(signed_in, seeded):
    response = signed_in.get("/data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in ("category", "place", "week", "members-trade", "members-place"):
        assert f'id="chart-{name}"' in page and f'data-chart="{name}"' in page, name
        assert f'id="table-{name}"' in page, name
    assert "/static/vendor/chart.js/chart.umd.min.js" in page and "/static/js/charts.js" in page
    assert "cdn" not in page.lower()
    # The default range is the last 12 weeks: the 200-day-old fire is not in it.
    figures = json.loads(re.search(r'<script type="application/json" id="data-figures">(.*?)</script>', page,
                                   re.S).group(1))
    assert figures["reports"] == 5 and figures["members"] == 3
    counts = dict(zip(figures["by_category"]["keys"], figures["by_category"]["values"]))
    assert counts["confiscation"] == 2 and counts["eviction"] == 1 and counts["fire_flood"] == 0
    assert re.search(r'data-figure="reports">5<', page)
    # Each chart's numbers are in a table (with data-label for 360 px screens), no JS needed.
    row = re.search(r'<tr data-key="nbo.gikomba">.*?</tr>', page, re.S).group(0)
    assert "Gikomba" in row and 'data-count="2"' in row and 'data-label="Reports"' in row
    assert re.search(r'<tr data-key="confiscation">.*?data-count="2"', page, re.S)
    assert "Place not matched" in page  # the harassment report typed somewhere unknown
    # No personal data on the page.
    for secret in seeded.phones + seeded.names[:2] + seeded.numbers:
        assert secret not in page


def test_the_date_range_filters_the_charts(signed_in, seeded):
    since = (TODAY - timedelta(days=3)).isoformat()
    page = signed_in.get(f"/data?from={since}&to={TODAY.isoformat()}").get_data(as_text=True)
    assert re.search(r'data-figure="reports">3<', page)
    a_year = (TODAY - timedelta(days=365)).isoformat()
    everything = signed_in.get(f"/data/figures.json?from={a_year}").get_json()
    assert everything["reports"] == 6
    assert sum(everything["by_week"]["counts"][everything["by_week"]["categories"].index("fire_flood")]) == 1
    week = signed_in.get(f"/data/figures.json?category=confiscation&from={since}").get_json()
    assert week["reports"] == 1 and week["filters"]["category"] == "confiscation"


def test_an_empty_range_says_so(signed_in, seeded):
    page = signed_in.get("/data?from=2001-01-01&to=2001-02-01").get_data(as_text=True)
    assert 'data-empty="category"' in page and 'id="chart-category"' not in page
    assert re.search(r'data-figure="reports">0<', page)


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01", "from must be a date"),
    ("from=yesterday", "from must be a date"),
    ("to=9999-12-31", "between 2000-01-01"),
    ("from=2026-03-10&to=2026-03-01", "after the end date"),
    ("from=2001-01-01&to=2020-01-01", "at most 5 years"),
    ("status=lost", "status must be one of"),
    ("category=robbery", "category must be one of"),
    ("market=pune.market-yard", "your organization's markets"),
])
def test_bad_filters_are_a_400_with_the_reason(signed_in, query, message):
    response = signed_in.get(f"/data?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 400, query
    assert message in html.unescape(response.get_data(as_text=True))
    assert signed_in.get(f"/data/figures.json?{query}").status_code == 400


def test_the_outsider_sees_only_its_own_numbers(outsider, seeded):
    figures = outsider.get("/data/figures.json").get_json()
    assert figures["reports"] == 1 and figures["members"] == 1
    assert figures["by_place"]["keys"] == ["pune.market-yard"]
    page = outsider.get("/data").get_data(as_text=True)
    assert "Gikomba" not in page and "nbo." not in page


def test_pages_and_exports_need_a_sign_in(client):
    for path in ("/data", "/data/figures.json", "/data/export?format=csv"):
        assert client.get(path).status_code == 302, path
    assert client.post("/data/export/full", data={"format": "csv"}).status_code in (302, 400)


def test_the_page_links_anonymised_exports_with_its_filters(signed_in, seeded, admin):
    page = signed_in.get("/data?from=2026-01-05&to=2026-02-01&category=eviction").get_data(as_text=True)
    for fmt in ("csv", "xlsx", "geojson"):
        link = re.search(rf'<a [^>]*id="export-{fmt}"[^>]*>', page, re.S).group(0)
        assert 'data-anonymised="yes"' in link
        href = re.search(r'href="([^"]+)"', link).group(1).replace("&amp;", "&")
        assert href.startswith("/data/export?") and f"format={fmt}" in href
        assert "from=2026-01-05" in href and "to=2026-02-01" in href and "category=eviction" in href
    assert 'id="export-form"' in page
    assert 'id="export-full-form"' not in page  # organizers do not get the full export


# --------------------------------------------------------------------------- exports


def test_anonymised_csv_is_the_default_and_holds_nothing_personal(services, signed_in, seeded, organizer):
    response = signed_in.get("/data/export?format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    today = TODAY.isoformat()  # the file is named after Nairobi's day
    assert f'filename="nairobi-vendors-reports-anonymised-{today}.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    for secret in seeded.phones + [p.lstrip("+") for p in seeded.phones] + ["0711000101"] + seeded.names \
            + seeded.numbers + seeded.secrets:
        assert secret.encode() not in body, secret
    rows = csv_rows(response)
    assert sorted(r["reference"] for r in rows) == sorted(seeded.nairobi)
    assert set(rows[0]) == {"reference", "received_on", "occurred_on", "category", "status", "place_id", "place",
                            "place_kind", "city", "latitude", "longitude"}
    pin = next(r for r in rows if r["reference"] == seeded.refs["pin"])
    assert (pin["place"], pin["latitude"], pin["longitude"]) == ("Gikomba", "-1.2836", "36.8389")  # not the pin
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", pin["received_on"])  # a day, not a time
    events = audits(services)
    assert len(events) == 1 and events[0].user_id == organizer.id
    assert events[0].detail == {"format": "csv", "filters": {}, "anonymised": True, "rows": 6, "via": "web",
                                "suppressed_below": 1, "suppressed": 0}


def test_anonymised_xlsx_and_geojson(services, signed_in, seeded):
    xlsx = signed_in.get("/data/export?format=xlsx&status=new")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()))["Reports"]
    values = list(sheet.values)
    assert values[0][0] == "reference" and len(values) == 1 + 5  # the verified one is filtered out
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as archive:
        xml = b"".join(archive.read(name) for name in archive.namelist())
    for secret in seeded.phones + seeded.names + seeded.numbers + seeded.secrets:
        assert secret.encode() not in xml, secret

    geo = signed_in.get("/data/export?format=geojson")
    assert geo.status_code == 200 and geo.headers["Content-Type"] == "application/geo+json"
    assert geo.headers["X-Streetline-Omitted"] == "1"
    collection = json.loads(geo.get_data())
    assert collection["type"] == "FeatureCollection" and collection["streetline"]["omitted_without_place"] == 1
    assert len(collection["features"]) == 5
    gikomba = next(f for f in collection["features"] if f["properties"]["reference"] == seeded.refs["pin"])
    assert gikomba["geometry"] == {"type": "Point", "coordinates": [36.8389, -1.2836]}  # [lon, lat]
    assert [e.detail["rows"] for e in audits(services)] == [5, 5]


def test_the_outsider_exports_none_of_nairobis_reports(outsider, seeded):
    for fmt in ("csv", "xlsx", "geojson"):
        body = outsider.get(f"/data/export?format={fmt}").get_data()
        if fmt == "xlsx":
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                body = b"".join(archive.read(name) for name in archive.namelist())
        for ref in seeded.nairobi:
            assert ref.encode() not in body, (fmt, ref)
        assert seeded.pune[0].encode() in body
    assert outsider.get("/data/export?format=csv&market=nbo.gikomba").status_code == 400


@pytest.mark.parametrize("query, message", [
    ("", "format must be one of"),
    ("format=pdf", "format must be one of"),
    ("format=csv&from=31/12/2025", "from must be a date"),
    ("format=csv&status=lost", "status must be one of"),
    ("format=csv&anonymised=0", "made by an admin"),
])
def test_bad_export_requests_are_a_400(services, signed_in, seeded, query, message):
    response = signed_in.get(f"/data/export?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 400 and message in html.unescape(response.get_data(as_text=True))
    assert audits(services) == []


def test_an_organizer_cannot_make_a_full_export(services, signed_in, seeded):
    response = signed_in.post("/data/export/full", {"format": "csv", "reason": "the city asked for it"},
                              headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert audits(services) == []


def test_an_admin_makes_a_full_export_with_a_reason_and_it_is_audited(services, signed_in_admin, seeded, admin):
    page = signed_in_admin.get("/data").get_data(as_text=True)
    assert 'id="export-full-form"' in page and 'id="export-reason"' in page
    missing = signed_in_admin.post("/data/export/full", {"format": "csv", "reason": " "},
                                   headers={"Accept": "text/html"})
    assert missing.status_code == 400 and "say why" in missing.get_data(as_text=True)
    no_token = signed_in_admin.client.post("/data/export/full", data={"format": "csv", "reason": "legal aid"})
    assert no_token.status_code == 400
    assert audits(services) == []

    response = signed_in_admin.post("/data/export/full", {"format": "csv", "reason": "legal aid clinic",
                                                          "category": "confiscation"})
    assert response.status_code == 200
    assert "-reports-full-" in response.headers["Content-Disposition"]
    rows = {r["reference"]: r for r in csv_rows(response)}
    assert set(rows) == {seeded.refs["pin"], seeded.refs["muthurwa"]}
    pin = rows[seeded.refs["pin"]]
    assert pin["reporter_phone"] == "'+254711000101"  # full number (kept as text in spreadsheets)
    assert pin["member_name"] == "Amina Wekesa" and pin["member_number"] == seeded.numbers[0]
    assert (pin["latitude"], pin["longitude"], pin["location_source"]) == ("-1.28417", "36.83953", "pin")
    [event] = audits(services)
    assert event.user_id == admin.id and event.target == "reports.csv"
    assert event.detail == {"format": "csv", "filters": {"category": "confiscation"}, "anonymised": False,
                            "rows": 2, "via": "web", "reason": "legal aid clinic"}


def test_full_exports_keep_anonymous_reporters_anonymous(signed_in_admin, seeded):
    response = signed_in_admin.post("/data/export/full", {"format": "csv", "reason": "case review"})
    rows = {r["reference"]: r for r in csv_rows(response)}
    anonymous = rows[seeded.refs["anonymous"]]
    assert anonymous["reporter_anonymous"] == "yes"
    assert anonymous["reporter_phone"] == anonymous["member_name"] == anonymous["member_number"] == ""
    assert anonymous["description"] == "asked for 200 shillings"


def test_full_csv_neutralises_formulas(signed_in_admin, seeded):
    rows = {r["reference"]: r for r in csv_rows(signed_in_admin.post(
        "/data/export/full", {"format": "csv", "reason": "case review"}))}
    unplaced = rows[seeded.refs["unplaced"]]
    assert unplaced["member_name"] == "'=HYPERLINK(\"http://evil.example/\",\"x\")"
    assert unplaced["description"] == "'-2+3 @SUM(A1) beaten by county askari"
    assert unplaced["place_text"] == "'=1+2 behind the bus stage"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or _number(value), value


def _number(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False
