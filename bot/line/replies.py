"""Turning content keys into the exact text a phone receives, with its SMS cost."""
from __future__ import annotations

from dataclasses import dataclass

from content.sms import segment_info, smart_encode


@dataclass(frozen=True)
class Reply:
    text: str
    encoding: str | None = None
    segments: int | None = None


def finish(text: str, channel: str) -> Reply:
    """SMS gets look-alike characters swapped for GSM-7 ones, so one curly quote costs nothing."""
    if channel == "sms":
        text = smart_encode(text)
    info = segment_info(text)
    return Reply(text, info.encoding, info.segments if channel == "sms" else 1)
