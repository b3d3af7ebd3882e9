"""Live data organizers change (market status, relief distributions): the queries the answers
read and the updates the CLI, the API and organizers' SMS commands make. Every update is a new
row carrying who made it and how; a requested broadcast is recorded as a pending row."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select

from bot.db import HotStatement
from bot.models import MARKET_STATES, MarketStatus, PendingBroadcast, ReliefDistribution, utcnow


class LiveError(ValueError):
    """A change that cannot be made (unknown place or state, an end before the start)."""


def _json_ready(view) -> dict:
    """A view as a dict for the API: times as ISO 8601 strings."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(view).items()}


@dataclass(frozen=True)
class StatusView:
    id: int
    organization: str
    place_id: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    reason: str | None
    changed_by: str
    source: str
    created_at: datetime

    def to_dict(self) -> dict:
        return _json_ready(self)


@dataclass(frozen=True)
class DistributionView:
    id: int
    organization: str
    place_id: str | None
    venue: str
    starts_at: datetime
    ends_at: datetime | None
    recipients: str
    programme_id: str | None
    changed_by: str
    source: str
    created_at: datetime

    def to_dict(self) -> dict:
        return _json_ready(self)


def status_view(row: MarketStatus) -> StatusView:
    return StatusView(row.id, row.organization, row.place_id, row.status, row.starts_at, row.ends_at, row.reason,
                      row.changed_by, row.source, row.created_at)


def distribution_view(row: ReliefDistribution) -> DistributionView:
    return DistributionView(row.id, row.organization, row.place_id, row.venue, row.starts_at, row.ends_at,
                            row.recipients, row.programme_id, row.changed_by, row.source, row.created_at)


def org_place(catalog, organization: str, place_id: str):
    """The org's own gazetteer place, or None (an org never touches another org's places)."""
    return next((p for p in catalog.places(organization) if p.id == place_id), None)


# --- market status


def _pending(session, row, kind: str, requested_by: str) -> int:
    """An announcement of `row` (a market status or a distribution) waiting to be told to members."""
    link = {"market_status_id": row.id} if kind == "market_status" else {"relief_distribution_id": row.id}
    pending = PendingBroadcast(organization=row.organization, kind=kind, place_id=row.place_id, status="pending",
                               requested_by=requested_by, created_at=utcnow(), **link)
    session.add(pending)
    session.flush()
    return pending.id


def set_market_status(services, organization: str, place_id: str, status: str, *, changed_by: str, source: str,
                      starts_at: datetime | None = None, ends_at: datetime | None = None,
                      reason: str | None = None, broadcast: bool = False) -> tuple[StatusView, int | None]:
    """Record a status; returns it and the id of the pending broadcast (None when not asked for)."""
    if org_place(services.catalog, organization, place_id) is None:
        raise LiveError(f"unknown place {place_id!r} for {organization}")
    if status not in MARKET_STATES:
        raise LiveError(f"status must be one of {', '.join(MARKET_STATES)}")
    starts_at = starts_at or utcnow()
    if ends_at is not None and ends_at <= starts_at:
        raise LiveError("the end must come after the start")
    with services.db.begin() as session:
        row = MarketStatus(organization=organization, place_id=place_id, status=status, starts_at=starts_at,
                           ends_at=ends_at, reason=(reason or None), changed_by=changed_by, source=source,
                           created_at=utcnow())
        session.add(row)
        session.flush()
        pending = _pending(session, row, "market_status", changed_by) if broadcast else None
        return status_view(row), pending


def status_between(services, organization: str, place_id: str, start: datetime, end: datetime) -> StatusView | None:
    """The newest report whose window overlaps [start, end) (a local day), or None."""
    with services.db() as session:
        row = session.scalars(
            select(MarketStatus)
            .where(MarketStatus.organization == organization, MarketStatus.place_id == place_id,
                   MarketStatus.starts_at < end,
                   or_(MarketStatus.ends_at.is_(None), MarketStatus.ends_at > start))
            .order_by(MarketStatus.created_at.desc(), MarketStatus.id.desc())
            .limit(1)
        ).first()
        return status_view(row) if row else None


def current_statuses(services, organization: str, at: datetime | None = None) -> dict[str, StatusView]:
    """place id -> the report in force now (newest covering `at`), for the org's places."""
    at = at or utcnow()
    with services.db() as session:
        rows = session.scalars(
            select(MarketStatus)
            .where(MarketStatus.organization == organization, MarketStatus.starts_at <= at,
                   or_(MarketStatus.ends_at.is_(None), MarketStatus.ends_at > at))
            .order_by(MarketStatus.created_at, MarketStatus.id)
        ).all()
        out: dict[str, StatusView] = {}
        for row in rows:
            out[row.place_id] = status_view(row)  # newest last wins
        return out


def status_history(services, organization: str, place_id: str, limit: int = 20) -> list[StatusView]:
    with services.db() as session:
        rows = session.scalars(
            select(MarketStatus)
            .where(MarketStatus.organization == organization, MarketStatus.place_id == place_id)
            .order_by(MarketStatus.created_at.desc(), MarketStatus.id.desc()).limit(limit)
        ).all()
        return [status_view(r) for r in rows]


# --- relief distributions


def announce_relief(services, organization: str, *, venue: str, starts_at: datetime, recipients: str,
                    changed_by: str, source: str, place_id: str | None = None, ends_at: datetime | None = None,
                    programme_id: str | None = None, broadcast: bool = False) -> tuple[DistributionView, int | None]:
    if place_id is not None and org_place(services.catalog, organization, place_id) is None:
        raise LiveError(f"unknown place {place_id!r} for {organization}")
    if not venue.strip() or not recipients.strip():
        raise LiveError("a distribution needs a place and who it is for")
    if ends_at is not None and ends_at <= starts_at:
        raise LiveError("the end must come after the start")
    with services.db.begin() as session:
        row = ReliefDistribution(organization=organization, place_id=place_id, venue=venue.strip()[:200],
                                 starts_at=starts_at, ends_at=ends_at, recipients=recipients.strip()[:200],
                                 programme_id=programme_id, changed_by=changed_by, source=source,
                                 created_at=utcnow())
        session.add(row)
        session.flush()
        pending = _pending(session, row, "relief_distribution", changed_by) if broadcast else None
        return distribution_view(row), pending


_D = ReliefDistribution
# Built once, with parameters: menu 1 asks this on every visit, and building the statement (and its
# cache key) per call cost more than running it (bench/profile_inbound.py). Columns, not ORM objects:
# the identity map cost more than the query.
_UPCOMING = HotStatement(
    select(_D.id, _D.organization, _D.place_id, _D.venue, _D.starts_at, _D.ends_at, _D.recipients,
           _D.programme_id, _D.changed_by, _D.source, _D.created_at)
    .where(_D.organization == bindparam("org"), _D.cancelled_at.is_(None),
           or_(_D.ends_at > bindparam("at", type_=_D.ends_at.type),
               and_(_D.ends_at.is_(None), _D.starts_at > bindparam("day_ago", type_=_D.starts_at.type))))
    .order_by(_D.starts_at, _D.id)
)


def upcoming_relief(services, organization: str, at: datetime | None = None) -> list[DistributionView]:
    """Distributions not over yet (a distribution without an end lasts its starting day: 24 h)."""
    at = at or utcnow()
    rows = _UPCOMING.read(services.engine, {"org": organization, "at": at, "day_ago": at - timedelta(hours=24)})
    return [DistributionView(*row) for row in rows]


def pending_broadcasts(services, organization: str) -> list[PendingBroadcast]:
    with services.db() as session:
        return list(session.scalars(select(PendingBroadcast).where(
            PendingBroadcast.organization == organization, PendingBroadcast.status == "pending")
            .order_by(PendingBroadcast.id)))


def count_rows(services, model) -> int:
    with services.db() as session:
        return session.scalar(select(func.count()).select_from(model))
