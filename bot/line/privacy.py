"""Workers' data rights: erase one contact (FORGET, or an admin on the member page), and remember
an opt-out after the erasure as a keyed hash of the number only.

What erasure removes: the contact row (number, WhatsApp profile name and id), the member row (name,
trade, market), every inbound and outbound message to or from the number (bodies, profile names, raw
forms), their delivery status events, broadcast recipient rows, handovers, the invalid-number mark,
report media files and rows, and the Redis session, lock, handover and opt-out mirror. What stays:
the reports, unlinked from contact and member, with the worker's own words replaced by a marker, so
the organization's counts do not change; and the audit log (who revealed or erased, never the number).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

from sqlalchemy import delete, or_, select, update

from bot.db import autocommit
from bot.models import (
    AuditEvent,
    BroadcastRecipient,
    Contact,
    ForgottenOptOut,
    InboundMessage,
    InvalidNumber,
    Member,
    OutboundMessage,
    Report,
    ReportMedia,
    StatusEvent,
    utcnow,
)
from bot.line.sessions import REDIS_ERRORS, handover_key, opt_out_key

log = logging.getLogger(__name__)

ERASED = "[erased]"  # stands where a forgotten worker's own words were
FORGET_ACTION = "forget_contact"


def phone_hash(settings, organization: str, phone: str) -> str:
    """HMAC-SHA256 under SECRET_KEY: the same number gives the same hash, the hash gives no number."""
    key = (getattr(settings, "privacy_key", None) or settings.secret_key).encode()
    return hmac.new(key, f"{organization}:{phone}".encode(), hashlib.sha256).hexdigest()


def addresses(phone: str) -> tuple[str, ...]:
    """How the number appears in message rows: bare on SMS, prefixed on WhatsApp."""
    return (phone, f"whatsapp:{phone}")


def erase(services, organization: str, contact_id: int, *, user_id: int | None = None,
          by: str = "worker", reason: str | None = None) -> dict | None:
    """Erase one contact of one organization; returns counts per kind, None when there is no such
    contact. One transaction: a failure leaves everything as it was."""
    files: list[str] = []
    with services.db.begin() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.organization != organization:
            return None
        phone = contact.phone
        sent_to = addresses(phone)
        if contact.opted_out:
            session.merge(ForgottenOptOut(organization=organization, phone_hash=phone_hash(
                services.settings, organization, phone), opted_out_at=contact.opted_out_at, forgotten_at=utcnow()))
        member_ids = list(session.scalars(select(Member.id).where(Member.contact_id == contact_id)))
        mine = or_(Report.contact_id == contact_id, Report.member_id.in_(member_ids)) if member_ids \
            else Report.contact_id == contact_id
        report_ids = list(session.scalars(select(Report.id).where(Report.organization == organization, mine)))
        media = session.execute(select(ReportMedia.id, ReportMedia.path)
                                .where(ReportMedia.report_id.in_(report_ids))).all() if report_ids else []
        files = [path for _, path in media if path]
        counts = {"reports_anonymised": len(report_ids), "media": len(media)}
        if media:
            session.execute(delete(ReportMedia).where(ReportMedia.id.in_([m for m, _ in media])))
        if report_ids:
            session.execute(update(Report).where(Report.id.in_(report_ids)).values(
                contact_id=None, member_id=None, anonymous=True, description=ERASED, occurred_text=None,
                address=None, quote_consent=False, updated_at=utcnow()))  # nothing of theirs to quote
        outbound = or_(OutboundMessage.contact_id == contact_id, OutboundMessage.to_address.in_(sent_to))
        sids = set(session.scalars(select(OutboundMessage.provider_sid).where(
            OutboundMessage.organization == organization, outbound, OutboundMessage.provider_sid.is_not(None))))
        sids |= set(session.scalars(select(BroadcastRecipient.provider_sid).where(
            BroadcastRecipient.contact_id == contact_id, BroadcastRecipient.provider_sid.is_not(None))))
        sids |= set(session.scalars(select(BroadcastRecipient.earlier_sid).where(
            BroadcastRecipient.contact_id == contact_id, BroadcastRecipient.earlier_sid.is_not(None))))
        if sids:
            session.execute(delete(StatusEvent).where(StatusEvent.provider_sid.in_(sids)))
        counts["broadcast_rows"] = session.execute(
            delete(BroadcastRecipient).where(BroadcastRecipient.contact_id == contact_id)).rowcount
        counts["outbound"] = session.execute(delete(OutboundMessage).where(
            or_(OutboundMessage.contact_id == contact_id,
                (OutboundMessage.organization == organization) & OutboundMessage.to_address.in_(sent_to)))).rowcount
        counts["inbound"] = session.execute(delete(InboundMessage).where(
            or_(InboundMessage.contact_id == contact_id,
                (InboundMessage.organization == organization) & InboundMessage.from_address.in_(sent_to)))).rowcount
        counts["members"] = session.execute(delete(Member).where(Member.contact_id == contact_id)).rowcount
        # The invalid-number mark is kept per number across organizations: only ours to drop when no
        # other organization still knows this number.
        if session.scalar(select(Contact.id).where(Contact.phone == phone, Contact.id != contact_id).limit(1)) is None:
            session.execute(delete(InvalidNumber).where(InvalidNumber.phone == phone))
        session.delete(contact)  # handovers go with it (ON DELETE CASCADE)
        session.add(AuditEvent(organization=organization, user_id=user_id, action=FORGET_ACTION,
                               target=f"contact:{contact_id}", detail={"by": by, **counts, **({"reason": reason} if reason else {})}))
    counts["files"] = _remove_files(services, files)
    _forget_in_redis(services, organization, phone)
    log.info("forgot contact %s of %s: %s", contact_id, organization, counts)
    return counts


def _remove_files(services, paths: list[str]) -> int:
    root = Path(services.settings.media_dir).resolve()
    removed = 0
    for name in paths:
        path = Path(name).resolve()
        if not path.is_relative_to(root):  # only ever files the download job stored
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
        for folder in (path.parent, path.parent.parent):  # <org>/<ref>/ left empty
            try:
                if folder != root:
                    folder.rmdir()
            except OSError:
                break
    return removed


def _forget_in_redis(services, organization: str, phone: str) -> None:
    redis = services.redis
    if redis is None:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        # poll:...: where the worker stands in an open poll (bot/line/polls.py), keyed by the number
        pipe.delete(f"session:{organization}:{phone}", handover_key(organization, phone),
                    f"poll:{organization}:{phone}")
        pipe.srem(opt_out_key(organization), phone)
        pipe.execute()
    except REDIS_ERRORS as exc:  # sessions expire on their own; the database is the record
        log.warning("forget: Redis keys not removed: %s", exc)


def returning_opt_out(services, organization: str, phone: str):
    """A forgotten worker who had opted out writes in again: the hash row is taken (the new contact
    row carries the opt-out from now on) and its opted_out_at returned; None for anyone else. One
    primary-key SELECT per message of a contact that has not opted out; never raises."""
    key = phone_hash(services.settings, organization, phone)
    table = ForgottenOptOut.__table__
    try:
        with (autocommit(services.engine) or services.engine).connect() as conn:
            at = conn.execute(select(table.c.opted_out_at, table.c.forgotten_at).where(
                table.c.organization == organization, table.c.phone_hash == key)).first()
            if at is None:
                return None
            conn.execute(delete(table).where(table.c.organization == organization, table.c.phone_hash == key))
            conn.commit()
    except Exception as exc:  # noqa: BLE001  the database is away (spooling): the Redis mirror decides
        log.warning("forgotten opt-outs unreadable: %s", exc)
        return None
    return at.opted_out_at or at.forgotten_at


def opted_out_again(turn) -> bool:
    """For the engine: True when this sender is a forgotten worker who had opted out; the opt-out
    goes onto the new contact row with this message's outcome."""
    if turn.contact is None or turn.contact.opted_out or turn.outcome.offline:
        return False
    key, checked = (turn.org.slug, turn.contact.id), turn.services.memo["forgotten"]
    if key in checked:  # a contact row is checked once: a forgotten number comes back as a new row
        return False
    at = returning_opt_out(turn.services, turn.org.slug, turn.inbound.phone)
    if at is None:
        turn.services.remember("forgotten", key)
        return False
    turn.outcome.contact_changes.update(opted_out=True, opted_out_at=at)
    return True


def is_forgotten_opt_out(services, organization: str, phone: str) -> bool:
    with services.db() as session:
        return session.get(ForgottenOptOut, (organization, phone_hash(services.settings, organization, phone))) \
            is not None


def forget_member(services, organization: str, number: str, *, user_id: int, reason: str) -> dict | None:
    """An admin erases a member (the worker asked by phone or in person): same as FORGET, audited
    with the admin and the reason. None when the organization has no such member."""
    with services.db() as session:
        contact_id = session.scalar(select(Member.contact_id).where(Member.organization == organization,
                                                                    Member.number == number))
    if contact_id is None:
        return None
    return erase(services, organization, contact_id, user_id=user_id, by="admin", reason=reason)


def erase_or_queue(services, organization: str, contact_id: int) -> dict | None:
    """FORGET's erasure right after the reply is recorded; if the database fails at that moment the
    worker was already told, so the erasure goes to the RQ queue and is retried until it is done."""
    try:
        return erase(services, organization, contact_id)
    except Exception as exc:  # noqa: BLE001
        if services.queue is None:
            raise
        from rq import Retry

        log.warning("forget: erasure of contact %s queued after %s", contact_id, exc)
        services.queue.enqueue("bot.tasks.forget_contact", organization, contact_id,
                               retry=Retry(max=10, interval=[10, 60, 300, 900, 3600]))
        return None
