"""One validator for a poll draft, used by the page, the API, the organizer SMS command and create_poll():
what one refuses, all refuse. Raises bot.broadcasts.Invalid(field, key, message, **params) like the
broadcasts' validator (whose segment and template rules it reuses).

A poll: name, segment (as a broadcast's), template (WhatsApp outside the 24 h window), opens_at and
closes_at (ISO 8601 with an offset, or datetimes; closes after opens), and one to three questions:

    {"texts": {"en": "Should we march on Friday?", "sw": "..."},
     "options": [{"value": "yes", "labels": {"en": "Yes", "sw": "Ndiyo"}}, ...]}   # 2 to 9 options
    {"texts": {...}, "yes_no": true}          # options yes / no, labels from content (poll.yes, poll.no)
    {"texts": {...}}                          # no options: a free answer

Every text and label needs the organization's default language (the fallback for everyone else); only
the organization's languages. An option's value is a short word (letters, digits, _ and -), unique in
its question; without one it is opt1, opt2, ...
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.broadcasts.errors import Invalid
from bot.broadcasts.validate import MAX_NAME, language_text, validate as validate_broadcast

MAX_QUESTIONS = 3
MAX_OPTIONS = 9  # a one-digit answer
MAX_QUESTION = 480
MAX_LABEL = 60
VALUE = re.compile(r"[a-z0-9_-]{1,32}")


@dataclass(frozen=True)
class PollDraft:
    name: str
    segment: dict
    template: dict | None
    questions: list
    opens_at: datetime | None
    closes_at: datetime | None


def validate_poll(catalog, organization: str, data: dict, *, yes_no_labels=None) -> PollDraft:
    """A clean draft. yes_no_labels(lang) -> (yes, no): the content labels for yes_no questions."""
    if not isinstance(data, dict):
        raise Invalid("poll", "not_object", "send a JSON object")
    base = validate_broadcast(catalog, organization, {"segment": data.get("segment"), "texts": {},
                                                      "template": data.get("template"), "name": data.get("name")},
                              strict=False)
    org = catalog.org(organization)
    raw = data.get("questions")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_QUESTIONS:
        raise Invalid("questions", "poll_questions", f"questions must be a list of 1 to {MAX_QUESTIONS} questions")
    questions = [_question(org, q, i, yes_no_labels) for i, q in enumerate(raw)]
    opens, closes = _when(data.get("opens_at"), "opens_at"), _when(data.get("closes_at"), "closes_at")
    if opens and closes and closes <= opens:
        raise Invalid("closes_at", "poll_closes_before_opens", "closes_at must be after opens_at")
    if not base.name:
        raise Invalid("name", "poll_name", f"name: give the poll a name (at most {MAX_NAME} characters)")
    return PollDraft(base.name, base.segment, base.template, questions, opens, closes)


def _texts(org, raw, field: str, limit: int) -> dict:
    if not isinstance(raw, dict) or not raw:
        raise Invalid(field, "poll_texts", f"{field} must be an object: language -> text")
    out = {}
    for lang, text in raw.items():
        text = " ".join(language_text(org, field, lang, text).split())
        if len(text) > limit:
            raise Invalid(f"{field}.{lang}", "text_too_long", f"{field}.{lang} is {len(text)} characters long: "
                          f"the limit is {limit}", language=lang, length=len(text), limit=limit)
        if text:
            out[lang] = text
    if org.default_language not in out:
        raise Invalid(f"{field}.{org.default_language}", "default_text_missing",
                      f"{field} must include the organization's default language ({org.default_language})",
                      language=org.default_language)
    return out


def _question(org, raw, i: int, yes_no_labels) -> dict:
    field = f"questions[{i}]"
    if not isinstance(raw, dict):
        raise Invalid(field, "not_object", f"{field} must be an object {{texts, options}}")
    unknown = sorted(set(raw) - {"texts", "options", "yes_no"})
    if unknown:
        raise Invalid(field, "unknown_fields", f"{field}: unknown field(s): {', '.join(unknown)}", names=unknown)
    question = {"texts": _texts(org, raw.get("texts"), f"{field}.texts", MAX_QUESTION), "options": []}
    if raw.get("yes_no") not in (None, False):
        if raw.get("yes_no") is not True or raw.get("options"):
            raise Invalid(f"{field}.yes_no", "poll_yes_no", f"{field}: yes_no is true, without options")
        labels = {lang: (yes_no_labels(lang) if yes_no_labels else ("yes", "no")) for lang in org.languages}
        question["options"] = [{"value": v, "labels": {lang: labels[lang][n] for lang in org.languages}}
                               for n, v in enumerate(("yes", "no"))]
        question["yes_no"] = True
        return question
    options = raw.get("options")
    if options in (None, []):
        return question  # a free answer
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
        raise Invalid(f"{field}.options", "poll_options",
                      f"{field}.options must list 2 to {MAX_OPTIONS} options (or none: a free answer)")
    seen = set()
    for n, option in enumerate(options, 1):
        ofield = f"{field}.options[{n - 1}]"
        if not isinstance(option, dict):
            raise Invalid(ofield, "not_object", f"{ofield} must be an object {{value, labels}}")
        value = option.get("value") or f"opt{n}"
        if not isinstance(value, str) or not VALUE.fullmatch(value) or value in seen or value == "other":
            raise Invalid(f"{ofield}.value", "poll_option_value", f"{ofield}.value must be a unique short word "
                          "(a-z, 0-9, _ and -, not 'other')")
        seen.add(value)
        question["options"].append({"value": value, "labels": _texts(org, option.get("labels"),
                                                                     f"{ofield}.labels", MAX_LABEL)})
    return question


def _when(raw, field: str) -> datetime | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(field, "poll_time", f"{field} must be an ISO 8601 time, e.g. 2026-12-04T18:00:00+03:00") \
                from None
    else:
        raise Invalid(field, "poll_time", f"{field} must be an ISO 8601 time, e.g. 2026-12-04T18:00:00+03:00")
    if value.tzinfo is None:
        raise Invalid(field, "poll_time_zone", f"{field} needs an offset (+03:00) or Z")
    return value.astimezone(timezone.utc)
