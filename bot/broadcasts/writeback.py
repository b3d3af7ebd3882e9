"""The recipient rows in the database: claim a batch atomically, write results back guarded by the
attempt id, catch up status callbacks that came before the SID, and find rows whose attempt is over."""
from __future__ import annotations

import os
import uuid
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update

from bot.broadcasts.job import Job, Outcome, Row
from bot.broadcasts.process import HEARTBEAT_PREFIX, PROCESS
from bot.broadcasts.status import mark_contact
from bot.models import BroadcastRecipient, Contact, OutboundMessage, StatusEvent, utcnow

R = BroadcastRecipient


_TAKEN = (R.id, R.contact_id, R.channel, R.language, R.to_address, R.mode, R.attempts)


def take_over(conn, where: tuple, values: dict) -> list[Row]:
    """UPDATE recipient rows and return them with their contact's opt-out and WhatsApp window, in one
    statement on PostgreSQL (UPDATE ... FROM contacts RETURNING); SQLite's RETURNING sees only the
    updated table, so there the contacts are read after it in the same transaction."""
    if conn.dialect.name == "postgresql":
        stmt = (update(R).where(*where, Contact.id == R.contact_id).values(**values)
                .returning(*_TAKEN, Contact.opted_out, Contact.last_inbound_whatsapp_at))
        return [_row(values["attempt_id"], *r) for r in conn.execute(stmt).all()]
    rows = conn.execute(update(R).where(*where).values(**values).returning(*_TAKEN)).all()
    contacts = {c.id: c for c in conn.execute(
        select(Contact.id, Contact.opted_out, Contact.last_inbound_whatsapp_at)
        .where(Contact.id.in_({r.contact_id for r in rows})))} if rows else {}
    return [_row(values["attempt_id"], *r, contacts[r.contact_id].opted_out,
                 contacts[r.contact_id].last_inbound_whatsapp_at) for r in rows if r.contact_id in contacts]


def _row(attempt: str, id_, *rest) -> Row:
    return Row(id_, attempt, *rest)


def claim(services, broadcast_id: int, limit: int, worker_id: str) -> list[Row]:
    attempt = uuid.uuid4().hex
    now = utcnow()
    pick = (select(R.id).where(R.broadcast_id == broadcast_id, R.state == "queued",
                               or_(R.not_before.is_(None), R.not_before <= now))
            .order_by(R.id).limit(limit).with_for_update(skip_locked=True))
    with services.engine.begin() as conn:
        rows = take_over(conn, (R.id.in_(pick.scalar_subquery()), R.state == "queued"),
                          dict(state="sending", attempt_id=attempt, claimed_by=worker_id, claimed_at=now,
                               updated_at=now))
    return sorted(rows, key=lambda r: r.id)


_UPDATE = (update(R).where(R.id == bindparam("b_id"), R.attempt_id == bindparam("b_attempt"),
                           R.state == "sending")
           .values(state=bindparam("b_state"), provider_sid=bindparam("b_sid"), status_rank=bindparam("b_rank"),
                   mode=bindparam("b_mode"), reason=bindparam("b_reason"), error_code=bindparam("b_code"),
                   error_message=bindparam("b_message"), attempts=bindparam("b_attempts"),
                   attempt_id=bindparam("b_new_attempt"), claimed_by=bindparam("b_claimed_by"),
                   not_before=bindparam("b_not_before"), segments=bindparam("b_segments"),
                   outbound_message_id=bindparam("b_outbound"), sent_at=bindparam("b_sent_at"),
                   updated_at=bindparam("b_now")))


def flush(job: Job, outcomes: list[Outcome]) -> None:
    """Write results back in one transaction; a row only changes if this attempt still owns it."""
    if not outcomes:
        return
    services, b = job.services, job.broadcast
    now = utcnow()
    cancelled = b.state == "cancelled"
    with services.engine.begin() as conn:
        outbound_ids: dict[str, int] = {}
        sent = [o for o in outcomes if o.kind == "sent"]
        if sent:
            rows = [{"organization": b.organization, "contact_id": o.row.contact_id, "channel": o.row.channel,
                     "to_address": o.row.to_address, "from_address": o.from_address, "body": o.body,
                     "encoding": o.encoding, "segments": o.segments, "kind": "broadcast", "provider_sid": o.sid,
                     "status": "queued", "status_rank": 1, "created_at": now, "updated_at": now} for o in sent]
            conn.execute(_insert(conn, OutboundMessage).on_conflict_do_nothing(index_elements=["provider_sid"]), rows)
            outbound_ids = dict(conn.execute(select(OutboundMessage.provider_sid, OutboundMessage.id)
                                             .where(OutboundMessage.provider_sid.in_([o.sid for o in sent]))).all())
        params = []
        for o in outcomes:
            r = o.row
            p = {"b_id": r.id, "b_attempt": r.attempt_id, "b_now": now, "b_sid": None, "b_rank": 0,
                 "b_mode": o.mode or r.mode, "b_reason": o.reason, "b_code": o.code,
                 "b_message": (o.message or None) and o.message[:500],
                 "b_attempts": r.attempts + (1 if o.counts else 0), "b_new_attempt": None, "b_claimed_by": None,
                 "b_not_before": None, "b_segments": o.segments, "b_outbound": None, "b_sent_at": None}
            if o.kind == "sent":
                p.update(b_state="sent", b_sid=o.sid, b_rank=1, b_outbound=outbound_ids.get(o.sid), b_sent_at=now,
                         b_reason=None, b_code=None, b_message=None)
            elif o.kind in ("failed", "skipped"):
                p.update(b_state=o.kind)
            elif o.kind == "requeue":
                p.update(b_state="cancelled" if cancelled else "queued", b_not_before=o.not_before,
                         b_reason="broadcast_cancelled" if cancelled else o.reason)
            elif o.kind == "unclaim":
                p.update(b_state="cancelled" if cancelled else "queued", b_mode=r.mode,
                         b_reason="broadcast_cancelled" if cancelled else None)
            elif o.kind == "doubt":  # stays claimed, without an owner, until the reconciler looks again
                p.update(b_state="sending", b_new_attempt=r.attempt_id, b_not_before=o.not_before,
                         b_reason="in_doubt")
            params.append(p)
        conn.execute(_UPDATE, params)
        for o in outcomes:
            if o.kind == "failed" and o.code is not None:
                mark_contact(conn, o.row.contact_id, o.code)  # only permanent errors mark it
        if sent:
            catch_up(conn, [o.sid for o in sent])


def _insert(conn, table):
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def catch_up(conn, sids: list[str]) -> None:
    """Status callbacks that arrived before the SID was written: apply the furthest one now."""
    from bot.broadcasts.status import on_status
    from bot.messages import RANK

    events = conn.execute(select(StatusEvent.provider_sid, StatusEvent.status, StatusEvent.error_code)
                          .where(StatusEvent.provider_sid.in_(sids))).all()
    best: dict[str, tuple[int, str, int | None]] = {}
    for e in events:
        rank = RANK.get(e.status, 0)
        if rank > best.get(e.provider_sid, (0, "", None))[0]:
            best[e.provider_sid] = (rank, e.status, e.error_code)
    for sid, (rank, status, code) in best.items():
        values = {"status": status, "status_rank": rank, "updated_at": utcnow()}
        if code is not None:
            values["error_code"] = code
        conn.execute(update(OutboundMessage).where(OutboundMessage.provider_sid == sid,
                                                   OutboundMessage.status_rank < rank).values(**values))
        on_status(conn, sid, status, rank, code)


def stale_rows(services, cfg, broadcast_id: int, force: bool = False) -> list:
    """Rows in 'sending' without a SID whose attempt is over: owner dead, lease expired, or in doubt and due."""
    now = utcnow()
    with services.engine.connect() as conn:
        rows = conn.execute(select(R.id, R.attempt_id, R.claimed_by, R.claimed_at, R.not_before)
                            .where(R.broadcast_id == broadcast_id, R.state == "sending",
                                   R.provider_sid.is_(None))).all()
    if force:
        return rows
    owners = {r.claimed_by for r in rows if r.claimed_by}
    alive = set()
    if owners and services.redis is not None:
        owners = sorted(owners)
        pipe = services.redis.pipeline()
        for o in owners:
            pipe.exists(HEARTBEAT_PREFIX + o)
        flags = pipe.execute()
        alive = {o for o, f in zip(owners, flags) if f}
    if PROCESS.pid == os.getpid():
        alive.add(PROCESS.worker_id)  # our own rows are in flight, not orphaned (the lease still applies)
    lease = timedelta(seconds=cfg.lease_seconds)
    out = []
    for r in rows:
        if r.claimed_by is None:
            if r.not_before is None or r.not_before <= now:
                out.append(r)
        elif r.claimed_at is not None and r.claimed_at < now - lease:
            out.append(r)
        elif services.redis is not None and r.claimed_by not in alive:
            out.append(r)
    return out
