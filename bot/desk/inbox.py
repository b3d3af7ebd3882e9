"""What the organizers' reports pages ask of the database: the filtered inbox with its cluster summaries,
one report's detail with its history and media, the media file itself, and points and place outlines for
the map. Every function takes the organization explicitly and never looks outside it. No Flask here: the
views parse a request's arguments through `parse_filters`, call these and render.

Dates are the organization's local days (`timezone:` in its org.yaml): a report's date is the day the
worker said it happened, else the local day it arrived.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_, select

from bot.line import reports
from bot.line.answers import dates
from bot.models import Contact, Member, Report, ReportCluster, ReportEvent, ReportMedia, utcnow
from bot.phones import mask

PER_PAGE = 25
MAP_LIMIT = 2000
SEARCH_MAX = 100
CLUSTER_HOURS = 72  # cluster summaries on top of the inbox: groups still growing in the last 3 days
NO_PLACE = "none"  # market filter value: reports whose place the gazetteer did not recognise

LABELS = {"eviction": "eviction", "confiscation": "confiscation", "harassment": "harassment",
          "bribe": "bribe demand", "closure": "closure/demolition", "fire_flood": "fire or flood",
          "waste": "waste not collected", "unpaid": "unpaid recyclables", "injury": "injury", "other": "other"}
PLURALS = {"eviction": "evictions", "confiscation": "confiscations", "harassment": "harassment reports",
           "bribe": "bribe demands", "closure": "closures", "fire_flood": "fire/flood reports",
           "waste": "waste reports", "unpaid": "unpaid-recyclables reports", "injury": "injuries",
           "other": "other reports"}
STATUS_LABELS = {"new": "new", "verified": "verified", "in_progress": "in progress", "resolved": "resolved",
                 "rejected": "rejected"}
# Circle drawn around a place without an outline, and how far a report placed there may be nudged.
RADIUS_M = {"area": 1500}
DEFAULT_RADIUS_M = 300


def category_label(category: str) -> str:
    return LABELS.get(category, category.replace("_", " "))


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


# --------------------------------------------------------------------------- filters


class FilterError(ValueError):
    """A filter value the page cannot use; the message says what would work."""


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    category: str | None = None
    market: str | None = None  # a place id of the org, or NO_PLACE
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    cluster: int | None = None
    page: int = 1

    def args(self, **override) -> dict:
        """As URL query arguments (empty ones left out), e.g. for url_for and pager links."""
        values = replace(self, **override) if override else self
        out = {"status": values.status, "category": values.category, "market": values.market,
               "from": values.date_from.isoformat() if values.date_from else None,
               "to": values.date_to.isoformat() if values.date_to else None,
               "q": values.q, "cluster": values.cluster, "page": values.page if values.page != 1 else None}
        return {k: v for k, v in out.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(set(self.args()) - {"page"})


def place_options(catalog, org: str) -> list[tuple[str, str]]:
    """(value, label) for the market filter: the org's gazetteer, markets first, then areas."""
    places = sorted(catalog.places(org), key=lambda p: (p.kind == "area", p.name("en").lower()))
    options = [(p.id, p.name("en") + (" (area)" if p.kind == "area" else "")) for p in places]
    return options + [(NO_PLACE, "Place not recognised")]


def _date(args: Mapping, name: str, label: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"“{label}” must be a date written like 2026-03-14 (you sent “{raw[:40]}”).") from None


def parse_filters(catalog, org: str, args: Mapping) -> Filters:
    """Query arguments -> Filters; raises FilterError with a message an organizer understands."""
    status = (args.get("status") or "").strip() or None
    if status and status not in reports.STATUSES:
        raise FilterError(f"Unknown status “{status[:40]}”. Choose one of: "
                          + ", ".join(status_label(s) for s in reports.STATUSES) + ".")
    category = (args.get("category") or "").strip() or None
    if category and category not in reports.CATEGORIES:
        raise FilterError(f"Unknown category “{category[:40]}”. Choose one of: "
                          + ", ".join(category_label(c) for c in reports.CATEGORIES) + ".")
    market = (args.get("market") or "").strip() or None
    if market and market != NO_PLACE and market not in {p.id for p in catalog.places(org)}:
        raise FilterError(f"“{market[:40]}” is not a market or area of your organization. "
                          "Pick one from the list.")
    date_from, date_to = _date(args, "from", "From"), _date(args, "to", "To")
    if date_from and date_to and date_from > date_to:
        raise FilterError("The “From” date is after the “To” date.")
    q = " ".join((args.get("q") or "").split()) or None
    if q and len(q) > SEARCH_MAX:
        raise FilterError(f"Search for at most {SEARCH_MAX} characters.")
    cluster = None
    raw_cluster = (args.get("cluster") or "").strip()
    if raw_cluster:
        if not (raw_cluster.isascii() and raw_cluster.isdigit()) or len(raw_cluster) > 9:
            raise FilterError("“cluster” must be a cluster number from this page.")
        cluster = int(raw_cluster)
    raw_page = (args.get("page") or "1").strip()
    if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= 100000:  # "①" is a digit
        raise FilterError("“page” must be a whole number from 1.")
    return Filters(status, category, market, date_from, date_to, q, cluster, int(raw_page))


def _day(tz, dialect: str):
    """A report's date: the day it happened as the worker said, else the local day it arrived."""
    return func.coalesce(Report.occurred_on, dates.day_sql(Report.created_at, tz, dialect))


def _like(text_: str) -> str:
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(services, org: str, f: Filters) -> list:
    where = [Report.organization == org]
    if f.status:
        where.append(Report.status == f.status)
    if f.category:
        where.append(Report.category == f.category)
    if f.market == NO_PLACE:
        where.append(Report.place_id.is_(None))
    elif f.market:
        where.append(Report.place_id == f.market)
    if f.date_from or f.date_to:
        day = _day(dates.org_zone(services.catalog, org), services.engine.dialect.name)
    if f.date_from:
        where.append(day >= f.date_from)
    if f.date_to:
        where.append(day <= f.date_to)
    if f.cluster is not None:
        where.append(Report.cluster_id == f.cluster)
    if f.q:
        pattern = _like(f.q)
        terms = [Report.description.ilike(pattern, escape="\\"), Report.reference.ilike(pattern, escape="\\"),
                 Report.place_text.ilike(pattern, escape="\\")]
        ref = reports.normalise_reference(f.q)
        if ref:
            terms.append(Report.reference == ref)
        where.append(or_(*terms))
    return where


# --------------------------------------------------------------------------- clusters


@dataclass(frozen=True)
class ClusterSummary:
    id: int
    category: str
    place: str
    count: int
    first_at: datetime
    last_at: datetime
    phrase: str  # "confiscations at Gikomba today"

    @property
    def text(self) -> str:  # "12 confiscations at Gikomba today"
        return f"{self.count} {self.phrase}"


def _when(first_at: datetime, now: datetime, tz=None) -> str:
    tz = tz or dates.zone(None)
    days = (dates.local_day(now, tz) - dates.local_day(first_at, tz)).days
    if days <= 0:
        return "today"
    if days == 1:
        return "since yesterday"
    first_at = first_at.astimezone(tz) if first_at.tzinfo else first_at
    return f"since {first_at.day} {first_at:%b}"


def _summary(catalog, c: ReportCluster, count: int, now: datetime) -> ClusterSummary:
    tz = dates.org_zone(catalog, c.organization)
    where = reports.place_name(catalog, c.place_id) or c.place_text or "one place"
    noun = PLURALS.get(c.category, c.category) if count != 1 else category_label(c.category) + " report"
    return ClusterSummary(c.id, c.category, where, count, c.first_at, c.last_at,
                          f"{noun} at {where} {_when(c.first_at, now, tz)}")


def _counted(org: str, cluster_ids):
    """(cluster, reports in it now) for the given cluster ids (a list or a select of ids) of this org."""
    counts = (select(Report.cluster_id, func.count(Report.id).label("n"))
              .where(Report.organization == org, Report.cluster_id.in_(cluster_ids))
              .group_by(Report.cluster_id).subquery())
    return (select(ReportCluster, counts.c.n).join(counts, counts.c.cluster_id == ReportCluster.id)
            .where(ReportCluster.organization == org))


def cluster_summaries(services, org: str, f: Filters | None = None, *, hours: int = CLUSTER_HOURS,
                      minimum: int = 2, limit: int = 6) -> list[ClusterSummary]:
    """Groups of reports (one category, one place) still growing lately, biggest first; the inbox's
    category and market filters narrow them."""
    now = utcnow()
    recent = select(ReportCluster.id).where(ReportCluster.organization == org,
                                            ReportCluster.last_at >= now - timedelta(hours=hours),
                                            ReportCluster.count >= minimum)
    if f and f.category:
        recent = recent.where(ReportCluster.category == f.category)
    if f and f.market == NO_PLACE:
        recent = recent.where(ReportCluster.place_id.is_(None))
    elif f and f.market:
        recent = recent.where(ReportCluster.place_id == f.market)
    with services.db() as session:
        rows = session.execute(_counted(org, recent)).all()
    found = [_summary(services.catalog, c, n, now) for c, n in rows if n >= minimum]
    return sorted(found, key=lambda s: (-s.count, -s.last_at.timestamp()))[:limit]


def cluster(services, org: str, cluster_id: int) -> ClusterSummary | None:
    """One cluster of this organization (None for another org's or an unknown id)."""
    with services.db() as session:
        row = session.execute(_counted(org, [cluster_id])).first()
        if row is None:
            c = session.scalars(select(ReportCluster).where(ReportCluster.organization == org,
                                                            ReportCluster.id == cluster_id)).first()
            row = (c, 0) if c else None
    return _summary(services.catalog, row[0], row[1], utcnow()) if row else None


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


def search(services, org: str, f: Filters, per_page: int = PER_PAGE) -> Page:
    catalog = services.catalog
    where = _where(services, org, f)
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
        allowed = reports.TRANSITIONS.get(self.status, set())
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


# --------------------------------------------------------------------------- map


def radius_m(place) -> int:
    return RADIUS_M.get(place.kind, DEFAULT_RADIUS_M)


def outlines(catalog, org: str, place_ids=None) -> list[dict]:
    """The org's gazetteer as map shapes: its outline polygon, else a circle around its point."""
    shapes = []
    for p in catalog.places(org):
        if place_ids is not None and p.id not in place_ids:
            continue
        shape = {"id": p.id, "name": p.name("en"), "kind": p.kind}
        if p.outline:
            shape["polygon"] = [[lat, lon] for lat, lon in p.outline]
        elif p.lat is not None and p.lon is not None:
            shape.update(center=[p.lat, p.lon], radius=radius_m(p))
        else:
            continue
        shapes.append(shape)
    return shapes


def _jitter(reference: str, lat: float, lon: float, max_m: float) -> tuple[float, float]:
    """A stable nudge (same reference, same spot) so reports at one place do not hide each other."""
    digest = hashlib.sha256(reference.encode()).digest()
    angle = int.from_bytes(digest[:4], "big") / 2 ** 32 * 2 * math.pi
    distance = (0.15 + 0.85 * math.sqrt(int.from_bytes(digest[4:8], "big") / 2 ** 32)) * max_m
    dlat = distance * math.cos(angle) / 111_320
    dlon = distance * math.sin(angle) / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def map_points(services, org: str, f: Filters, limit: int = MAP_LIMIT) -> dict:
    """Reports as map points: their own coordinates, else their gazetteer place nudged a little. No phone
    numbers, names or member numbers at all; the newest `limit` reports."""
    catalog = services.catalog
    f = replace(f, page=1)
    places = {p.id: p for p in catalog.places(org)}
    where = _where(services, org, f)
    with services.db() as session:
        total = session.scalar(select(func.count(Report.id)).where(*where)) or 0
        rows = session.execute(
            select(Report.reference, Report.category, Report.status, Report.place_id, Report.place_text,
                   Report.latitude, Report.longitude, Report.occurred_on, Report.created_at)
            .where(*where).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()
    points, unplaced, tz = [], 0, dates.org_zone(catalog, org)
    for ref, category, status, place_id, place_text, lat, lon, occurred_on, created_at in rows:
        place = places.get(place_id) if place_id else None
        approximate = False
        if lat is None or lon is None:
            if place is None or place.lat is None or place.lon is None:
                unplaced += 1
                continue
            lat, lon = _jitter(ref, place.lat, place.lon, radius_m(place) * 0.6)
            approximate = True
        points.append({"reference": ref, "category": category, "category_label": category_label(category),
                       "status": status, "status_label": status_label(status),
                       "place": (place.name("en") if place else None) or place_text,
                       "lat": lat, "lon": lon, "approximate": approximate,
                       "date": (occurred_on or dates.local_day(created_at, tz)).isoformat()})
    return {"points": points, "total": total, "shown": len(points), "unplaced": unplaced,
            "truncated": total > len(rows)}


def reporter_reach(services, org: str, reference: str) -> str | None:
    """How a status change of this report would reach its reporter (sms | whatsapp | opted_out | none)."""
    with services.db() as session:
        r = _find(session, org, reference)
        if r is None:
            return None
        contact = session.get(Contact, r.contact_id) if r.contact_id else None
        return _reach(r, contact)


__all__ = ["Filters", "FilterError", "parse_filters", "place_options", "cluster_summaries", "cluster", "search",
           "detail", "media_file", "outlines", "map_points", "reporter_reach"]
