"""Each organizer page in a real browser on a 360 px phone and a 1280 px laptop screen: it is reached by
clicking a visible link, renders without script errors, never scrolls sideways, and its main
interaction works. Screenshots go to artifacts/screenshots/."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from bot.desk import demo
from bot.line.reports import create_report
from tests.broadcasts.conftest import People

NARROW = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def seed(live, reports=4, members=3):
    people = People(live.services)
    for _ in range(members):
        people.vendor(place_id="nbo.gikomba")
    for n in range(reports):
        create_report(live.services, "nairobi-vendors", contact_id=None, channel="sms", language="en",
                      category=("confiscation", "eviction")[n % 2], description=f"=cmd|' /C calc'!A0 {n}",
                      place={"place_id": ("nbo.gikomba", "nbo.toi")[n % 2]}, occurred_on=None,
                      occurred_text=None, anonymous=True)


# Every page of the navigation, in order, and what shows it has rendered.
PAGES = (("Today", "/", "[data-figure=new_reports]"), ("Reports", "/reports", "table#reports-table"),
         ("Map", "/reports/map", "#map[data-state=ready]"), ("Members", "/members", "table#members"),
         ("Markets", "/markets", "table#markets"), ("Authorities", "/authorities", "#scorecard-section"),
         ("Broadcasts", "/broadcasts", "a#bc-new"), ("Polls", "/polls", "main h1"),
         ("Conversations", "/conversations", "main h1"),
         ("Data", "/data", "canvas#chart-category[data-drawn=yes]"), ("Phone", "/simulator", "#simulator"))


def click_nav(p, href: str, wide: bool) -> None:
    """Reach a page as a person would: the header's nav on a laptop, the menu button on a phone."""
    link = p.page.locator(f"header nav.pages a[href='{href}']")
    if not wide:
        assert not link.is_visible(), f"{href}: the nav shows before the menu button is pressed"
        p.page.click("details.menu summary")
    assert link.is_visible(), f"{href}: no visible link at {p.page.viewport_size['width']} px"
    with p.page.expect_navigation():
        link.click()


LABELS = """els => els.map(e => {const r = e.getBoundingClientRect();
  return {id: e.dataset.placeId, text: e.textContent, shown: e.dataset.shown, box: [r.left, r.top, r.right, r.bottom]}})"""


def check_map_labels(p) -> None:
    """Without tiles every market and area is named on its outline, and no two shown names overlap."""
    from bot.desk.report_map import outlines

    expected = {s["id"]: (s["name"], s["kind"]) for s in outlines(p.live.services.catalog, "nairobi-vendors")}
    # The map may still be zooming to the reports: wait until the names are sorted out for its last view.
    p.page.wait_for_function(f"""() => {{
        const shown = ({LABELS})([...document.querySelectorAll('#map .place-label[data-shown=yes]')]);
        return shown.length > 0 && shown.every((a, i) => shown.slice(i + 1).every(b =>
            a.box[2] <= b.box[0] || b.box[2] <= a.box[0] || a.box[3] <= b.box[1] || b.box[3] <= a.box[1]));
    }}""", timeout=5000)
    labels = p.page.eval_on_selector_all("#map .place-label", LABELS)
    assert {label["id"]: label["text"] for label in labels} == {k: name for k, (name, _) in expected.items()}
    shown = [label for label in labels if label["shown"] == "yes"]
    assert {expected[label["id"]][1] for label in shown} >= {"market", "area"}, shown
    for n, a in enumerate(shown):
        for b in shown[n + 1:]:
            apart = a["box"][2] <= b["box"][0] or b["box"][2] <= a["box"][0] or \
                a["box"][3] <= b["box"][1] or b["box"][3] <= a["box"][1]
            assert apart, (a, b)


def visit_every_page(make_page, admin, width: int) -> None:
    wide = width >= 900
    p = make_page(width=width, height=900 if wide else 780, name=f"pages-{width}")
    p.login(admin.email)
    assert p.page.locator("details.menu summary").is_visible() is not wide
    for label, path, ready in PAGES:
        click_nav(p, path, wide)
        assert p.page.url == p.live.url + path, (label, p.page.url)
        p.page.wait_for_selector(ready)
        if path == "/reports/map":
            check_map_labels(p)
        assert p.page.evaluate(NARROW), f"{path} scrolls sideways at {width} px"
        current = p.page.locator("nav.pages a[aria-current=page]")
        assert current.count() == 1 and current.inner_text() == label
        p.shot(path.strip("/").replace("/", "-") or "today")
    click_nav(p, "/broadcasts", wide)
    p.page.click("a#bc-new")
    p.page.wait_for_selector("form#bc-compose")
    assert p.page.evaluate(NARROW), f"/broadcasts/new scrolls sideways at {width} px"
    p.shot("broadcasts-new")
    click_nav(p, "/polls", wide)  # the poll form: its live preview comes from static/js/polls.js (strict CSP)
    p.page.click("a#poll-new")
    p.page.fill("#poll-name", "Market day")
    p.page.fill("#poll-q1-text-en", "Join the march on Friday?")
    p.page.wait_for_selector("#poll-preview .poll-preview-q[data-question='1'] tr[data-lang=sw]")
    assert not p.page.locator("#poll-q2-text-en").is_visible()  # question 2: "No question" until chosen
    p.page.select_option("#poll-q2-kind", "options")
    p.page.fill("#poll-q2-text-en", "Best time?")
    p.page.fill("#poll-q2-options-en", "Morning\nEvening")
    p.page.wait_for_selector("#poll-preview .poll-preview-q[data-question='2']")
    assert p.page.locator("#poll-recipients").get_attribute("data-recipients").isdigit()
    assert p.page.evaluate(NARROW), f"/polls/new scrolls sideways at {width} px"
    p.shot("polls-new")
    assert not p.errors, p.errors


@pytest.mark.timeout(360)  # loads the demo history, then 24 pages: slow on a busy machine
def test_every_page_is_reached_from_the_navigation(live, make_page):
    """With the demo history loaded (bot/desk/demo.py), every page at 360 px through the menu button and at
    1280 px from the header; the screenshots of both widths are the product as a new organizer sees it."""
    admin = live.user(role="admin")
    demo.load(live.services, "nairobi-vendors")
    for width in (360, 1280):
        visit_every_page(make_page, admin, width)


def test_admin_reveals_a_number_and_it_is_logged(live, make_page):
    seed(live, reports=0, members=1)
    admin = live.user(role="admin")
    p = make_page()
    p.login(admin.email)
    p.go("/members")
    row = p.page.locator("table#members tr.member").first
    masked = row.locator("td[data-col=phone]").inner_text()
    assert "•" in masked
    row.locator("a.member-link").click()
    p.page.fill("#reveal-reason", "Calling her about the eviction case")
    p.page.once("dialog", lambda dialog: dialog.accept())
    p.page.click("#reveal-button")
    p.page.wait_for_selector("#member-phone[data-revealed=yes]")
    assert p.page.locator("#member-phone").inner_text().replace(" ", "").startswith("+2547220")
    p.shot("revealed")
    p.go("/members/reveals")
    assert "Calling her about the eviction case" in p.page.inner_text("table#reveals")
    assert not p.errors, p.errors


def test_compose_counts_segments_as_you_type(live, make_page):
    seed(live, reports=0, members=3)
    admin = live.user(role="admin")
    p = make_page()
    p.login(admin.email)
    p.go("/broadcasts/new")
    p.page.fill("#bc-text-en", "a" * 160)
    counter = p.page.locator("#bc-count-en")
    p.page.wait_for_function("() => document.querySelector('#bc-count-en').dataset.segments === '1'")
    p.page.fill("#bc-text-en", "a" * 161)
    p.page.wait_for_function("() => document.querySelector('#bc-count-en').dataset.segments === '2'")
    p.page.fill("#bc-text-en", "Market closed today 🙏")
    p.page.wait_for_function("() => document.querySelector('#bc-count-en').dataset.encoding === 'UCS-2'")
    assert p.page.locator("#bc-ucs2-en").is_visible()
    assert counter.get_attribute("data-segments") == "1"
    p.page.check("input[name=markets][value='nbo.gikomba']")
    p.page.wait_for_function("() => document.querySelector('#bc-recipients').dataset.recipients === '3'")
    p.shot("compose")
    assert not p.errors, p.errors


def test_whatsapp_pin_and_photo_from_the_simulator(live, make_page):
    admin = live.user(role="admin")
    p = make_page()
    p.login(admin.email)
    p.go("/simulator")
    p.page.check("#sim-mode-whatsapp")
    p.page.fill("#sim-body", "hi")
    p.page.click("#sim-send")
    p.page.locator("#sim-messages li.sim-msg[data-kind=reply]").first.wait_for()
    location = p.page.locator("#sim-location")
    if location.get_attribute("open") is None:
        p.page.click("#sim-location summary")
    p.page.select_option("#sim-place", "nbo.gikomba")
    p.page.click("#sim-send-location")
    photo = Path(__file__).resolve().parents[2] / "webhooks" / "static" / "vendor" / "leaflet" / "images" / "marker-icon.png"
    box = p.page.locator("#sim-photo-box")
    if box.get_attribute("open") is None:
        p.page.click("#sim-photo-box summary")
    p.page.set_input_files("#sim-photo", str(photo))
    p.page.click("#sim-send-photo")
    p.page.wait_for_function("() => document.querySelectorAll('#sim-messages li.sim-msg[data-direction=out]').length >= 3")
    p.shot("whatsapp")
    from sqlalchemy import select

    from bot.models import InboundMessage

    with live.services.db() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [r.channel for r in rows] == ["whatsapp"] * 3
    assert rows[1].latitude is not None and rows[2].media and rows[2].media[0]["url"].startswith(live.url)
    assert not p.errors, p.errors


def test_exports_download_and_are_anonymised(live, make_page):
    seed(live)
    admin = live.user(role="admin")
    p = make_page(width=1280, height=900)
    p.login(admin.email)
    p.go("/data")
    with p.page.expect_download() as csv_download:
        p.page.click("a#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4 and "description" not in rows[0] and "phone" not in " ".join(rows[0])
    with p.page.expect_download() as xlsx_download:
        p.page.click("a#export-xlsx")
    assert csv_download.value.suggested_filename.startswith("nairobi-vendors-reports-anonymised-")
    book = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()), read_only=True)
    table = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(table) == 5 and "category" in table[0]  # header + 4 reports
    book.close()
    assert not p.errors, p.errors


def test_take_over_a_conversation_and_reply(live, make_page):
    admin = live.user(role="admin")
    phone = make_page(name="handover-phone")
    phone.login(admin.email)
    phone.go("/simulator")
    phone.page.fill("#sim-body", "I need to talk to a person about my licence")
    phone.page.click("#sim-send")
    phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").first.wait_for()
    number = phone.page.locator("#sim-number").get_attribute("data-phone")

    desk = make_page(name="handover-desk")
    desk.login(admin.email)
    desk.go("/conversations")
    desk.page.locator("table#conversations tr.conversation a.conversation-link").first.click()
    desk.page.wait_for_selector("#handover-state[data-state=bot]")
    desk.page.click("#take-over-button")
    desk.page.wait_for_selector("#handover-state[data-state=organizer]")

    # While taken over the bot is silent: the worker's message reaches the page, not the menu.
    replies_before = phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").count()
    phone.page.fill("#sim-body", "hello? are you there")
    phone.page.click("#sim-send")
    desk.page.locator("ol#thread li.message[data-direction=in]", has_text="are you there").wait_for(timeout=15000)
    assert phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").count() == replies_before

    desk.page.fill("#reply-body", "Yes, this is Achieng from the association. Come to the office on Friday.")
    desk.page.click("#reply-send")
    desk.page.locator("ol#thread li.message[data-kind=organizer]").wait_for()
    desk.shot("thread")
    phone.page.locator("#sim-messages li.sim-msg[data-kind=pushed]", has_text="Achieng").wait_for(timeout=15000)
    phone.shot("organizer-reply")

    desk.page.click("#hand-back-button")
    desk.page.wait_for_selector("#handover-state[data-state=bot]")
    phone.page.fill("#sim-body", "menu")
    phone.page.click("#sim-send")
    phone.page.locator("#sim-messages li.sim-msg[data-kind=reply]").nth(replies_before).wait_for(timeout=15000)
    assert number and not desk.errors and not phone.errors, (desk.errors, phone.errors)
