"""Organizers move a report on (new -> verified -> in_progress -> resolved, or rejected) and add notes;
a status change tells the reporter in their language (`_notify`). Used by the reports pages, the API and
the demo history."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.line.replies import finish
from bot.line.reports import STATUSES, normalise_reference, truncate
from bot.line.outbound import send_to_contact
from bot.line.sessions import REDIS_ERRORS
from bot.models import Contact, Report, ReportEvent, utcnow
from bot.providers import whatsapp_window_open

log = logging.getLogger(__name__)

TRANSITIONS = {
    "new": {"verified", "in_progress", "resolved", "rejected"},
    "verified": {"in_progress", "resolved", "rejected"},
    "in_progress": {"resolved", "rejected"},
    "resolved": set(),
    "rejected": set(),
}
NOTE_MAX = 500


class TransitionError(ValueError):
    """The status change is not allowed from the report's current status."""


@dataclass
class Change:
    report: Report
    event: ReportEvent
    notified: bool


def change_status(services, org: str, reference: str, status: str | None, note: str | None,
                  actor: str | None = None, *, now: datetime | None = None, notify: bool = True) -> Change | None:
    """Move a report on (new -> verified -> in_progress -> resolved, or rejected) and/or add a note.
    Returns None for an unknown reference (in this organization); raises TransitionError or ValueError.
    The reporter is told of a status change in their language, through the sender (unless `notify` is
    off: the demo history's past changes, bot/desk/demo.py, which also backdates them with `now`)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if note is not None:
        note = note.strip() or None
        if note and len(note) > NOTE_MAX:
            raise ValueError(f"note longer than {NOTE_MAX} characters")
    if status is None and note is None:
        raise ValueError("give a status, a note or both")
    ref = normalise_reference(reference)
    if ref is None:
        return None
    now = now or utcnow()
    with services.db.begin() as session:
        report = session.scalars(select(Report).where(Report.organization == org, Report.reference == ref)
                                 .with_for_update()).first()
        if report is None:
            return None
        previous = report.status
        moved = status is not None and status != previous
        if moved and status not in TRANSITIONS[previous]:
            raise TransitionError(f"cannot go from {previous} to {status}")
        if moved:
            report.status = status
        report.updated_at = now
        event = ReportEvent(report_id=report.id, from_status=previous, to_status=report.status, note=note,
                            actor=actor, created_at=now)
        session.add(event)
        session.flush()
        contact = session.get(Contact, report.contact_id) if report.contact_id else None
    notified = False
    if notify and moved and contact is not None and not contact.opted_out:
        notified = _notify(services, report, event, contact, note)
    if moved and status == "resolved":
        _follow_up_soon(services)
    return Change(report, event, notified)


def _follow_up_soon(services) -> None:
    """A resolved report raised with an authority gets its "Has it been fixed?" question now, from the
    worker (bot.desk.followups through bot.tasks), not at the next hourly check."""
    if services.queue is None:
        return
    try:
        services.queue.enqueue("bot.tasks.authorities_check", job_id="authorities-check-now", result_ttl=0)
    except REDIS_ERRORS as exc:  # Redis away: the hourly check asks it
        log.warning("follow-up check not queued: %s", exc)


def _notify(services, report: Report, event: ReportEvent, contact: Contact, note: str | None) -> bool:
    catalog = services.catalog
    org = catalog.organizations[report.organization]
    lang = contact.language or report.language or org.default_language
    channel = report.channel
    if channel == "whatsapp" and not whatsapp_window_open(contact.last_inbound_whatsapp_at):
        # WhatsApp refuses free text 24 h after the worker's last message; the same number still gets
        # an SMS, worded for SMS.
        channel = "sms"
    state = catalog.text(org.slug, f"report.state.{report.status}", lang, channel)
    if note:
        body = catalog.text(org.slug, "report.changed.note", lang, channel, ref=report.reference, state=state,
                            note=truncate(catalog, "note", lang, note))
    else:
        body = catalog.text(org.slug, "report.changed", lang, channel, ref=report.reference, state=state)
    prefix = "whatsapp:" if channel == "whatsapp" else ""

    def link(session, out):  # the event points at its notification, committed with it
        session.get(ReportEvent, event.id).notification_id = out.id

    sent = send_to_contact(services, org=org.slug, contact_id=contact.id, channel=channel,
                           to=prefix + contact.phone, from_=prefix + org.numbers[0], reply=finish(body, channel),
                           kind="message", also=link)
    event.notification_id = sent.outbound_id
    if sent.failed:
        log.warning("status notification for %s failed: %s %s", report.reference, sent.error_code, sent.error)
        return False
    return True
