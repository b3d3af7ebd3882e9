"""Evidence packs: for random filters, the brief's counts are the data page's (the same filter, the same
suppression), and the PDF made from it is a real PDF, dated, in the organization's language."""
from __future__ import annotations

import html
import json
import random
import re
from datetime import date, timedelta

from bot.line.answers import dates
from bot.line.reports import create_report
from bot.models import utcnow
from tests.authorities.conftest import ORG

PLACES = ("nbo.gikomba", "nbo.toi", "nbo.githurai", None)
CATEGORIES = ("confiscation", "eviction", "harassment", "waste")


def _history(services, n: int = 60, seed: int = 14):
    rng = random.Random(seed)
    now = utcnow()
    for i in range(n):
        place = rng.choice(PLACES)
        create_report(services, ORG, contact_id=None, channel="sms", language="en", category=rng.choice(CATEGORIES),
                      description=f"report {i}", place={"place_id": place} if place else {"place_text": "behind the mosque"},
                      occurred_on=None, occurred_text=None, anonymous=False, now=now - timedelta(days=rng.randint(0, 80)))


def _random_filter(rng, today: date, authorities: list[int]) -> dict:
    start = today - timedelta(days=rng.randint(0, 90))
    args = {"from": start.isoformat(), "to": (start + timedelta(days=rng.randint(0, 60))).isoformat()}
    if rng.random() < 0.5:
        args["category"] = rng.choice(CATEGORIES)
    if rng.random() < 0.4:
        args["market"] = rng.choice([p for p in PLACES if p] + ["none"])
    if rng.random() < 0.3:
        args["status"] = "new"
    if rng.random() < 0.3:
        args["authority"] = str(rng.choice(authorities))
    return args


def _counts(page: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">(.*?)</table>', page, re.S).group(1)
    return [html.unescape(v) for v in re.findall(r'data-count="([^"]*)"', body)]


def _data_page(browser, args) -> dict:
    data = browser.get("/data", query_string=args)
    assert data.status_code == 200, args
    return json.loads(html.unescape(re.search(r'id="data-figures">(.*?)</script>', data.get_data(as_text=True),
                                              re.S).group(1)))


def _raised(services, n: int = 40) -> list[int]:
    """Two authorities, each with some of the history's reports raised with it (some with both)."""
    from sqlalchemy import select

    from bot.desk import authorities, escalations
    from bot.models import Report

    ids = [authorities.create(services, ORG, {"name": name}).id for name in ("County trade office", "Police Toi")]
    with services.db() as session:
        refs = session.scalars(select(Report.reference).where(Report.organization == ORG).order_by(Report.id)).all()
    for i, ref in enumerate(refs[:n]):
        for authority in ids[: 1 + i % 2] if i % 3 else ids[1:]:
            escalations.raise_report(services, ORG, ref, {"authority_id": authority, "method": "letter"}, "test")
    return ids


def test_the_pack_counts_what_the_data_page_counts_for_50_random_filters(services, organizer_browser):
    """The pack's counts (Pack.counts(), from the object the PDF is drawn from) against the data page's
    figures for 50 seeded random filters, the authority filter among them; for the first few, the brief
    as a page and as a real PDF show those same counts."""
    import subprocess

    from bot.desk import evidence, stats

    _history(services)
    authorities = _raised(services)
    rng = random.Random(2026)
    today = dates.local_today(services.catalog.organizations[ORG])
    for i in range(50):
        args = _random_filter(rng, today, authorities)
        figures = _data_page(organizer_browser, args)
        pack = evidence.build(services, ORG, stats.chart_filters(args, services.catalog, ORG))
        counts = {name: [str(v) for v in values] if isinstance(values, list) else str(values)
                  for name, values in pack.counts().items()}
        assert counts["reports"] == str(figures["reports"]), args
        assert counts["categories"] == [str(v) for v in figures["by_category"]["shown"] if str(v) != "0"], args
        assert counts["weeks"] == figures["by_week"]["totals"], args
        assert counts["places"] == [str(v) for v in figures["by_place"]["shown"]], args
        true_by_place = dict(zip(figures["by_place"]["keys"], figures["by_place"]["shown"]))
        assert [(p.place_id, true_by_place.get(p.place_id)) for p in pack.places.points if p.place_id] == \
            [(p.place_id, str(p.count)) for p in pack.places.points if p.place_id], (args, figures["by_place"])
        if i < 3:  # the brief itself: its page and its PDF show the same counts
            page = organizer_browser.get("/evidence", query_string=args).get_data(as_text=True)
            assert html.unescape(re.search(r'data-figure="reports" data-count="([^"]*)"', page).group(1)) == \
                counts["reports"]
            assert _counts(page, "pack-categories") == counts["categories"], args
            assert _counts(page, "pack-weeks") == counts["weeks"], args
            assert _counts(page, "pack-places") == counts["places"], args
            assert _counts(page, "pack-ages") == counts["ages"], args
            pdf = organizer_browser.get("/evidence.pdf", query_string=args)
            assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-"), args
            text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True,
                                  check=True).stdout.decode()
            headline = re.search(r"^\s*Reports\s*\n\s*(\S+)", text, re.M)  # the heading, then the count
            assert headline and headline.group(1) == html.unescape(
                re.search(r'class="big"[^>]*>([^<]*)<', page).group(1)), (args, text[:400])


def pdf_fonts(data: bytes) -> set[str]:
    """The font names a PDF embeds (in its compressed object streams too)."""
    import re
    import zlib

    parts = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            pass
    return {name.decode().split("+")[-1] for part in parts for name in re.findall(rb"/FontName\s*/([\w+\-]+)", part)}


def test_the_pdf_is_dated_and_refuses_bad_filters(services, organizer_browser):
    _history(services, n=12)
    response = organizer_browser.get("/evidence.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and len(response.data) > 5000
    assert f"streetline-{ORG}-" in response.headers["Content-Disposition"]
    assert "DejaVu-Sans" in pdf_fonts(response.data)  # styled by evidence.css (WeasyPrint's default is a serif)
    bad = organizer_browser.get("/evidence.pdf?from=2026-02-30")
    assert bad.status_code == 400


def test_the_brief_is_in_the_organizations_language(live, services):
    from bot.desk.accounts import create_user
    from tests.authorities.conftest import PASSWORD, Browser

    account = create_user(services, "dakar-vendors", "brief@dakar.example.org", "Awa", PASSWORD, "organizer")
    browser = Browser(live[1].test_client())
    assert browser.login(account.email).status_code == 302
    page = browser.get("/evidence").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Dossier de preuves" in page and "Signalements par semaine" in page


def _quoted(services, category: str, place: str, texts: list[str], *, consent: bool = True) -> list:
    return [create_report(services, ORG, contact_id=None, channel="sms", language="en", category=category,
                          description=t, place={"place_id": place}, occurred_on=None, occurred_text=None,
                          anonymous=False, quote_consent=consent) for t in texts]


def test_quotes_only_with_consent_from_groups_of_k_cleaned_and_the_authority_filter(services, organizer_browser):
    from bot.desk import escalations
    from tests.authorities.conftest import county

    k = services.settings.suppress_below
    gikomba = _quoted(services, "confiscation", "nbo.gikomba",
                      [f"askaris took the goods of {i} traders at the gate" for i in range(k - 1)]
                      + ["County askari Kamau took my sukuma, call me on 0711 000 101 if you need a witness"])
    _quoted(services, "confiscation", "nbo.gikomba", ["secret words nobody agreed to share"], consent=False)
    _quoted(services, "eviction", "nbo.toi", ["we were chased from Toi by the askaris this morning"])  # a group of 1
    create_report(services, ORG, contact_id=None, channel="sms", language="en", category="waste", description="no pickup",
                  place={"place_text": "behind the mosque"}, occurred_on=None, occurred_text=None, anonymous=False)
    # (two small cells in the places' line, so Gikomba's count is shown, not hidden beside a single small one)
    page = organizer_browser.get("/evidence").get_data(as_text=True)
    quotes = re.findall(r'<blockquote class="quote" data-category="([^"]*)" data-place="([^"]*)">(.*?)<footer',
                        page, re.S)
    assert [(c, p) for c, p, _ in quotes] == [("confiscation", "nbo.gikomba")]  # one per group, only groups >= K
    said = html.unescape(quotes[0][2])
    assert "[name] took my sukuma" in said and "[…]" in said and "0711" not in said and "Kamau" not in said
    assert "secret words" not in page and "chased from Toi" not in page
    # the map: Gikomba drawn (k + 1 reports), Toi (1) left off and said so
    drawn = page.split('id="pack-map-points"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-key="([^"]+)"><td class="n">(\d+)</td><td>[^<]+</td><td class="n" data-count="(\d+)"',
                      drawn) == [("nbo.gikomba", "1", str(k + 1))]  # dot 1 on the map
    assert 'alt="Map of places" src="data:image/svg+xml;base64,' in page

    # reports raised with one authority: the pack and the data page count those only
    authority = county(services)
    for report in gikomba[:k]:
        escalations.raise_report(services, ORG, report.reference, {"authority_id": authority.id, "method": "letter"},
                                 "test")
    pack = organizer_browser.get("/evidence", query_string={"authority": authority.id}).get_data(as_text=True)
    assert re.search(rf'data-figure="reports" data-count="{k}"', pack)
    assert f'data-authority="{authority.id}"' in pack and authority.name in pack
    data = organizer_browser.get("/data", query_string={"authority": authority.id}).get_data(as_text=True)
    assert json.loads(html.unescape(re.search(r'id="data-figures">(.*?)</script>', data, re.S).group(1)))["reports"] == k
    inbox = organizer_browser.get("/reports", query_string={"authority": authority.id}).get_data(as_text=True)
    assert sorted(re.findall(r'<tr class="report-row" data-reference="(R-\d+)"', inbox)) == \
        sorted(r.reference for r in gikomba[:k])
    # the inbox's and the data page's filter forms keep the authority chosen (a "Raised with" choice)
    chosen = f'<option value="{authority.id}" selected>{authority.name}</option>'
    assert chosen in inbox[inbox.index('id="filter-authority"'):] and chosen in data[data.index('id="filter-authority"'):]
    detail = organizer_browser.get(f"/authorities/{authority.id}").get_data(as_text=True)
    assert f'id="authority-reports" href="/reports?authority={authority.id}"' in detail
    packs = organizer_browser.get(re.search(r'id="authority-evidence" href="([^"]+)"', detail).group(1))
    assert f'<option value="{authority.id}" selected>' in packs.get_data(as_text=True)  # the pack's form, filtered
    assert organizer_browser.get("/evidence?authority=999999").status_code == 400
    assert organizer_browser.get("/evidence?authority=two").status_code == 400
