"""SMS encoding: GSM-7 / UCS-2 segment counting and "smart encoding" of look-alike characters.

Rules (3GPP TS 23.038 / 23.040, as applied by Twilio):

* GSM-7 basic table characters cost 1 septet; the extension table characters
  (form feed, ``^ { } \\ [ ~ ] | €``) cost 2 (escape + char).
  One segment holds 160 septets; a concatenated message holds 153 per part
  (the rest is the user data header), and an escape pair is never split.
* Any character outside both tables turns the whole message into UCS-2:
  70 UTF-16 code units in one segment, 67 per part; characters outside the BMP
  (most emoji) are surrogate pairs, 2 units, never split across parts.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SegmentInfo",
    "segment_info",
    "split_segments",
    "smart_encode",
    "is_gsm7",
    "non_gsm7_chars",
]

# The basic table, in table order (0x1B, the escape, is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int  # SMS parts needed (0 for an empty text)
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2

    @property
    def limit(self) -> int:
        """Units that fit in one single-segment message of this encoding."""
        return GSM7_SINGLE if self.encoding == "GSM-7" else UCS2_SINGLE


def is_gsm7(text: str) -> bool:
    return GSM7_ALL.issuperset(text)  # one C-level pass: this runs for every SMS reply


def non_gsm7_chars(text: str) -> list[tuple[int, str]]:
    """(index, char) of every character that forces UCS-2."""
    return [(i, c) for i, c in enumerate(text) if c not in GSM7_BASIC and c not in GSM7_EXTENSION]


def _unit_costs(text: str) -> tuple[str, list[int]]:
    if is_gsm7(text):
        if GSM7_EXTENSION.isdisjoint(text):
            return "GSM-7", [1] * len(text)
        return "GSM-7", [2 if c in GSM7_EXTENSION else 1 for c in text]
    return "UCS-2", [2 if ord(c) > 0xFFFF else 1 for c in text]


def _pack(costs: list[int], size: int) -> list[tuple[int, int]]:
    """Greedy split into (start, end) char ranges of at most ``size`` units, never splitting a char."""
    parts, start, used = [], 0, 0
    for i, cost in enumerate(costs):
        if used + cost > size:
            parts.append((start, i))
            start, used = i, 0
        used += cost
    parts.append((start, len(costs)))
    return parts


def segment_info(text: str) -> SegmentInfo:
    if GSM7_ALL.issuperset(text) and GSM7_EXTENSION.isdisjoint(text) and len(text) <= GSM7_SINGLE:
        return SegmentInfo("GSM-7", 1 if text else 0, len(text))  # the common reply: no lists built
    encoding, costs = _unit_costs(text)
    units = sum(costs)
    if units == 0:
        return SegmentInfo(encoding, 0, 0)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    if units <= single:
        return SegmentInfo(encoding, 1, units)
    return SegmentInfo(encoding, len(_pack(costs, multi)), units)


def split_segments(text: str) -> list[str]:
    """The text as the parts a handset would receive (for tests and the simulator)."""
    encoding, costs = _unit_costs(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    if sum(costs) <= single:
        return [text] if text else []
    return [text[a:b] for a, b in _pack(costs, multi)]


# Look-alikes -> GSM-7. Only characters whose replacement keeps the meaning.
_SMART: dict[str, str] = {}
for _chars, _repl in (
    ("\u201c\u201d\u201e\u201f\u2033\u2036\u301d\u301e\u02ba\u02ee\u275d\u275e\u00ab\u00bb", '"'),
    ("\u2018\u2019\u201a\u201b\u2032\u2035\u02b9\u02bb\u02bc\u02bd\u02be\u02bf\u02c8\u02ca\u02cb\u275b\u275c`\u00b4", "'"),
    ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u2043", "-"),
    ("\u2022\u00b7\u2219\u25cf\u25e6\u2023", "-"),
    ("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t", " "),
    ("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
    ("\u2028\u2029\u0085", "\n"),
    ("\u2039", "<"),
    ("\u203a", ">"),
    ("\u2044\u2215", "/"),
    ("\u02c6\u2038", "^"),
    ("\u02dc", "~"),
):
    for _c in _chars:
        _SMART[_c] = _repl
_SMART.update({"\u2026": "...", "\u2025": "..", "\u00bc": "1/4", "\u00bd": "1/2", "\u00be": "3/4",
               "\u2122": "TM", "\u00a9": "(c)", "\u00ae": "(R)", "\u00d7": "x", "\u00f7": "/",
               "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u00b1": "+/-"})
# Full-width ASCII (U+FF01..U+FF5E) -> ASCII.
for _cp in range(0xFF01, 0xFF5F):
    _SMART.setdefault(chr(_cp), chr(_cp - 0xFEE0))
_SMART_TABLE = str.maketrans(_SMART)

_LIGATURES = {"œ": "oe", "Œ": "OE", "ĳ": "ij", "Ĳ": "IJ", "ﬁ": "fi", "ﬂ": "fl", "ç": "c", "đ": "d", "ł": "l", "Ł": "L"}


def _fold(c: str) -> str:
    if c in GSM7_BASIC or c in GSM7_EXTENSION:
        return c
    if c in _LIGATURES:
        return _LIGATURES[c]
    decomposed = unicodedata.normalize("NFD", c)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and base.isalpha() and all(unicodedata.combining(m) for m in marks):
        # Keep GSM-7 accented forms when the composition exists there (e.g. é, ñ, ü).
        return base
    return c


def smart_encode(text: str, *, fold_accents: bool = False) -> str:
    """Replace look-alike characters (curly quotes, dashes, ellipsis, unicode spaces, zero-width
    characters, full-width forms ...) by GSM-7 equivalents, as Twilio's Smart Encoding does.

    With ``fold_accents=True`` Latin letters whose accent GSM-7 lacks (á í ó ú â ê ô ç ...) lose
    their accent too (é, ñ, ü, à ... are GSM-7 and stay). Text in other scripts is left alone:
    a Devanagari message stays UCS-2.
    """
    out = text.translate(_SMART_TABLE)
    if fold_accents and not is_gsm7(out):
        out = "".join(_fold(c) for c in unicodedata.normalize("NFC", out))
    return out
