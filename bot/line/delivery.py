"""Delivery status of outbound messages. Callbacks arrive twice and out of order: a status only
ever moves forward (a late "sent" never undoes "delivered")."""
from __future__ import annotations

from sqlalchemy import insert, update

from bot.broadcasts.service import after_status as after_broadcast_status
from bot.broadcasts.status import on_status as on_broadcast_status
from bot.models import OutboundMessage, StatusEvent, utcnow
from bot.messages import RANK


def _code(raw) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def record_status(services, sid: str, status: str, error_code=None, raw: dict | None = None) -> bool:
    """Store the event; advance the message if the status is newer. True if the message moved."""
    status = status.strip().lower()[:16]
    rank = RANK.get(status)
    code = _code(error_code)
    wake = None
    with services.engine.begin() as conn:
        conn.execute(insert(StatusEvent).values(provider_sid=sid[:64], status=status, error_code=code,
                                                raw=raw or {}, received_at=utcnow()))
        if rank is None:
            return False
        values = {"status": status, "status_rank": rank, "updated_at": utcnow()}
        if code is not None:
            values["error_code"] = code
        moved = conn.execute(
            update(OutboundMessage)
            .where(OutboundMessage.provider_sid == sid, OutboundMessage.status_rank < rank)
            .values(**values)
        )
        wake = on_broadcast_status(conn, sid, status, rank, code)  # broadcast recipients move too
    after_broadcast_status(services, wake)
    return moved.rowcount > 0
