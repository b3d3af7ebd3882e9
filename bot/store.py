"""Database writes for one message: store it first (deduplicated), record the outcome after."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, update
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


def _insert(conn: Connection, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


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
    }


def upsert_contact(conn: Connection, inbound: Inbound, org: str) -> ContactView:
    seen = {f"last_inbound_{inbound.channel}_at": inbound.received_at, "updated_at": utcnow()}
    if inbound.profile_name:
        seen["profile_name"] = inbound.profile_name
    if inbound.wa_id:
        seen["whatsapp_id"] = inbound.wa_id
    stmt = _insert(conn, Contact).values(organization=org, phone=inbound.phone, created_at=utcnow(), **seen)
    stmt = stmt.on_conflict_do_update(index_elements=["organization", "phone"], set_=seen)
    row = conn.execute(stmt.returning(Contact.id, Contact.language, Contact.opted_out)).one()
    return ContactView(row.id, row.language, row.opted_out)


def store_inbound(conn: Connection, inbound: Inbound, org: str | None, spooled: bool = False):
    """Insert the message (and its contact); raises Duplicate when the SID is known.

    Call inside a transaction: on Duplicate the caller's rollback undoes the contact touch.
    """
    contact = upsert_contact(conn, inbound, org) if (org and inbound.phone) else None
    stmt = (
        _insert(conn, InboundMessage)
        .values(**inbound_row(inbound, org, contact.id if contact else None, spooled))
        .on_conflict_do_nothing(index_elements=["provider_sid"])
        .returning(InboundMessage.id)
    )
    row = conn.execute(stmt).first()
    if row is None:
        raise Duplicate(inbound.sid)
    return row.id, contact


def record_outcome(conn: Connection, inbound_id: int, contact_id: int | None, org: str | None,
                   inbound: Inbound, outcome, replies: list) -> None:
    """Contact changes, NLU result and the TwiML replies, in one transaction."""
    if contact_id is not None and outcome.contact_changes:
        conn.execute(
            update(Contact).where(Contact.id == contact_id).values(**outcome.contact_changes, updated_at=utcnow())
        )
    nlu = outcome.nlu
    conn.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id)
        .values(
            handled_at=utcnow(),
            nlu_intent=nlu.intent if nlu else None,
            nlu_confidence=nlu.confidence if nlu else None,
            nlu_source=nlu.source if nlu else None,
        )
    )
    if replies:
        now = utcnow()
        conn.execute(
            _insert(conn, OutboundMessage),
            [
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
                    "status": "replied",
                    "status_rank": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in replies
            ],
        )
