"""One inbound message in, replies out.

`receive` is the whole path for a webhook: store first (deduplicated; spooled to disk when
the database is unreachable), then `handle`, then record what was answered. `handle` decides
the answer and returns replies and contact changes; the only writes on the way are a finished
form's `complete` step (a registration, a report) and an organizer's command.
"""
from __future__ import annotations

import functools
import logging

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.line import drainer, features, handover, keywords, privacy, routes, spool  # noqa: F401  features registers routes
from bot.line.flows import runner
from bot.messages import Inbound
from bot.models import utcnow
from bot.line.outcome import Outcome
from bot.line.turn import Turn
from bot.line.sessions import SessionStore, opted_out, remember_opt_out
from bot.db import autocommit, held_connection
from bot.line.store import (
    ContactView,
    Duplicate,
    record_outcome,
    record_outcome_hot,
    store_inbound,
    store_inbound_fast,
    store_inbound_hot,
    storable,
    strict,
)
from nlu.entities import normalize as normalise
from nlu.language import default_guesser

log = logging.getLogger(__name__)

# Menu numbers -> what they lead to; the words live in content (menu.main).
MENU = {"1": "topic.relief", "2": "topic.market", "3": "topic.registration", "4": "topic.report", "5": "language"}
INTENT_TOPICS = {
    "ask_relief": "topic.relief",
    "ask_market_status": "topic.market",
    "ask_registration": "topic.registration",
    "report_incident": "topic.report",
    "report_request": "topic.report",  # asks for the form without saying what happened
    "join": "topic.join",  # an explicit request to become a member: the join form at once
    "thanks": "thanks",
    "greet": "menu.main",
    "help": "menu.main",
}
MIN_CONFIDENCE = 0.5
# Acting on an opt-out guessed from free text silences a worker: demand more certainty.
MIN_OPT_OUT_CONFIDENCE = 0.85


def sessions(services) -> SessionStore:
    return SessionStore(services.redis, services.settings.session_ttl)


def receive(inbound: Inbound, services) -> Outcome:
    """Store, answer, record. Never raises for a valid Inbound."""
    with held_connection(services.engine):  # the message's hot statements share one connection
        return _receive(inbound, services)


def _receive(inbound: Inbound, services) -> Outcome:
    inbound = storable(inbound)  # NUL and lone surrogates out of every field (escaped in raw)
    org = services.catalog.org_for_number(inbound.to_number) if inbound.to_number else None
    slug = org.slug if org else None
    if spool.has_pending(services.settings.spool_dir):  # one stat; the drainer stores the rest
        try:
            # This sender's spooled messages go in first: a STOP sent while the database was down
            # precedes this one.
            drainer.catch_up(services, inbound, slug)
        except spool.Unavailable:
            pass  # still down: this message joins them in the spool
        except Exception:  # a bad spool file must never cost this message its place
            log.exception("spool catch-up failed")
    try:
        inbound_id, contact = _store(inbound, slug, services)
    except Duplicate:
        return Outcome(duplicate=True)
    except spool.Unavailable as exc:  # unreachable: the spool keeps the message
        return _spooled(inbound, org, slug, services, exc)
    if contact is not None and contact.forgotten is False:  # read with the store: privacy need not ask again
        services.remember("forgotten", (slug, contact.id))

    outcome = _answer(inbound, org, contact, services)
    contact_id = contact.id if contact else None
    try:
        done = autocommit(services.engine) is not None and record_outcome_hot(
            services.engine, inbound_id, contact_id, slug, inbound, outcome, outcome.replies)
        if not done:
            with services.engine.begin() as conn:
                record_outcome(conn, inbound_id, contact_id, slug, inbound, outcome, outcome.replies)
    except DBAPIError as exc:  # the message itself is stored; losing the reply record is logged
        log.error("could not record outcome of %s: %s", inbound.sid, exc)
    if outcome.deferred:  # the database went away between storing the message and saving its form
        spool.reserve(services.settings.spool_dir, inbound, slug, outcome=outcome, stored=True)
    for step in outcome.after_record:  # e.g. FORGET: erase also this message and its reply, once recorded
        try:
            step(services)
        except Exception:
            log.exception("after-record step of %s failed", inbound.sid)
    remember_opt_out(services.redis, slug, inbound.phone, outcome.contact_changes)
    return outcome


def _spooled(inbound: Inbound, org, slug: str | None, services, exc: Exception) -> Outcome:
    spool.log_outage(log, f"database unavailable, spooling {inbound.sid}: {exc}")
    spool_dir = services.settings.spool_dir
    if not spool.reserve(spool_dir, inbound, slug):
        return Outcome(duplicate=True)
    # Without the contact row, the opt-out mirror in Redis says whether this worker opted out.
    contact = ContactView(None, None, True) if opted_out(services.redis, slug, inbound.phone) else None
    outcome = _answer(inbound, org, contact, services, offline=True)
    spool.complete(spool_dir, inbound, slug, outcome)
    remember_opt_out(services.redis, slug, inbound.phone, outcome.contact_changes)
    return outcome


def _store(inbound: Inbound, slug: str | None, services):
    """Raises Duplicate, or spool.Unavailable when the database cannot be reached. A message the
    database refuses for its content is logged and stored again with every field cut to fit."""
    if spool.db_down(services.engine):
        raise spool.Unavailable("database marked down a moment ago")
    for attempt in (1, 2):
        try:
            return _insert(inbound, slug, services)
        except (DBAPIError, PoolTimeout) as exc:
            if not spool.connection_lost(exc):
                log.error("database refused %s, storing it cut to fit: %s", inbound.sid, exc)
                break
            if attempt == 1 and getattr(exc, "connection_invalidated", False):
                continue  # a pooled connection from before a restart: the pool reconnects, try once more
            spool.mark_down(services.engine)
            raise spool.Unavailable(str(exc)) from exc
    try:
        return _insert(strict(inbound), slug, services)
    except (DBAPIError, PoolTimeout) as exc:  # kept in the spool; the drainer sets it aside if refused again
        raise spool.Unavailable(str(exc)) from exc


def _insert(inbound: Inbound, slug: str | None, services):
    fast = autocommit(services.engine)
    for attempt in (1, 2):
        try:
            if fast is not None:
                hashed = privacy.phone_hash(services.settings, slug, inbound.phone) if slug and inbound.phone else None
                stored = store_inbound_hot(services.engine, inbound, slug, hashed) if hashed else None
                if stored is not None:
                    return stored
                with fast.connect() as conn:
                    return store_inbound_fast(conn, inbound, slug, phone_hash=hashed)
            with services.engine.begin() as conn:
                return store_inbound(conn, inbound, slug)
        except IntegrityError:
            # The organization row is missing (content not synced yet): sync and retry once.
            if attempt == 2 or slug is None:
                raise
            from bot.orgs import sync_organizations

            sync_organizations(services)


def _answer(inbound: Inbound, org, contact: ContactView | None, services, offline: bool = False) -> Outcome:
    if org is None or inbound.phone is None:
        return Outcome()  # unknown receiving number or not a phone: stored, nothing to say
    turn = Turn(inbound, org, contact, services)
    turn.outcome.offline = offline
    store = sessions(services)
    with store.lock(org.slug, inbound.phone):
        try:
            handle(turn, store)
        except Exception as exc:  # a bug in one answer must not cost the worker a reply
            if offline and spool.connection_lost(exc):
                spool.log_outage(log, f"answering {inbound.sid} needed the database: {exc}")
            else:
                log.exception("handling %s failed", inbound.sid)
            turn.outcome.replies = []
            turn.say("error.temporary")
    return turn.outcome


def handle(turn: Turn, store: SessionStore) -> None:
    inbound, out = turn.inbound, turn.outcome
    word = keywords.single_word(inbound.body)
    # A forgotten worker who had opted out is recognised by a hash of the number (bot/line/privacy.py).
    opted_out = bool(turn.contact and turn.contact.opted_out) or privacy.opted_out_again(turn)
    phone, slug = inbound.phone, turn.org.slug

    # Carrier keywords come before any flow: on SMS Twilio acts on them whatever we expected.
    if word in keywords.OPT_OUT or _org_words(turn, "stop", keywords.normalise(inbound.body)):
        out.contact_changes.update(opted_out=True, opted_out_at=utcnow())
        store.put(slug, phone, None)
        turn.say("optout.confirm")
        return
    if word in keywords.OPT_IN and (opted_out or word != "yes"):
        if opted_out:
            out.contact_changes.update(opted_out=False, opted_in_at=utcnow())
            turn.say("optin.confirm")
        elif not handover.held(turn, store):
            turn.say("menu.main")
        return
    if word in keywords.HELP or word in turn.services.catalog.keywords("help"):
        turn.say("help")
        return
    if opted_out:
        return  # stored; carriers block replies to opted-out numbers and we respect it on WhatsApp too
    if handover.held(turn, store):
        return  # an organizer has this conversation: stored, shown on their page, no bot answer or flow

    session = store.get(slug, phone)
    if session and session.get("expired"):
        store.put(slug, phone, None)
        turn.say("form.expired")
        return
    if runner.active(session) and runner.Runner(turn, store).resume(session):
        return
    route(turn, store, word)


def route(turn: Turn, store: SessionStore, word: str | None) -> None:
    """A message outside any flow: feature hooks, menu words and numbers, keywords, patterns,
    and finally free text through the NLU."""
    catalog, text = turn.services.catalog, turn.inbound.text
    _first_language(turn)
    for hook in routes.BEFORE:
        if hook(turn, store, word):
            return
    if not text and turn.inbound.latitude is None and not turn.inbound.media:
        turn.say("menu.main")
    elif word in catalog.keywords("menu") or word in catalog.keywords("greet"):
        turn.say("menu.main")
    elif word in MENU:
        topic(turn, store, MENU[word])
    elif word in catalog.keywords("language"):
        topic(turn, store, "language")
    elif (group := _keyword_topic(turn, text)) is not None:
        topic(turn, store, group)
    elif not text:
        turn.say("menu.main")  # a location or photo outside a form: offer the menu
    else:
        for regex, handler in routes.PATTERNS:
            match = regex.fullmatch(text)
            if match:
                handler(turn, store, match)
                return
        _free_text(turn, store)


def _first_language(turn: Turn) -> None:
    """A worker who never chose a language is answered in the one they write in, when it is one
    of the organization's and the guess is sure ("nataka kujiunga" to a line whose default is English)."""
    if (turn.contact and turn.contact.language) or "language" in turn.outcome.contact_changes \
            or len(turn.org.languages) < 2 or not turn.inbound.text:
        return
    guessed = _keyword_language(turn)
    key = (turn.org.slug, turn.contact.id if turn.contact else None, turn.inbound.phone)
    if guessed is None and key not in turn.services.memo["language"]:  # the first message of some words decides
        guessed = default_guesser().guess(turn.inbound.text, turn.org.languages,
                                          place_words(turn.services.catalog, turn.org.slug))
        if len(turn.inbound.text.split()) >= 2:
            turn.services.remember("language", key)
    if guessed and guessed != turn.org.default_language:
        turn.outcome.contact_changes["language"] = guessed


def _keyword_language(turn: Turn) -> str | None:
    """A one-word message that is a keyword of exactly one of the organization's languages ("habari",
    "jiunge", "bonjour")."""
    word = keywords.normalise(turn.inbound.text)
    langs = _language_words(turn.services.catalog, tuple(turn.org.languages)).get(word, ())
    return next(iter(langs)) if len(langs) == 1 else None


@functools.lru_cache(maxsize=64)
def _language_words(catalog, languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Keyword -> those of `languages` whose keywords (any group, language-neutral ones left out) hold
    it: built once, instead of a set difference per group and language on every message."""
    found: dict[str, set[str]] = {}
    for group in catalog.keyword_groups():
        neutral = catalog.keywords(group, "any")
        for lang in languages:
            for word in catalog.keywords(group, lang) - neutral:
                found.setdefault(word, set()).add(lang)
    return {word: frozenset(langs) for word, langs in found.items()}


@functools.lru_cache(maxsize=64)
def place_words(catalog, org: str) -> frozenset[str]:
    return frozenset(w for p in catalog.places(org) for name in p.all_names() for w in normalise(name).split())


def _keyword_topic(turn: Turn, text: str) -> str | None:
    normal = keywords.normalise(text)
    for group, name in routes.KEYWORDS.items():
        if _org_words(turn, group, normal):
            return name
    return None


def _org_words(turn: Turn, group: str, text: str) -> bool:
    """Translated keywords count in the organization's own languages only ("acha" is STOP in
    Swahili but "okay" in Hindi)."""
    catalog = turn.services.catalog
    return any(text in catalog.keywords(group, lang) for lang in turn.org.languages)


def topic(turn: Turn, store: SessionStore, name: str, nlu=None) -> None:
    handler = routes.TOPICS.get(name)
    if handler is not None:
        handler(turn, store, nlu)
    elif name == "language":
        runner.Runner(turn, store).start("language")
    else:
        turn.say(name)  # a topic with only a content text


def _free_text(turn: Turn, store: SessionStore) -> None:
    result = turn.services.nlu.parse(turn.inbound.text, org=turn.org.slug)
    turn.outcome.nlu = result
    intent = result.intent if result.confidence >= MIN_CONFIDENCE else "out_of_scope"
    if intent == "opt_out" and result.confidence >= MIN_OPT_OUT_CONFIDENCE:
        turn.outcome.contact_changes.update(opted_out=True, opted_out_at=utcnow())
        store.put(turn.org.slug, turn.inbound.phone, None)
        turn.say("optout.confirm")
    elif intent == "change_language":
        topic(turn, store, "language")
    elif intent in INTENT_TOPICS:
        topic(turn, store, INTENT_TOPICS[intent], nlu=result)
    else:
        turn.say("menu.fallback")
