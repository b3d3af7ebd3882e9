"""End to end with the NLU server down: free text is still understood (fallback matcher) and answered."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models.core import InboundMessage
from nlu.server import free_port

pytestmark = [pytest.mark.slow]


@pytest.fixture
def settings(make_settings):
    # overrides the shared `settings`: RASA_URL points at a port where nothing listens
    return make_settings(rasa_url=f"http://127.0.0.1:{free_port()}", rasa_token="x", nlu_timeout=0.5)


@pytest.mark.parametrize("text,intent", [
    ("is gikomba opn 2moro", "ask_market_status"),
    ("polisi wamechukua bidhaa zangu", "report_incident"),
])
def test_rasa_down_still_answers_with_the_fallback(phone, db, text, intent):
    assert phone().send(text).strip()
    with Session(db) as s:
        msg = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(1)).one()
    assert (msg.body, msg.nlu_intent, msg.nlu_source) == (text, intent, "fallback")
