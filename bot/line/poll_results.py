"""RESULTS (and its translations, content/keywords.yaml `results`): a respondent gets the result of the
newest poll they answered, overall and at their own market, in their language, in one SMS segment where
the content allows (bot/broadcasts/polls/summary.py: the same text a poll's close sends back)."""
from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.polls import answers, results, summary
from bot.line.replies import finish
from bot.models import Member


def answer(turn) -> bool:
    services, org = turn.services, turn.org
    last = answers.last_answered(services, org.slug, turn.contact.id)
    if last is None and org.is_organizer(turn.inbound.phone or ""):  # an organizer's own POLL
        last = answers.last_created(services, org.slug, turn.inbound.phone)
    if last is None:
        turn.say("poll.results.none")
        return True
    question = summary.first_question(results(services, last[0]))
    if question is None:
        turn.say("poll.results.none")
        return True
    with services.db() as session:
        place_id = session.scalar(select(Member.place_id).where(Member.contact_id == turn.contact.id,
                                                                Member.organization == org.slug))
    local = summary.local_group(question, place_id, services.settings.suppress_below)
    market = services.catalog.place(place_id).name(turn.lang) if local is not None else None
    text = summary.text(services.catalog, org, question, turn.lang, turn.channel, local, market)
    turn.outcome.replies.append(finish(text, turn.channel))
    return True
