"""The periodic follow-up check (RQ job bot.tasks.authorities_check, hourly on RQ's scheduler):

1. A report raised with an authority that organizers marked resolved: its escalation is resolved too.
2. "Has it been fixed? 1 Yes 2 No" to the reporter once the authority's deadline passed or the case was
   resolved (the answer: bot/line/followup_answer.py).
3. Past the deadline and still not resolved: the case is marked overdue on the authority's record, and
   the organization's organizer numbers get one reminder listing such cases (again a week later at most).

`now` is injected so tests move the clock instead of waiting days."""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.line import followup_answer, report_notes
from bot.models import Escalation, Report, utcnow

log = logging.getLogger(__name__)

EVERY = timedelta(hours=1)
REMIND_EVERY = timedelta(days=7)
BATCH = 500


def check(services, now: datetime | None = None) -> dict:
    now = now or utcnow()
    counts = {"resolved": _mark_resolved(services, now), "asked": 0, "overdue": 0, "reminders": 0}
    for esc_id in _due_questions(services, now):
        counts["asked"] += followup_answer.ask(services, esc_id, now)
    counts["overdue"] = _mark_overdue(services, now)
    counts["reminders"] = _remind(services, now)
    return counts


def _mark_resolved(services, now: datetime) -> int:
    resolved = select(Report.id).where(Report.status == "resolved").scalar_subquery()
    with services.db.begin() as session:
        result = session.execute(update(Escalation).where(Escalation.state == "open", Escalation.report_id.in_(resolved))
                                 .values(state="resolved", resolved_at=now, updated_at=now))
        return result.rowcount or 0


def _due_questions(services, now: datetime) -> list[int]:
    """One question per report: its latest escalation that is resolved, or open past its deadline."""
    with services.db() as session:
        rows = session.execute(
            select(Escalation.id, Escalation.report_id).where(
                Escalation.followup_asked_at.is_(None), Escalation.followup_answer.is_(None),
                (Escalation.state == "resolved") | ((Escalation.state == "open") & (Escalation.due_at <= now)))
            .order_by(Escalation.raised_at.desc(), Escalation.id.desc()).limit(BATCH)).all()
        asked = set(session.scalars(select(Escalation.report_id).where(
            Escalation.report_id.in_({r for _, r in rows}), Escalation.followup_asked_at.is_not(None),
            Escalation.followup_answer.is_(None))))
    chosen, seen = [], set(asked)
    for esc_id, report_id in rows:
        if report_id not in seen:
            seen.add(report_id)
            chosen.append(esc_id)
    return chosen


def _mark_overdue(services, now: datetime) -> int:
    with services.db.begin() as session:
        result = session.execute(update(Escalation).where(Escalation.state == "open", Escalation.overdue.is_(False),
                                                          Escalation.due_at <= now)
                                 .values(overdue=True, updated_at=now))
        return result.rowcount or 0


def _remind(services, now: datetime) -> int:
    """One SMS per organization listing its overdue cases not reminded of in the last week."""
    with services.db() as session:
        rows = session.execute(
            select(Escalation.id, Escalation.organization, Report.reference).join(Report, Report.id == Escalation.report_id)
            .where(Escalation.state == "open", Escalation.due_at <= now,
                   (Escalation.reminded_at.is_(None)) | (Escalation.reminded_at <= now - REMIND_EVERY))
            .order_by(Escalation.due_at)).all()
    per_org: dict[str, list] = defaultdict(list)
    for esc_id, org, ref in rows:
        per_org[org].append((esc_id, ref))
    sent = 0
    for org, items in per_org.items():
        refs = ", ".join(dict.fromkeys(ref for _, ref in items))
        try:
            sent += report_notes.tell_organizers(services, org, "organizer.overdue", count=len(items), refs=refs)
        except Exception:
            log.exception("overdue reminder for %s not sent", org)
            continue
        with services.db.begin() as session:
            session.execute(update(Escalation).where(Escalation.id.in_([i for i, _ in items]))
                            .values(reminded_at=now))
    return sent


def schedule(queue, now: datetime | None = None):
    """Put the next hourly check on RQ's schedule; one job id per hour, so several workers starting
    (or the job scheduling its successor) leave one run."""
    now = (now or utcnow()).astimezone(timezone.utc)
    when = now.replace(minute=5, second=0, microsecond=0)
    if when <= now:
        when += EVERY
    return queue.enqueue_at(when, "bot.tasks.authorities_check", job_id=f"authorities-{when:%Y%m%d%H}",
                            result_ttl=86400, description="streetline authorities follow-up check")
