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
* Provider errors are recorded per recipient as a neutral reason (bot.providers.delivery_reason); a
  permanent one marks the contact (opted out, or left out of broadcasts until it writes in again), and
  whatsapp_window_closed is retried with the template when there is one.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, wait

from sqlalchemy import func, select, update

from bot.broadcasts import chunks
from bot.broadcasts.audience import WINDOW
from bot.broadcasts.config import config_for
from bot.broadcasts.drainers import enqueue_drainers
from bot.broadcasts.job import Job, Outcome, Row, backoff, build_message, load_broadcast
from bot.broadcasts.process import PROCESS
from bot.broadcasts.ratelimit import RateLimiter
from bot.broadcasts.reconcile import find_sent, reconcile
from bot.broadcasts.liveness import mark_alive
from bot.broadcasts.context import current_services
from bot.broadcasts.writeback import claim, flush
from bot.providers import delivery_reason
from bot.models import Broadcast, BroadcastRecipient, utcnow

log = logging.getLogger(__name__)
R = BroadcastRecipient

NOT_TAKEN = {"rate_limited", "queue_full"}  # the provider refused before creating anything: safe to retry


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


# --- the RQ job -----------------------------------------------------------------------------------------

_DEFAULT = object()


def drain(broadcast_id: int, *, services=None, budget=_DEFAULT) -> dict:
    """Send a broadcast's queued rows until none are left, the broadcast stops being 'sending', or the
    time budget is spent (then the job enqueues its successor). Several run side by side. In a broadcast
    worker the services are the worker's, built once at its start (bot/broadcasts/worker.py)."""
    services = services or current_services()
    cfg = config_for(services)
    budget = cfg.job_seconds if budget is _DEFAULT else budget
    deadline = time.monotonic() + budget if budget else None
    proc = PROCESS.ensure(services, cfg)
    limiter = RateLimiter(services.redis) if services.redis is not None else None
    sent = 0
    while True:
        mark_alive(services, broadcast_id)
        b = load_broadcast(services, broadcast_id)
        if b is None or b.state != "sending":
            return {"broadcast": broadcast_id, "sent": sent, "stopped": b.state if b else "missing"}
        job = Job(services, cfg, b, limiter)
        if limiter is None:  # no Redis: pace in-process (one drainer)
            job.limiter = LOCAL_LIMITER
        batch = max(1, min(200, int(b.rate * cfg.batch_seconds)))
        rows = claim(services, broadcast_id, batch, proc.worker_id) if proc.fresh() else []
        # The queued rows run short: make the audience's next chunk (None: all made, as before).
        more = (len(rows) < batch and proc.fresh() and not b.audience_complete
                and chunks.make_next(services, b) is not None)
        if rows:
            sent += _process(job, rows)
        elif more:
            pass  # claim the new chunk's rows
        elif reconcile(services, broadcast_id, worker_id=proc.worker_id)["found"] == 0 and not _open(services, b):
            _finish(services, broadcast_id)
            return {"broadcast": broadcast_id, "sent": sent, "stopped": "done"}
        elif not rows:
            time.sleep(min(0.5, _next_due(services, broadcast_id)))
        if deadline is not None and time.monotonic() > deadline:
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
            current = load_broadcast(job.services, job.broadcast.id)
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
