"""The public results page (no sign-in) at 360 and 1280 px, its period links, and an evidence pack made by the real RQ worker
(the live fixture's `rq worker`) while its page polls, on a 360 px phone: no sideways scroll, no script errors (the strict CSP refuses
inline scripts), screenshots in artifacts/screenshots/."""
from __future__ import annotations

from pathlib import Path

from bot.desk import evidence_packs
from bot.line.reports import create_report
from tests.browser.test_pages import NARROW


def seed(live, n: int = 12) -> None:
    for i in range(n):
        create_report(live.services, "nairobi-vendors", contact_id=None, channel="sms", language="en",
                      category=("confiscation", "eviction", "waste")[i % 3], description=f"report {i}",
                      place={"place_id": ("nbo.gikomba", "nbo.toi")[i % 2]}, occurred_on=None, occurred_text=None,
                      anonymous=False, quote_consent=True)


def test_public_results_and_an_evidence_pack_made_in_the_background(live, make_page, monkeypatch):
    seed(live)
    for width in (360, 1280):
        p = make_page(width=width, height=800, name=f"public-{width}")
        p.go("/results/nairobi-vendors")
        p.page.wait_for_selector("#public-total")
        assert p.page.evaluate(NARROW), f"/results scrolls sideways at {width} px"
        p.shot("results")
        with p.page.expect_navigation():  # a reader picks a shorter period
            p.page.click(".public-periods a[data-months='3']")
        assert p.page.locator(".public-periods a[aria-current=page]").get_attribute("data-months") == "3"
        box = p.page.locator(".public-periods a[data-months='3']").bounding_box()
        assert box["height"] >= 44, box  # a finger can hit it
        assert p.page.evaluate(NARROW), f"/results?months=3 scrolls sideways at {width} px"
        assert not p.errors, p.errors

    monkeypatch.setattr(evidence_packs, "INLINE_MAX", 0)  # every pack goes to the worker
    admin = live.user(role="admin")
    for width in (360,):  # one pack through the worker (a few seconds each); the page's layout is the pages'
        p = make_page(width=width, height=800, name=f"evidence-packs-{width}")
        p.login(admin.email)
        p.go("/evidence/packs")
        assert p.page.evaluate(NARROW), f"/evidence/packs scrolls sideways at {width} px"
        with p.page.expect_navigation():
            p.page.click("#pack-make")
        p.page.wait_for_selector("#pack-progress[data-state=done]", timeout=60_000)  # the JS followed the job
        assert p.page.locator("#pack-download").is_visible()
        assert p.page.evaluate(NARROW), f"the pack's page scrolls sideways at {width} px"
        p.shot("pack-done")
        with p.page.expect_download() as download:
            p.page.click("#pack-download")
        assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
        assert not p.errors, p.errors
