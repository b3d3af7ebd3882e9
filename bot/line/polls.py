"""A member's reply to a poll question is the answer (issue 15), registered as a `before_all` hook.

While a poll is open for a member who was sent it, a message outside any form answers the question they
were asked: its number, an option's words in any of the organization's languages, the yes/no words, small
typos (bot/line/flows/matching.py); anything else is kept as "other" with its text. Then the next question,
or thanks. Right after the last answer, a reply that picks an option of that question changes the answer
(the row is overwritten: each member counts once); anything else goes back to the line as usual.

Priorities: STOP/START/HELP are handled before any hook (bot/line/engine.py); MENU (and greetings) leave
the poll for the menu; an organizer's command stays a command; a reply that also answers a waiting "Has it
been fixed?" goes to the question asked last (_followup_first). A member in the middle of a form when the
question came answers the form (forms are resumed before hooks run); their first message after the form
gets the question again, and the reply to that is the answer.

Where each member stands lives in Redis (poll:<org>:<phone>, a cache): rebuilt from the database (the
broadcast recipient rows and the answers) when it is missing.
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

from bot.broadcasts.polls import answers, open_key, open_polls, question_text
from bot.line import keywords, routes, sessions
from bot.line.flows import matching
from bot.line import poll_results

log = logging.getLogger(__name__)
STATE_TTL = 14 * 24 * 3600
COMMAND_GROUPS = ("cmd_status", "cmd_broadcast", "cmd_relief", "status_open", "status_closed",
                  "status_relocated", "status_restricted")


def _key(org: str, phone: str) -> str:
    return f"poll:{org}:{phone}"


def _load(services, org: str, phone: str) -> dict | None:
    if services.redis is None:
        return None
    try:
        raw = services.redis.get(_key(org, phone))
    except Exception:  # noqa: BLE001 - Redis away: rebuilt from the database
        return None
    return json.loads(raw) if raw else None


def _save(services, org: str, phone: str, state: dict) -> None:
    if services.redis is not None:
        try:
            services.redis.set(_key(org, phone), json.dumps(state), ex=STATE_TTL)
        except Exception:  # noqa: BLE001
            log.debug("poll state not saved", exc_info=True)


def _words(turn, *groups: str) -> bool:
    catalog, text = turn.services.catalog, keywords.normalise(turn.inbound.body)
    return any(text in catalog.keywords(group, lang) for group in groups for lang in turn.org.languages)


def _state(turn, open_ids: list[list]) -> dict:
    """Where this member stands in the newest open poll they were sent (cached in Redis)."""
    services, slug, phone = turn.services, turn.org.slug, turn.inbound.phone
    state = _load(services, slug, phone)
    if state is not None and state.get("open") == open_ids:  # same polls, same versions
        return state
    p = answers.participation(services, turn.contact.id, [stamp[0] for stamp in open_ids])
    state = {"open": open_ids, "poll": None}
    if p is not None:
        missing = [q for q in range(len(p.questions)) if q not in p.answered]
        asked = p.asked_at.timestamp() if (p.asked_at and missing and missing[0] == 0) else time.time()
        state.update(poll=p.poll_id, version=p.version_id, q=missing[0] if missing else len(p.questions) - 1,
                     phase="pending" if missing else "left", at=asked, questions=p.questions, language=p.language)
    if state["poll"] is None or state["phase"] == "left":  # else saved with the answer: one write per message
        _save(services, slug, phone, state)
    return state


@sessions.prefetch
def _open_polls_key(org: str, phone: str) -> str:
    """Every message asks whether the organization has open polls: read with the session lock."""
    return open_key(org)


@routes.before_all
def poll_reply(turn, store, word) -> bool:
    if turn.contact is None or turn.contact.id is None or turn.outcome.offline:
        return False
    if _words(turn, "results"):
        return poll_results.answer(turn)
    read = store.read_with_lock(open_key(turn.org.slug))
    open_ids = (open_polls(turn.services, turn.org.slug) if read is sessions.NOT_READ
                else open_polls(turn.services, turn.org.slug, cached=read))
    if not open_ids:
        return False
    if turn.org.is_organizer(turn.inbound.phone or "") and turn.inbound.text and \
            _first_word_is_command(turn):
        return False
    leaving = _words(turn, "menu", "cancel")  # MENU keeps priority: the poll lets go of this member
    state = _state(turn, open_ids)
    if state.get("poll") is None or state.get("phase") == "left":
        return False
    if leaving:
        _leave(turn, state)
        return False
    if _followup_first(turn, state):
        return False  # bot/line/followup_answer.py takes it
    p = answers.Participation(state["poll"], state["version"], state["questions"], state["language"], None,
                              frozenset())
    if state["phase"] == "pending":
        return _pending(turn, state, p)
    return _maybe_change(turn, state, p)


def _followup_first(turn, state: dict) -> bool:
    """A member asked both a poll question and "Has it been fixed? 1 Yes 2 No" (bot/desk/followups.py):
    a reply that answers the follow-up goes to whichever was asked last; and once this poll's question is
    answered (a reply now could only change that answer), to the follow-up that still waits. Costs nothing
    unless the store statement saw a follow-up waiting (contact.followup)."""
    if getattr(turn.contact, "followup", None) is False:
        return False
    from bot.line import followup_answer
    from bot.models import utcnow

    org = turn.org
    languages = tuple(dict.fromkeys([turn.lang, *org.languages, "en"]))
    if followup_answer.read(turn.services.catalog, languages, turn.inbound.text or "") is None:
        return False
    with turn.services.db() as session:
        waiting = followup_answer.pending(session, org.slug, turn.contact.id, utcnow())
    if waiting is None:
        return False
    return state["phase"] != "pending" or waiting.followup_asked_at.timestamp() > state["at"]


def _first_word_is_command(turn) -> bool:
    first = keywords.normalise(turn.inbound.text).split()[:1]
    catalog = turn.services.catalog
    return bool(first) and any(first[0] in catalog.keywords(g, lang) for g in COMMAND_GROUPS
                               for lang in turn.org.languages)


def _carrier_words(turn) -> frozenset[str]:
    """HELP and START (handled before any hook) do not take the member away from the question."""
    return keywords.HELP | keywords.OPT_IN | turn.services.catalog.keywords("help")


def _leave(turn, state: dict) -> None:
    state["phase"] = "left"
    _save(turn.services, turn.org.slug, turn.inbound.phone, state)


def _ask(turn, p, q: int) -> None:
    org = turn.org
    turn.say_text(question_text(turn.services.catalog, p.questions[q], p.language, org.default_language))


def _pending(turn, state: dict, p) -> bool:
    q = state["q"]
    at = datetime.fromtimestamp(state["at"], timezone.utc)
    if _words(turn, "greet"):  # a greeting is not an answer: the menu, unless a form kept the member busy
        words = _carrier_words(turn)
        if not any(keywords.normalise(b or "") not in words
                   for b in answers.since(turn.services, turn.contact.id, at, turn.inbound.sid)):
            _leave(turn, state)
            return False
        return _ask_again(turn, state, p, q)
    option = pick(turn, p.questions[q])
    text = turn.inbound.text if option is None else None  # "other" and free answers keep what was typed
    stored = answers.record(turn.services, p, q, turn.contact.id, option, text, turn.channel, turn.inbound.sid,
                            organization=turn.org.slug, unless_busy_since=at, not_busy_words=_carrier_words(turn))
    if stored == "busy":
        return _ask_again(turn, state, p, q)
    if q + 1 < len(p.questions):
        state.update(q=q + 1, at=time.time())
        _ask(turn, p, q + 1)
    else:
        state.update(phase="done", at=time.time())
        turn.say("poll.thanks", lang=p.language)
    _save(turn.services, turn.org.slug, turn.inbound.phone, state)
    return True


def _ask_again(turn, state: dict, p, q: int) -> bool:
    """The member wrote since the question came (a form took those messages): ask it again now."""
    _ask(turn, p, q)
    state["at"] = time.time()
    _save(turn.services, turn.org.slug, turn.inbound.phone, state)
    return True


def _maybe_change(turn, state: dict, p) -> bool:
    """Right after the last answer: a reply that picks an option of that question changes the answer."""
    q = state["q"]
    option = pick(turn, p.questions[q]) if p.questions[q]["options"] else None
    if option is None:
        _leave(turn, state)
        return False
    answers.record(turn.services, p, q, turn.contact.id, option, None, turn.channel, turn.inbound.sid,
                   organization=turn.org.slug)
    turn.say("poll.changed", lang=p.language)
    state["at"] = time.time()
    _save(turn.services, turn.org.slug, turn.inbound.phone, state)
    return True


def pick(turn, question: dict) -> str | None:
    """The option value the reply picks, or None ("other" / a free answer)."""
    options = question["options"]
    if not options:
        return None
    text = turn.inbound.text or ""
    number = matching.number_of(text)
    if number is not None:
        return options[number - 1]["value"] if 1 <= number <= len(options) else None
    catalog, langs = turn.services.catalog, turn.org.languages
    candidates = []
    for o in options:
        extra = []
        if question.get("yes_no") or o["value"] in ("yes", "no"):
            extra = [w for lang in langs for w in catalog.keywords(o["value"], lang)]
        candidates.append(matching.Candidate(o["value"], matching.words(o["labels"].values(), extra)))
    return matching.pick(text, candidates)
