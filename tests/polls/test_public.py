"""The public permalink: off by default (404), on per poll with an unguessable token, readable without
signing in, anonymised and K-suppressed (no phone number, small counts as "<5"), a 404 again once off."""
from __future__ import annotations

import re

from bot.broadcasts import polls
from bot.desk.accounts import create_user
from tests.conftest import NAIROBI, Phone
from tests.dashboard.conftest import PASSWORD, signed_in_as

POLL = {"name": "Friday march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def test_public_link_off_on_suppressed_off(bservices, people):
    from webhooks import create_app

    app = create_app(services=bservices)
    for n in range(8):
        people.vendor(phone=f"+25477100000{n}", language="en", place_id="nbo.toi" if n < 7 else "nbo.gikomba")
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL, created_by="+254709990555")
    polls.send_poll(bservices, pid, inline=True)
    for n, body in enumerate(["1", "yes", "yes", "yes", "yes", "yes", "2", "no"]):  # 6 yes, 2 no
        Phone(app.test_client(), f"+25477100000{n}", "sms", NAIROBI).send(body)

    browser = signed_in_as(app, create_user(bservices, "nairobi-vendors", "o@nairobi.example.org", "O", PASSWORD,
                                            "organizer"))
    assert polls.get_poll(bservices, pid).public_token is None
    assert 'name="public" value="on"' in browser.get(f"/polls/{pid}").get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get("/polls/public/" + "x" * 32).status_code == 404

    assert browser.post(f"/polls/{pid}/public", {"public": "on"}).status_code == 303
    token = polls.get_poll(bservices, pid).public_token
    assert len(token) >= 32
    link = re.search(r'id="poll-public-link" href="([^"]+)"', browser.get(f"/polls/{pid}").get_data(as_text=True))
    assert link.group(1) == f"/polls/public/{token}"
    page = anonymous.get(link.group(1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Friday march" in html and page.headers["X-Robots-Tag"] == "noindex"
    assert '<tr data-option="yes" data-group="">' in html
    overall = re.search(r'data-breakdown="all">.*?</table>', html, re.S).group(0)
    # 2 no: "<5"; then 6 yes beside the shown total would give it away: "≥5" (bot/desk/suppression.py)
    assert ">≥5<" in overall and "&lt;5" in overall and ">6<" not in overall
    gikomba = re.search(r'data-option="no" data-group="nbo.gikomba">.*?data-col="count">([^<]+)<', html, re.S).group(1)
    assert gikomba == "&lt;5"  # one answer at Gikomba
    assert "+2547" not in html and "0555" not in html and "Sign out" not in html

    assert browser.post(f"/polls/{pid}/public", {"public": "off"}).status_code == 303
    assert anonymous.get(link.group(1)).status_code == 404
    browser.post(f"/polls/{pid}/public", {"public": "on"})
    assert polls.get_poll(bservices, pid).public_token not in (None, token)  # the old link stays dead
