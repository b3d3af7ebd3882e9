"""The issue's 'done when', in a real browser: an organizer who has never seen the product signs in,
finds the Gikomba confiscation reports on the map, marks one verified (the reporter's phone in the
simulator receives the update), sends a closure notice to that market's members and watches it
deliver, and downloads an anonymised GeoJSON for the city."""
from __future__ import annotations

import json
import re
from pathlib import Path

from bot.line.reports import create_report
from tests.broadcasts.conftest import People


def sim_send(phone, body: str) -> str:
    """Type into the simulated basic phone and return the line's reply text."""
    before = phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").count()
    phone.page.fill("#sim-body", body)
    phone.page.click("#sim-send")
    reply = phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").nth(before)
    reply.wait_for(timeout=15000)
    return reply.locator(".sim-text").inner_text()


def seed_other_reports(live, count=2):
    """Two more workers reported confiscations at Gikomba today (the cluster)."""
    for n in range(count):
        create_report(live.services, "nairobi-vendors", contact_id=None, channel="sms", language="sw",
                      category="confiscation", description=f"askari walichukua mzigo wangu {n}",
                      place={"place_id": "nbo.gikomba"}, occurred_on=None, occurred_text=None, anonymous=True)


def file_report_from_the_phone(phone) -> tuple[str, str]:
    phone.go("/simulator")
    number = phone.page.locator("#sim-number").get_attribute("data-phone")
    sim_send(phone, "4")
    sim_send(phone, "2")
    sim_send(phone, "County askaris took my sukuma and my cart")
    sim_send(phone, "Gikomba market")
    sim_send(phone, "today")
    sim_send(phone, "1")
    done = sim_send(phone, "2")
    reference = re.search(r"R-\d{4}", done).group(0)
    # A basic phone: the confirmation is one GSM-7 segment.
    last = phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").last
    assert last.get_attribute("data-encoding") == "GSM-7" and last.get_attribute("data-segments") == "1"
    phone.shot("report-filed")
    return number, reference


def find_on_the_map_and_verify(desk, reference: str) -> None:
    desk.go("/reports/map")
    desk.page.wait_for_selector("#map[data-state=ready]")
    box = desk.page.locator("#map-filters-box")
    if box.count() and box.get_attribute("open") is None:
        desk.page.click("#map-filters-box summary")
    desk.page.select_option("#filter-category", "confiscation")
    desk.page.select_option("#filter-market", "nbo.gikomba")
    desk.page.click("#filter-submit")
    desk.page.wait_for_function("() => document.querySelector('#map').dataset.pointCount === '3'")
    desk.shot("map-gikomba-confiscations")
    marker = desk.page.locator(f".report-marker[data-reference='{reference}']")
    # Markers of reports placed at their market may overlap at this zoom; the click goes to this one.
    marker.dispatch_event("click")
    desk.page.locator(".leaflet-popup a").first.wait_for()
    desk.shot("map-popup")
    with desk.page.expect_navigation():
        desk.page.locator(".leaflet-popup a", has_text=reference).click()
    assert desk.page.locator("article#report").get_attribute("data-reference") == reference
    desk.page.select_option("#status-select", "verified")
    desk.page.fill("#status-note", "Seen by our team at Gikomba; we are taking it to the county.")
    with desk.page.expect_navigation():
        desk.page.click("#status-submit")
    assert desk.page.locator("article#report").get_attribute("data-status") == "verified"
    assert "reporter was sent" in desk.page.inner_text("main")
    desk.shot("report-verified")


def close_the_market_and_watch_the_notice_deliver(desk, members: int) -> None:
    desk.go("/markets")
    desk.page.click("tr.market[data-place='nbo.gikomba'] a.market-link")
    desk.page.select_option("#status-field", "closed")
    desk.page.fill("#reason-field", "County cleanup after the fire")
    with desk.page.expect_navigation():
        desk.page.click("#status-save")
    assert desk.page.locator("section#market").get_attribute("data-status") == "closed"
    offer = desk.page.locator("#broadcast-offer-button")
    assert offer.get_attribute("data-recipients") == str(members)
    desk.shot("market-closed-offer")
    desk.page.once("dialog", lambda dialog: dialog.accept())
    with desk.page.expect_navigation():
        offer.click()
    link = desk.page.locator("a#broadcast-link")
    with desk.page.expect_navigation():
        link.click()
    # Progress updates live (polling, no reload) until every member's phone has it. Predicates are
    # functions: the page's CSP (script-src 'self') refuses Playwright's eval of a bare expression.
    desk.page.wait_for_function(
        f"() => document.querySelector('[data-count=delivered]').textContent.trim() === '{members}'", timeout=30000)
    desk.page.wait_for_function("() => document.querySelector('#bc-progress').dataset.state === 'done'", timeout=15000)
    assert desk.page.locator("#bc-percent").inner_text() == "100%"  # Intl/Babel percent for the page's locale
    desk.shot("notice-delivered")


def download_anonymised_geojson(desk, reporter_number: str) -> dict:
    desk.go("/data")
    desk.page.wait_for_selector("canvas#chart-category[data-drawn=yes]")
    desk.shot("data")
    link = desk.page.locator("a#export-geojson")
    assert link.get_attribute("data-anonymised") == "yes"
    with desk.page.expect_download() as download:
        link.click()
    raw = Path(download.value.path()).read_text(encoding="utf-8")
    assert reporter_number not in raw and reporter_number.lstrip("+") not in raw
    assert "sukuma" not in raw  # the worker's own words stay out of shared files
    return json.loads(raw)


def test_organizer_first_day(live, make_page):
    admin = live.user(role="admin")
    seed_other_reports(live)
    people = People(live.services)
    for _ in range(3):
        people.vendor(place_id="nbo.gikomba")
    phone = make_page(name="scenario-phone")
    phone.login(admin.email)
    number, reference = file_report_from_the_phone(phone)

    desk = make_page(width=1280, height=900, name="scenario-desk")
    desk.login(admin.email)
    find_on_the_map_and_verify(desk, reference)

    # The reporter's phone in the simulator receives the update (polled, no reload).
    pushed = phone.page.locator("#sim-messages li.sim-msg[data-kind=pushed]", has_text=reference)
    pushed.wait_for(timeout=15000)
    phone.shot("update-received")

    close_the_market_and_watch_the_notice_deliver(desk, members=3)
    delivered = [m for m in live.standin.messages if m["to"].startswith("+2547220")]
    assert len(delivered) == 3 and all("Gikomba" in m["body"] for m in delivered)

    # Three confiscations at one market on one day are a small group (K=5 by default): an
    # anonymised file leaves their points out and says how many it left out.
    geo = download_anonymised_geojson(desk, number)
    assert geo["type"] == "FeatureCollection"
    assert geo["streetline"]["suppressed_below"] == 5 and geo["streetline"]["suppressed"] >= 3
    assert all(f["properties"]["category"] != "confiscation" for f in geo["features"])
    assert not phone.errors and not desk.errors, (phone.errors, desk.errors)
