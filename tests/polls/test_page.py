"""The polls page: the list, one poll's results per option and per market, the anonymised CSV, closing the
poll (CSRF-checked), in the organizer's language; another organization's poll is not found."""
from __future__ import annotations

import base64
import io
import re
import zipfile

from bot.broadcasts import polls
from bot.desk.accounts import create_user
from tests.conftest import NAIROBI, Phone
from tests.dashboard.conftest import PASSWORD, signed_in_as

POLL = {"name": "Friday march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def test_results_page_csv_and_close(bservices, people):
    from webhooks import create_app

    app = create_app(services=bservices)
    for n in range(7):
        people.vendor(phone=f"+25475500000{n}", language="sw" if n % 2 else "en",
                      place_id="nbo.toi" if n < 6 else "nbo.gikomba")
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL)
    polls.send_poll(bservices, pid, inline=True)
    for n, body in enumerate(["1", "ndiyo", "yes", "2", "hapana", "yes", "oui?"]):
        Phone(app.test_client(), f"+25475500000{n}", "sms", NAIROBI).send(body)

    organizer = create_user(bservices, "nairobi-vendors", "org@nairobi.example.org", "Org", PASSWORD, "organizer")
    browser = signed_in_as(app, organizer)
    listing = browser.get("/polls").get_data(as_text=True)
    assert f'data-poll="{pid}"' in listing and "Friday march" in listing
    page = browser.get(f"/polls/{pid}").get_data(as_text=True)
    assert 'id="poll-respondents">7<' in page
    assert 'data-breakdown="market"' in page and "Toi" in page
    assert '<tr data-option="yes" data-group="">' in page
    csv = browser.get(f"/polls/{pid}/results.csv").get_data(as_text=True)
    assert "1,all,all,yes,≥5" not in csv and "1,all,all,yes,<5" in csv  # 4 yes, 2 no, 1 other: all small
    assert "1,market,nbo.gikomba,other,<5" in csv
    assert 'data-chart="all"><img' in page and 'data-chart="market"' in page  # pygal SVG, as data: images
    chart = re.search(r'data-chart="language"><figcaption>[^<]*</figcaption><img alt="[^"]*" src="data:image/svg\+xml;'
                      r'base64,([^"]+)"', page)
    svg = base64.b64decode(chart.group(1)).decode()
    assert "<svg" in svg and "Kiswahili" in svg  # an <img>: its pygal config script never runs
    xlsx = browser.get(f"/polls/{pid}/results.xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode() + book.read("xl/sharedStrings.xml").decode()
    assert xlsx.mimetype.endswith("spreadsheetml.sheet") and "nbo.gikomba" in sheet and "&lt;5" in sheet
    assert "+2547" not in sheet  # anonymised

    outsider = signed_in_as(app, create_user(bservices, "pune-wastepickers", "o@pune.example.org", "P", PASSWORD,
                                             "organizer"))
    assert outsider.get(f"/polls/{pid}").status_code == 404
    assert browser.client.post(f"/polls/{pid}/close").status_code in (400, 403)  # no CSRF token
    assert browser.post(f"/polls/{pid}/close").status_code == 302
    assert polls.get_poll(bservices, pid).state == "closed"
