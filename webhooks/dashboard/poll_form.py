"""The poll form (create and edit): the form's fields into the shape bot.broadcasts.polls.validate reads
(the one validator of the API and the SMS command too), the form's values back from a stored poll, and the
preview: each question as members read it per language and channel, SMS segments, and the audience and its
cost (webhooks/dashboard/broadcasts.py's summarize(), the broadcast page's own preview).

Fields: name; q<n>_kind (yes_no | options | free | none, n = 1..3; none leaves the question out);
q<n>_text_<lang>; q<n>_options_<lang> (one option per line: line k in every language is option k); the
broadcast form's audience fields (dashboard/broadcasts/_segment.html); template_sid, template_vars;
opens_at, closes_at (datetime-local, in the organization's time zone)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from bot import broadcasts
from bot.broadcasts.polls import question_text
from bot.broadcasts.polls.validate import MAX_QUESTIONS
from bot.broadcasts.validate import Draft
from content.sms import segment_info, smart_encode
from webhooks.dashboard import broadcasts as bc_page
from webhooks.dashboard.broadcast_texts import LANGUAGE_NAMES, error_text
from webhooks.dashboard.common import current_services

KINDS = ("yes_no", "options", "free", "none")
LOCAL = "%Y-%m-%dT%H:%M"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


def _when(org, raw: str, field: str) -> str | None:
    """datetime-local (the organization's zone) -> ISO 8601 with the offset; the validator checks the rest."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = datetime.strptime(raw[:16], LOCAL)
    except ValueError:
        raise broadcasts.Invalid(field, "poll_time", f"{field}: not a date and time") from None
    return value.replace(tzinfo=ZoneInfo(org.timezone)).isoformat()


def from_form(org, form) -> dict:
    """The form as the validator's JSON shape."""
    questions = []
    for n in range(1, MAX_QUESTIONS + 1):
        kind = form.get(f"q{n}_kind", "none" if n > 1 else "yes_no")
        if kind not in KINDS:
            raise broadcasts.Invalid(f"questions[{n - 1}]", "poll_kind", f"question {n}: unknown kind {kind!r}")
        if kind == "none":
            continue
        question = {"texts": {lang: form.get(f"q{n}_text_{lang}", "") for lang in org.languages}}
        if kind == "yes_no":
            question["yes_no"] = True
        elif kind == "options":
            lines = {lang: _lines(form.get(f"q{n}_options_{lang}", "")) for lang in org.languages}
            count = max((len(v) for v in lines.values()), default=0)
            question["options"] = [{"labels": {lang: v[k] for lang, v in lines.items() if k < len(v)}}
                                   for k in range(count)]
            if count < 2:
                question["options"] = [{}] if count == 0 else question["options"]  # the validator says 2 to 9
        questions.append(question)
    data = {"name": form.get("name", ""), "questions": questions,
            "segment": {"cities": form.getlist("cities"), "markets": form.getlist("markets"),
                        "trades": form.getlist("trades"), "languages": form.getlist("languages"),
                        "channels": form.getlist("channels") or ["sms", "whatsapp"],
                        "registered": form.get("registered", "yes")},
            "opens_at": _when(org, form.get("opens_at", ""), "opens_at"),
            "closes_at": _when(org, form.get("closes_at", ""), "closes_at")}
    sid = form.get("template_sid", "").strip()
    if sid:
        data["template"] = {"content_sid": sid, "variables": bc_page._template_variables(form.get("template_vars", ""))}
    return data


def values_from_form(org, form) -> dict:
    """The form re-rendered exactly as the organizer left it."""
    values = bc_page._values_from(form, org)
    if form.get("registered") is None:
        values["registered"] = "yes"
    values.update(opens_at=form.get("opens_at", ""), closes_at=form.get("closes_at", ""), questions=[])
    for n in range(1, MAX_QUESTIONS + 1):
        kind = form.get(f"q{n}_kind", "none" if n > 1 else "yes_no")
        values["questions"].append({
            "kind": kind if kind in KINDS else "none",
            "texts": {lang: form.get(f"q{n}_text_{lang}", "") for lang in org.languages},
            "options": {lang: form.get(f"q{n}_options_{lang}", "") for lang in org.languages}})
    return values


def values_from_poll(org, poll, questions: list) -> dict:
    """A stored poll (its current version's questions) as form values, for the edit page."""
    seg = poll.segment or {}
    registered = {True: "yes", False: "no"}.get(seg.get("registered"), "any")
    zone = ZoneInfo(org.timezone)
    values = {"name": poll.name, "cities": seg.get("cities", []), "markets": seg.get("markets", []),
              "trades": seg.get("trades", []), "languages": seg.get("languages", []),
              "channels": seg.get("channels") or ["sms", "whatsapp"], "registered": registered,
              "texts": {}, "template_sid": (poll.template or {}).get("content_sid", ""),
              "template_vars": "\n".join(f"{k}={v}" for k, v in ((poll.template or {}).get("variables") or {}).items()),
              "opens_at": poll.opens_at.astimezone(zone).strftime(LOCAL) if poll.opens_at else "",
              "closes_at": poll.closes_at.astimezone(zone).strftime(LOCAL) if poll.closes_at else "", "questions": []}
    for n in range(MAX_QUESTIONS):
        q = questions[n] if n < len(questions) else None
        if q is None:
            values["questions"].append({"kind": "none", "texts": {}, "options": {}})
            continue
        kind = "yes_no" if q.get("yes_no") else ("options" if q["options"] else "free")
        values["questions"].append({
            "kind": kind, "texts": dict(q["texts"]),
            "options": {lang: "\n".join(o["labels"].get(lang, "") for o in q["options"]) for lang in org.languages}
            if kind == "options" else {}})
    return values


def preview(org, data: dict) -> dict:
    """What members read and what it costs; {"error": text} when the validator refuses the draft."""
    services = current_services()
    try:
        draft = services_validate(services, org, data)
        first = {lang: question_text(services.catalog, draft.questions[0], lang, org.default_language)
                 for lang in org.languages}
        audience = bc_page.summarize(org, Draft(draft.name, draft.segment, first, draft.template))
    except broadcasts.BroadcastError as exc:
        return {"error": poll_error_text(exc)}
    questions = []
    for n, q in enumerate(draft.questions):
        per_lang = []
        for lang in org.languages:
            text = question_text(services.catalog, q, lang, org.default_language)
            sms = smart_encode(text)
            info = segment_info(sms)
            per_lang.append({"lang": lang, "name": LANGUAGE_NAMES.get(lang), "sms": sms, "whatsapp": text,
                             "segments": info.segments, "encoding": info.encoding, "characters": len(sms),
                             "fallback": lang not in q["texts"]})
        questions.append({"n": n + 1, "free": not q["options"], "languages": per_lang})
    later = sum(max(lang["segments"] for lang in q["languages"]) for q in questions[1:])
    return {"questions": questions, "audience": audience, "later_segments": later, "error": None}


def services_validate(services, org, data: dict):
    from bot.broadcasts.polls import validate

    return validate(services, org.slug, data)


def poll_error_text(exc: broadcasts.BroadcastError) -> str:
    """The validator's refusal in the organizer's language, naming the question where there is one."""
    field = getattr(exc, "field", "") or ""
    key = getattr(exc, "key", None)
    where = ""
    if field.startswith("questions[") and field[10:11].isdigit():
        where = _("Question %(n)s", n=int(field[10]) + 1) + ": "
    texts = {
        "poll_questions": lambda: _("Ask one to three questions."),
        "poll_texts": lambda: _("Write the question."),
        "poll_options": lambda: _("Give 2 to 9 options, one per line, or choose a free answer."),
        "poll_closes_before_opens": lambda: _("The closing time must be after the opening time."),
        "poll_time": lambda: _("Give the opening and closing times as a date and a time."),
        "poll_name": lambda: _("Give the poll a name."),
        "default_text_missing": lambda: _("Write the %(language)s text: everyone whose language has no text "
                                          "gets that one.", language=LANGUAGE_NAMES.get(exc.params["language"])),
    }
    if key in texts:
        return where + str(texts[key]())
    return where + error_text(exc)
