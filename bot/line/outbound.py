"""One message to one contact outside a conversation turn (an organizer's reply, a report's status
change), the one way: recorded first, then sent, then the row updated with what the provider said.
A crash in between leaves a "queued" row, never a message we forgot we sent."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from bot.line.replies import Reply
from bot.messages import Outgoing
from bot.models import OutboundMessage, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    outbound_id: int
    sid: str | None
    status: str
    error_code: int | None
    error: str | None

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def send_to_contact(services, *, org: str, contact_id: int, channel: str, to: str, from_: str, reply: Reply,
                    kind: str, also: Callable | None = None) -> Sent:
    """`also(session, outbound_row)` adds rows that must commit with the record (an audit event, a
    report event's link), in the same transaction."""
    now = utcnow()
    with services.db.begin() as session:
        out = OutboundMessage(organization=org, contact_id=contact_id, channel=channel, to_address=to,
                              from_address=from_, body=reply.text, encoding=reply.encoding, segments=reply.segments,
                              kind=kind, status="queued", status_rank=0, created_at=now, updated_at=now)
        session.add(out)
        session.flush()
        if also is not None:
            also(session, out)
        out_id = out.id
    try:
        result = services.sender.send(Outgoing(to=to, from_=from_, body=reply.text))
        sid, status, code, error = result.sid, result.status, result.error_code, result.error_message
    except Exception as exc:  # the sender's own errors come back as results; anything else is a failure too
        log.exception("%s message %s not sent", kind, out_id)
        sid, status, code, error = None, "failed", None, str(exc)
    with services.db.begin() as session:
        row = session.get(OutboundMessage, out_id)
        row.provider_sid, row.status, row.error_code, row.updated_at = sid, status, code, utcnow()
    if status == "failed":
        log.warning("%s message %s failed: %s %s", kind, out_id, code, error)
    return Sent(out_id, sid, status, code, error)
