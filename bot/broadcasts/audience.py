"""Who a broadcast reaches: one SELECT over contacts (and the members table when registration data
exists) that both the preview and the recipient rows (one INSERT ... SELECT) are built from.

Rules, in SQL so 100,000 recipients are one statement:
* never: opted-out contacts, numbers a permanent provider error left out (invalid, not a mobile) since they last wrote in;
* channel: WhatsApp if the contact has ever written on WhatsApp (last_inbound_whatsapp_at is set),
  else SMS. WhatsApp is what the worker chose to use with us; SMS is the fallback for everyone else;
* language: the contact's language (or the member's) when the broadcast has a text in it, else the
  organization's default language (which every broadcast must have a text in);
* WhatsApp mode: free-form "text" when the last WhatsApp message from the contact is younger than
  24 h, else "template" when the broadcast has one, else the row is created 'skipped' with reason
  'whatsapp_window_closed' so it is counted and explained, never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, literal, select

from bot.models import Base, Contact, InvalidNumber

WINDOW = timedelta(hours=24)
CHANNELS = ("sms", "whatsapp")


class SegmentError(ValueError):
    """The segment asks for something that cannot be selected (unknown market, no registration data)."""


@dataclass(frozen=True)
class Segment:
    cities: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()  # gazetteer place ids (or names, resolved with the catalog)
    trades: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    registered: bool | None = None  # True: members only, False: contacts who are not members
    channels: tuple[str, ...] = CHANNELS
    extra: dict = field(default_factory=dict)
    # Internal (polls' results back, bot/broadcasts/polls/close.py; not in the validator, so not from the pages
    # or the API): {"version": poll version id, "markets": [...], "except": bool}: the contacts who answered
    # that version's first question, at one of those markets (or at none of them, with except).
    respondents: dict | None = None

    @classmethod
    def from_dict(cls, raw: dict | None) -> "Segment":
        if raw is not None and not isinstance(raw, dict):
            raise SegmentError('segment must be an object, e.g. {"markets": ["nbo.gikomba"]}')
        raw = dict(raw or {})

        def many(name: str) -> tuple[str, ...]:
            value = raw.pop(name, None)
            value = () if value is None else value  # {} or 0 is a mistake to report, not "everyone"
            if isinstance(value, str):
                value = [v for v in value.split(",")]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise SegmentError(f"segment.{name} must be a list of strings")
            return tuple(v.strip() for v in value if v.strip())

        raw.pop("organization", None)
        segment = cls(cities=many("cities"), markets=many("markets"), trades=many("trades"),
                      languages=many("languages"), registered=raw.pop("registered", None),
                      channels=many("channels") or CHANNELS, respondents=raw.pop("respondents", None))
        if segment.registered is not None and not isinstance(segment.registered, bool):  # 0 == False
            raise SegmentError("segment.registered must be true, false or null")
        if set(segment.channels) - set(CHANNELS):
            raise SegmentError(f"segment.channels: only {', '.join(CHANNELS)}")
        if raw:
            raise SegmentError(f"unknown segment field(s): {', '.join(sorted(raw))}")
        return segment

    def to_dict(self) -> dict:
        out = {"cities": list(self.cities), "markets": list(self.markets), "trades": list(self.trades),
               "languages": list(self.languages), "registered": self.registered}
        if tuple(self.channels) != CHANNELS:
            out["channels"] = list(self.channels)
        if self.respondents is not None:
            out["respondents"] = self.respondents
        return out

    @property
    def needs_members(self) -> bool:
        return bool(self.cities or self.markets or self.trades or self.registered is not None)


def members_table():
    """The registration table (bot/models/members.py) if it exists: contact_id, trade, city, place_id."""
    table = Base.metadata.tables.get("members")
    if table is None or "contact_id" not in table.c:
        return None
    return table


def resolve_markets(catalog, org: str, markets: tuple[str, ...]) -> tuple[str, ...]:
    """Place ids for ids or names ("Gikomba", "nbo.gikomba"); SegmentError for an unknown one."""
    places = catalog.places(org)
    by_id = {p.id: p.id for p in places}
    by_name = {}
    for place in places:
        for names in place.names.values():
            for name in names:
                by_name.setdefault(name.casefold(), place.id)
    out = []
    for market in markets:
        found = by_id.get(market) or by_name.get(market.casefold())
        if not found:
            raise SegmentError(f"unknown market {market!r} for {org}")
        out.append(found)
    return tuple(dict.fromkeys(out))


def audience(catalog, org: str, segment: Segment, texts: dict, has_template: bool, now: datetime):
    """A SELECT of (contact_id, channel, language, to_address, mode, state, reason), one row per contact."""
    organization = catalog.org(org)
    default = organization.default_language
    langs = sorted(texts)
    members = members_table()
    if segment.needs_members and members is None:
        raise SegmentError("registration data (members) is not available yet: segment on language/channel only")

    wa_used = Contact.last_inbound_whatsapp_at.is_not(None)
    channel = case((wa_used, literal("whatsapp")), else_=literal("sms"))
    member_lang, source = None, Contact.__table__
    if members is not None and "organization" in members.c:
        # At most one member per (organization, contact): a LEFT JOIN that PostgreSQL hashes once, not a
        # lookup per contact (members has no index on contact_id alone: 1,000,000 lookups were minutes).
        joined = members.alias("member_language")
        source = source.outerjoin(joined, and_(joined.c.contact_id == Contact.id, joined.c.organization == org))
        member_lang = joined.c.language
    elif members is not None:
        member_lang = (select(members.c.language).where(members.c.contact_id == Contact.id)
                       .order_by(members.c.id.desc()).limit(1).scalar_subquery())
    own = func.coalesce(Contact.language, member_lang) if member_lang is not None else Contact.language
    language = case((own.in_(langs), own), else_=literal(default))
    to_address = case((wa_used, literal("whatsapp:") + Contact.phone), else_=Contact.phone)
    in_window = Contact.last_inbound_whatsapp_at >= now - WINDOW
    mode = case((and_(wa_used, ~in_window), literal("template" if has_template else "text")), else_=literal("text"))
    skip = and_(wa_used, ~in_window) if not has_template else literal(False)
    state = case((skip, literal("skipped")), else_=literal("queued"))
    reason = case((skip, literal("whatsapp_window_closed")), else_=literal(None))

    last_inbound = func.coalesce(
        case((Contact.last_inbound_sms_at > Contact.last_inbound_whatsapp_at, Contact.last_inbound_sms_at),
             else_=func.coalesce(Contact.last_inbound_whatsapp_at, Contact.last_inbound_sms_at)),
        Contact.created_at)
    invalid = exists().where(InvalidNumber.phone == Contact.phone, InvalidNumber.recorded_at >= last_inbound)

    conditions = [Contact.organization == org, Contact.opted_out.is_(False), ~invalid]
    if segment.languages:
        conditions.append(language.in_(segment.languages))
    if tuple(segment.channels) != CHANNELS:
        conditions.append(channel.in_(segment.channels))
    if members is not None and segment.needs_members:
        member_conditions = [members.c.contact_id == Contact.id]
        if "organization" in members.c:
            member_conditions.append(members.c.organization == org)
        if segment.trades:
            member_conditions.append(members.c.trade.in_(segment.trades))
        if segment.cities:
            member_conditions.append(func.lower(members.c.city).in_([c.lower() for c in segment.cities]))
        if segment.markets:
            member_conditions.append(members.c.place_id.in_(resolve_markets(catalog, org, segment.markets)))
        is_member = exists().where(*member_conditions)
        if segment.registered is False:
            if segment.trades or segment.cities or segment.markets:
                raise SegmentError("trades, cities and markets select members: not with registered=false")
            conditions.append(~exists().where(members.c.contact_id == Contact.id))
        else:
            conditions.append(is_member)

    if segment.respondents is not None:
        conditions.append(_respondents(segment.respondents))

    return select(
        Contact.id.label("contact_id"), channel.label("channel"), language.label("language"),
        to_address.label("to_address"), mode.label("mode"), state.label("state"), reason.label("reason"),
    ).select_from(source).where(*conditions)



def _respondents(spec: dict):
    """Contacts who answered a poll version's first question (every respondent did: questions come in
    order), at the markets given (their market when they answered), or at none of them with except."""
    from bot.models import PollAnswer

    if not isinstance(spec, dict) or not isinstance(spec.get("version"), int):
        raise SegmentError("segment.respondents must be {version, markets, except}")
    a = PollAnswer
    where = [a.version_id == spec["version"], a.question == 0, a.contact_id == Contact.id]
    markets = list(spec.get("markets") or [])
    market = func.coalesce(a.market, "-")
    if spec.get("except"):
        if markets:
            where.append(market.not_in(markets))
    elif markets:
        where.append(market.in_(markets))
    return exists().where(*where)
