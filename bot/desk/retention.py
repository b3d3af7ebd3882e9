"""Retention: what the line stops keeping, per organization (org.yaml `retention:`, defaults 90 and
180 days), run daily by an RQ scheduled job (the worker runs RQ's scheduler).

* Message bodies, inbound and outbound, older than `messages_days`: the text, WhatsApp profile name,
  location, media URLs and the raw provider form are cleared; the row stays (counts of messages per
  day, delivery statuses). Kept while an organizer's conversation with that worker is open (a
  handover not ended and not expired): the organizer is reading it.
* Report photos and voice notes older than `media_days`: the file is deleted and the row marked
  `expired` (also attachments never downloaded: they will not be fetched any more).
* A poll's free answers ("other", kept as typed) older than `messages_days`: the text is cleared, the
  chosen option and the row stay (the poll's counts do not move).
* Kept: members, reports (their description is the organization's record of the incident), the
  audit log. Status callbacks older than `messages_days` lose their raw form (it holds the number).
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import String, cast, exists, or_, select, update

from bot.models import (
    AuditEvent,
    Handover,
    InboundMessage,
    OutboundMessage,
    Poll,
    PollAnswer,
    Report,
    ReportMedia,
    StatusEvent,
    utcnow,
)

log = logging.getLogger(__name__)

ACTION = "retention_purge"
RUN_AT = time(1, 0)  # UTC: the quiet hour of every organization's night, near enough
EXPIRED = "expired"


def _open_handover(contact_id_column, now: datetime):
    return exists().where(Handover.contact_id == contact_id_column, Handover.ended_at.is_(None),
                          Handover.expires_at > now)


def purge(services, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Purge what every organization's settings say is past keeping; counts per organization."""
    now = now or utcnow()
    out = {}
    for org in services.catalog.organizations.values():
        counts = purge_org(services, org, now)
        out[org.slug] = counts
        log.info("retention %s: %s (messages %d days, media %d days)", org.slug, counts,
                 org.retention_messages_days, org.retention_media_days)
    return out


def purge_org(services, org, now: datetime) -> dict[str, int]:
    messages_before = now - timedelta(days=org.retention_messages_days)
    media_before = now - timedelta(days=org.retention_media_days)
    slug = org.slug
    inbound_kept = or_(InboundMessage.body != "", InboundMessage.profile_name.is_not(None),
                       InboundMessage.latitude.is_not(None), InboundMessage.address.is_not(None),
                       InboundMessage.label.is_not(None), cast(InboundMessage.raw, String) != "{}",
                       cast(InboundMessage.media, String) != "[]")
    files: list[str] = []
    with services.db.begin() as session:
        counts = {
            "inbound": session.execute(
                update(InboundMessage).where(
                    InboundMessage.organization == slug, InboundMessage.received_at < messages_before,
                    inbound_kept, ~_open_handover(InboundMessage.contact_id, now))
                .values(body="", profile_name=None, latitude=None, longitude=None, address=None, label=None,
                        raw={}, media=[])
                .execution_options(synchronize_session=False)).rowcount,
            "outbound": session.execute(
                update(OutboundMessage).where(
                    OutboundMessage.organization == slug, OutboundMessage.created_at < messages_before,
                    OutboundMessage.body != "", ~_open_handover(OutboundMessage.contact_id, now))
                .values(body="").execution_options(synchronize_session=False)).rowcount,
        }
        polls = select(Poll.id).where(Poll.organization == slug)
        counts["poll_answers"] = session.execute(
            update(PollAnswer).where(PollAnswer.poll_id.in_(polls), PollAnswer.answered_at < messages_before,
                                     PollAnswer.text.is_not(None))
            .values(text=None).execution_options(synchronize_session=False)).rowcount
        # Status callbacks carry the number in their raw form; they belong to this org's messages.
        sids = select(OutboundMessage.provider_sid).where(OutboundMessage.organization == slug,
                                                          OutboundMessage.provider_sid.is_not(None))
        counts["status_events"] = session.execute(
            update(StatusEvent).where(StatusEvent.received_at < messages_before, StatusEvent.provider_sid.in_(sids),
                                      cast(StatusEvent.raw, String) != "{}")
            .values(raw={}).execution_options(synchronize_session=False)).rowcount
        media = session.execute(
            select(ReportMedia.id, ReportMedia.path).join(Report, Report.id == ReportMedia.report_id)
            .where(Report.organization == slug, ReportMedia.created_at < media_before,
                   ReportMedia.status != EXPIRED)).all()
        files = [path for _, path in media if path]
        if media:
            session.execute(update(ReportMedia).where(ReportMedia.id.in_([m for m, _ in media]))
                            .values(status=EXPIRED, path=None, url="", updated_at=now)
                            .execution_options(synchronize_session=False))
        counts["media"] = len(media)
        if any(counts.values()):
            session.add(AuditEvent(organization=slug, user_id=None, action=ACTION, target=None,
                                   detail={**counts, "messages_days": org.retention_messages_days,
                                           "media_days": org.retention_media_days}, at=now))
    counts["files"] = _remove(services, files)
    return counts


def _remove(services, paths: list[str]) -> int:
    root = Path(services.settings.media_dir).resolve()
    removed = 0
    for name in paths:
        path = Path(name).resolve()
        if path.is_relative_to(root):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


# --- the daily job ------------------------------------------------------------------------------

def next_run(now: datetime) -> datetime:
    """The next RUN_AT (UTC) after `now`."""
    today = datetime.combine(now.astimezone(timezone.utc).date(), RUN_AT, tzinfo=timezone.utc)
    return today if today > now else today + timedelta(days=1)


def schedule(queue, now: datetime | None = None):
    """Put the next daily run on RQ's schedule. One job id per day, so several workers starting
    (or the job scheduling its successor) leave one run per day."""
    when = next_run(now or utcnow())
    return queue.enqueue_at(when, "bot.tasks.retention_daily", job_id=f"retention-{when:%Y%m%d}", result_ttl=7 * 86400,
                            description="streetline retention purge")
