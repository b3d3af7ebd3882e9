"""The members roster organizers see: search and filters, one member's details, and the one way to a
full phone number (an admin's reveal, always written to the audit log with its reason).

Every function takes the organization and never returns another organization's member. Rows carry
the E.164 number only for the `mask` filter; nothing here decides who may see it unmasked except
`reveal`, which the caller must reserve for admins."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from bot.desk.accounts import audit, audit_log
from bot.models import Contact, Member, Report

PER_PAGE = 50
MAX_QUERY = 100
REVEAL_ACTION = "reveal_phone"


class RosterError(ValueError):
    """A filter or a reveal that cannot be used; the message says why (shown to the organizer)."""


@dataclass(frozen=True)
class Filters:
    q: str = ""
    trade: str | None = None
    place_id: str | None = None  # a gazetteer id of the org, or "none" for members without a matched place
    language: str | None = None
    opted_out: bool | None = None
    page: int = 1

    def as_args(self, **override) -> dict:
        """Query-string arguments for links (pagination keeps the filters)."""
        args = {"q": self.q or None, "trade": self.trade, "market": self.place_id, "language": self.language,
                "opted_out": {True: "yes", False: "no", None: None}[self.opted_out], "page": self.page}
        args.update(override)
        return {k: v for k, v in args.items() if v not in (None, "") and not (k == "page" and v == 1)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.trade or self.place_id or self.language or self.opted_out is not None)


@dataclass(frozen=True)
class MemberRow:
    id: int
    contact_id: int
    number: str
    name: str
    trade: str
    city: str | None
    place_id: str | None
    place_text: str | None
    language: str | None
    consent_version: str
    consented_at: datetime
    created_at: datetime
    updated_at: datetime
    phone: str  # E.164: only ever shown through `mask`, or by reveal() to an admin
    opted_out: bool
    opted_out_at: datetime | None
    whatsapp: bool
    last_inbound_at: datetime | None


@dataclass(frozen=True)
class Page:
    rows: list[MemberRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def parse_filters(catalog, organization: str, args) -> Filters:
    """Filters from a query string (a dict-like); RosterError with a clear message for bad values."""
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY:
        raise RosterError(f"The search is too long (at most {MAX_QUERY} characters).")
    trade = args.get("trade") or None
    if trade is not None and trade not in catalog.trades():
        raise RosterError(f"Unknown trade {trade!r}: use one of {', '.join(catalog.trades())}.")
    place_id = args.get("market") or None
    if place_id not in (None, "none") and place_id not in {p.id for p in catalog.places(organization)}:
        raise RosterError("Unknown market: pick one from the list.")
    language = args.get("language") or None
    if language is not None and language not in catalog.org(organization).languages:
        raise RosterError(f"Unknown language {language!r} for this organization.")
    raw_opt = (args.get("opted_out") or "").lower()
    if raw_opt not in ("", "yes", "no"):
        raise RosterError("Opted out: use yes or no.")
    opted_out = {"": None, "yes": True, "no": False}[raw_opt]
    raw_page = args.get("page") or "1"
    if not (str(raw_page).isascii() and str(raw_page).isdigit()) or not 1 <= int(raw_page) <= 100000:
        raise RosterError("The page must be a number from 1.")
    return Filters(q, trade, place_id, language, opted_out, int(raw_page))


def _like(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


def _base(organization: str):
    language = func.coalesce(Member.language, Contact.language)
    return select(Member, Contact.phone, Contact.opted_out, Contact.opted_out_at,
                  Contact.last_inbound_whatsapp_at, Contact.last_inbound_sms_at, language.label("lang")) \
        .join(Contact, Contact.id == Member.contact_id) \
        .where(Member.organization == organization, Contact.organization == organization)


def _conditions(f: Filters) -> list:
    out = []
    if f.q:
        q = f.q
        digits = re.sub(r"[\s\-().+]", "", q)
        either = [Member.name.ilike(f"%{_like(q)}%", escape="\\"),
                  Member.number.ilike(f"%{_like(q)}%", escape="\\")]
        if digits.isdigit() and len(digits) >= 9 and digits.startswith("0"):
            digits = digits[1:]  # a national number read out with its trunk 0: 0722 000 456
        if digits.isdigit() and len(digits) >= 3:
            # the last digits of the phone (what a member can read out), or "42" for NRB-00042
            either.append(Contact.phone.like(f"%{digits}"))
            either.append(Member.number.like(f"%-{digits.zfill(5)}"))
        out.append(or_(*either))
    if f.trade:
        out.append(Member.trade == f.trade)
    if f.place_id == "none":
        out.append(Member.place_id.is_(None))
    elif f.place_id:
        out.append(Member.place_id == f.place_id)
    if f.language:
        out.append(func.coalesce(Member.language, Contact.language) == f.language)
    if f.opted_out is not None:
        out.append(Contact.opted_out.is_(f.opted_out))
    return out


def _row(result) -> MemberRow:
    m, phone, opted_out, opted_out_at, wa_at, sms_at, lang = result
    last = max([t for t in (wa_at, sms_at) if t is not None], default=None)
    return MemberRow(m.id, m.contact_id, m.number, m.name, m.trade, m.city, m.place_id, m.place_text, lang,
                     m.consent_version, m.consented_at, m.created_at, m.updated_at, phone, bool(opted_out),
                     opted_out_at, wa_at is not None, last)


def search(services, organization: str, filters: Filters, per_page: int = PER_PAGE) -> Page:
    """One page of the org's members, newest registration first."""
    conditions = _conditions(filters)
    with services.db() as session:
        total = session.scalar(select(func.count()).select_from(Member)
                               .join(Contact, Contact.id == Member.contact_id)
                               .where(Member.organization == organization, Contact.organization == organization,
                                      *conditions)) or 0
        page = min(filters.page, max(1, -(-total // per_page)))
        rows = session.execute(_base(organization).where(*conditions)
                               .order_by(Member.seq.desc()).limit(per_page).offset((page - 1) * per_page)).all()
        return Page([_row(r) for r in rows], total, page, per_page)


def get_member(services, organization: str, number: str) -> MemberRow | None:
    """The org's member with this member number (NRB-00042), or None (also for another org's)."""
    if not number or len(number) > 20:
        return None
    with services.db() as session:
        found = session.execute(_base(organization).where(Member.number == number.upper())).first()
        return _row(found) if found else None


def member_reports(services, organization: str, member: MemberRow, limit: int = 10) -> list[Report]:
    """The member's latest reports (not the anonymous ones: those stay unlinked on this page)."""
    with services.db() as session:
        return list(session.scalars(
            select(Report).where(Report.organization == organization, Report.anonymous.is_(False),
                                 or_(Report.member_id == member.id, Report.contact_id == member.contact_id))
            .order_by(Report.created_at.desc()).limit(limit)))


def counts_by_place(services, organization: str) -> dict[str | None, int]:
    """place id -> members registered there who have not opted out (None: no matched place)."""
    with services.db() as session:
        rows = session.execute(
            select(Member.place_id, func.count()).join(Contact, Contact.id == Member.contact_id)
            .where(Member.organization == organization, Contact.opted_out.is_(False))
            .group_by(Member.place_id)).all()
        return {place_id: n for place_id, n in rows}


def reveal(services, organization: str, number: str, *, user_id: int, reason: str) -> tuple[MemberRow, str] | None:
    """The member's full number for an admin, written to the audit log first (with the reason).
    None when there is no such member in this organization; RosterError without a reason."""
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise RosterError("Write why you need the full number (it is kept in the audit log).")
    if len(reason) > 300:
        raise RosterError("Keep the reason under 300 characters.")
    member = get_member(services, organization, number)
    if member is None:
        return None
    audit(services, organization, user_id, REVEAL_ACTION, f"contact:{member.contact_id}",
          {"reason": reason, "member": member.number})
    return member, member.phone


def recent_reveals(services, organization: str, limit: int = 50) -> list[dict]:
    """The org's latest reveals: when, by whom, whose number (member number) and why."""
    events = audit_log(services, organization, action=REVEAL_ACTION, limit=limit)
    contact_ids = {int(e["target"].split(":", 1)[1]) for e in events
                   if (e["target"] or "").startswith("contact:") and e["target"].split(":", 1)[1].isdigit()}
    numbers: dict[int, tuple[str, str]] = {}
    if contact_ids:
        with services.db() as session:
            for contact_id, number, name in session.execute(
                    select(Member.contact_id, Member.number, Member.name)
                    .where(Member.organization == organization, Member.contact_id.in_(contact_ids))):
                numbers[contact_id] = (number, name)
    out = []
    for e in events:
        target = e["target"] or ""
        contact_id = int(target.split(":", 1)[1]) if target.split(":", 1)[-1].isdigit() else None
        number, name = numbers.get(contact_id, (None, None))
        detail = e["detail"] or {}
        out.append({"at": e["at"], "by": e["by"], "target": target, "member": number or detail.get("member"),
                    "name": name, "reason": detail.get("reason", "")})
    return out


__all__ = ["Filters", "MemberRow", "Page", "RosterError", "parse_filters", "search", "get_member",
           "member_reports", "counts_by_place", "reveal", "recent_reveals", "PER_PAGE"]
