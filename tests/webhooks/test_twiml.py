"""The TwiML written by hand is the document twilio-python's MessagingResponse writes, for any text."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from bot.providers.twilio.twiml import messages

# Text as replies carry it: any character XML 1.0 allows (content is never control characters).
_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x0b\x0c")
                .filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20), max_size=200)


def _library(texts: list[str]) -> str:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(_TEXT, max_size=4))
def test_same_document_as_messaging_response(texts):
    assert messages(texts) == _library(texts)


def test_markup_in_a_reply_stays_text():
    assert messages(["1 <b>Relief</b> & more > less"]) == _library(["1 <b>Relief</b> & more > less"])
    assert "<b>" not in messages(["<b>"])
