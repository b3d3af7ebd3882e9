"""What PostgreSQL refuses is found anywhere in a message, also in form fields only `raw` keeps."""
from __future__ import annotations

import pytest

from bot.line.store import storable
from bot.messages import Inbound


def _inbound(raw: dict, body: str = "hi") -> Inbound:
    return Inbound(sid="SM" + "a" * 32, channel="sms", from_address="+254711000001", to_address="+254709990001",
                   phone="+254711000001", to_number="+254709990001", body=body, raw=raw)


@pytest.mark.parametrize("raw", [
    {"Body": "hi", "ApiVersion": "2010\x00-04-01"},      # in a value of a flat form
    {"Body": "hi", "Api\x00Version": "2010-04-01"},      # in a key
    {"Body": "hi", "ApiVersion": "\ud800"},              # a lone surrogate
    {"Body": "hi", "nested": {"deep": ["x", "y\x00"]}},  # not a flat form: walked
])
def test_refused_text_only_in_raw_is_escaped(raw):
    inbound = _inbound(raw)
    clean = storable(inbound)
    assert clean is not inbound  # cleaned, not passed through
    text = repr(clean.raw)
    assert "\x00" not in text and "\ud800" not in text
    assert "\\u0000" in text or "\\ud800" in text


def test_a_clean_message_is_the_same_object():
    inbound = _inbound({"Body": "hi", "NumMedia": "0", "nested": {"a": [1, 2.5, None]}})
    assert storable(inbound) is inbound
