"""A poll's life: create (draft), edit (a new version once it has been sent or answered), send, close.

Sending goes through the broadcasts room's public functions: the poll's first question becomes one
broadcast (a text per language: the question and its numbered options) to the poll's segment, so it has
the broadcasts' rate limits, WhatsApp window and template rules, exactly-once rows and delivery tracking.
The next questions are asked in the reply to each answer (bot/line/polls.py), inside the conversation.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import func, select, update

from bot import broadcasts
from bot.broadcasts.errors import BroadcastError
from bot.broadcasts.polls.rows import current_version, get_poll
from bot.broadcasts.polls.validate import validate_poll
from bot.models import Poll, PollAnswer, PollVersion, utcnow

log = logging.getLogger(__name__)
_NOT_GIVEN = object()
OPEN_KEY = "polls:open:{org}"  # JSON [[poll id, version, updated_at, closes_at or null], ...]; dropped on change


def yes_no_labels(catalog, organization: str):
    return lambda lang: (catalog.text(organization, "poll.yes", lang, "sms"),
                         catalog.text(organization, "poll.no", lang, "sms"))


def validate(services, organization: str, data: dict):
    """The one validator (bot.broadcasts.polls.validate) with the content's yes/no labels."""
    return validate_poll(services.catalog, organization, data,
                         yes_no_labels=yes_no_labels(services.catalog, organization))


def create_poll(services, organization: str, data: dict, created_by: str = "") -> int:
    draft = validate(services, organization, data)
    now = utcnow()
    with services.db.begin() as session:
        poll = Poll(organization=organization, name=draft.name, segment=draft.segment, template=draft.template,
                    state="draft", version=1, opens_at=draft.opens_at, closes_at=draft.closes_at,
                    created_by=(created_by or "")[:100], created_at=now, updated_at=now)
        session.add(poll)
        session.flush()
        session.add(PollVersion(poll_id=poll.id, number=1, questions=draft.questions, created_at=now))
        return poll.id


def edit_poll(services, poll_id: int, data: dict, organization: str | None = None) -> int:
    """Change a poll's questions, audience or times. Once its version was sent or answered, the change is a
    new version (answers stay with the version they answered); a draft is changed in place. Returns the
    current version's number."""
    poll = get_poll(services, poll_id, organization)
    if poll.state == "closed":
        raise BroadcastError(f"poll {poll_id} is closed")
    draft = validate(services, poll.organization, data)
    version = current_version(services, poll)
    with services.db.begin() as session:
        answered = session.scalar(select(func.count()).select_from(PollAnswer)
                                  .where(PollAnswer.version_id == version.id))
        number = poll.version
        if answered or version.broadcast_id is not None:
            number += 1
            session.add(PollVersion(poll_id=poll.id, number=number, questions=draft.questions, created_at=utcnow()))
        else:
            session.execute(update(PollVersion).where(PollVersion.id == version.id)
                            .values(questions=draft.questions))
        session.execute(update(Poll).where(Poll.id == poll.id).values(
            name=draft.name, segment=draft.segment, template=draft.template, opens_at=draft.opens_at,
            closes_at=draft.closes_at, version=number, updated_at=utcnow()))
    forget_open(services, poll.organization)
    return number


def question_text(catalog, question: dict, lang: str, default: str) -> str:
    """What a member reads: the question, then its numbered options (one per line)."""
    text = question["texts"].get(lang) or question["texts"][default]
    labels = [o["labels"].get(lang) or o["labels"][default] for o in question["options"]]
    if not labels:
        return text
    return text + "\n" + "\n".join(f"{i} {label}" for i, label in enumerate(labels, 1))


def send_poll(services, poll_id: int, organization: str | None = None, *, inline: bool = False,
              now: datetime | None = None) -> dict:
    """Ask the current version's first question through a broadcast; the poll opens. Before opens_at the
    poll is scheduled instead (bot/broadcasts/polls/schedule.py sends it then). Sending the same version
    again is refused (the broadcast is exactly once per member)."""
    poll = get_poll(services, poll_id, organization)
    now = now or utcnow()
    if poll.state == "closed" or (poll.closes_at and poll.closes_at <= now):
        raise BroadcastError(f"poll {poll_id} is closed")
    version = current_version(services, poll)
    if poll.opens_at and poll.opens_at > now:
        with services.db.begin() as session:
            session.execute(update(Poll).where(Poll.id == poll.id, Poll.state.in_(("draft", "scheduled")))
                            .values(state="scheduled", updated_at=now))
        return {"id": poll.id, "version": version.number, "broadcast_id": version.broadcast_id, "recipients": 0,
                "scheduled": poll.opens_at.isoformat()}
    org = services.catalog.org(poll.organization)
    if version.broadcast_id is None:
        first = version.questions[0]
        # Every language: a question typed in one (the SMS command) still gets each language's option labels.
        texts = {lang: question_text(services.catalog, first, lang, org.default_language) for lang in org.languages}
        bid = broadcasts.create_broadcast(services, poll.organization, poll.segment, texts, template=poll.template,
                                          created_by=poll.created_by, name=f"poll {poll.id} v{version.number}"[:200])
        with services.db.begin() as session:
            taken = session.execute(update(PollVersion).where(PollVersion.id == version.id,
                                                              PollVersion.broadcast_id.is_(None))
                                    .values(broadcast_id=bid)).rowcount
        if not taken:  # another request created it first: use theirs, drop ours
            broadcasts.cancel(services, bid)
            bid = current_version(services, poll).broadcast_id
    else:
        bid = version.broadcast_id
    with services.db.begin() as session:
        session.execute(update(Poll).where(Poll.id == poll.id).values(
            state="open", sent_at=func.coalesce(Poll.sent_at, now), updated_at=now))
    forget_open(services, poll.organization)
    state = broadcasts.progress(services, bid)["state"]
    if state != "draft":
        raise BroadcastError(f"poll {poll_id} version {version.number} was already sent (broadcast {bid})")
    sent = broadcasts.send_broadcast(services, bid, inline=inline)
    return {"id": poll.id, "version": version.number, "broadcast_id": bid, "recipients": sent["recipients"]}


def close_poll(services, poll_id: int, organization: str | None = None, *, now: datetime | None = None,
               results_back: bool = True) -> Poll:
    """No more answers are taken; the results stay, and go back to the respondents (started here when it
    can be; the polls' clock, bot/broadcasts/polls/schedule.py, starts them otherwise)."""
    poll = get_poll(services, poll_id, organization)
    now = now or utcnow()
    with services.db.begin() as session:
        moved = session.execute(update(Poll).where(Poll.id == poll_id,
                                                   Poll.state.in_(("draft", "scheduled", "open")))
                                .values(state="closed", closed_at=now, updated_at=now,
                                        # a poll never sent has nobody to tell
                                        results_sent_at=now if poll.state != "open" else None)).rowcount
    if not moved:
        raise BroadcastError(f"poll {poll_id} is already closed")
    forget_open(services, poll.organization)
    if results_back and poll.state == "open":
        from bot.broadcasts.polls.results_back import send_results

        try:
            send_results(services, poll_id, now)
        except Exception:  # noqa: BLE001 - the clock's next tick tries again
            log.exception("results of poll %s not sent back yet", poll_id)
    return get_poll(services, poll_id)


def list_polls(services, organization: str, limit: int = 50) -> list[dict]:
    with services.db() as session:
        rows = session.scalars(select(Poll).where(Poll.organization == organization)
                               .order_by(Poll.id.desc()).limit(limit)).all()
    return [{"id": p.id, "name": p.name, "state": p.state, "version": p.version,
             "created_at": p.created_at.isoformat(), "closes_at": p.closes_at and p.closes_at.isoformat()}
            for p in rows]


# --- which polls are open: read on every inbound message of the organization, so cached in Redis ---------

def forget_open(services, organization: str) -> None:
    if services.redis is not None:
        try:
            services.redis.delete(OPEN_KEY.format(org=organization))
        except Exception:  # noqa: BLE001 - a stale cache lives at most its TTL
            pass


def open_key(organization: str) -> str:
    return OPEN_KEY.format(org=organization)


def open_polls(services, organization: str, cached=_NOT_GIVEN) -> list[list]:
    """[poll id, current version, last change] of the organization's open polls (state open, not past
    closes_at), newest first. A member's cached place (bot/line/polls.py) holds for this list only: an
    edit or a send of a new version starts it afresh. `cached`: open_key's value when the caller read it
    already (the line reads it with its session lock; None: not in Redis)."""
    now = utcnow().timestamp()
    key = open_key(organization)
    if cached is _NOT_GIVEN:
        cached = None
        if services.redis is not None:
            try:
                cached = services.redis.get(key)
            except Exception:  # noqa: BLE001 - Redis away: ask the database
                cached = None
    if cached is None:
        with services.engine.connect() as conn:
            rows = conn.execute(select(Poll.id, Poll.version, Poll.updated_at, Poll.closes_at)
                                .where(Poll.organization == organization, Poll.state == "open")
                                .order_by(Poll.id.desc())).all()
        triples = [[r.id, r.version, r.updated_at.timestamp(), r.closes_at.timestamp() if r.closes_at else None]
                   for r in rows]
        if services.redis is not None:
            try:
                services.redis.set(key, json.dumps(triples), ex=300)
            except Exception:  # noqa: BLE001
                pass
    else:
        triples = json.loads(cached)
    return [[pid, version, changed] for pid, version, changed, closes in triples if closes is None or closes > now]


def set_public(services, poll_id: int, on: bool, organization: str | None = None) -> str | None:
    """Turn the public permalink to a poll's anonymised results on (a new unguessable token: turning it off
    and on again retires the old link) or off. Returns the token, or None."""
    import secrets

    poll = get_poll(services, poll_id, organization)
    token = secrets.token_urlsafe(24) if on else None
    if on and poll.public_token:
        return poll.public_token
    with services.db.begin() as session:
        session.execute(update(Poll).where(Poll.id == poll.id).values(public_token=token, updated_at=utcnow()))
    return token


def by_public_token(services, token: str) -> Poll | None:
    if not token or len(token) > 64:
        return None
    with services.db() as session:
        return session.scalars(select(Poll).where(Poll.public_token == token)).first()
