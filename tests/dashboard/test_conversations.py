"""Conversations page: the list, one thread, taking over, replying through the sender, handing back,
and the organization boundary, CSRF and bad input on every action."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select, update

from bot.models import AuditEvent, Contact, Handover, InboundMessage, Member, OutboundMessage, utcnow
from bot.messages import SendResult

ORG = "nairobi-vendors"
NUMBER = "+254744000123"


def text(services, key, channel="sms"):
    org = services.catalog.organizations[ORG]
    return services.catalog.text(ORG, key, "en", channel, org_name=org.name)


def contact_id(services, number=NUMBER) -> int:
    with services.db() as session:
        return session.scalar(select(Contact.id).where(Contact.phone == number))


def outbox(services) -> list[dict]:
    return services.sender.read()


def organizer_messages(services) -> list[OutboundMessage]:
    with services.db() as session:
        return list(session.scalars(select(OutboundMessage).where(OutboundMessage.kind == "organizer")))


@pytest.fixture
def worker(services, phone):
    """A worker on SMS who has written to the Nairobi line."""
    w = phone(NUMBER)
    assert w.send("hi") == text(services, "menu.main")
    return w


@pytest.fixture
def cid(services, worker) -> int:
    return contact_id(services)


def make_member(services, cid: int, number="NRB-00042", name="Achieng Otieno", seq=42):
    with services.engine.begin() as conn:
        conn.execute(insert(Member).values(organization=ORG, contact_id=cid, seq=seq, number=number, name=name,
                                           trade="vendor", consent_version="v1", consented_at=utcnow()))


# --------------------------------------------------------------------------- the list


def test_list_shows_masked_numbers_newest_first(services, signed_in, phone, worker):
    phone("+254744000999").send("habari")
    page = signed_in.get("/conversations").get_data(as_text=True)
    assert NUMBER not in page and "+254 7•• ••• 123" in page and "+254 7•• ••• 999" in page
    assert page.index("+254 7•• ••• 999") < page.index("+254 7•• ••• 123")  # newest message first
    assert 'id="conversation-count" data-total="2"' in page
    assert "habari" in page


def test_list_shows_member_name_and_number(services, signed_in, cid):
    make_member(services, cid)
    page = signed_in.get("/conversations").get_data(as_text=True)
    assert "Achieng Otieno" in page and "NRB-00042" in page


@pytest.mark.parametrize("q", ["123", "42", "0744000123", "+254744000123", "NRB-00042", "nrb-42", "achieng"])
def test_search_by_last_digits_member_number_or_name(services, signed_in, phone, cid, q):
    make_member(services, cid)
    phone("+254744000555").send("hi")
    page = signed_in.get("/conversations", query_string={"q": q}).get_data(as_text=True)
    assert f'data-contact="{cid}"' in page
    assert 'data-total="1"' in page


def test_search_matching_nothing_says_so(signed_in, worker):
    page = signed_in.get("/conversations?q=987654").get_data(as_text=True)
    assert 'data-total="0"' in page and "No conversation matches" in page


def test_taken_over_filter_and_marker(services, signed_in, phone, cid):
    phone("+254744000555").send("hi")
    assert signed_in.post(f"/conversations/{cid}/take-over").status_code == 302
    page = signed_in.get("/conversations").get_data(as_text=True)
    assert re.search(rf'data-contact="{cid}"\s+data-handover="yes"', page)
    assert "taken over by Organizer of nairobi-vendors" in page
    only = signed_in.get("/conversations?taken_over=1").get_data(as_text=True)
    assert 'data-total="1"' in only and f'data-contact="{cid}"' in only


def test_whatsapp_window_shown(services, signed_in, phone):
    phone("+254744000777", "whatsapp").send("hi")
    page = signed_in.get("/conversations").get_data(as_text=True)
    assert 'data-channel="whatsapp"' in page and 'data-window="open"' in page
    with services.engine.begin() as conn:
        conn.execute(update(Contact).values(last_inbound_whatsapp_at=utcnow() - timedelta(hours=25)))
    assert 'data-window="closed"' in signed_in.get("/conversations").get_data(as_text=True)


def test_bad_page_number_is_a_400(signed_in):
    response = signed_in.get("/conversations?page=abc", headers={"Accept": "text/html"})
    assert response.status_code == 400 and "whole number" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- one thread


def test_thread_shows_inbound_and_replies_oldest_first(services, signed_in, worker, cid):
    worker.send("2")
    page = signed_in.get(f"/conversations/{cid}").get_data(as_text=True)
    keys = re.findall(r'data-key="((?:in|out)-\d+)"', page)
    assert [k.split("-")[0] for k in keys] == ["in", "out", "in", "out"]
    assert "Bot reply" in page and NUMBER not in page and 'data-handover="no"' in page


def test_thread_pages_long_conversations(services, signed_in, cid):
    now = utcnow()
    with services.engine.begin() as conn:
        conn.execute(insert(InboundMessage), [
            {"provider_sid": f"SMold{i:04d}", "channel": "sms", "organization": ORG, "contact_id": cid,
             "from_address": NUMBER, "to_address": "+254709990001", "body": f"message {i}", "media": [],
             "raw": {}, "received_at": now - timedelta(hours=2, minutes=120 - i)} for i in range(120)])
    first = signed_in.get(f"/conversations/{cid}").get_data(as_text=True)
    assert first.count('class="message ') == 50 and 'id="older"' in first and 'data-live="yes"' in first
    assert "message 119<" in first and "message 71<" not in first
    assert first.index("message 119<") < first.index("Bot reply")  # oldest to newest
    older = signed_in.get(f"/conversations/{cid}?page=3").get_data(as_text=True)
    assert "message 0<" in older and 'data-live="no"' in older and 'id="newer"' in older


def test_poll_returns_only_new_messages_and_state(services, signed_in, worker, cid):
    first = signed_in.get(f"/conversations/{cid}/messages").get_json()
    after_in, after_out = first["after_in"], first["after_out"]
    assert len(first["items"]) == 2 and first["state"]["handover"] is None
    worker.send("2")
    polled = signed_in.get(f"/conversations/{cid}/messages?after_in={after_in}&after_out={after_out}").get_json()
    assert [i["direction"] for i in polled["items"]] == ["in", "out"]
    assert polled["items"][0]["body"] == "2" and polled["after_in"] > after_in
    assert signed_in.get(f"/conversations/{cid}/messages?after_in=x").status_code == 400


# --------------------------------------------------------------------------- take over, reply, hand back


def test_take_over_silences_the_bot_and_the_message_shows_on_the_page(services, signed_in, worker, cid):
    response = signed_in.post(f"/conversations/{cid}/take-over")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/conversations/{cid}#reply")
    assert worker.send("my stall was taken") == ""
    page = signed_in.get(f"/conversations/{cid}").get_data(as_text=True)
    assert "my stall was taken" in page and 'data-handover="yes"' in page and 'data-state="organizer"' in page
    polled = signed_in.get(f"/conversations/{cid}/messages").get_json()
    assert polled["state"]["handover"]["mine"] is True
    with services.db() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "handover_start"))
    assert event.target == f"contact:{cid}"


def test_organizer_reply_reaches_the_phone(services, signed_in, organizer, worker, cid):
    signed_in.post(f"/conversations/{cid}/take-over")
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "Pole! I am calling the council now."})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["item"]["kind"] == "organizer" and body["item"]["by"] == organizer.name
    [sent] = outbox(services)
    assert (sent["to"], sent["from"], sent["body"]) == (NUMBER, "+254709990001", "Pole! I am calling the council now.")
    [row] = organizer_messages(services)
    assert (row.contact_id, row.channel, row.provider_sid, row.status) == (cid, "sms", sent["sid"], "sent")
    with services.db() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "conversation_reply"))
    assert (event.user_id, event.target) == (organizer.id, f"outbound:{row.id}")
    page = signed_in.get(f"/conversations/{cid}").get_data(as_text=True)
    assert f"Organizer: {organizer.name}" in page
    assert worker.send("asante") == ""  # still taken over


def test_a_reply_without_take_over_takes_over(services, signed_in, worker, cid):
    response = signed_in.post(f"/conversations/{cid}/reply", {"body": "Hello from the office"})
    assert response.status_code == 302
    assert len(outbox(services)) == 1
    assert worker.send("1") == ""


def test_whatsapp_reply_inside_the_window_goes_by_whatsapp(services, signed_in, phone):
    phone(NUMBER, "whatsapp").send("hi")
    cid = contact_id(services)
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "Tuko njiani"})
    assert response.status_code == 200
    [sent] = outbox(services)
    assert (sent["to"], sent["from"]) == (f"whatsapp:{NUMBER}", "whatsapp:+254709990001")
    assert organizer_messages(services)[0].channel == "whatsapp"


def test_whatsapp_reply_outside_the_window_is_refused(services, signed_in, phone):
    phone(NUMBER, "whatsapp").send("hi")
    cid = contact_id(services)
    with services.engine.begin() as conn:
        conn.execute(update(Contact).values(last_inbound_whatsapp_at=utcnow() - timedelta(hours=25)))
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "Are you there?"})
    assert response.status_code == 409 and "24 hours" in response.get_json()["error"]
    form = signed_in.post(f"/conversations/{cid}/reply", {"body": "Are you there?"})
    assert form.status_code == 409 and "24 hours" in form.get_data(as_text=True)
    assert "Are you there?</textarea>" in form.get_data(as_text=True)  # what was typed is kept
    assert outbox(services) == [] and organizer_messages(services) == []


def test_reply_to_an_opted_out_worker_is_refused(services, signed_in, worker, cid):
    worker.send("STOP")
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "Hello?"})
    assert response.status_code == 409 and "STOP" in response.get_json()["error"]
    assert outbox(services) == []


def test_a_failed_send_is_recorded_and_said(services, signed_in, worker, cid, monkeypatch):
    monkeypatch.setattr(services.sender, "send", lambda message: SendResult(None, "failed", 21610, "blocked"))
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "Hello?"})
    assert response.status_code == 502 and "could not be sent" in response.get_json()["error"]
    [row] = organizer_messages(services)
    assert (row.status, row.error_code) == ("failed", 21610)


def test_hand_back_lets_the_bot_answer_again(services, signed_in, worker, cid):
    signed_in.post(f"/conversations/{cid}/take-over")
    assert worker.send("1") == ""
    response = signed_in.fetch("POST", f"/conversations/{cid}/hand-back")
    assert response.status_code == 200 and response.get_json()["state"]["handover"] is None
    assert worker.send("hi") == text(services, "menu.main")
    again = signed_in.post(f"/conversations/{cid}/hand-back")
    assert again.status_code == 302


def test_expiry_lets_the_bot_answer_again(services, signed_in, worker, cid):
    signed_in.post(f"/conversations/{cid}/take-over")
    with services.engine.begin() as conn:
        conn.execute(update(Handover).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert worker.send("hi") == text(services, "menu.main")
    assert 'data-handover="no"' in signed_in.get(f"/conversations/{cid}").get_data(as_text=True)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("body", ["", "   ", None])
def test_empty_reply_is_a_400_with_a_message(services, signed_in, cid, body):
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": body})
    assert response.status_code == 400 and "Write a message" in response.get_json()["error"]
    form = signed_in.post(f"/conversations/{cid}/reply", {"body": body or ""})
    assert form.status_code == 400 and "Write a message" in form.get_data(as_text=True)
    assert outbox(services) == []


def test_too_long_reply_is_a_400_with_a_message(services, signed_in, cid):
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", {"body": "x" * 1601})
    assert response.status_code == 400 and "at most 1600" in response.get_json()["error"]
    assert outbox(services) == [] and organizer_messages(services) == []


@pytest.mark.parametrize("payload", [{"body": ["a"]}, {"body": 5}, "a string", [1, 2]])
def test_non_text_reply_is_a_400(signed_in, cid, payload):
    response = signed_in.fetch("POST", f"/conversations/{cid}/reply", payload)
    assert response.status_code == 400 and "body" in response.get_json()["error"]


def test_unknown_conversation_is_a_404(signed_in):
    assert signed_in.get("/conversations/999999").status_code == 404


# --------------------------------------------------------------------------- boundary and CSRF


def test_outsider_cannot_reach_a_nairobi_conversation(services, outsider, worker, cid):
    assert outsider.get(f"/conversations/{cid}").status_code == 404
    assert outsider.get(f"/conversations/{cid}/messages").status_code == 404
    assert outsider.post(f"/conversations/{cid}/take-over").status_code == 404
    assert outsider.fetch("POST", f"/conversations/{cid}/reply", {"body": "hi"}).status_code == 404
    assert outsider.post(f"/conversations/{cid}/reply", {"body": "hi"}).status_code == 404
    assert outsider.post(f"/conversations/{cid}/hand-back").status_code == 404
    listing = outsider.get("/conversations", query_string={"q": "123"}).get_data(as_text=True)
    assert f'data-contact="{cid}"' not in listing and 'data-total="0"' in listing
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(Handover)) == 0
    assert outbox(services) == [] and organizer_messages(services) == []
    assert worker.send("hi") == text(services, "menu.main")


def test_outsider_cannot_hand_back_a_nairobi_handover(services, signed_in, outsider, cid):
    signed_in.post(f"/conversations/{cid}/take-over")
    assert outsider.fetch("POST", f"/conversations/{cid}/hand-back").status_code == 404
    with services.db() as session:
        assert session.scalar(select(Handover)).ended_at is None


def test_actions_without_the_csrf_token_are_refused(services, signed_in, worker, cid):
    client = signed_in.client
    assert client.post(f"/conversations/{cid}/reply", data={"body": "hi"}).status_code == 400
    assert client.post(f"/conversations/{cid}/reply", json={"body": "hi"}).status_code == 400
    assert client.post(f"/conversations/{cid}/take-over").status_code == 400
    signed_in.post(f"/conversations/{cid}/take-over")
    assert client.post(f"/conversations/{cid}/hand-back").status_code == 400
    assert outbox(services) == [] and organizer_messages(services) == []
    with services.db() as session:
        assert session.scalar(select(Handover)).ended_at is None


def test_signed_out_is_sent_to_sign_in(client, cid):
    assert client.get(f"/conversations/{cid}").status_code == 302
    assert client.get(f"/conversations/{cid}/messages").status_code == 302


def test_page_js_and_css_are_served(signed_in):
    for path in ("/static/js/conversations.js", "/static/css/conversations.css"):
        response = signed_in.get(path)
        assert response.status_code == 200
        response.close()


def test_json_helper_is_valid(signed_in, cid):
    data = signed_in.get(f"/conversations/{cid}/messages").get_json()
    json.dumps(data)
    assert set(data["state"]) >= {"channel", "opted_out", "whatsapp_window_until", "can_reply", "handover"}
