"""One inbound message in, replies out.

`receive` is the whole path for a webhook: store first (deduplicated; spooled to disk when
the database is unreachable), then `handle`, then record what was answered. `handle` decides
the answer and does no database I/O itself: it returns replies and contact changes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot import keywords, spool
from bot.inbound import Inbound
from bot.models import utcnow
from bot.replies import Reply, render
from bot.sessions import SessionStore
from bot.store import ContactView, Duplicate, record_outcome, store_inbound

log = logging.getLogger(__name__)

# Menu numbers -> what they lead to; the words live in content (menu.main).
MENU = {"1": "topic.relief", "2": "topic.market", "3": "topic.registration", "4": "topic.report", "5": "language"}
INTENT_TOPICS = {
    "ask_relief": "topic.relief",
    "ask_market_status": "topic.market",
    "ask_registration": "topic.registration",
    "report_incident": "topic.report",
    "thanks": "thanks",
    "greet": "menu.main",
    "help": "menu.main",
}
MIN_CONFIDENCE = 0.5
# Acting on an opt-out guessed from free text silences a worker: demand more certainty.
MIN_OPT_OUT_CONFIDENCE = 0.85
MAX_INVALID = 3


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    contact_changes: dict = field(default_factory=dict)
    nlu: object | None = None
    duplicate: bool = False


@dataclass
class Turn:
    """What `handle` may look at: the message, its organization and what we know of the sender."""

    inbound: Inbound
    org: object  # content.Organization
    contact: ContactView | None
    services: object
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def lang(self) -> str:
        changed = self.outcome.contact_changes.get("language")
        return changed or (self.contact.language if self.contact else None) or self.org.default_language

    def say(self, key: str, lang: str | None = None, **vars) -> None:
        reply = render(self.services.catalog, self.org.slug, key, lang or self.lang, self.inbound.channel,
                       org_name=self.org.name, **vars)
        self.outcome.replies.append(reply)


def sessions(services) -> SessionStore:
    return SessionStore(services.redis, services.settings.session_ttl)


def receive(inbound: Inbound, services) -> Outcome:
    """Store, answer, record. Never raises for a valid Inbound."""
    org = services.catalog.org_for_number(inbound.to_number) if inbound.to_number else None
    slug = org.slug if org else None
    try:
        # Spooled messages go in first, so a STOP sent while the database was down precedes this one.
        spool.replay_if_pending(services)
        inbound_id, contact = _store(inbound, slug, services)
    except Duplicate:
        return Outcome(duplicate=True)
    except (OperationalError, DBAPIError) as exc:
        log.error("database unavailable, spooling %s: %s", inbound.sid, exc)
        if not spool.reserve(services.settings.spool_dir, inbound, slug):
            return Outcome(duplicate=True)
        outcome = _answer(inbound, org, None, services)
        spool.complete(services.settings.spool_dir, inbound.sid, outcome)
        return outcome

    outcome = _answer(inbound, org, contact, services)
    try:
        with services.engine.begin() as conn:
            record_outcome(conn, inbound_id, contact.id if contact else None, slug, inbound, outcome,
                           outcome.replies)
    except DBAPIError as exc:  # the message itself is stored; losing the reply record is logged
        log.error("could not record outcome of %s: %s", inbound.sid, exc)
    return outcome


def _store(inbound: Inbound, slug: str | None, services):
    for attempt in (1, 2):
        try:
            with services.engine.begin() as conn:
                return store_inbound(conn, inbound, slug)
        except IntegrityError:
            # The organization row is missing (content not synced yet): sync and retry once.
            if attempt == 2 or slug is None:
                raise
            from bot.orgs import sync_organizations

            sync_organizations(services)


def _answer(inbound: Inbound, org, contact: ContactView | None, services) -> Outcome:
    if org is None or inbound.phone is None:
        return Outcome()  # unknown receiving number or not a phone: stored, nothing to say
    turn = Turn(inbound, org, contact, services)
    store = sessions(services)
    with store.lock(org.slug, inbound.phone):
        try:
            handle(turn, store)
        except Exception:  # a bug in one answer must not cost the worker a reply
            log.exception("handling %s failed", inbound.sid)
            turn.outcome.replies = []
            turn.say("error.temporary")
    return turn.outcome


def handle(turn: Turn, store: SessionStore) -> None:
    inbound, catalog, out = turn.inbound, turn.services.catalog, turn.outcome
    word = keywords.single_word(inbound.body)
    opted_out = bool(turn.contact and turn.contact.opted_out)
    phone, slug = inbound.phone, turn.org.slug

    if word in keywords.OPT_OUT:
        out.contact_changes.update(opted_out=True, opted_out_at=utcnow())
        store.put(slug, phone, None)
        turn.say("optout.confirm")
        return
    if word in keywords.OPT_IN and (opted_out or word != "yes"):
        if opted_out:
            out.contact_changes.update(opted_out=False, opted_in_at=utcnow())
            turn.say("optin.confirm")
        else:
            turn.say("menu.main")
        return
    if word in keywords.HELP or word in catalog.keywords("help"):
        turn.say("help")
        return
    if opted_out:
        return  # stored; carriers block replies to opted-out numbers and we respect it on WhatsApp too

    session = store.get(slug, phone)
    if session and session.get("flow") == "language":
        _language_answer(turn, store, session, word)
        return
    if not inbound.text or word in catalog.keywords("menu") or word in catalog.keywords("greet"):
        store.put(slug, phone, None)
        turn.say("menu.main")
        return
    if word in MENU:
        _topic(turn, store, MENU[word])
        return
    if word in catalog.keywords("language"):
        _topic(turn, store, "language")
        return
    _free_text(turn, store)


def _topic(turn: Turn, store: SessionStore, topic: str) -> None:
    if topic == "language":
        options = turn.services.catalog.language_options(turn.org.slug)
        store.put(turn.org.slug, turn.inbound.phone, {"flow": "language", "options": options, "invalid": 0})
        turn.say("language.menu")
    else:
        turn.say(topic)


def _language_answer(turn: Turn, store: SessionStore, session: dict, word: str | None) -> None:
    options = session["options"]
    slug, phone = turn.org.slug, turn.inbound.phone
    if word and word.isdigit() and 1 <= int(word) <= len(options):
        lang = options[int(word) - 1]
        turn.outcome.contact_changes["language"] = lang
        store.put(slug, phone, None)
        turn.say("language.changed", lang=lang)
        return
    if word in turn.services.catalog.keywords("menu") or word == "0":
        store.put(slug, phone, None)
        turn.say("menu.main")
        return
    session["invalid"] = session.get("invalid", 0) + 1
    if session["invalid"] >= MAX_INVALID:
        store.put(slug, phone, None)
        turn.say("menu.fallback")
        return
    store.put(slug, phone, session)
    turn.say("language.menu")


def _free_text(turn: Turn, store: SessionStore) -> None:
    result = turn.services.nlu.parse(turn.inbound.text, org=turn.org.slug)
    turn.outcome.nlu = result
    intent = result.intent if result.confidence >= MIN_CONFIDENCE else "out_of_scope"
    if intent == "opt_out" and result.confidence >= MIN_OPT_OUT_CONFIDENCE:
        turn.outcome.contact_changes.update(opted_out=True, opted_out_at=utcnow())
        store.put(turn.org.slug, turn.inbound.phone, None)
        turn.say("optout.confirm")
    elif intent == "change_language":
        _topic(turn, store, "language")
    elif intent in INTENT_TOPICS:
        turn.say(INTENT_TOPICS[intent])
    else:
        turn.say("menu.fallback")
