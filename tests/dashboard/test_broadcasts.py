"""The broadcasts pages: compose with a live preview that matches the audience, send through the page to
the Twilio stand-in, progress after status callbacks, pause/resume/cancel, the organization boundary,
CSRF and bad input."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from bot.broadcasts import create_broadcast, preview as service_preview
from bot.broadcasts.audience import Segment, audience
from bot.broadcasts.sending import drain
from bot.line.members import CONSENT_VERSION, save_member
from bot.models import AuditEvent, Broadcast, BroadcastRecipient, utcnow
from tests.broadcasts.conftest import People, bservices, standin  # noqa: F401  (fixtures)
from tests.conftest import PUBLIC_BASE_URL, sign
from tests.dashboard.conftest import signed_in_as

ORG = "nairobi-vendors"
EN = "Gikomba market is closed on Monday. Sell at Muthurwa."
SW = "Soko la Gikomba limefungwa Jumatatu. Uza Muthurwa."


@pytest.fixture
def bapp(bservices):  # noqa: F811
    from webhooks import create_app

    return create_app(services=bservices)


@pytest.fixture
def page(bapp, make_user):
    """An organizer of nairobi-vendors signed in to the app that sends through the stand-in."""
    return signed_in_as(bapp, make_user(ORG, "organizer"))


@pytest.fixture
def other_org(bapp, make_user):
    return signed_in_as(bapp, make_user("pune-wastepickers", "organizer"))


@pytest.fixture
def members(bservices):  # noqa: F811
    """Contacts registered through bot.line.members.save_member, like the registration flow does."""
    people = People(bservices)
    org = bservices.catalog.org(ORG)

    def make(place_id="nbo.gikomba", trade="vendor", language=None, **contact):
        cid = people.contact(language=language, **contact)
        save_member(bservices, org, cid, {"name": "Wanjiru", "trade": trade, "city": "Nairobi",
                                          "place_id": place_id, "language": language},
                    consent_version=CONSENT_VERSION)
        return cid

    make.people = people
    return make


def form(**overrides) -> dict:
    data = {"name": "Gikomba closure", "text_en": EN, "text_sw": SW, "registered": "yes",
            "markets": "nbo.gikomba", "action": "send"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def sent_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    found = re.fullmatch(r"/broadcasts/(\d+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def recipients(services, bid):
    with services.engine.connect() as conn:
        return {r.to_address: r for r in conn.execute(select(BroadcastRecipient)
                                                      .where(BroadcastRecipient.broadcast_id == bid))}


# --------------------------------------------------------------------------- pages


def test_list_and_compose_pages(page, bservices):  # noqa: F811
    assert "No broadcasts yet" in page.get("/broadcasts").get_data(as_text=True)
    html = page.get("/broadcasts/new").get_data(as_text=True)
    for hook in ('id="bc-text-en"', 'id="bc-text-sw"', 'id="bc-count-en"', 'id="bc-ucs2-sw"', 'id="bc-recipients"',
                 'id="bc-preview"', 'id="bc-send"', 'name="markets" value="nbo.gikomba"',
                 'name="registered" value="yes"', 'name="csrf_token"', "js/segments.js", "js/broadcasts.js"):
        assert hook in html, hook
    assert 'value="pune.' not in html  # only the organization's own places
    create_broadcast(bservices, ORG, {}, {"en": "hello"}, created_by="+254711000900", name="From the phone")
    listing = page.get("/broadcasts").get_data(as_text=True)
    assert "From the phone" in listing and "+254711000900" not in listing and "+254 7•• ••• 900" in listing
    assert 'data-state="draft"' in listing and 'href="/broadcasts/1"' in listing


def test_compose_is_prefilled_from_a_link(page):
    html = page.get("/broadcasts/new?markets=nbo.gikomba,nowhere&registered=yes&text_en=Closed+today").get_data(
        as_text=True)
    assert re.search(r'value="nbo.gikomba" checked', html)
    assert ">Closed today</textarea>" in html and "nowhere" not in html


def test_preview_counts_match_the_audience(page, bservices, members):  # noqa: F811
    for _ in range(3):
        members(language="sw")
    members()
    members(place_id="nbo.muthurwa")
    members(trade="porter")
    members(whatsapp_hours_ago=2)
    members(whatsapp_hours_ago=40)  # outside the 24 h window, no template: skipped
    members(opted_out=True)  # never
    members.people.contact()  # not a member
    segment = {"markets": ["nbo.gikomba"], "registered": True}
    body = {"segment": {"markets": ["nbo.gikomba"], "registered": "yes"}, "texts": {"en": EN, "sw": SW}}
    got = page.fetch("POST", "/broadcasts/preview", json=body)
    assert got.status_code == 200, got.json
    expected = service_preview(bservices, organization=ORG, segment=segment, texts={"en": EN, "sw": SW})
    query = audience(bservices.catalog, ORG, Segment.from_dict(segment), {"en": EN, "sw": SW}, False, utcnow())
    with bservices.engine.connect() as conn:
        rows = conn.execute(query).all()
    queued = [r for r in rows if r.state == "queued"]
    p = got.json
    assert p["recipients"] == expected["recipients"] == len(queued) == 6
    assert p["sms"] == {"recipients": 5, "segments": 5} and p["whatsapp"]["recipients"] == 1
    assert p["by_language"] == {"sw": 3, "en": 3}
    assert p["skipped"] == [{"reason": "whatsapp_window_closed", "count": 1, "explanation":
                             "Outside WhatsApp's 24-hour window: free text is not allowed; a template is needed."}]
    assert p["texts"]["en"] == {"encoding": "GSM-7", "segments": 1, "characters": len(EN),
                                "whatsapp_characters": len(EN), "forcing": []}
    # a template brings the stale WhatsApp member in
    body["template"] = {"content_sid": "HX" + "a" * 32, "variables": {"1": "Gikomba"}}
    p = page.fetch("POST", "/broadcasts/preview", json=body).json
    assert p["recipients"] == 7 and p["whatsapp"] == {"recipients": 2, "text": 1, "template": 1} and not p["skipped"]
    # other segments agree too
    for seg, api_seg in (({"trades": ["porter"]}, {"trades": ["porter"]}),
                         ({"languages": ["sw"]}, {"languages": ["sw"]}),
                         ({"registered": "no"}, {"registered": False}),
                         ({"cities": ["nairobi"], "channels": ["sms"]}, {"cities": ["Nairobi"], "channels": ["sms"]})):
        p = page.fetch("POST", "/broadcasts/preview", json={"segment": seg, "texts": {"en": EN}}).json
        assert p["recipients"] == service_preview(bservices, organization=ORG, segment=api_seg,
                                                  texts={"en": EN})["recipients"], seg
    # while the default text is still empty the count shows, the cost does not
    p = page.fetch("POST", "/broadcasts/preview", json={"segment": {}, "texts": {"en": "", "sw": SW}}).json
    assert p["recipients"] == 8 and p["sms"]["segments"] is None and p["complete"] is False
    # a UCS-2 text costs more, and the character that forces it is named
    p = page.fetch("POST", "/broadcasts/preview", json={"segment": {"markets": ["Gikomba"]},
                                                        "texts": {"en": "Closed Monday 😀"}}).json
    assert p["texts"]["en"]["encoding"] == "UCS-2" and p["texts"]["en"]["forcing"] == ["😀"]


def test_server_side_preview_without_js(page, members):
    members()
    members(language="sw")
    response = page.post("/broadcasts/new", form(action="preview"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="bc-recipients" data-recipients="2">2<', html)
    assert re.search(r'<button[^>]*id="bc-send"(?![^>]*hidden)[^>]*>Send to 2', html)
    assert "Gikomba closure" in html and SW in html  # the form keeps what was written


def test_sending_through_the_page_reaches_the_recipients(page, bservices, members, standin):  # noqa: F811
    sw = [members(language="sw") for _ in range(2)]
    members()
    members(place_id="nbo.muthurwa")  # another market: not included
    bid = sent_id(page.post("/broadcasts/new", form(text_en=EN + "\r\nAsk at the desk.")))
    with bservices.db() as session:
        b = session.get(Broadcast, bid)
        assert (b.state, b.organization, b.name) == ("sending", ORG, "Gikomba closure")
        assert b.created_by.startswith("organizer@") and b.texts["en"] == EN + "\nAsk at the desk."
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "broadcast.send")) == 1
    drain(bid, services=bservices, budget=None)
    bodies = sorted(m["body"] for m in standin.messages)
    assert bodies == sorted([SW, SW, EN + "\nAsk at the desk."])
    assert not standin.violations
    html = page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert 'data-state="done"' in html and '<dd data-count="sent">3</dd>' in html and "Gikomba closure" in html
    p = page.get(f"/broadcasts/{bid}/progress", headers={"Accept": "application/json"}).json
    assert p["state"] == "done" and p["counts"]["sent"] == 3 and p["percent"] == 100.0 and p["allowed"] == []
    assert len(sw) == 2


def test_send_twice_with_the_same_form_makes_one_broadcast(page, bservices, members):  # noqa: F811
    members()
    first = sent_id(page.post("/broadcasts/new", form(compose_id="abc123")))
    again = sent_id(page.post("/broadcasts/new", form(compose_id="abc123")))
    assert first == again
    with bservices.db() as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 1


def test_progress_follows_status_callbacks(page, bapp, bservices, members, standin):  # noqa: F811
    ok = members(phone="+254733100001")
    bad = members(phone="+254733100002")
    gone = members(phone="+254733100003")
    stop = members(phone="+254733100004")
    standin.fail_number("+254733100002", 21211)
    standin.fail_number("+254733100004", 21610)
    bid = sent_id(page.post("/broadcasts/new", form()))
    drain(bid, services=bservices, budget=None)
    rows = recipients(bservices, bid)
    client = bapp.test_client()

    def callback(sid, status, code=None):
        data = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32}
        if code:
            data["ErrorCode"] = code
        url = PUBLIC_BASE_URL + "/webhooks/twilio/status"
        assert client.post("/webhooks/twilio/status", data=data,
                           headers={"X-Twilio-Signature": sign(url, data)}).status_code == 204

    callback(rows["+254733100001"].provider_sid, "sent")
    callback(rows["+254733100001"].provider_sid, "delivered")
    callback(rows["+254733100003"].provider_sid, "undelivered", "30003")
    p = page.fetch("GET", f"/broadcasts/{bid}/progress").json
    assert p["counts"]["delivered"] == 1 and p["counts"]["failed"] == 3 and p["counts"]["sent"] == 0
    failures = {(f["reason"], f["error_code"]): f for f in p["failures"]}
    assert failures[("invalid_number", 21211)]["explanation"].startswith("Not a valid phone number")
    assert "replied STOP" in failures[("opted_out", 21610)]["explanation"]
    assert "switched off" in failures[("handset_unreachable", 30003)]["explanation"]
    html = page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert '<dd data-count="delivered">1</dd>' in html and 'data-code="21610"' in html
    assert "replied STOP to our number at their carrier" in html
    assert {ok, bad, gone, stop}


def test_63016_is_explained(page, bservices, members, standin):  # noqa: F811
    members(phone="+254733100010", whatsapp_hours_ago=1)
    bid = sent_id(page.post("/broadcasts/new", form()))
    drain(bid, services=bservices, budget=None)
    from bot.line.delivery import record_status

    record_status(bservices, recipients(bservices, bid)["whatsapp:+254733100010"].provider_sid, "failed", "63016")
    [f] = page.fetch("GET", f"/broadcasts/{bid}/progress").json["failures"]
    assert f["error_code"] == 63016 and "24-hour window" in f["explanation"]


def test_pause_resume_and_cancel_from_the_page(page, bservices, members, standin):  # noqa: F811
    for _ in range(4):
        members()
    bid = sent_id(page.post("/broadcasts/new", form()))
    html = page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert 'data-live="true"' in html
    assert re.search(r'<form[^>]*data-action="pause"(?![^>]*hidden)', html)
    assert re.search(r'<form[^>]*data-action="resume"[^>]*hidden', html)
    # a plain form (no JS): redirect back with the new state
    paused = page.post(f"/broadcasts/{bid}/pause")
    assert paused.status_code == 303 and paused.headers["Location"] == f"/broadcasts/{bid}"
    html = page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert 'data-state="paused"' in html and "Paused" in html
    assert re.search(r'<form[^>]*data-action="resume"(?![^>]*hidden)', html)
    drain(bid, services=bservices, budget=None)
    assert standin.messages == []  # paused: nothing goes out
    # fetch (JS): JSON with the new state and the actions it allows
    resumed = page.fetch("POST", f"/broadcasts/{bid}/resume")
    assert resumed.status_code == 200 and resumed.json["state"] == "sending"
    assert resumed.json["allowed"] == ["pause", "cancel"]
    cancelled = page.fetch("POST", f"/broadcasts/{bid}/cancel").json
    assert cancelled["state"] == "cancelled" and cancelled["counts"]["cancelled"] == 4 and cancelled["allowed"] == []
    drain(bid, services=bservices, budget=None)
    assert standin.messages == []
    # not allowed any more: a clear refusal, never a 500
    again = page.fetch("POST", f"/broadcasts/{bid}/pause")
    assert again.status_code == 409 and "cancelled: cannot go to paused" in again.json["error"]
    refused = page.post(f"/broadcasts/{bid}/resume")
    assert refused.status_code == 303
    assert "cannot go to sending" in page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert page.fetch("POST", f"/broadcasts/{bid}/explode").status_code == 404
    with bservices.db() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.target == str(bid))
                                  .order_by(AuditEvent.id)).all()
    assert actions == ["broadcast.send", "broadcast.pause", "broadcast.resume", "broadcast.cancel"]


def test_a_draft_is_sent_from_its_page(page, bservices, members, standin):  # noqa: F811
    members()
    bid = create_broadcast(bservices, ORG, {"registered": True}, {"en": EN})
    html = page.get(f"/broadcasts/{bid}").get_data(as_text=True)
    assert re.search(r'<form[^>]*data-action="send"(?![^>]*hidden)', html)
    assert page.fetch("POST", f"/broadcasts/{bid}/send").json["state"] == "sending"
    drain(bid, services=bservices, budget=None)
    assert [m["body"] for m in standin.messages] == [EN]


# --------------------------------------------------------------------------- boundary, CSRF, bad input


def test_another_organizations_broadcast_is_404_everywhere(page, other_org, bservices, members):  # noqa: F811
    members()
    bid = sent_id(page.post("/broadcasts/new", form()))
    draft = create_broadcast(bservices, ORG, {}, {"en": EN})
    other_org.refresh_token("/broadcasts")
    assert other_org.get(f"/broadcasts/{bid}").status_code == 404
    assert other_org.get(f"/broadcasts/{bid}/progress", headers={"Accept": "application/json"}).status_code == 404
    for action in ("pause", "resume", "cancel", "send"):
        assert other_org.post(f"/broadcasts/{bid}/{action}").status_code == 404, action
        assert other_org.fetch("POST", f"/broadcasts/{draft}/{action}").status_code == 404, action
    assert other_org.get("/broadcasts/999999").status_code == 404
    assert "Gikomba closure" not in other_org.get("/broadcasts").get_data(as_text=True)
    # their markets are not choices here either
    bad = other_org.fetch("POST", "/broadcasts/preview", json={"segment": {"markets": ["nbo.gikomba"]},
                                                               "texts": {"hi": "x", "en": "x"}})
    assert bad.status_code == 400 and "unknown market" in bad.json["error"]
    with bservices.db() as session:
        states = dict(session.execute(select(Broadcast.id, Broadcast.state)).all())
    assert states == {bid: "sending", draft: "draft"}


def test_requests_without_the_csrf_token_are_refused(page, bservices, members):  # noqa: F811
    members()
    no_token = page.client.post("/broadcasts/new", data=form(), headers={"Accept": "text/html"})
    assert no_token.status_code == 400 and "did not come from this site" in no_token.get_data(as_text=True)
    wrong = page.client.post("/broadcasts/new", data={**form(), "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert page.client.post("/broadcasts/preview", json={"segment": {}, "texts": {"en": EN}}).status_code == 400
    bid = create_broadcast(bservices, ORG, {}, {"en": EN})
    for action in ("send", "cancel"):
        assert page.client.post(f"/broadcasts/{bid}/{action}").status_code == 400
    with bservices.db() as session:
        assert session.scalars(select(Broadcast.state)).all() == ["draft"]


@pytest.mark.parametrize("overrides, message", [
    ({"text_en": "", "text_sw": ""}, "the text is empty"),
    ({"text_en": "   ", "text_sw": SW}, "Write the English text"),
    ({"text_en": "a" * 1601}, "the limit is 1600"),
    ({"text_sw": "b" * 2000}, "the limit is 1600"),
    ({"markets": "nbo.atlantis"}, "unknown market 'nbo.atlantis'"),
    ({"cities": "Pune"}, "unknown city 'Pune'"),
    ({"trades": "astronaut"}, "unknown trade 'astronaut'"),
    ({"languages": "fr"}, "unknown language 'fr'"),
    ({"channels": "pigeon"}, "unknown channel 'pigeon'"),
    ({"registered": "maybe"}, "registered must be"),
    ({"registered": "no"}, "not 'not registered'"),
    ({"template_sid": "not-a-sid"}, "Content SID"),
    ({"template_sid": "HX" + "a" * 32, "template_vars": "no equals sign"}, "line 1"),
    ({"text_fr": "Bonjour"}, "not one of this organization"),
    ({"action": "launch"}, "Choose Preview or Send"),
])
def test_bad_input_is_a_400_with_a_message(page, bservices, members, overrides, message):  # noqa: F811
    members()
    response = page.post("/broadcasts/new", form(**overrides))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400, html[:500]
    assert message in html and 'id="bc-form-error"' in html
    with bservices.db() as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_nobody_in_the_segment_is_refused(page, bservices):  # noqa: F811
    response = page.post("/broadcasts/new", form())
    assert response.status_code == 400 and "No one matches" in response.get_data(as_text=True)


@pytest.mark.parametrize("body, message", [
    ({"segment": {"markets": ["nowhere"]}, "texts": {"en": EN}}, "unknown market"),
    ({"segment": {"trades": "vendor,astronaut"}, "texts": {"en": EN}}, "unknown trade"),
    ({"segment": {"colour": ["red"]}, "texts": {"en": EN}}, "unknown segment field"),
    ({"segment": {"markets": [1, 2]}, "texts": {"en": EN}}, "lists of strings"),
    ({"segment": [], "texts": {"en": EN}}, "segment must be an object"),
    ({"segment": {}, "texts": {"en": 5}}, "must be a string"),
    ({"segment": {}, "texts": {"en": "x" * 1700}}, "the limit is 1600"),
    ({"segment": {}, "texts": {"en": EN}, "template": {"content_sid": "XX1"}}, "Content SID"),
    ([1, 2], "JSON object"),
])
def test_bad_preview_input_is_a_400_with_a_message(page, body, message):
    response = page.fetch("POST", "/broadcasts/preview", json=body)
    assert response.status_code == 400 and message in response.json["error"], response.json
