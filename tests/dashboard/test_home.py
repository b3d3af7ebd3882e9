"""The Today page: figures and clusters of the organizer's own organization only."""
from __future__ import annotations

import re

from bot.line.reports import create_report


def _report(services, org="nairobi-vendors", place="nbo.gikomba", category="confiscation"):
    return create_report(services, org, contact_id=None, channel="sms", language="en", category=category,
                         description="taken", place={"place_id": place}, occurred_on=None, occurred_text=None,
                         anonymous=True)


def _figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', html).group(1))


def test_today_counts_new_reports_and_shows_clusters(services, signed_in):
    for _ in range(3):
        _report(services)
    _report(services, place="nbo.toi", category="eviction")
    _report(services, org="pune-wastepickers", place=None)
    html = signed_in.get("/").get_data(as_text=True)
    assert _figure(html, "new_reports") == 4 and _figure(html, "reports_today") == 4
    assert "3 confiscations at Gikomba today" in html
    assert "eviction reports" not in html  # one report is not a cluster


def test_today_of_another_organization_is_its_own(services, outsider):
    _report(services)
    _report(services)
    html = outsider.get("/").get_data(as_text=True)
    assert _figure(html, "new_reports") == 0 and "Gikomba" not in html


def test_pages_are_gzipped_for_browsers_that_ask(services, signed_in):
    import gzip

    for _ in range(30):
        _report(services)
    plain = signed_in.get("/reports")
    zipped = signed_in.get("/reports", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) * 4 < len(plain.data)
