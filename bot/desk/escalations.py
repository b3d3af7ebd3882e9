"""Raising a report, or a whole cluster of them, with an authority: how (letter, meeting, email, phone),
when, the authority's own reference, by whom. Each report gets an Escalation row (its deadline from the
authority's days for the category), an event on its timeline, and its reporter is told in their
language and channel. The authority only ever gets our reference: the reporter's identity stays here.

Used by the Authorities page and POST /api/v1/reports/<ref>/escalations; both hand the request to
`parse_request` (views only translate EscalationError into a 400)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.desk import authorities
from bot.line import report_notes
from bot.line.answers import dates
from bot.line.reports import normalise_reference
from bot.models import (
    ESCALATION_METHODS,
    Authority,
    Contact,
    Escalation,
    Report,
    ReportCluster,
    ReportEvent,
    utcnow,
)

REFERENCE_MAX, NOTE_MAX = 100, 500
OPEN_STATES = ("open", "resolved")  # not answered by the worker yet
FIELDS = {"authority_id", "method", "raised_at", "reference", "note", "cluster"}


class EscalationError(ValueError):
    """A request that cannot be saved; the message says what would work."""


@dataclass(frozen=True)
class Request:
    authority_id: int
    method: str
    raised_at: datetime | None  # None: now
    reference: str | None
    note: str | None
    cluster: bool


@dataclass
class Raised:
    authority: Authority
    escalations: list[Escalation]
    references: list[str]
    skipped: list[str]  # reports raised with this authority already and still waiting
    notified: int


def parse_request(data: Mapping, org, *, strict: bool = True) -> Request:
    """From JSON (`strict`: numbers and booleans as such) or a page's form (text). raised_at: an ISO date or date-time (local to the organization when it
    has no offset), not in the future; empty means now."""
    if not isinstance(data, Mapping):
        raise EscalationError('send a JSON object like {"authority_id": 3, "method": "letter"}')
    unknown = set(data) - FIELDS
    if unknown:
        raise EscalationError(f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    raw_id = data.get("authority_id")
    if isinstance(raw_id, bool) or not ((isinstance(raw_id, int) and 1 <= raw_id < 2**31) or (
            not strict and isinstance(raw_id, str) and raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10)):
        raise EscalationError("authority_id must be the number of one of your authorities")
    method = data.get("method")
    if method not in ESCALATION_METHODS:
        raise EscalationError(f"method must be one of {', '.join(ESCALATION_METHODS)}")
    reference = _text(data.get("reference"), "reference", REFERENCE_MAX)
    note = _text(data.get("note"), "note", NOTE_MAX)
    cluster = data.get("cluster", False)
    if isinstance(cluster, str) and not strict:
        cluster = cluster in ("1", "true", "on", "yes")
    if not isinstance(cluster, bool):
        raise EscalationError("cluster is true or false")
    return Request(int(raw_id), method, _moment(data.get("raised_at"), org), reference, note, cluster)


def raise_report(services, org: str, reference: str, data: Mapping, actor: str, *,
                 now: datetime | None = None, strict: bool = True) -> Raised | None:
    """Raise one report (or, with "cluster": true, every report of its cluster). None for an unknown
    reference in this organization."""
    request = parse_request(data, services.catalog.org(org), strict=strict)
    ref = normalise_reference(reference or "")
    if ref is None:
        return None
    with services.db() as session:
        report = session.scalars(select(Report).where(Report.organization == org, Report.reference == ref)).first()
    if report is None:
        return None
    if request.cluster and report.cluster_id is not None:
        return _raise(services, org, report.cluster_id, None, request, actor, now)
    return _raise(services, org, None, report.id, request, actor, now)


def raise_cluster(services, org: str, cluster_id: int, data: Mapping, actor: str, *,
                  now: datetime | None = None) -> Raised | None:
    request = parse_request(data, services.catalog.org(org))
    with services.db() as session:
        found = session.scalars(select(ReportCluster.id).where(ReportCluster.organization == org,
                                                               ReportCluster.id == cluster_id)).first()
    return None if found is None else _raise(services, org, cluster_id, None, request, actor, now)


def _raise(services, org: str, cluster_id: int | None, report_id: int | None, request: Request, actor: str,
           now: datetime | None) -> Raised:
    now = now or utcnow()
    raised_at = request.raised_at or now
    if raised_at > now + timedelta(minutes=5):
        raise EscalationError("raised_at is in the future")
    made, skipped, refs = [], [], []
    with services.db.begin() as session:
        authority = session.scalars(select(Authority).where(Authority.organization == org,
                                                            Authority.id == request.authority_id)).first()
        if authority is None or not authority.active:
            raise EscalationError("authority_id is not one of your organization's active authorities")
        query = select(Report).where(Report.organization == org)
        query = query.where(Report.cluster_id == cluster_id) if cluster_id is not None else query.where(Report.id == report_id)
        for report in session.scalars(query.order_by(Report.id).with_for_update()):
            waiting = session.scalars(select(Escalation.id).where(Escalation.report_id == report.id,
                                                                  Escalation.authority_id == authority.id,
                                                                  Escalation.state.in_(OPEN_STATES))).first()
            if waiting is not None:
                skipped.append(report.reference)
                continue
            row = Escalation(organization=org, authority_id=authority.id, report_id=report.id, cluster_id=cluster_id,
                             contact_id=report.contact_id, method=request.method, reference=request.reference,
                             raised_by=actor[:100], raised_at=raised_at,
                             due_at=raised_at + timedelta(days=authorities.days_for(authority, report.category)),
                             state="open", overdue=False, reopened=False, note=request.note, created_at=now,
                             updated_at=now)
            session.add(row)
            session.add(ReportEvent(report_id=report.id, from_status=report.status, to_status=report.status,
                                    note=event_note(authority.name, request.method, request.reference, request.note),
                                    actor=actor[:100], created_at=now))
            made.append(row)
            refs.append(report.reference)
        session.flush()
    notified = sum(notify_raised(services, e.id) for e in made)
    return Raised(authority, made, refs, skipped, notified)


def event_note(authority: str, method: str, reference: str | None, note: str | None) -> str:
    """The timeline's line for a raise: data only (authority, method, their reference, the note)."""
    parts = [f"→ {authority}", method] + ([f"ref {reference}"] if reference else []) + ([note] if note else [])
    return " · ".join(parts)[:1000]


def notify_raised(services, escalation_id: int) -> bool:
    """Tell the reporter their case was raised with the authority; True when a message went out."""
    with services.db() as session:
        esc = session.get(Escalation, escalation_id)
        report = session.get(Report, esc.report_id)
        authority = session.get(Authority, esc.authority_id)
        contact = session.get(Contact, esc.contact_id) if esc.contact_id else None

    def link(session, out):
        session.get(Escalation, escalation_id).notification_id = out.id

    sent = report_notes.tell_reporter(services, report, contact, "report.escalated", authority=authority.name,
                                        also=link)
    return sent is not None and not sent.failed


def record_response(services, org: str, escalation_id: int, actor: str, at: datetime | None = None) -> Escalation | None:
    """The authority answered (a letter back, a meeting held): the first response counts in its scorecard."""
    at = at or utcnow()
    with services.db.begin() as session:
        esc = session.scalars(select(Escalation).where(Escalation.organization == org, Escalation.id == escalation_id)
                              .with_for_update()).first()
        if esc is None:
            return None
        if esc.first_response_at is None:
            esc.first_response_at = max(at, esc.raised_at)
            esc.updated_at = utcnow()
            authority = session.get(Authority, esc.authority_id)
            report = session.get(Report, esc.report_id)
            session.add(ReportEvent(report_id=report.id, from_status=report.status, to_status=report.status,
                                    note=f"← {authority.name} · response", actor=actor[:100], created_at=at))
    return esc


@dataclass(frozen=True)
class CaseView:
    escalation: Escalation
    reference: str
    status: str
    category: str
    place_id: str | None
    authority: str


def cases(services, org: str, *, authority_id: int | None = None, report_id: int | None = None,
          limit: int = 200) -> list[CaseView]:
    """Escalations of this organization, newest first."""
    query = (select(Escalation, Report.reference, Report.status, Report.category, Report.place_id, Authority.name)
             .join(Report, Report.id == Escalation.report_id).join(Authority, Authority.id == Escalation.authority_id)
             .where(Escalation.organization == org))
    if authority_id is not None:
        query = query.where(Escalation.authority_id == authority_id)
    if report_id is not None:
        query = query.where(Escalation.report_id == report_id)
    with services.db() as session:
        rows = session.execute(query.order_by(Escalation.raised_at.desc(), Escalation.id.desc()).limit(limit)).all()
    return [CaseView(*row) for row in rows]


def as_dict(e: Escalation, reference: str | None = None) -> dict:
    out = {"id": e.id, "authority_id": e.authority_id, "method": e.method, "reference": e.reference,
           "raised_at": e.raised_at.isoformat(), "due_at": e.due_at.isoformat(), "state": e.state,
           "raised_by": e.raised_by, "overdue": e.overdue, "reopened": e.reopened,
           "first_response_at": e.first_response_at.isoformat() if e.first_response_at else None}
    if reference is not None:
        out["report"] = reference
    return out


def _text(value, name: str, most: int) -> str | None:
    if value is not None and not isinstance(value, str):
        raise EscalationError(f"{name} must be text")
    if value and len(value) > most:
        raise EscalationError(f"{name} is longer than {most} characters")
    value = " ".join((value or "").split()) or None
    if value and len(value) > most:
        raise EscalationError(f"{name} is longer than {most} characters")
    return value


def _moment(value, org) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise EscalationError("raised_at is a date like 2026-03-31 or a date-time like 2026-03-31T10:00")
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime.combine(day, time(12, 0))  # a day without an hour: midday, local
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EscalationError(f"raised_at must be a date like 2026-03-31, not “{value[:20]}”") from None
    if not 2000 <= parsed.year <= 2099:
        raise EscalationError("raised_at must be between 2000 and 2099")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dates.zone(org))
