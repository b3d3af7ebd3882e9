"""The map of reports: Leaflet served from the app (never a CDN), tiles only when configured, the
gazetteer's outlines otherwise; /reports/map.json with the inbox's filters, scoped to the organization and
without any phone number, name or member number."""
from __future__ import annotations

import json
import math
import re
from types import SimpleNamespace

import pytest

from bot.desk import report_map
from bot.desk.accounts import create_user
from bot.orgs import sync_organizations
from bot.desk.report_status import change_status
from bot.services import build_services
from content.loader_org import _outline
from tests.dashboard.conftest import PASSWORD, Browser
from tests.dashboard.test_reports import make_report
from webhooks import create_app

GIKOMBA = (-1.2836, 36.8389)


def _metres(a, b) -> float:
    dlat = (a[0] - b[0]) * 111_320
    dlon = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dlat, dlon)


def test_map_page_uses_the_local_leaflet_and_draws_outlines_without_tiles(signed_in):
    page = signed_in.get("/reports/map").get_data(as_text=True)
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in page
    assert 'href="/static/vendor/leaflet/leaflet.css"' in page and '<script src="/static/js/map.js"></script>' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from a CDN
    assert 'data-tiles-url=""' in page and 'data-points-url="/reports/map.json"' in page
    shapes = json.loads(page.split('<script type="application/json" id="map-outlines">', 1)[1].split("</script>", 1)[0])
    by_id = {s["id"]: s for s in shapes}
    assert by_id["nbo.gikomba"] == {"id": "nbo.gikomba", "name": "Gikomba", "kind": "market",
                                    "center": list(GIKOMBA), "radius": 300}
    assert by_id["nbo.eastleigh"]["radius"] == 1500
    assert not any(s["id"].startswith("pune.") for s in shapes)
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/js/map.js",
                 "/static/css/reports.css"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        response.close()


def test_tiles_come_from_the_environment(make_settings, db, redis):
    services = build_services(make_settings(map_tiles_url="https://tiles.example.org/{z}/{x}/{y}.png",
                                            map_tiles_attribution="© OpenStreetMap contributors"))
    sync_organizations(services)
    try:
        user = create_user(services, "nairobi-vendors", "tiles@nairobi-vendors.example.org", "Tiles", PASSWORD)
        browser = Browser(create_app(services=services).test_client())
        assert browser.login(user.email).status_code == 302
        page = browser.get("/reports/map").get_data(as_text=True)
        assert 'data-tiles-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
        assert 'data-tiles-attribution="© OpenStreetMap contributors"' in page
    finally:
        services.close()


def test_points_use_coordinates_or_their_place_with_a_stable_nudge(services, signed_in):
    pinned = make_report(services, number="+254711000123", lat=-1.2841, lon=36.8392, member="NRB-00004")
    placed = [make_report(services, number=f"+25471100020{i}") for i in range(3)]
    area = make_report(services, number="+254711000300", category="eviction", place_id="nbo.eastleigh")
    nowhere = make_report(services, number="+254711000400", place_id=None, place_text="near the river")
    change_status(services, "nairobi-vendors", pinned.reference, "verified", None, actor="a@example.org")
    response = signed_in.get("/reports/map.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    assert (body["total"], body["shown"], body["unplaced"], body["truncated"]) == (6, 5, 1, False)
    points = {p["reference"]: p for p in body["points"]}
    assert nowhere.reference not in points
    p = points[pinned.reference]
    assert (p["lat"], p["lon"], p["approximate"], p["status"], p["category"]) == (
        -1.2841, 36.8392, False, "verified", "confiscation")
    assert p["url"] == f"/reports/{pinned.reference}" and p["place"] == "Gikomba"
    spots = set()
    for r in placed:
        q = points[r.reference]
        assert q["approximate"] is True and 20 < _metres((q["lat"], q["lon"]), GIKOMBA) <= 180
        spots.add((q["lat"], q["lon"]))
    assert len(spots) == 3  # they do not hide each other
    eastleigh = next(s for s in report_map.outlines(services.catalog, "nairobi-vendors") if s["id"] == "nbo.eastleigh")
    q = points[area.reference]
    assert _metres((q["lat"], q["lon"]), tuple(eastleigh["center"])) <= 900
    again = {p["reference"]: p for p in signed_in.get("/reports/map.json").get_json()["points"]}
    assert again == points  # stable between loads
    text = response.get_data(as_text=True)
    for leak in ("254711", "+254", "NRB-", "Mama Njeri", "•", "phone", "member", "reporter"):
        assert leak not in text, leak


def test_map_json_takes_the_inbox_filters(services, signed_in):
    a = make_report(services, number="+254711000001")
    b = make_report(services, number="+254711000002", category="eviction", place_id="nbo.muthurwa")
    change_status(services, "nairobi-vendors", b.reference, "in_progress", None, actor="a@example.org")

    def listed(query):
        response = signed_in.get("/reports/map.json?" + query)
        assert response.status_code == 200, response.get_json()
        return {p["reference"] for p in response.get_json()["points"]}

    assert listed("") == {a.reference, b.reference}
    assert listed("status=in_progress") == {b.reference}
    assert listed("category=confiscation") == {a.reference}
    assert listed("market=nbo.muthurwa") == {b.reference}
    assert listed("from=2000-01-01&to=2000-01-02") == set()
    assert listed(f"cluster={a.cluster_id}") == {a.reference}
    body = signed_in.get("/reports/map.json?category=eviction").get_json()
    assert body["list_url"] == "/reports?category=eviction"


@pytest.mark.parametrize("query, words", [
    ("status=lost", "Unknown status"), ("category=theft", "Unknown category"),
    ("market=nbo.nowhere", "not a market or area"), ("to=yesterday", "must be a date"),
])
def test_bad_map_filters_are_400_json(signed_in, query, words):
    response = signed_in.get("/reports/map.json?" + query)
    assert response.status_code == 400 and words in response.get_json()["error"]
    page = signed_in.get("/reports/map?" + query, headers={"Accept": "text/html"})
    assert page.status_code == 400 and words in page.get_data(as_text=True)


def test_outsider_sees_nothing_of_nairobi_on_the_map(services, signed_in, outsider):
    nairobi = make_report(services, lat=-1.2841, lon=36.8392)
    pune = make_report(services, org="pune-wastepickers", number="+919800000001", place_id="pune.mandai",
                       category="unpaid")
    body = outsider.get("/reports/map.json").get_json()
    assert [p["reference"] for p in body["points"]] == [pune.reference] and body["total"] == 1
    assert outsider.get(f"/reports/map.json?cluster={nairobi.cluster_id}").status_code == 404
    assert outsider.get("/reports/map.json?market=nbo.gikomba").status_code == 400
    page = outsider.get("/reports/map").get_data(as_text=True)
    assert "nbo.gikomba" not in page and "pune.mandai" in page
    assert pune.reference not in {p["reference"] for p in signed_in.get("/reports/map.json").get_json()["points"]}


def test_map_needs_a_sign_in(client):
    assert client.get("/reports/map.json").status_code == 302
    assert client.get("/reports/map").status_code == 302


def test_an_outline_in_the_gazetteer_is_drawn_instead_of_a_circle():
    ring = ((-1.28, 36.83), (-1.28, 36.84), (-1.29, 36.84))
    places = [SimpleNamespace(id="x.market", kind="market", lat=-1.285, lon=36.835, outline=ring,
                              name=lambda lang: "Soko"),
              SimpleNamespace(id="x.area", kind="area", lat=-1.3, lon=36.8, outline=None, name=lambda lang: "Mtaa"),
              SimpleNamespace(id="x.nowhere", kind="market", lat=None, lon=None, outline=None,
                              name=lambda lang: "Hakuna")]
    catalog = SimpleNamespace(places=lambda org: places)
    shapes = report_map.outlines(catalog, "x")
    assert shapes == [{"id": "x.market", "name": "Soko", "kind": "market", "polygon": [list(c) for c in ring]},
                      {"id": "x.area", "name": "Mtaa", "kind": "area", "center": [-1.3, 36.8], "radius": 1500}]


@pytest.mark.parametrize("value, problem", [
    (None, None),
    ([[-1.28, 36.83], [-1.28, 36.84], [-1.29, 36.84]], None),
    ([[-1.28, 36.83], [-1.28, 36.84]], "at least 3"),
    ("-1.28,36.83", "at least 3"),
    ([[-1.28, 36.83], [-1.28], [-1.29, 36.84]], "[lat, lon]"),
    ([[-1.28, 36.83], ["a", 36.84], [-1.29, 36.84]], "numbers"),
    ([[-1.28, 36.83], [True, 36.84], [-1.29, 36.84]], "numbers"),
    ([[-1.28, 36.83], [91, 36.84], [-1.29, 36.84]], "out of range"),
])
def test_place_outline_in_content_is_checked(value, problem):
    outline, found = _outline(value)
    if problem is None:
        assert found is None and (outline is None) == (value is None)
    else:
        assert outline is None and problem in found
