"""One validator for a broadcast draft. The compose page, the API, the CLI and create_broadcast() all go
through validate(), so none of them accepts what another refuses. It returns a clean Draft or raises
Invalid(field, key, message, **params): the pages translate the key, the API and the CLI show the message.

Rules: the segment names only this organization's cities, markets (ids or names), trades (content's trade
list), languages and the two channels; "not registered" cannot be combined with cities, markets or trades.
Texts only in the organization's languages, strings of at most 1600 characters (Twilio's limit for one
body), blank ones dropped, and (strict) one in the default language, which everyone without a text in
their own language gets. A template is a Content SID (HX + 32 hex digits) with string variables."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bot.broadcasts.audience import CHANNELS, SegmentError, resolve_markets
from bot.broadcasts.errors import Invalid

MAX_TEXT = 1600
MAX_NAME = 200
SEGMENT_FIELDS = ("cities", "markets", "trades", "languages", "registered", "channels")
SINGULAR = {"cities": "city", "trades": "trade", "languages": "language", "channels": "channel"}
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
RATE_UNITS = ("segments", "messages")


@dataclass(frozen=True)
class Draft:
    name: str
    segment: dict
    texts: dict
    template: dict | None
    rate: float | None = None  # None: the configured default
    rate_unit: str | None = None


def validate(catalog, organization: str, data: dict, *, strict: bool = True) -> Draft:
    """A clean draft from {name, segment, texts, template, rate, rate_unit} (other keys are the caller's).
    strict=False (the page's live preview) lets the texts be empty while the organizer types."""
    try:
        org = catalog.org(organization)
    except KeyError:
        raise Invalid("organization", "unknown_organization", f"unknown organization {organization!r}") from None
    return Draft(name=_name(data.get("name")), segment=_segment(catalog, org, data.get("segment")),
                 texts=_texts(org, data.get("texts"), strict), template=_template(data.get("template")),
                 rate=_rate(data.get("rate")), rate_unit=_rate_unit(data.get("rate_unit")))


def _many(name: str, value) -> list[str]:
    """A list of strings, or one comma-separated string (forms and query strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"segment.{name}", "not_strings", f"segment.{name}: segment values must be lists of strings")
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _registered(value) -> bool | None:
    if value is None or value in ("", "any"):
        return None
    if value is True or value in ("yes", "true", "members"):  # `is`: 1 == True is not an answer
        return True
    if value is False or value in ("no", "false", "contacts"):
        return False
    raise Invalid("segment.registered", "registered",
                  "segment.registered: registered must be any, yes (members only) or no (not registered)")


def _segment(catalog, org, raw) -> dict:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise Invalid("segment", "not_object", 'segment must be an object, e.g. {"markets": ["nbo.gikomba"]}')
    unknown = sorted(set(raw) - set(SEGMENT_FIELDS))
    if unknown:
        raise Invalid("segment", "unknown_fields", f"unknown segment field(s): {', '.join(unknown)}", names=unknown)
    allowed = {"cities": list(org.cities), "trades": list(catalog.choice("trade").values),
               "languages": list(org.languages), "channels": list(CHANNELS)}
    segment: dict = {}
    for name, choices in allowed.items():
        folded = {c.casefold(): c for c in choices}
        values = _many(name, raw.get(name))
        for value in values:
            if value.casefold() not in folded:
                raise Invalid(f"segment.{name}", "unknown_choice",
                              f"unknown {SINGULAR[name]} {value!r}: choose from {', '.join(choices)}",
                              value=value, choices=choices)
        segment[name] = [folded[v.casefold()] for v in values]
    try:  # ids ("nbo.gikomba") or names ("Gikomba") of this organization's places only
        segment["markets"] = list(resolve_markets(catalog, org.slug, tuple(_many("markets", raw.get("markets")))))
    except SegmentError as exc:
        raise Invalid("segment.markets", "unknown_market", str(exc)) from None
    segment["registered"] = _registered(raw.get("registered"))
    if not segment["channels"] or set(segment["channels"]) == set(CHANNELS):
        segment.pop("channels")
    if segment["registered"] is False and (segment["cities"] or segment["markets"] or segment["trades"]):
        raise Invalid("segment.registered", "not_registered_members",
                      "segment: cities, markets and trades select registered members, not with registered=false")
    return segment


def language_text(org, field: str, lang: str, text) -> str:
    """One entry of a language -> text object: a language of the organization, and a string."""
    if lang not in org.languages:
        raise Invalid(f"{field}.{lang}", "language_not_of_org",
                      f"language {lang!r} is not one of this organization's ({', '.join(org.languages)})",
                      language=lang)
    if not isinstance(text, str):
        raise Invalid(f"{field}.{lang}", "text_not_string", f"{field}.{lang} must be a string", language=lang)
    return text


def _texts(org, raw, strict: bool) -> dict:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise Invalid("texts", "not_object", "texts must be an object: language -> text")
    texts = {}
    for lang, text in raw.items():
        text = language_text(org, "texts", lang, text).replace("\r\n", "\n").replace("\r", "\n").strip()  # browsers send CRLF; counters see LF
        if len(text) > MAX_TEXT:
            raise Invalid(f"texts.{lang}", "text_too_long",
                          f"texts.{lang} is {len(text)} characters long: the limit is {MAX_TEXT}",
                          language=lang, length=len(text), limit=MAX_TEXT)
        if text:
            texts[lang] = text
    if strict and not texts:
        raise Invalid("texts", "text_empty", "texts: write the message, the text is empty")
    if strict and org.default_language not in texts:
        raise Invalid(f"texts.{org.default_language}", "default_text_missing",
                      f"texts must include the organization's default language ({org.default_language}): "
                      "recipients without a text in their language get that one", language=org.default_language)
    return texts


def _template(raw) -> dict | None:
    if raw is None or raw == "" or raw == {}:
        return None  # no template
    if isinstance(raw, str):
        raw = {"content_sid": raw}
    if not isinstance(raw, dict):
        raise Invalid("template", "not_object", "template must be an object {content_sid, variables}")
    sid = raw.get("content_sid")
    sid = sid.strip() if isinstance(sid, str) else sid
    if not isinstance(sid, str) or not CONTENT_SID.fullmatch(sid):
        raise Invalid("template.content_sid", "template_sid",
                      "template.content_sid must be a Content SID: HX and 32 hex digits")
    variables = raw.get("variables") or {}
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise Invalid("template.variables", "template_variables", "template.variables must be an object of strings")
    return {"content_sid": sid, "variables": {str(k): v for k, v in variables.items()}}


def _name(raw) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > MAX_NAME:
        raise Invalid("name", "name", f"name must be text of at most {MAX_NAME} characters", limit=MAX_NAME)
    return raw.strip()


def _rate(raw) -> float | None:
    """A JSON number (or a numeric string from a form) between 0 and 10000 per second; None: the default."""
    if raw is None:
        return None
    problem = Invalid("rate", "rate", "rate must be a number of messages or segments per second, above 0 and "
                      "at most 10000")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise problem
    try:
        rate = float(raw)
    except ValueError:
        raise problem from None
    if math.isnan(rate) or not 0 < rate <= 10000:
        raise problem
    return rate


def _rate_unit(raw) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in RATE_UNITS:
        raise Invalid("rate_unit", "rate_unit", "rate_unit must be 'segments' or 'messages'")
    return raw
