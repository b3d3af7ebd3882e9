"""RESULTS (and its translations, content/keywords.yaml `results`): a respondent gets the result of the
newest poll they answered, overall and at their own market, in their language, in one SMS segment where
the content allows (option labels, else option numbers). A market with fewer answers than SUPPRESS_BELOW
is left out: its shares could point at people."""
from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.polls import answers, results
from bot.line.replies import finish
from bot.models import Member


def shares(question: dict, options: list[dict], lang: str, default: str, labels: bool = True) -> str:
    parts = []
    for n, o in enumerate(options, 1):
        if o["option"] == "other":
            continue
        names = question["labels"].get(o["option"], {})
        name = (names.get(lang) or names.get(default) or o["option"]) if labels else str(n)
        parts.append(f"{name} {round(100 * o['share'])}%")
    return ", ".join(parts)


def answer(turn) -> bool:
    services, org = turn.services, turn.org
    last = answers.last_answered(services, org.slug, turn.contact.id)
    if last is None and org.is_organizer(turn.inbound.phone or ""):  # an organizer's own POLL
        last = answers.last_created(services, org.slug, turn.inbound.phone)
    if last is None:
        turn.say("poll.results.none")
        return True
    r = results(services, last[0])
    question = next((q for q in r["questions"] if q["options"]), None)
    if question is None or not question["answers"]:
        turn.say("poll.results.none")
        return True
    with services.db() as session:
        place_id = session.scalar(select(Member.place_id).where(Member.contact_id == turn.contact.id,
                                                                Member.organization == org.slug))
    local = question["by"]["market"].get(place_id) if place_id else None
    if local is not None and local["answers"] < services.settings.suppress_below:
        local = None
    lang, default = turn.lang, org.default_language
    for labels in (True, False):
        overall = shares(question, question["options"], lang, default, labels)
        if local is not None:
            market = services.catalog.place(place_id).name(lang)
            text = turn.text("poll.results", overall=overall, market=market,
                             local=shares(question, local["options"], lang, default, labels))
        else:
            text = turn.text("poll.results.all", overall=overall)
        reply = finish(text, turn.channel)
        if reply.segments == 1 or turn.channel != "sms":
            break
    turn.outcome.replies.append(reply)
    return True
