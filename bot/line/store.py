"""Database writes for one message: store it first (deduplicated), record the outcome after.

These run on every inbound message, so each statement is built once per dialect and executed
with plain parameters: building SQLAlchemy statements per call cost about a third of the CPU
of a request (measured with bench/inbound.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import Connection, Engine, String, bindparam, exists, func, insert, literal_column, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import HotStatement
from bot.messages import Inbound
from bot.models import Contact, Escalation, ForgottenOptOut, InboundMessage, OutboundMessage, utcnow

# An answer this long after "Has it been fixed?" still counts (bot/line/followup_answer.py); later, "1"
# is the menu again.
FOLLOWUP_ANSWER_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class ContactView:
    id: int
    language: str | None
    opted_out: bool
    # A forgotten worker's opt-out (bot/line/privacy.py) waits for this number: read with the store
    # statement; None when not read.
    forgotten: bool | None = None
    # An unanswered "Has it been fixed?" waits for this contact (bot/line/followup_answer.py): read with
    # the store statement so that most messages cost that hook no query; None when not read.
    followup: bool | None = None


class Duplicate(Exception):
    """This MessageSid is stored already."""


# --- text PostgreSQL refuses ------------------------------------------------------------------
# NUL in text or JSON, and lone surrogates (not encodable as UTF-8). Removed from every stored field;
# the raw form keeps them escaped ("\u0000"), so what was sent stays readable.
_REFUSED = re.compile("[\x00\ud800-\udfff]")
_TEXT_FIELDS = ("sid", "from_address", "to_address", "phone", "to_number", "body", "address", "label",
                "profile_name", "wa_id")


def storable_text(value):
    if isinstance(value, str) and _REFUSED.search(value):
        return _REFUSED.sub("", value)
    return value


def _escaped(value):
    if isinstance(value, str):
        return _REFUSED.sub(lambda m: f"\\u{ord(m.group()):04x}", value) if _REFUSED.search(value) else value
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return value


def _refused_anywhere(inbound: Inbound) -> bool:
    texts = [getattr(inbound, f) for f in _TEXT_FIELDS]
    texts += [m.url for m in inbound.media] + [m.content_type for m in inbound.media]
    if any(isinstance(t, str) and _REFUSED.search(t) for t in texts):
        return True
    raw = inbound.raw
    if isinstance(raw, dict):
        try:  # a Twilio form: flat, strings only, so one search over all of it
            return bool(_REFUSED.search("".join(raw)) or _REFUSED.search("".join(raw.values())))
        except TypeError:
            pass  # something nested: walk it
    return any(isinstance(t, str) and _REFUSED.search(t) for t in _strings(raw))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def storable(inbound: Inbound) -> Inbound:
    """The message as PostgreSQL (and the spool's UTF-8 files) will take it; the same object when
    nothing needs cleaning, which is nearly always."""
    if not _refused_anywhere(inbound):
        return inbound
    from bot.phones import to_e164

    media = tuple(type(m)(url=storable_text(m.url), content_type=storable_text(m.content_type))
                  for m in inbound.media)
    clean = {f: storable_text(getattr(inbound, f)) for f in _TEXT_FIELDS}
    clean["phone"] = clean["phone"] or to_e164(clean["from_address"])  # "+2547\x0011..." is a number too
    clean["to_number"] = clean["to_number"] or to_e164(clean["to_address"])
    return replace(inbound, media=media, raw=_escaped(inbound.raw), **clean)


def strict(inbound: Inbound) -> Inbound:
    """Last resort after the database refused a message for its content: every field cut to its
    column and plain ASCII in `raw`, so the message is still stored."""
    cut = {"sid": 64, "from_address": 64, "to_address": 64, "phone": 20, "profile_name": 200, "wa_id": 32}
    raw = {"escaped": json.dumps(inbound.raw, ensure_ascii=True, default=str)}
    return replace(inbound, raw=raw, **{f: (getattr(inbound, f) or None) and getattr(inbound, f)[:n]
                                        for f, n in cut.items()})


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


# --- PostgreSQL: one statement per step, run in autocommit (no BEGIN/COMMIT round trips) ---------

_CONTACT_FIELDS = ("organization", "phone", "created_at", "updated_at", "profile_name", "whatsapp_id", "opted_out")


@lru_cache(maxsize=4)
def _pg_store(channel: str):
    """Contact upsert and message insert as one atomic statement (a data-modifying CTE). The
    message row is absent from the result when its SID was stored before."""
    seen = f"last_inbound_{channel}_at"
    table = Contact.__table__
    contact = postgresql.insert(Contact).values(
        {f: bindparam(f"c_{f}", type_=table.c[f].type) for f in (*_CONTACT_FIELDS, seen)})
    contact = contact.on_conflict_do_update(
        index_elements=["organization", "phone"],
        set_={seen: contact.excluded[seen], "updated_at": contact.excluded.updated_at,
              "profile_name": func.coalesce(contact.excluded.profile_name, Contact.profile_name),
              "whatsapp_id": func.coalesce(contact.excluded.whatsapp_id, Contact.whatsapp_id)},
    ).returning(Contact.id, Contact.language, Contact.opted_out).cte("c")
    columns = [c.name for c in InboundMessage.__table__.columns if c.name not in ("id", "contact_id")]
    rows = select(*[bindparam(name, type_=InboundMessage.__table__.c[name].type) for name in columns], contact.c.id)
    message = (postgresql.insert(InboundMessage).from_select([*columns, "contact_id"], rows)
               .on_conflict_do_nothing(index_elements=["provider_sid"]).returning(InboundMessage.id).cte("m"))
    # Whether a forgotten opt-out waits for this number: one more round trip per message otherwise.
    forgotten = exists().where(ForgottenOptOut.organization == bindparam("c_organization"),
                               ForgottenOptOut.phone_hash == bindparam("f_phone_hash", type_=String))
    followup = exists().where(Escalation.organization == bindparam("c_organization"),
                              Escalation.contact_id == contact.c.id, Escalation.followup_asked_at.is_not(None),
                              Escalation.followup_answer.is_(None),
                              Escalation.followup_asked_at >= bindparam("e_since", type_=Escalation.followup_asked_at.type))
    return (select(contact.c.id, contact.c.language, contact.c.opted_out, message.c.id.label("inbound_id"),
                   forgotten.label("forgotten"), followup.label("followup"))
            .select_from(contact.outerjoin(message, true())))


def _store_params(inbound: Inbound, org: str, spooled: bool, phone_hash: str | None) -> dict:
    now = utcnow()
    params = inbound_row(inbound, org, None, spooled)
    del params["contact_id"]
    params.update(c_organization=org, c_phone=inbound.phone, c_created_at=now, c_updated_at=now,
                  c_profile_name=inbound.profile_name, c_whatsapp_id=inbound.wa_id, c_opted_out=False,
                  f_phone_hash=phone_hash, e_since=now - FOLLOWUP_ANSWER_WINDOW,
                  **{f"c_last_inbound_{inbound.channel}_at": inbound.received_at})
    return params


def _stored(row, inbound: Inbound, phone_hash: str | None):
    contact_id, language, opted_out, inbound_id, forgotten, followup = row
    if inbound_id is None:
        raise Duplicate(inbound.sid)
    return inbound_id, ContactView(contact_id, language, opted_out, bool(forgotten) if phone_hash else None,
                                   bool(followup))


def store_inbound_fast(conn: Connection, inbound: Inbound, org: str | None, spooled: bool = False,
                       phone_hash: str | None = None):
    """store_inbound in one statement; `conn` in autocommit (or a batch's transaction). PostgreSQL only.
    With `phone_hash` (bot/line/privacy.phone_hash) the contact says whether a forgotten opt-out waits."""
    if not (org and inbound.phone):
        return store_inbound(conn, inbound, org, spooled=spooled)
    row = conn.execute(_pg_store(inbound.channel), _store_params(inbound, org, spooled, phone_hash)).one()
    return _stored(row, inbound, phone_hash)


@lru_cache(maxsize=4)
def _hot_store(channel: str) -> HotStatement:
    return HotStatement(_pg_store(channel))


def store_inbound_hot(engine: Engine, inbound: Inbound, org: str, phone_hash: str | None = None):
    """store_inbound_fast straight on the driver (bot/db.HotStatement), for a message with an
    organization and a phone; None when the statement failed (use store_inbound_fast, which raises
    what went wrong)."""
    row = _hot_store(inbound.channel).run(engine, _store_params(inbound, org, False, phone_hash))
    return None if row is None else _stored(row, inbound, phone_hash)


_REPLY_FIELDS = ("organization", "contact_id", "channel", "to_address", "from_address", "body", "encoding",
                 "segments", "kind", "in_reply_to_id", "status", "status_rank", "created_at", "updated_at")


@lru_cache(maxsize=1)
def _pg_finish():
    """Mark the message handled and insert its one reply: one statement (INSERT ... SELECT keeps it
    in SQLAlchemy's compiled cache, which a multi-row VALUES with a CTE does not)."""
    handled = _MARK_HANDLED.returning(literal_column("1")).cte("h")
    table = OutboundMessage.__table__
    row = select(*[bindparam(f"r_{f}", type_=table.c[f].type) for f in _REPLY_FIELDS])
    return postgresql.insert(OutboundMessage).from_select(list(_REPLY_FIELDS), row).add_cte(handled)


def _finish_params(inbound_id: int, contact_id: int | None, org: str | None, inbound: Inbound, outcome,
                   reply) -> dict:
    now, nlu = utcnow(), outcome.nlu
    return {"inbound_id": inbound_id, "handled_at": now, "intent": nlu.intent if nlu else None,
            "confidence": nlu.confidence if nlu else None, "source": nlu.source if nlu else None,
            "r_organization": org, "r_contact_id": contact_id, "r_channel": inbound.channel,
            "r_to_address": inbound.from_address, "r_from_address": inbound.to_address, "r_body": reply.text,
            "r_encoding": reply.encoding, "r_segments": reply.segments, "r_kind": "reply",
            "r_in_reply_to_id": inbound_id, "r_status": "replied", "r_status_rank": 0, "r_created_at": now,
            "r_updated_at": now}


def record_outcome_fast(conn: Connection, inbound_id: int, contact_id: int | None, org: str | None,
                        inbound: Inbound, outcome, replies: list) -> bool:
    """record_outcome for the common case (no contact changes, one reply) in one autocommit
    statement. False: not the common case, use record_outcome in a transaction."""
    if outcome.contact_changes or len(replies) != 1:
        return False
    conn.execute(_pg_finish(), _finish_params(inbound_id, contact_id, org, inbound, outcome, replies[0]))
    return True


@lru_cache(maxsize=1)
def _hot_finish() -> HotStatement:
    return HotStatement(_pg_finish())


def record_outcome_hot(engine: Engine, inbound_id: int, contact_id: int | None, org: str | None,
                       inbound: Inbound, outcome, replies: list) -> bool:
    """record_outcome_fast straight on the driver (bot/db.HotStatement). False: not the common case,
    or the statement failed; use record_outcome in a transaction."""
    if outcome.contact_changes or len(replies) != 1:
        return False
    params = _finish_params(inbound_id, contact_id, org, inbound, outcome, replies[0])
    return _hot_finish().run(engine, params) is not None


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
