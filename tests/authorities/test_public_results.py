"""The public results page: no sign-in, only for an organization that turned it on in its org.yaml (404
otherwise, and for an unknown one), counts per city by category and status, suppressed below K, and
nothing a worker typed, no reference, no number."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from bot.line.reports import create_report
from bot.models import utcnow
from tests.authorities.conftest import ORG


def _report(services, category: str, place: dict, text: str, status: str = "new") -> None:
    report = create_report(services, ORG, contact_id=None, channel="sms", language="en", category=category,
                           description=text, place=place, occurred_on=None, occurred_text=None, anonymous=False,
                           quote_consent=True)
    if status != "new":
        from bot.models import Report

        with services.db.begin() as session:
            session.get(Report, report.id).status = status


def test_the_public_page_shows_suppressed_counts_per_city_and_nothing_typed(services, client):
    k = services.settings.suppress_below
    for i in range(k + 2):
        _report(services, "confiscation", {"place_id": "nbo.gikomba"}, f"Call Juma on 0711 222 {i:03d} about it",
                status="resolved" if i < k else "new")
    _report(services, "eviction", {"place_id": "nbo.toi"}, "Wanjiru was evicted")  # 1: under K
    for i in range(k):
        _report(services, "waste", {"place_text": "behind the mosque"}, "no pickup")  # no city
    old = create_report(services, ORG, contact_id=None, channel="sms", language="en", category="fire_flood",
                        description="long ago", place={"place_id": "nbo.toi"}, occurred_on=None, occurred_text=None,
                        anonymous=False, now=utcnow().replace(year=utcnow().year - 2))

    page = client.get(f"/results/{ORG}")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers  # no sign-in, no session
    assert page.headers["Cache-Control"] == "public, max-age=300"  # a proxy in front may keep it
    body = html.unescape(page.get_data(as_text=True))
    assert re.search(r'id="public-total" data-count="(\d+)"', body).group(1) == str(2 * k + 3)  # not the old one
    cities = dict(re.findall(r'<section class="card city" data-city="([^"]*)">.*?data-total="([^"]*)"', body, re.S))
    assert cities == {"Nairobi": str(k + 3), "": str(k)}
    nairobi = body.split('data-city="Nairobi"')[1].split("</section>")[0]
    row = r'<tr data-key="(\w+)"><td>[^<]*</td><td class="n" data-count="([^"]*)"'
    # one small cell in a line that shows its total: the next smallest is hidden too
    assert dict(re.findall(row, nairobi.split("public-statuses")[0])) == {"confiscation": f"≥{k}", "eviction": f"<{k}"}
    assert dict(re.findall(row, nairobi.split("public-statuses")[1])) == {"new": f"<{k}", "resolved": f"≥{k}"}
    for typed in ("Juma", "0711", "Wanjiru", "mosque", "pickup", "long ago", "R-", "Gikomba", "Toi"):
        assert typed not in body, typed
    assert old.reference not in body


def test_off_or_unknown_organizations_are_not_found(services, client):
    assert services.catalog.organizations["dakar-vendors"].public_results is False  # off unless org.yaml says so
    assert client.get("/results/dakar-vendors").status_code == 404
    assert client.get("/results/no-such-org").status_code == 404


def test_a_reader_chooses_three_six_or_twelve_months(services, client):
    k = services.settings.suppress_below
    now = utcnow()
    for days_ago, n in ((10, k), (120, k + 1), (300, k + 2)):  # in 3 months; in 6; in 12 only
        for _ in range(n):
            create_report(services, ORG, contact_id=None, channel="sms", language="en", category="confiscation",
                          description=None, place={"place_id": "nbo.gikomba"}, occurred_on=None,
                          occurred_text=None, anonymous=False, now=now - timedelta(days=days_ago))

    def total(query: str) -> str:
        page = client.get(f"/results/{ORG}{query}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        chosen = re.findall(r'data-months="(\d+)">', body.split('aria-current="page"')[1][:40])
        links = re.findall(r'href="(/results/[^"]+)"[^>]*data-months="(\d+)"', html.unescape(body))
        assert [m for _, m in links] == ["3", "6", "12"] and all(f"months={m}" in href for href, m in links)
        return re.search(r'id="public-total" data-count="(\d+)"', body).group(1), chosen

    assert total("") == (str(3 * k + 3), ["12"])  # a year by default
    assert total("?months=12") == (str(3 * k + 3), ["12"])
    assert total("?months=6") == (str(2 * k + 1), ["6"])
    assert total("?months=3") == (str(k), ["3"])
    for wrong in ("?months=5", "?months=abc", "?months=-3", "?months=١٢"):  # Arabic-Indic 12: isdigit, not ours
        assert client.get(f"/results/{ORG}{wrong}").status_code == 404, wrong
    assert client.get(f"/results/{ORG}?months=%00").status_code == 400  # the app-wide guard on NUL
