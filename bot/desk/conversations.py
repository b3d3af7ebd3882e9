"""Conversations for the organizers' pages: the organization's contacts by their last message, one
contact's thread (what they sent, and every reply, notification, broadcast and organizer message they
were sent), and an organizer's reply through the sender. No Flask here: webhooks/dashboard/conversations.py
parses, calls these and renders. Every function takes the organization and never reads outside it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, or_, select, union_all

from bot.line import handover
from bot.models import AuditEvent, Contact, Handover, InboundMessage, Member, OutboundMessage, User, utcnow
from bot.line.replies import finish
from bot.line.outbound import send_to_contact
from bot.messages import MAX_BODY as MAX_REPLY
from bot.providers import whatsapp_window_until

log = logging.getLogger(__name__)

PER_PAGE = 30
THREAD_PAGE = 50
KIND_LABELS = {"reply": "Bot reply", "message": "Notification", "broadcast": "Broadcast", "organizer": "Organizer"}


class ReplyRefused(ValueError):
    """An organizer's reply that cannot go out; the message says why (status: the HTTP answer)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ContactInfo:
    id: int
    phone: str
    profile_name: str | None
    language: str | None
    opted_out: bool
    last_sms_at: datetime | None
    last_whatsapp_at: datetime | None
    member_name: str | None
    member_number: str | None

    @property
    def last_at(self) -> datetime | None:
        seen = [t for t in (self.last_sms_at, self.last_whatsapp_at) if t is not None]
        return max(seen) if seen else None

    @property
    def channel(self) -> str:
        """Where the worker wrote last: an organizer's reply goes back the same way."""
        if self.last_whatsapp_at and (not self.last_sms_at or self.last_whatsapp_at >= self.last_sms_at):
            return "whatsapp"
        return "sms"

    def window_until(self, now: datetime | None = None) -> datetime | None:
        """Until when WhatsApp accepts free text; None when closed or never opened (bot.providers)."""
        return whatsapp_window_until(self.last_whatsapp_at, now or utcnow())

    def as_json(self, now: datetime | None = None) -> dict:
        until = self.window_until(now)
        return {"id": self.id, "channel": self.channel, "opted_out": self.opted_out,
                "whatsapp_window_until": until.isoformat() if until else None,
                "can_reply": not self.opted_out and (self.channel == "sms" or until is not None)}


_LAST_AT = case(
    (Contact.last_inbound_whatsapp_at.is_(None), Contact.last_inbound_sms_at),
    (Contact.last_inbound_sms_at.is_(None), Contact.last_inbound_whatsapp_at),
    (Contact.last_inbound_sms_at > Contact.last_inbound_whatsapp_at, Contact.last_inbound_sms_at),
    else_=Contact.last_inbound_whatsapp_at,
)


def _contact_query(org: str):
    return (select(Contact, Member.name, Member.number)
            .outerjoin(Member, and_(Member.contact_id == Contact.id, Member.organization == org))
            .where(Contact.organization == org))


def _info(contact: Contact, member_name, member_number) -> ContactInfo:
    return ContactInfo(contact.id, contact.phone, contact.profile_name, contact.language, contact.opted_out,
                       contact.last_inbound_sms_at, contact.last_inbound_whatsapp_at, member_name, member_number)


def get_contact(services, org: str, contact_id: int) -> ContactInfo | None:
    with services.db() as session:
        row = session.execute(_contact_query(org).where(Contact.id == contact_id)).first()
    return _info(*row) if row else None


# --------------------------------------------------------------------------- the list

_MEMBER_NUMBER = re.compile(r"([A-Za-z]{2,5})[-\s]?0*(\d{1,6})")
_DIGITS = re.compile(r"\+?\d[\d\s\-().]*")


def search_filter(q: str):
    """Last digits (or the whole number) of the phone; a member number (NRB-00042, nrb-42, 42);
    otherwise part of a member's name or WhatsApp profile name."""
    q = q.strip()
    if _DIGITS.fullmatch(q):
        digits = re.sub(r"\D", "", q)
        ends = [Contact.phone.endswith(digits, autoescape=True)]
        if digits.startswith("0") and len(digits) > 3:  # a national number: 0711 000 001
            ends.append(Contact.phone.endswith(digits.lstrip("0"), autoescape=True))
        if len(digits) <= 6:
            ends.append(Member.seq == int(digits))
        return or_(*ends)
    found = _MEMBER_NUMBER.fullmatch(q)
    if found:
        return and_(func.upper(Member.number).startswith(found.group(1).upper() + "-", autoescape=True),
                    Member.seq == int(found.group(2)))
    return or_(Member.name.icontains(q, autoescape=True), Contact.profile_name.icontains(q, autoescape=True),
               func.upper(Member.number) == q.upper())


def list_conversations(services, org: str, *, q: str = "", taken_over: bool = False, page: int = 1,
                       per_page: int = PER_PAGE) -> dict:
    """Contacts that wrote in, newest message first, with their last message and handover."""
    now = utcnow()
    last_in = (select(InboundMessage.id).where(InboundMessage.contact_id == Contact.id)
               .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(1)
               .correlate(Contact).scalar_subquery())
    query = _contact_query(org).add_columns(last_in.label("last_in")).where(_LAST_AT.is_not(None))
    if q.strip():
        query = query.where(search_filter(q))
    if taken_over:
        query = query.where(Contact.id.in_(
            select(Handover.contact_id).where(Handover.organization == org, Handover.ended_at.is_(None),
                                              Handover.expires_at > now)))
    with services.db() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = session.execute(query.order_by(_LAST_AT.desc(), Contact.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
        last_ids = [r.last_in for r in rows if r.last_in is not None]
        last = {m.id: m for m in session.scalars(select(InboundMessage).where(InboundMessage.id.in_(last_ids)))}
    infos = [_info(r[0], r[1], r[2]) for r in rows]
    held = handover.active_for(services, org, [c.id for c in infos])
    items = []
    for info, row in zip(infos, rows):
        message = last.get(row.last_in)
        items.append({"contact": info, "last_message": _preview(message) if message else "",
                      "last_channel": message.channel if message else info.channel,
                      "handover": held.get(info.id), "window_until": info.window_until(now)})
    return {"items": items, "total": total, "page": page, "pages": pages}


def _preview(message: InboundMessage) -> str:
    if message.body:
        return message.body if len(message.body) <= 120 else message.body[:119] + "…"
    if message.latitude is not None:
        return "(location)"
    if message.media:
        return "(photo)" if any((m.get("content_type") or "").startswith("image/") for m in message.media) \
            else "(attachment)"
    return ""


# --------------------------------------------------------------------------- one thread


def _inbound_item(m: InboundMessage) -> dict:
    location = None
    if m.latitude is not None and m.longitude is not None:
        location = {"lat": m.latitude, "lon": m.longitude, "label": m.label or m.address}
    return {"key": f"in-{m.id}", "direction": "in", "id": m.id, "at": m.received_at.isoformat(),
            "at_label": _label(m.received_at), "channel": m.channel, "body": m.body, "kind": "inbound",
            "label": "Worker", "by": None, "status": None, "error_code": None,
            "media": [x.get("content_type") or "file" for x in (m.media or [])], "location": location}


def _outbound_item(m: OutboundMessage, by: str | None) -> dict:
    label = KIND_LABELS.get(m.kind, m.kind.title())
    if m.kind == "organizer":
        label = f"Organizer: {by}" if by else "Organizer"
    return {"key": f"out-{m.id}", "direction": "out", "id": m.id, "at": m.created_at.isoformat(),
            "at_label": _label(m.created_at), "channel": m.channel, "body": m.body, "kind": m.kind,
            "label": label, "by": by, "status": m.status, "error_code": m.error_code, "media": [],
            "location": None}


def _label(at: datetime) -> str:
    return at.strftime("%d %b %H:%M UTC")


def _authors(session, org: str, outbound: list[OutboundMessage]) -> dict[int, str]:
    """Who wrote each organizer message (the audit log records it)."""
    targets = [f"outbound:{m.id}" for m in outbound if m.kind == "organizer"]
    if not targets:
        return {}
    rows = session.execute(select(AuditEvent.target, User.name).outerjoin(User, User.id == AuditEvent.user_id)
                           .where(AuditEvent.organization == org, AuditEvent.action == "conversation_reply",
                                  AuditEvent.target.in_(targets)))
    return {int(target.split(":", 1)[1]): name or "a removed account" for target, name in rows}


def _items(session, org: str, inbound_ids: list[int], outbound_ids: list[int]) -> list[dict]:
    inbound = list(session.scalars(select(InboundMessage).where(InboundMessage.id.in_(inbound_ids)))) \
        if inbound_ids else []
    outbound = list(session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(outbound_ids)))) \
        if outbound_ids else []
    authors = _authors(session, org, outbound)
    items = [_inbound_item(m) for m in inbound] + [_outbound_item(m, authors.get(m.id)) for m in outbound]
    items.sort(key=lambda i: (i["at"], i["direction"] == "out", i["id"]))
    return items


def thread(services, org: str, contact_id: int, *, page: int = 1, per_page: int = THREAD_PAGE) -> dict:
    """One page of the thread, oldest to newest; page 1 holds the newest messages."""
    ins = select(literal("in").label("d"), InboundMessage.id.label("id"), InboundMessage.received_at.label("at")) \
        .where(InboundMessage.contact_id == contact_id, InboundMessage.organization == org)
    outs = select(literal("out").label("d"), OutboundMessage.id.label("id"), OutboundMessage.created_at.label("at")) \
        .where(OutboundMessage.contact_id == contact_id, OutboundMessage.organization == org)
    both = union_all(ins, outs).subquery()
    page = max(1, page)
    with services.db() as session:
        total = session.scalar(select(func.count()).select_from(both)) or 0
        rows = session.execute(select(both.c.d, both.c.id).order_by(both.c.at.desc(), both.c.d.desc(),
                                                                    both.c.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
        items = _items(session, org, [r.id for r in rows if r.d == "in"], [r.id for r in rows if r.d == "out"])
        last_in = session.scalar(select(func.max(InboundMessage.id))
                                 .where(InboundMessage.contact_id == contact_id, InboundMessage.organization == org))
        last_out = session.scalar(select(func.max(OutboundMessage.id))
                                  .where(OutboundMessage.contact_id == contact_id, OutboundMessage.organization == org))
    return {"items": items, "page": page, "total": total, "has_older": page * per_page < total,
            "has_newer": page > 1, "after_in": last_in or 0, "after_out": last_out or 0}


def newer(services, org: str, contact_id: int, after_in: int, after_out: int, limit: int = 200) -> dict:
    """What arrived or went out since the page last looked, and the statuses of recent outbound
    messages (delivered, failed ...) so the page can update them."""
    with services.db() as session:
        in_ids = list(session.scalars(
            select(InboundMessage.id).where(InboundMessage.contact_id == contact_id,
                                            InboundMessage.organization == org, InboundMessage.id > after_in)
            .order_by(InboundMessage.id).limit(limit)))
        out_ids = list(session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.contact_id == contact_id,
                                             OutboundMessage.organization == org, OutboundMessage.id > after_out)
            .order_by(OutboundMessage.id).limit(limit)))
        items = _items(session, org, in_ids, out_ids)
        statuses = session.execute(
            select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.error_code)
            .where(OutboundMessage.contact_id == contact_id, OutboundMessage.organization == org,
                   OutboundMessage.id <= after_out)
            .order_by(OutboundMessage.id.desc()).limit(50)).all()
    return {"items": items, "after_in": max(in_ids, default=after_in), "after_out": max(out_ids, default=after_out),
            "statuses": {str(i): {"status": s, "error_code": c} for i, s, c in statuses}}


# --------------------------------------------------------------------------- an organizer's reply


def _reply_from(session, org_numbers: list[str], contact_id: int, channel: str) -> str:
    """The number the worker last wrote to on this channel (the organization may have several)."""
    to = session.scalar(select(InboundMessage.to_address)
                        .where(InboundMessage.contact_id == contact_id, InboundMessage.channel == channel)
                        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc()).limit(1))
    if to:
        return to
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    return prefix + org_numbers[0]


def check_reply(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ReplyRefused("Write a message before sending.")
    if len(text) > MAX_REPLY:
        raise ReplyRefused(f"The message is {len(text)} characters long; at most {MAX_REPLY} can be sent.")
    return text


def send_reply(services, org: str, contact_id: int, user_id: int, body: str) -> dict:
    """Send an organizer's message to the worker and record it (kind "organizer", who in the audit log).
    Takes the conversation over (or extends the handover) first, so the bot does not talk across it.
    Raises LookupError for a contact outside `org`, ReplyRefused with a reason a person can act on."""
    text = check_reply(body)
    contact = get_contact(services, org, contact_id)
    if contact is None:
        raise LookupError(contact_id)
    if contact.opted_out:
        raise ReplyRefused("This worker sent STOP: nothing can be sent to them until they send START.", 409)
    channel, now = contact.channel, utcnow()
    if channel == "whatsapp" and contact.window_until(now) is None:
        raise ReplyRefused(
            "WhatsApp accepts free text only within 24 hours of the worker's last WhatsApp message "
            f"(last: {_label(contact.last_whatsapp_at)}). Wait for them to write, or reach them with an "
            "approved template from the Broadcasts page.", 409)
    catalog_org = services.catalog.organizations[org]
    view, _ = handover.extend(services, org, contact_id, user_id)
    with services.db() as session:
        from_ = _reply_from(session, catalog_org.numbers, contact_id, channel)
    to = ("whatsapp:" if channel == "whatsapp" else "") + contact.phone

    def audit(session, out):
        session.add(AuditEvent(organization=org, user_id=user_id, action="conversation_reply",
                               target=f"outbound:{out.id}", at=now,
                               detail={"contact_id": contact_id, "channel": channel, "handover_id": view.id}))

    sent = send_to_contact(services, org=org, contact_id=contact_id, channel=channel, to=to, from_=from_,
                           reply=finish(text, channel), kind="organizer", also=audit)
    out_id, status, code, error = sent.outbound_id, sent.status, sent.error_code, sent.error
    with services.db() as session:
        item = _items(session, org, [], [out_id])[0]
    return {"item": item, "sent": status != "failed", "error": error if status == "failed" else None,
            "error_code": code, "handover": view}
