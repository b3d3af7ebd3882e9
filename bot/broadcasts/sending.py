"""Sending a broadcast, exactly once per recipient, from RQ workers.

A drain job (several per broadcast, one per worker) loops: claim a batch of queued rows atomically
(UPDATE ... SET state='sending', attempt_id=... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING),
send each through a thread pool at the sender's rate (bot/broadcasts/ratelimit.py), write the results back
in small batches guarded by the attempt id, and record each message in outbound_messages (kind
"broadcast") so status callbacks find it.

What can go wrong, and what happens:
* 429 / queue full / WhatsApp rate limit (the provider did not take the message): the row goes back to
  'queued' with not_before = exponential backoff with jitter, up to BROADCAST_MAX_ATTEMPTS, then fails.
* 5xx or a connection error (the provider may or may not have created the message): the row is in doubt.
  It is looked up in the provider's message list at once and again after a backoff; only when the
  message is not there is it sent again.
* The worker dies (SIGKILL, OOM, power) between the provider call and the write-back: its rows stay in
  'sending' without a SID. Every worker keeps a heartbeat key in Redis; rows of a worker without one
  (or claimed longer ago than the lease) are reconciled against the provider's message list before any
  resend. They are never resent blindly and never dropped.
* Provider errors are recorded per recipient as a neutral reason (bot.messages.delivery_reason); a
  permanent one marks the contact (opted out, or left out of broadcasts until it writes in again), and
  whatsapp_window_closed is retried with the template when there is one.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, func, or_, select, update

from bot.broadcasts.audience import WINDOW
from bot.broadcasts.config import config_for
from bot.broadcasts.ratelimit import RateLimiter
from bot.broadcasts.service import message_text
from bot.broadcasts.status import mark_contact
from bot.broadcasts.sweeper import mark_alive
from bot.models import Broadcast, BroadcastRecipient, Contact, OutboundMessage, StatusEvent, utcnow
from bot.messages import Outgoing, delivery_reason
from bot.providers import build_sender
from bot.providers.twilio.sender import TwilioSender
from content.sms import segment_info

log = logging.getLogger(__name__)
R = BroadcastRecipient

NOT_TAKEN = {"rate_limited", "queue_full"}  # the provider refused before creating anything: safe to retry
RECONCILE_SLACK = timedelta(seconds=120)
HEARTBEAT_PREFIX = "streetline:broadcasts:alive:"


# --- one process: its id, its heartbeat, its thread pool ------------------------------------------------

class _Process:
    def __init__(self):
        self.pid = None

    def ensure(self, services, cfg) -> "_Process":
        if self.pid != os.getpid():  # first use, or a forked child
            self.pid = os.getpid()
            self.worker_id = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
            self.pool = ThreadPoolExecutor(max_workers=cfg.threads, thread_name_prefix="broadcast-send")
            self.local = threading.local()
            self.redis = services.redis
            self.ttl = cfg.heartbeat_ttl
            self.last_beat = 0.0
            if self.redis is not None:
                self.beat()
                threading.Thread(target=self._beat_forever, name="broadcast-heartbeat", daemon=True).start()
        if services.redis is not None and (services.redis is not self.redis
                                           or time.monotonic() - self.last_beat > self.ttl / 5):
            self.redis = services.redis
            self.beat()
        return self

    def beat(self) -> None:
        try:
            self.redis.set(HEARTBEAT_PREFIX + self.worker_id, "1", px=int(self.ttl * 1000))
            self.last_beat = time.monotonic()
        except Exception:  # noqa: BLE001 - Redis away: fresh() turns false and sending stops
            log.debug("broadcast heartbeat failed", exc_info=True)

    def _beat_forever(self) -> None:
        me = self.pid
        while os.getpid() == me:
            time.sleep(self.ttl / 5)
            self.beat()

    def fresh(self) -> bool:
        """Whether other workers still see us alive (else they may reconcile our rows: stop sending)."""
        return self.redis is None or time.monotonic() - self.last_beat < self.ttl / 2


PROCESS = _Process()
_SERVICES = None


def worker_services():
    """Services for an RQ worker process, built once from the environment (no NLU: not needed here)."""
    global _SERVICES
    if _SERVICES is None:
        from rq import Queue
        from sqlalchemy.orm import sessionmaker

        from bot.db import build_engine
        from bot.services import Services, build_redis
        from bot.settings import Settings
        from content import load_catalog

        settings = Settings.from_env()
        engine = build_engine(settings.database_url)
        redis = build_redis(settings)
        _SERVICES = Services(settings=settings, engine=engine, db=sessionmaker(engine, expire_on_commit=False),
                             redis=redis, queue=Queue("default", connection=redis) if redis else None,
                             catalog=load_catalog(settings.content_dir), nlu=None, sender=build_sender(settings))
    return _SERVICES


# --- what one send came to -------------------------------------------------------------------------------

@dataclass
class Row:
    id: int
    attempt_id: str
    contact_id: int
    channel: str
    language: str
    to_address: str
    mode: str
    attempts: int
    opted_out: bool
    last_inbound_whatsapp_at: datetime | None


@dataclass
class Outcome:
    row: Row
    kind: str  # sent | failed | skipped | requeue | doubt | unclaim
    sid: str | None = None
    mode: str | None = None
    body: str = ""
    segments: int | None = None
    encoding: str | None = None
    code: int | None = None
    message: str | None = None
    reason: str | None = None
    not_before: datetime | None = None
    counts: bool = True  # a provider call was made (attempts + 1)
    from_address: str = ""


@dataclass
class Job:
    """One broadcast as a worker sees it."""

    services: object
    cfg: object
    broadcast: Broadcast
    limiter: RateLimiter | None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def org(self):
        return self.services.catalog.org(self.broadcast.organization)

    def from_address(self, channel: str) -> str:
        number = self.org.numbers[0]
        return f"whatsapp:{number}" if channel == "whatsapp" else number

    def sender(self):
        """One provider client per thread (twilio-python's client is not meant to be shared)."""
        injected = getattr(self.services, "broadcast_sender", None)
        if injected is not None:
            return injected
        if not isinstance(self.services.sender, TwilioSender):
            return self.services.sender
        local = PROCESS.local
        s = self.services.settings
        key = (s.twilio_account_sid, s.twilio_auth_token, s.twilio_api_base_url, s.twilio_http_timeout)
        if getattr(local, "key", None) != key:
            if getattr(local, "sender", None) is not None:
                local.sender.close()
            local.sender, local.key = build_sender(s), key
        return local.sender


def backoff(cfg, attempts: int) -> timedelta:
    cap = min(cfg.backoff_max, cfg.backoff_base * (2 ** max(0, attempts)))
    return timedelta(seconds=cap / 2 + random.uniform(0, cap / 2))


def build_message(job: Job, row: Row, mode: str) -> tuple[Outgoing, str, int, str | None]:
    """(message, body recorded, segments, encoding)"""
    b = job.broadcast
    from_ = job.from_address(row.channel)
    if mode == "template":
        t = b.template
        body = f"[template {t['content_sid']}] " + " | ".join(f"{k}={v}" for k, v in sorted(t["variables"].items()))
        return (Outgoing(to=row.to_address, from_=from_, body="", track_status=job.cfg.status_callbacks,
                         content_sid=t["content_sid"], content_variables=t["variables"] or None), body, 1, None)
    body = message_text(b.texts, row.language, row.channel)
    if row.channel == "sms":
        info = segment_info(body)
        segments, encoding = info.segments, info.encoding
    else:
        segments, encoding = 1, None
    return Outgoing(to=row.to_address, from_=from_, body=body, track_status=job.cfg.status_callbacks), body, \
        segments, encoding


def send_one(job: Job, row: Row) -> Outcome:
    try:
        return _send_one(job, row)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the row claimed by a live worker
        log.exception("broadcast %s: sending to recipient %s failed", job.broadcast.id, row.id)
        return Outcome(row, "doubt", message=f"worker error: {exc}"[:500],
                       not_before=utcnow() + backoff(job.cfg, row.attempts))


def _send_one(job: Job, row: Row) -> Outcome:
    cfg, b = job.cfg, job.broadcast
    if job.stop.is_set() or not PROCESS.fresh():
        return Outcome(row, "unclaim", counts=False)
    if row.opted_out:
        return Outcome(row, "skipped", reason="opted_out", counts=False)
    mode = row.mode
    if row.channel == "whatsapp" and mode == "text":
        seen = row.last_inbound_whatsapp_at
        if seen is None or seen < utcnow() - WINDOW:  # the window closed since the rows were made
            if not b.template:
                return Outcome(row, "skipped", reason="whatsapp_window_closed", counts=False)
            mode = "template"
    for _ in range(2):  # the second round only for whatsapp_window_closed -> template
        message, body, segments, encoding = build_message(job, row, mode)
        cost = segments if (b.rate_unit == "segments" and row.channel == "sms") else 1
        if job.limiter is not None and not job.limiter.take(
                message.from_, b.rate, cost, should_stop=lambda: job.stop.is_set() or not PROCESS.fresh()):
            return Outcome(row, "unclaim", counts=False)
        if job.stop.is_set() or not PROCESS.fresh():
            return Outcome(row, "unclaim", counts=False)
        sender = job.sender()
        result = sender.send(message)
        base = dict(mode=mode, body=body, segments=segments, encoding=encoding, from_address=message.from_)
        if result.sid:
            return Outcome(row, "sent", sid=result.sid, **base)
        code = result.error_code
        reason = delivery_reason(code)
        if reason == "whatsapp_window_closed" and mode == "text" and b.template:
            mode = "template"
            continue
        if reason in NOT_TAKEN:
            if row.attempts + 1 >= cfg.max_attempts:
                return Outcome(row, "failed", code=code, message=result.error_message, reason=reason, **base)
            return Outcome(row, "requeue", code=code, message=result.error_message,
                           not_before=utcnow() + backoff(cfg, row.attempts), **base)
        if result.retryable:  # 5xx / connection: did the provider take it? Look before anything else.
            try:
                sid = find_sent(job, sender, row, message, body, mode, job.services)
            except Exception as exc:  # noqa: BLE001
                sid, result = None, result.__class__(None, "failed", code, f"{result.error_message}; "
                                                     f"lookup failed: {exc}"[:500], True)
            if sid:
                return Outcome(row, "sent", sid=sid, **base)
            return Outcome(row, "doubt", code=code, message=result.error_message,
                           not_before=utcnow() + backoff(cfg, row.attempts), **base)
        return Outcome(row, "failed", code=code, message=result.error_message,
                       reason=reason or "provider_error", **base)
    raise AssertionError("unreachable")  # pragma: no cover


# --- the provider's message list ------------------------------------------------------------------------

def find_sent(job: Job, sender, row: Row, message: Outgoing, body: str, mode: str, services) -> str | None:
    """The SID of a message this broadcast already gave the provider for this row, or None.

    Lists messages To the recipient From our sender (newest first) and keeps those created since the
    broadcast started (minus a slack for clock skew) whose body is ours (any, for template sends) and
    whose SID no other row of ours owns. date_sent_after is not used: a message still queued at the
    provider has no date_sent yet, and missing it would mean a duplicate."""
    since = (job.broadcast.started_at or utcnow()) - RECONCILE_SLACK
    candidates: list[tuple[datetime, str]] = []
    if isinstance(sender, TwilioSender):
        for m in sender.client.messages.list(to=message.to, from_=message.from_, limit=100, page_size=100):
            created = m.date_created
            if created is not None and created.tzinfo is None:
                created = created.replace(tzinfo=timezone.utc)
            if created is not None and created < since:
                continue
            if mode == "template" or (m.body or "") == body:
                candidates.append((created or since, m.sid))
    elif hasattr(sender, "read"):  # OutboxSender
        for rec in sender.read(to=message.to):
            at = datetime.fromisoformat(rec["at"])
            if at >= since and rec.get("from") == message.from_ and (mode == "template" or rec["body"] == body):
                candidates.append((at, rec["sid"]))
    else:
        raise RuntimeError(f"{type(sender).__name__} cannot list sent messages")
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


# --- database: claim, write back, reconcile ---------------------------------------------------------------

_TAKEN = (R.id, R.contact_id, R.channel, R.language, R.to_address, R.mode, R.attempts)


def _take_over(conn, where: tuple, values: dict) -> list[Row]:
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
        rows = _take_over(conn, (R.id.in_(pick.scalar_subquery()), R.state == "queued"),
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


def reconcile(services, broadcast_id: int, *, force: bool = False, worker_id: str | None = None) -> dict:
    """Settle rows left in doubt: found at the provider -> sent (with its SID); not found -> queued again
    (or failed after the last attempt). A lookup that fails leaves the row in doubt for the next round."""
    cfg = config_for(services)
    b = _load(services, broadcast_id)
    if b is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    job = Job(services, cfg, b, None)
    worker_id = worker_id or PROCESS.ensure(services, cfg).worker_id
    summary = {"found": 0, "requeued": 0, "failed": 0, "unresolved": 0}
    for stale in stale_rows(services, cfg, broadcast_id, force=force):
        attempt = uuid.uuid4().hex
        with services.engine.begin() as conn:  # take the row over so that one reconciler acts on it
            taken = _take_over(conn, (R.id == stale.id, R.attempt_id == stale.attempt_id, R.state == "sending",
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


# --- the RQ job -----------------------------------------------------------------------------------------

_DEFAULT = object()


def _load(services, broadcast_id: int) -> Broadcast | None:
    with services.db() as session:
        return session.get(Broadcast, broadcast_id)


def drain(broadcast_id: int, *, services=None, budget=_DEFAULT) -> dict:
    """Send a broadcast's queued rows until none are left, the broadcast stops being 'sending', or the
    time budget is spent (then the job enqueues its successor). Several run side by side."""
    services = services or worker_services()
    cfg = config_for(services)
    budget = cfg.job_seconds if budget is _DEFAULT else budget
    deadline = time.monotonic() + budget if budget else None
    proc = PROCESS.ensure(services, cfg)
    limiter = RateLimiter(services.redis) if services.redis is not None else None
    sent = 0
    while True:
        mark_alive(services, broadcast_id)
        b = _load(services, broadcast_id)
        if b is None or b.state != "sending":
            return {"broadcast": broadcast_id, "sent": sent, "stopped": b.state if b else "missing"}
        job = Job(services, cfg, b, limiter)
        if limiter is None:  # no Redis: pace in-process (one drainer)
            job.limiter = LOCAL_LIMITER
        batch = max(1, min(200, int(b.rate * cfg.batch_seconds)))
        rows = claim(services, broadcast_id, batch, proc.worker_id) if proc.fresh() else []
        if rows:
            sent += _process(job, rows)
        elif reconcile(services, broadcast_id, worker_id=proc.worker_id)["found"] == 0 and not _open(services, b):
            _finish(services, broadcast_id)
            return {"broadcast": broadcast_id, "sent": sent, "stopped": "done"}
        elif not rows:
            time.sleep(min(0.5, _next_due(services, broadcast_id)))
        if deadline is not None and time.monotonic() > deadline:
            from bot.broadcasts.service import enqueue_drainers

            enqueue_drainers(services, broadcast_id, count=1)
            return {"broadcast": broadcast_id, "sent": sent, "stopped": "budget"}


def _process(job: Job, rows: list[Row]) -> int:
    futures = {PROCESS.pool.submit(send_one, job, row) for row in rows}
    buffer: list[Outcome] = []
    sent = 0
    last_flush = last_check = time.monotonic()
    while futures:
        done, futures = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
        buffer.extend(f.result() for f in done)
        now = time.monotonic()
        if len(buffer) >= 50 or (buffer and now - last_flush > 0.25):
            sent += sum(o.kind == "sent" for o in buffer)
            flush(job, buffer)
            buffer, last_flush = [], now
        if now - last_check > 0.5:
            last_check = now
            current = _load(job.services, job.broadcast.id)
            if current is None or current.state != "sending":
                job.broadcast.state = current.state if current else "cancelled"
                job.stop.set()
    sent += sum(o.kind == "sent" for o in buffer)
    flush(job, buffer)
    return sent


def _open(services, b: Broadcast) -> bool:
    with services.engine.connect() as conn:
        return conn.execute(select(R.id).where(R.broadcast_id == b.id, R.state.in_(("queued", "sending")))
                            .limit(1)).first() is not None


def _next_due(services, broadcast_id: int) -> float:
    with services.engine.connect() as conn:
        due = conn.execute(select(func.min(R.not_before)).where(R.broadcast_id == broadcast_id,
                                                                R.state.in_(("queued", "sending")))).scalar()
    if due is None:
        return 0.5
    return max(0.02, (due - utcnow()).total_seconds())


def _finish(services, broadcast_id: int) -> None:
    with services.engine.begin() as conn:
        conn.execute(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.state == "sending")
                     .values(state="done", finished_at=utcnow(), updated_at=utcnow()))


class _LocalLimiter:
    """The token bucket in one process, for running without Redis (development)."""

    def __init__(self):
        self.next_at: dict[str, float] = {}
        self.lock = threading.Lock()

    def take(self, sender, rate, cost=1.0, burst=None, deadline=None, should_stop=None) -> bool:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at.get(sender, now))
            self.next_at[sender] = at + cost / rate
        if at > now:
            time.sleep(at - now)
        return True


LOCAL_LIMITER = _LocalLimiter()
