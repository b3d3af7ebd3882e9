"""Database writes for one message: store it first (deduplicated), record the outcome after.

These run on every inbound message, so each statement is built once per dialect and executed
with plain parameters: building SQLAlchemy statements per call cost about a third of the CPU
of a request (measured with bench/inbound.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, bindparam, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.inbound import Inbound
from bot.models import Contact, InboundMessage, OutboundMessage, utcnow


@dataclass(frozen=True)
class ContactView:
    id: int
    language: str | None
    opted_out: bool


class Duplicate(Exception):
    """This MessageSid is stored already."""


def _dialect(conn: Connection):
    return postgresql if conn.dialect.name == "postgresql" else sqlite


@lru_cache(maxsize=8)
def _contact_upsert(dialect, channel: str):
    stmt = dialect.insert(Contact)
    seen = f"last_inbound_{channel}_at"
    stmt = stmt.on_conflict_do_update(
        index_elements=["organization", "phone"],
        set_={
            seen: stmt.excluded[seen],
            "updated_at": stmt.excluded.updated_at,
            # A message without a profile name (SMS) keeps the one WhatsApp gave us.
            "profile_name": func.coalesce(stmt.excluded.profile_name, Contact.profile_name),
            "whatsapp_id": func.coalesce(stmt.excluded.whatsapp_id, Contact.whatsapp_id),
        },
    )
    return stmt.returning(Contact.id, Contact.language, Contact.opted_out)


@lru_cache(maxsize=4)
def _inbound_insert(dialect):
    stmt = dialect.insert(InboundMessage).on_conflict_do_nothing(index_elements=["provider_sid"])
    return stmt.returning(InboundMessage.id)


_MARK_HANDLED = (
    update(InboundMessage)
    .where(InboundMessage.id == bindparam("inbound_id"))
    .values(handled_at=bindparam("handled_at"), nlu_intent=bindparam("intent"),
            nlu_confidence=bindparam("confidence"), nlu_source=bindparam("source"))
)
_REPLY_INSERT = insert(OutboundMessage)


def inbound_row(inbound: Inbound, org: str | None, contact_id: int | None, spooled: bool = False) -> dict:
    return {
        "provider_sid": inbound.sid,
        "channel": inbound.channel,
        "organization": org,
        "contact_id": contact_id,
        "from_address": inbound.from_address,
        "to_address": inbound.to_address,
        "body": inbound.body,
        "media": [{"url": m.url, "content_type": m.content_type} for m in inbound.media],
        "latitude": inbound.latitude,
        "longitude": inbound.longitude,
        "address": inbound.address,
        "label": inbound.label,
        "profile_name": inbound.profile_name,
        "raw": inbound.raw,
        "received_at": inbound.received_at,
        "spooled": spooled,
        "nlu_intent": None,
        "nlu_confidence": None,
        "nlu_source": None,
        "handled_at": None,
    }


def upsert_contact(conn: Connection, inbound: Inbound, org: str) -> ContactView:
    now = utcnow()
    row = conn.execute(
        _contact_upsert(_dialect(conn), inbound.channel),
        {
            "organization": org,
            "phone": inbound.phone,
            "created_at": now,
            "updated_at": now,
            f"last_inbound_{inbound.channel}_at": inbound.received_at,
            "profile_name": inbound.profile_name,
            "whatsapp_id": inbound.wa_id,
            "opted_out": False,
        },
    ).one()
    return ContactView(row.id, row.language, row.opted_out)


def store_inbound(conn: Connection, inbound: Inbound, org: str | None, spooled: bool = False):
    """Insert the message (and its contact); raises Duplicate when the SID is known.

    Call inside a transaction: on Duplicate the caller's rollback undoes the contact touch.
    """
    contact = upsert_contact(conn, inbound, org) if (org and inbound.phone) else None
    row = conn.execute(_inbound_insert(_dialect(conn)),
                       inbound_row(inbound, org, contact.id if contact else None, spooled)).first()
    if row is None:
        raise Duplicate(inbound.sid)
    return row.id, contact


def record_outcome(conn: Connection, inbound_id: int, contact_id: int | None, org: str | None,
                   inbound: Inbound, outcome, replies: list) -> None:
    """Contact changes, NLU result and the TwiML replies, in one transaction."""
    now = utcnow()
    if contact_id is not None and outcome.contact_changes:
        conn.execute(update(Contact).where(Contact.id == contact_id).values(**outcome.contact_changes, updated_at=now))
    nlu = outcome.nlu
    conn.execute(_MARK_HANDLED, {
        "inbound_id": inbound_id,
        "handled_at": now,
        "intent": nlu.intent if nlu else None,
        "confidence": nlu.confidence if nlu else None,
        "source": nlu.source if nlu else None,
    })
    if replies:
        conn.execute(_REPLY_INSERT, [
            {
                "organization": org,
                "contact_id": contact_id,
                "channel": inbound.channel,
                "to_address": inbound.from_address,
                "from_address": inbound.to_address,
                "body": r.text,
                "encoding": r.encoding,
                "segments": r.segments,
                "kind": "reply",
                "in_reply_to_id": inbound_id,
                "provider_sid": None,
                "status": "replied",
                "status_rank": 0,
                "error_code": None,
                "created_at": now,
                "updated_at": now,
            }
            for r in replies
        ])
