"""Settling rows left in doubt against the provider's message list: a row is resent only when its
message is not there, never blindly, never dropped."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.broadcasts.config import config_for
from bot.broadcasts.job import Job, Outcome, Row, backoff, build_message, load_broadcast
from bot.broadcasts.process import PROCESS
from bot.broadcasts.writeback import flush, stale_rows, take_over
from bot.messages import Outgoing
from bot.models import BroadcastRecipient, OutboundMessage, utcnow

log = logging.getLogger(__name__)
R = BroadcastRecipient
RECONCILE_SLACK = timedelta(seconds=120)


def find_sent(job: Job, sender, row: Row, message: Outgoing, body: str, mode: str, services) -> str | None:
    """The SID of a message this broadcast already gave the provider for this row, or None.

    Lists messages To the recipient From our sender (newest first) and keeps those created since the
    broadcast started (minus a slack for clock skew) whose body is ours (any, for template sends) and
    whose SID no other row of ours owns. date_sent_after is not used: a message still queued at the
    provider has no date_sent yet, and missing it would mean a duplicate."""
    since = (job.broadcast.started_at or utcnow()) - RECONCILE_SLACK
    candidates: list[tuple[datetime, str]] = []
    for m in sender.sent_to(message.to, message.from_, limit=100):
        created = m.created_at or since
        if created < since:
            continue
        if mode == "template" or m.body == body:
            candidates.append((created, m.sid))
    if not candidates:
        return None
    sids = [sid for _, sid in candidates]
    with services.engine.connect() as conn:
        known = set(conn.scalars(select(OutboundMessage.provider_sid).where(OutboundMessage.provider_sid.in_(sids))))
        known |= set(conn.scalars(select(R.provider_sid).where(R.provider_sid.in_(sids), R.id != row.id)))
        known |= set(conn.scalars(select(R.earlier_sid).where(R.earlier_sid.in_(sids))))
    mine = sorted((at, sid) for at, sid in candidates if sid not in known)
    if len(mine) > 1:
        log.error("broadcast %s recipient %s: %d provider messages match (%s): a duplicate was sent",
                  job.broadcast.id, row.id, len(mine), ", ".join(s for _, s in mine))
    return mine[0][1] if mine else None


def reconcile(services, broadcast_id: int, *, force: bool = False, worker_id: str | None = None) -> dict:
    """Settle rows left in doubt: found at the provider -> sent (with its SID); not found -> queued again
    (or failed after the last attempt). A lookup that fails leaves the row in doubt for the next round."""
    cfg = config_for(services)
    b = load_broadcast(services, broadcast_id)
    if b is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    job = Job(services, cfg, b, None)
    worker_id = worker_id or PROCESS.ensure(services, cfg).worker_id
    summary = {"found": 0, "requeued": 0, "failed": 0, "unresolved": 0}
    for stale in stale_rows(services, cfg, broadcast_id, force=force):
        attempt = uuid.uuid4().hex
        with services.engine.begin() as conn:  # take the row over so that one reconciler acts on it
            taken = take_over(conn, (R.id == stale.id, R.attempt_id == stale.attempt_id, R.state == "sending",
                                      R.provider_sid.is_(None)),
                               dict(attempt_id=attempt, claimed_by=worker_id, updated_at=utcnow()))
        if not taken:
            continue
        row = taken[0]
        sender = job.sender()
        found_any = None
        try:
            for mode in dict.fromkeys([row.mode, "template"] if b.template else [row.mode]):
                message, body, segments, encoding = build_message(job, row, mode)
                sid = find_sent(job, sender, row, message, body, mode, services)
                if sid:
                    found_any = Outcome(row, "sent", sid=sid, mode=mode, body=body, segments=segments,
                                        encoding=encoding, from_address=message.from_, counts=False)
                    break
        except Exception as exc:  # noqa: BLE001
            log.warning("broadcast %s: reconciling recipient %s failed: %s", broadcast_id, row.id, exc)
            flush(job, [Outcome(row, "doubt", counts=False, message=f"lookup failed: {exc}"[:500],
                                not_before=utcnow() + backoff(cfg, row.attempts))])
            summary["unresolved"] += 1
            continue
        if found_any:
            flush(job, [found_any])
            summary["found"] += 1
        elif row.attempts >= cfg.max_attempts:
            flush(job, [Outcome(row, "failed", reason="provider_unavailable", counts=False)])
            summary["failed"] += 1
        else:
            flush(job, [Outcome(row, "unclaim", counts=False)])
            summary["requeued"] += 1
    return summary
