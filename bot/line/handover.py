"""Human handover: an organizer takes a worker's conversation over and the bot stays silent for that
contact until the organizer hands it back or `handover_minutes` pass after their last reply.

The `handovers` table is the record (who, since when, until when). Redis holds one key per contact
under handover, `handover:<org>:<phone>`, expiring with it, so the engine's check costs one EXISTS for
the ordinary message; only when the key exists does an indexed lookup confirm it in the database
(a key left behind by a failed delete never silences the bot past a hand-back).

A lost key (Redis restarted) lets the bot answer until the organizer's page polls again: each poll
puts the key back for an active handover (`sync`). Without Redis the engine asks the database.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError

from bot.db import autocommit
from bot.models import AuditEvent, Contact, Handover, User, utcnow
from bot.line.sessions import REDIS_ERRORS, handover_key

log = logging.getLogger(__name__)


key = handover_key  # handover:<org>:<phone>


@dataclass(frozen=True)
class HandoverView:
    id: int
    contact_id: int
    user_id: int | None
    user_name: str | None
    started_at: datetime
    expires_at: datetime

    def as_json(self) -> dict:
        return {"id": self.id, "by": self.user_name, "started_at": self.started_at.isoformat(),
                "expires_at": self.expires_at.isoformat()}


# --------------------------------------------------------------------------- the engine's check

_CONFIRM = (
    select(Handover.id)
    .where(Handover.contact_id == bindparam("contact_id"), Handover.ended_at.is_(None),
           Handover.expires_at > bindparam("now"))
    .limit(1)
)


def held(turn, store=None) -> bool:
    """True while an organizer has this turn's conversation: the engine then stores the message and
    says nothing (STOP, opt-in and HELP are answered before this is asked). The session store read
    the handover key with its lock, so the ordinary message costs no extra Redis round trip."""
    contact_id = turn.contact.id if turn.contact else None
    flag = store.handover_flag(turn.org.slug, turn.inbound.phone) if store is not None else None
    return is_active(turn.services, turn.org.slug, turn.inbound.phone, contact_id, flag)


def is_active(services, org: str, phone: str, contact_id: int | None, flag: bool | None = None) -> bool:
    """`flag`: whether the key was seen already (None: ask Redis now)."""
    redis = services.redis
    if flag is False:
        return False
    if redis is not None and flag is None:
        try:
            if not redis.exists(key(org, phone)):
                return False
        except REDIS_ERRORS as exc:  # ask the database instead
            log.warning("handover check without Redis: %s", exc)
            redis = None
    if contact_id is None:
        # The database is unreachable (the message is spooled): trust the key when there is one.
        return redis is not None
    try:
        engine = autocommit(services.engine) or services.engine
        with engine.connect() as conn:
            return conn.execute(_CONFIRM, {"contact_id": contact_id, "now": utcnow()}).first() is not None
    except DBAPIError as exc:
        log.error("handover check failed: %s", exc)
        return redis is not None


# --------------------------------------------------------------------------- organizers' actions


def _view(session, handover: Handover) -> HandoverView:
    name = session.scalar(select(User.name).where(User.id == handover.user_id)) if handover.user_id else None
    return HandoverView(handover.id, handover.contact_id, handover.user_id, name, handover.started_at,
                        handover.expires_at)


def _active_row(session, org: str, contact_id: int, now: datetime, lock: bool = False) -> Handover | None:
    query = (select(Handover).where(Handover.organization == org, Handover.contact_id == contact_id,
                                    Handover.ended_at.is_(None), Handover.expires_at > now)
             .order_by(Handover.id.desc()).limit(1))
    return session.scalars(query.with_for_update() if lock else query).first()


def active(services, org: str, contact_id: int) -> HandoverView | None:
    with services.db() as session:
        row = _active_row(session, org, contact_id, utcnow())
        return _view(session, row) if row else None


def active_for(services, org: str, contact_ids: list[int]) -> dict[int, HandoverView]:
    """Active handovers of several contacts (a page of the conversations list)."""
    if not contact_ids:
        return {}
    now = utcnow()
    with services.db() as session:
        rows = session.execute(
            select(Handover, User.name).outerjoin(User, User.id == Handover.user_id)
            .where(Handover.organization == org, Handover.contact_id.in_(contact_ids),
                   Handover.ended_at.is_(None), Handover.expires_at > now)
            .order_by(Handover.id)).all()
    return {h.contact_id: HandoverView(h.id, h.contact_id, h.user_id, name, h.started_at, h.expires_at)
            for h, name in rows}


def _set_key(services, org: str, phone: str, handover_id: int, expires_at: datetime) -> None:
    if services.redis is None:
        return
    ttl_ms = int((expires_at - utcnow()).total_seconds() * 1000)
    try:
        if ttl_ms > 0:
            services.redis.set(key(org, phone), handover_id, px=ttl_ms)
        else:
            services.redis.delete(key(org, phone))
    except REDIS_ERRORS as exc:
        log.warning("handover key not written (the page's next poll retries): %s", exc)


def _locked_contact(session, org: str, contact_id: int) -> Contact | None:
    """The contact row, locked: handover changes for one contact happen one at a time."""
    return session.scalars(select(Contact).where(Contact.organization == org, Contact.id == contact_id)
                           .with_for_update()).first()


def start(services, org: str, contact_id: int, user_id: int) -> tuple[HandoverView, bool]:
    """Take the conversation over (or keep the handover already running). Returns it and whether it
    started now. Raises LookupError for a contact outside `org`."""
    return _take(services, org, contact_id, user_id, extend=False)


def extend(services, org: str, contact_id: int, user_id: int) -> tuple[HandoverView, bool]:
    """An organizer replied: the handover (started now if there was none) lasts `handover_minutes`
    from this reply."""
    return _take(services, org, contact_id, user_id, extend=True)


def _take(services, org: str, contact_id: int, user_id: int, extend: bool) -> tuple[HandoverView, bool]:
    now = utcnow()
    until = now + timedelta(minutes=services.settings.handover_minutes)
    with services.db.begin() as session:
        contact = _locked_contact(session, org, contact_id)
        if contact is None:
            raise LookupError(contact_id)
        row = _active_row(session, org, contact_id, now)
        started = row is None
        if started:
            row = Handover(organization=org, contact_id=contact_id, user_id=user_id, started_at=now, expires_at=until)
            session.add(row)
            session.flush()
            session.add(AuditEvent(organization=org, user_id=user_id, action="handover_start",
                                   target=f"contact:{contact_id}", at=now,
                                   detail={"handover_id": row.id, "expires_at": until.isoformat()}))
        elif extend:
            row.expires_at = until
        view, phone = _view(session, row), contact.phone
    _set_key(services, org, phone, view.id, view.expires_at)
    return view, started


def end(services, org: str, contact_id: int, user_id: int) -> bool:
    """Hand back to the bot. False when no handover was active."""
    now = utcnow()
    with services.db.begin() as session:
        contact = _locked_contact(session, org, contact_id)
        if contact is None:
            raise LookupError(contact_id)
        row = _active_row(session, org, contact_id, now)
        if row is not None:
            row.ended_at = now
            session.add(AuditEvent(organization=org, user_id=user_id, action="handover_end",
                                   target=f"contact:{contact_id}", at=now, detail={"handover_id": row.id}))
        handover_id, phone = (row.id if row else None), contact.phone
    if services.redis is not None:
        try:
            services.redis.delete(key(org, phone))
        except REDIS_ERRORS as exc:  # the engine confirms a key in the database: nothing stays silent
            log.warning("handover key not deleted: %s", exc)
    return handover_id is not None


def sync(services, org: str, phone: str, view: HandoverView | None) -> None:
    """Put the Redis key back for an active handover (after a Redis restart); called by page polls."""
    if view is None or services.redis is None:
        return
    try:
        if services.redis.exists(key(org, phone)):
            return
    except REDIS_ERRORS:
        return
    _set_key(services, org, phone, view.id, view.expires_at)
