"""Delivery status callbacks for broadcast recipients (called from bot/line/delivery.py in the same
transaction that stores the event). A status only moves forward; callbacks that arrive before the
worker wrote the SID back are caught up from status_events when it does (see writeback.flush)."""
from __future__ import annotations

from sqlalchemy import insert, select, update

from bot.providers import delivery_reason, is_permanent
from bot.models import Broadcast, BroadcastRecipient, Contact, InvalidNumber, utcnow

R = BroadcastRecipient

STATE_FOR = {"accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
             "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed",
             "canceled": "failed"}


def on_status(conn, sid: str, status: str, rank: int, code: int | None) -> int | None:
    """Move the recipient with this SID forward. Returns a broadcast id to wake (a free-form message
    refused outside WhatsApp's window, requeued with the template), else None."""
    state = STATE_FOR.get(status)
    if state is None:
        return None
    row = conn.execute(
        select(R.id, R.broadcast_id, R.contact_id, R.mode, R.status_rank, R.to_address)
        .where(R.provider_sid == sid)
    ).first()
    if row is None or row.status_rank >= rank:
        return None
    reason = delivery_reason(code)
    if state == "failed" and reason == "whatsapp_window_closed" and row.mode == "text":
        template = conn.execute(select(Broadcast.template).where(Broadcast.id == row.broadcast_id)).scalar()
        if template:
            moved = conn.execute(
                update(R).where(R.id == row.id, R.provider_sid == sid)
                .values(state="queued", mode="template", earlier_sid=sid, provider_sid=None, attempt_id=None,
                        status_rank=0, not_before=None, reason="retry_with_template", error_code=code,
                        updated_at=utcnow())
            )
            return row.broadcast_id if moved.rowcount else None
    values = {"state": state, "status_rank": rank, "updated_at": utcnow()}
    if state == "failed":
        values.update(error_code=code, reason=reason or ("undelivered" if status == "undelivered" else status))
    conn.execute(update(R).where(R.id == row.id, R.status_rank < rank).values(**values))
    if state == "failed":
        mark_contact(conn, row.contact_id, code)
    return None


def mark_contact(conn, contact_id: int, code: int | None) -> None:
    """After a permanent error (bot.providers.is_permanent): opted out (for both channels: the app keeps
    its own list), or the number is left out of broadcasts until it writes in again (invalid, not a
    mobile). Other errors leave the contact as it is."""
    if not is_permanent(code):
        return
    if delivery_reason(code) == "opted_out":
        conn.execute(update(Contact).where(Contact.id == contact_id, Contact.opted_out.is_(False))
                     .values(opted_out=True, opted_out_at=utcnow(), updated_at=utcnow()))
    else:
        phone = conn.execute(select(Contact.phone).where(Contact.id == contact_id)).scalar()
        if phone:
            exists = conn.execute(select(InvalidNumber.phone).where(InvalidNumber.phone == phone)).first()
            if exists:
                conn.execute(update(InvalidNumber).where(InvalidNumber.phone == phone)
                             .values(error_code=code, recorded_at=utcnow()))
            else:
                conn.execute(insert(InvalidNumber).values(phone=phone, error_code=code, recorded_at=utcnow()))
