"""End to end: a worker's free-text SMS goes through the webhook, the engine and the REAL Rasa server
(or the fallback when Rasa is down), and the intent is stored on the inbound message."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models.core import InboundMessage

pytestmark = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(400)]

DAKAR = "+221338990001"
MONTEVIDEO = "+59829990001"
PUNE = "+912067990001"


@pytest.fixture
def settings(make_settings, rasa_server):
    # overrides the shared `settings`: the app under test talks to the session's real Rasa server
    return make_settings(rasa_url=rasa_server.url, rasa_token=rasa_server.token)


def last_inbound(db) -> InboundMessage:
    with Session(db) as s:
        return s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).one()


@pytest.mark.parametrize("text,intent,to", [
    ("is gikomba opn 2moro", "ask_market_status", None),
    ("polisi wamechukua bidhaa zangu", "report_incident", None),
    ("ou est l'aide alimentaire", "ask_relief", DAKAR),
    ("la feria de tristan narvaja abre el domingo?", "ask_market_status", MONTEVIDEO),
    ("kal mandi khulegi kya", "ask_market_status", PUNE),
    ("मेरा सामान पुलिस ले गई", "report_incident", PUNE),
])
def test_free_text_is_understood_by_rasa(phone, db, text, intent, to):
    worker = phone(to=to) if to else phone()
    reply = worker.send(text)
    assert reply.strip()
    msg = last_inbound(db)
    assert (msg.body, msg.nlu_intent, msg.nlu_source) == (text, intent, "rasa")
    assert 0 < msg.nlu_confidence <= 1
