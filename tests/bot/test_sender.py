"""The sender's two implementations: twilio-python's real Client against the local stand-in of
Twilio's Messages API (which checks every request against Twilio's OpenAPI description), and the
local outbox."""
from __future__ import annotations

import json

import pytest

from bot.messages import Outgoing
from bot.providers.outbox import OutboxSender
from bot.providers.twilio.sender import TwilioSender
from standin.twilio_api import TwilioStandin

SID, TOKEN = "AC" + "1" * 32, "standin-secret"
CALLBACK = "https://streetline.example.org/webhooks/twilio/status"


@pytest.fixture
def twilio():
    with TwilioStandin(account_sid=SID, auth_token=TOKEN) as standin:
        yield standin


@pytest.fixture
def sender(twilio):
    sender = TwilioSender(SID, TOKEN, base_url=twilio.base_url, timeout=5, status_callback=CALLBACK)
    yield sender
    sender.close()


def test_twilio_sender_creates_a_message_the_api_accepts(twilio, sender):
    result = sender.send(Outgoing(to="+254711000001", from_="+254709990001", body="Gikomba is open today"))
    assert result.sid and result.sid.startswith("SM") and result.status == "queued" and result.error_code is None
    [message] = twilio.messages
    assert (message["to"], message["body"]) == ("+254711000001", "Gikomba is open today")
    assert twilio.violations == []
    [request] = [r for r in twilio.requests if r["method"] == "POST"]
    assert request["form"]["StatusCallback"] == CALLBACK  # the one callback URL, set by the provider


def test_a_message_that_needs_no_status_asks_for_no_callback(twilio, sender):
    sender.send(Outgoing(to="+254711000001", from_="+254709990001", body="hi", track_status=False))
    [request] = [r for r in twilio.requests if r["method"] == "POST"]
    assert "StatusCallback" not in request["form"]


def test_whatsapp_template_send_uses_content_sid(twilio, sender):
    result = sender.send(Outgoing(to="whatsapp:+254711000002", from_="whatsapp:+254709990001", body="",
                                  content_sid="HX" + "a" * 32, content_variables={"1": "Gikomba"}))
    assert result.status == "queued" and twilio.violations == []
    [request] = [r for r in twilio.requests if r["method"] == "POST"]
    assert json.loads(request["form"]["ContentVariables"]) == {"1": "Gikomba"}


@pytest.mark.parametrize("code,retryable", [(21610, False), (21211, False)])
def test_permanent_errors_come_back_with_their_code(twilio, sender, code, retryable):
    twilio.fail_number("+254711000003", code=code)
    result = sender.send(Outgoing(to="+254711000003", from_="+254709990001", body="hello"))
    assert (result.sid, result.status, result.error_code, result.retryable) == (None, "failed", code, retryable)


def test_rate_limit_and_server_errors_are_retryable(twilio, sender):
    twilio.fail_next(1, status=503)
    result = sender.send(Outgoing(to="+254711000004", from_="+254709990001", body="hello"))
    assert result.status == "failed" and result.retryable
    twilio.set_rate(1)
    first = sender.send(Outgoing(to="+254711000004", from_="+254709990001", body="one"))
    second = sender.send(Outgoing(to="+254711000004", from_="+254709990001", body="two"))
    assert first.sid and second.error_code == 20429 and second.retryable


def test_a_dropped_connection_is_a_retryable_failure(twilio, sender):
    twilio.drop_next(1)
    result = sender.send(Outgoing(to="+254711000005", from_="+254709990001", body="hello"))
    assert result.status == "failed" and result.retryable and result.sid is None


def test_wrong_credentials_are_refused(twilio):
    wrong = TwilioSender(SID, "not-the-token", base_url=twilio.base_url, timeout=5)
    result = wrong.send(Outgoing(to="+254711000006", from_="+254709990001", body="hello"))
    wrong.close()
    assert result.status == "failed" and result.error_code == 20003 and not result.retryable


def test_outbox_sender_appends_one_line_per_message(tmp_path):
    outbox = OutboxSender(tmp_path / "outbox.jsonl")
    first = outbox.send(Outgoing(to="+254711000007", from_="+254709990001", body="Soko la Gikomba limefungwa"))
    outbox.send(Outgoing(to="+254711000008", from_="+254709990001", body="other"))
    assert first.status == "sent" and first.sid.startswith("OB")
    [line] = outbox.read(to="+254711000007")
    assert (line["sid"], line["body"]) == (first.sid, "Soko la Gikomba limefungwa")
    assert len(outbox.read()) == 2


def test_both_providers_list_what_they_hold_newest_first(twilio, sender, tmp_path):
    # What a broadcast worker reconciles against when a send's answer was lost.
    outbox = OutboxSender(tmp_path / "outbox.jsonl")
    for provider in (sender, outbox):
        first = provider.send(Outgoing(to="+254711000009", from_="+254709990001", body="first"))
        second = provider.send(Outgoing(to="+254711000009", from_="+254709990001", body="second"))
        provider.send(Outgoing(to="+254711000010", from_="+254709990001", body="someone else"))
        held = provider.sent_to("+254711000009", "+254709990001")
        assert [(m.sid, m.body) for m in held] == [(second.sid, "second"), (first.sid, "first")]
        assert all(m.created_at is not None and m.created_at.tzinfo is not None for m in held)
    assert (sender.thread_safe, outbox.thread_safe) == (False, True)


@pytest.mark.parametrize("code", [21611, 30001])
def test_a_full_queue_is_tried_again_later(twilio, sender, code):
    # The error table's "queue_full" means nothing was created: the same message may be sent again.
    twilio.fail_number("+254711000011", code=code, status=400)
    result = sender.send(Outgoing(to="+254711000011", from_="+254709990001", body="hello"))
    assert (result.status, result.error_code, result.retryable) == ("failed", code, True)
