"""The worker's answer to "Has it been fixed? 1 Yes 2 No", asked when an authority's deadline passed or an
organizers marked the case resolved (bot/desk/followups.py). Read like every numbered question
(bot/line/flows/matching.py: the digit, the words of content/choices.yaml report_fixed and the yes/no
words in the organization's languages, small typos); days later, so it is kept in the database, not in
a form session that expires. Anything else goes on to the usual routes.

Yes closes the case as confirmed by the worker. No reopens it, marks the authority's record and
tells the organization's organizer numbers."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from bot.line import report_notes, routes
from bot.line.flows import matching
from bot.line.store import FOLLOWUP_ANSWER_WINDOW
from bot.models import Authority, Contact, Escalation, Report, ReportEvent, utcnow

log = logging.getLogger(__name__)

WORKER = "worker"


def pending(session, org: str, contact_id: int, now: datetime) -> Escalation | None:
    """The latest unanswered follow-up question to this contact."""
    return session.scalars(select(Escalation).where(
        Escalation.organization == org, Escalation.contact_id == contact_id,
        Escalation.followup_asked_at.is_not(None), Escalation.followup_answer.is_(None),
        Escalation.followup_asked_at >= now - FOLLOWUP_ANSWER_WINDOW)
        .order_by(Escalation.followup_asked_at.desc(), Escalation.id.desc())).first()


def read(catalog, languages, text: str) -> str | None:
    """'yes', 'no' or None (not an answer to this question)."""
    number = matching.number_of(text)
    if number is not None:
        word_count = len(text.split())
        return {1: "yes", 2: "no"}.get(number) if word_count <= 2 else None
    listing = catalog.choice("report_fixed")
    candidates = []
    for option in listing.options:
        side = "yes" if option.value == listing.yes else "no"
        candidates.append(matching.Candidate(option.value, matching.words(
            option.answers(languages), *[catalog.keywords(side, lang) for lang in languages])))
    return matching.pick(text, candidates)


@routes.before
def followup_answer(turn, store, word) -> bool:
    contact = turn.contact
    if turn.outcome.offline or contact is None or contact.id is None or not turn.inbound.text:
        return False
    if contact.followup is False:  # read with the store statement: no question waits
        return False
    services, org = turn.services, turn.org
    languages = tuple(dict.fromkeys([turn.lang, *org.languages, "en"]))
    answer = read(services.catalog, languages, turn.inbound.text)
    if answer is None:  # read first (no I/O): most messages are not a yes or a no, and cost no query here
        return False
    with services.db() as session:
        question = pending(session, org.slug, contact.id, utcnow())
    if question is None:
        return False
    ref = record(services, question.id, answer)
    if ref is None:
        return False
    turn.say(f"report.followup.{answer}", ref=ref)
    return True


def record(services, escalation_id: int, answer: str, now: datetime | None = None) -> str | None:
    """Store the worker's answer; the report's reference, or None when it was answered already."""
    now = now or utcnow()
    with services.db.begin() as session:
        esc = session.scalars(select(Escalation).where(Escalation.id == escalation_id).with_for_update()).first()
        if esc is None or esc.followup_answer is not None:
            return None
        report = session.scalars(select(Report).where(Report.id == esc.report_id).with_for_update()).first()
        authority = session.get(Authority, esc.authority_id)
        esc.followup_answer, esc.followup_answered_at, esc.updated_at = answer, now, now
        before = report.status
        if answer == "yes":
            esc.state = "confirmed"
            if esc.resolved_at is None:
                esc.resolved_at = now
            report.status = "resolved"
            note = "✓ fixed (reporter)"
        else:
            esc.state, esc.reopened = "reopened", True
            esc.overdue = esc.overdue or now >= esc.due_at
            if report.status in ("resolved", "rejected"):
                report.status = "in_progress"
            note = "✗ not fixed (reporter)"
        report.updated_at = now
        session.add(ReportEvent(report_id=report.id, from_status=before, to_status=report.status,
                                note=f"{note} · {authority.name}", actor=WORKER, created_at=now))
        ref, org, name = report.reference, report.organization, authority.name
    if answer == "no":
        try:
            report_notes.tell_organizers(services, org, "organizer.followup_no", ref=ref, authority=name)
        except Exception:  # the answer is stored; the Authorities page shows the reopened case anyway
            log.exception("organizers not told that %s was not fixed", ref)
    return ref


def ask(services, escalation_id: int, now: datetime | None = None) -> bool:
    """Send the question for one escalation (bot/desk/followups.py decides when). Marks it asked even
    when nobody can be told (no number, opted out), so it is not tried again."""
    now = now or utcnow()
    with services.db.begin() as session:
        esc = session.scalars(select(Escalation).where(Escalation.id == escalation_id,
                                                       Escalation.followup_asked_at.is_(None))
                              .with_for_update(skip_locked=True)).first()
        if esc is None:
            return False
        esc.followup_asked_at, esc.updated_at = now, now
        report = session.get(Report, esc.report_id)
        authority = session.get(Authority, esc.authority_id)
        contact = session.get(Contact, esc.contact_id) if esc.contact_id else None
    sent = report_notes.tell_reporter(services, report, contact, "report.followup", authority=authority.name)
    return sent is not None and not sent.failed
