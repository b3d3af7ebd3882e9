"""What the organizers' reports pages ask of the database: the filtered inbox, one report's detail with
its history and media, and the media file itself. Filters are in bot/desk/filters.py, cluster summaries in
bot/desk/clusters.py, the map in bot/desk/report_map.py. Every function takes the organization explicitly
and never looks outside it. No Flask here: the views parse a request's arguments, call these and render.

Dates are the organization's local days (`timezone:` in its org.yaml): a report's date is the day the
worker said it happened, else the local day it arrived.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.desk.clusters import ClusterSummary, cluster
from bot.desk.filters import ReportFilters, inbox_clauses
from bot.desk.report_status import TRANSITIONS
from bot.line import reports
from bot.line.answers import dates
from bot.models import Contact, Member, Report, ReportEvent, ReportMedia
from bot.phones import mask

PER_PAGE = 25


# --------------------------------------------------------------------------- inbox


@dataclass(frozen=True)
class Row:
    reference: str
    category: str
    status: str
    place: str | None
    day: date
    occurred_text: str | None
    reporter: str  # "anonymous", a member number or a masked phone number
    media: int
    channel: str
    created_at: datetime


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _reporter(r: Report, contacts: Mapping, members: Mapping) -> str:
    if r.anonymous:
        return "anonymous"
    member = members.get(r.member_id)
    if member is not None:
        return member.number
    contact = contacts.get(r.contact_id)
    return mask(contact.phone) if contact is not None else "unknown"


def _people(session, rows: list[Report]) -> tuple[dict, dict]:
    named = [r for r in rows if not r.anonymous]  # anonymous reporters are never looked up
    contacts = {c.id: c for c in session.scalars(select(Contact).where(
        Contact.id.in_({r.contact_id for r in named if r.contact_id})))}
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.id.in_({r.member_id for r in named if r.member_id})))}
    return contacts, members


def search(services, org: str, f: ReportFilters, per_page: int = PER_PAGE) -> Page:
    catalog = services.catalog
    where = inbox_clauses(services, org, f)
    with services.db() as session:
        total = session.scalar(select(func.count(Report.id)).where(*where)) or 0
        rows = list(session.scalars(select(Report).where(*where)
                                    .order_by(Report.created_at.desc(), Report.id.desc())
                                    .offset((f.page - 1) * per_page).limit(per_page)))
        contacts, members = _people(session, rows)
        media = dict(session.execute(select(ReportMedia.report_id, func.count(ReportMedia.id))
                                     .where(ReportMedia.report_id.in_([r.id for r in rows]))
                                     .group_by(ReportMedia.report_id)).all())
    tz = dates.org_zone(catalog, org)
    out = [Row(r.reference, r.category, r.status, reports.place_name(catalog, r.place_id) or r.place_text,
               r.occurred_on or dates.local_day(r.created_at, tz), r.occurred_text, _reporter(r, contacts, members),
               media.get(r.id, 0), r.channel, r.created_at) for r in rows]
    return Page(out, total, f.page, per_page)


# --------------------------------------------------------------------------- detail


@dataclass(frozen=True)
class Event:
    from_status: str | None
    to_status: str
    note: str | None
    actor: str
    at: datetime
    notified: bool

    @property
    def changed(self) -> bool:
        return self.from_status is not None and self.from_status != self.to_status


@dataclass(frozen=True)
class Media:
    id: int
    kind: str  # image | audio | video | file
    content_type: str | None
    status: str  # pending | queued | stored | failed | rejected
    size: int | None


@dataclass
class Detail:
    reference: str
    category: str
    status: str
    description: str | None
    place_id: str | None
    place: str | None
    place_text: str | None
    latitude: float | None
    longitude: float | None
    address: str | None
    day: date
    occurred_on: date | None
    occurred_text: str | None
    channel: str
    language: str | None
    anonymous: bool
    reporter: str
    reporter_name: str | None
    reach: str  # sms | whatsapp | opted_out | none: how a status change reaches the reporter
    cluster: ClusterSummary | None
    created_at: datetime
    updated_at: datetime
    events: list[Event] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)

    @property
    def transitions(self) -> list[str]:
        """Statuses this report may move to, in the usual order."""
        allowed = TRANSITIONS.get(self.status, set())
        return [s for s in reports.STATUSES if s in allowed]


def _kind(content_type: str | None) -> str:
    ct = (content_type or "").lower()
    for prefix, kind in (("image/", "image"), ("audio/", "audio"), ("video/", "video")):
        if ct.startswith(prefix):
            return kind
    return "file"


def _reach(report: Report, contact: Contact | None) -> str:
    if contact is None:
        return "none"
    if contact.opted_out:
        return "opted_out"
    return "whatsapp" if report.channel == "whatsapp" else "sms"


def _find(session, org: str, reference: str) -> Report | None:
    ref = reports.normalise_reference(reference or "")
    if ref is None:
        return None
    return session.scalars(select(Report).where(Report.organization == org, Report.reference == ref)).first()


def detail(services, org: str, reference: str) -> Detail | None:
    """One report of this organization by reference (None when it is unknown here)."""
    catalog = services.catalog
    with services.db() as session:
        r = _find(session, org, reference)
        if r is None:
            return None
        contact = session.get(Contact, r.contact_id) if r.contact_id else None
        member = session.get(Member, r.member_id) if r.member_id and not r.anonymous else None
        events = list(session.scalars(select(ReportEvent).where(ReportEvent.report_id == r.id)
                                      .order_by(ReportEvent.id)))
        media = list(session.scalars(select(ReportMedia).where(ReportMedia.report_id == r.id)
                                     .order_by(ReportMedia.id)))
    if r.anonymous:
        reporter, name = "anonymous", None
    elif member is not None:
        reporter, name = member.number + (f" · {mask(contact.phone)}" if contact else ""), member.name
    else:
        reporter, name = (mask(contact.phone) if contact else "unknown"), None
    return Detail(
        reference=r.reference, category=r.category, status=r.status, description=r.description,
        place_id=r.place_id, place=reports.place_name(catalog, r.place_id), place_text=r.place_text,
        latitude=r.latitude, longitude=r.longitude, address=r.address,
        day=r.occurred_on or dates.local_day(r.created_at, dates.org_zone(catalog, org)), occurred_on=r.occurred_on, occurred_text=r.occurred_text,
        channel=r.channel, language=r.language, anonymous=r.anonymous, reporter=reporter, reporter_name=name,
        reach=_reach(r, contact), cluster=cluster(services, org, r.cluster_id) if r.cluster_id else None,
        created_at=r.created_at, updated_at=r.updated_at,
        events=[Event(e.from_status, e.to_status, e.note, e.actor or "unknown", e.created_at,
                      e.notification_id is not None) for e in events],
        media=[Media(m.id, _kind(m.content_type), m.content_type, m.status, m.size) for m in media],
    )


def media_file(services, org: str, reference: str, media_id: int) -> tuple[Path, str] | None:
    """The stored file of one attachment of one report of this organization, and its type; None unless
    the attachment belongs to that report, is stored, and its file is inside MEDIA_DIR/<org> (symlinks and
    '..' resolved first)."""
    with services.db() as session:
        r = _find(session, org, reference)
        if r is None:
            return None
        m = session.scalars(select(ReportMedia).where(ReportMedia.id == media_id,
                                                      ReportMedia.report_id == r.id)).first()
    if m is None or m.status != "stored" or not m.path:
        return None
    root = (Path(services.settings.media_dir) / org).resolve()  # an org's files live under MEDIA_DIR/<org>/
    try:
        path = Path(m.path).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path, (m.content_type or "application/octet-stream")


def reporter_reach(services, org: str, reference: str) -> str | None:
    """How a status change of this report would reach its reporter (sms | whatsapp | opted_out | none)."""
    with services.db() as session:
        r = _find(session, org, reference)
        if r is None:
            return None
        contact = session.get(Contact, r.contact_id) if r.contact_id else None
        return _reach(r, contact)


__all__ = ["Row", "Page", "search", "Detail", "detail", "media_file", "reporter_reach"]
