"""Broadcast life cycle: create (draft), preview, send (recipient rows + drain jobs), pause, resume,
cancel, progress. Nothing here talks to the provider; bot/broadcasts/sending.py does."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcasts import chunks
from bot.broadcasts.audience import Segment, SegmentError, audience
from bot.broadcasts.config import config_for
from bot.broadcasts.drainers import enqueue_drainers
from bot.broadcasts.errors import BroadcastError, NotFound
from bot.broadcasts.validate import validate
from bot.models import Broadcast, BroadcastRecipient, utcnow
from content.sms import segment_info, smart_encode

log = logging.getLogger(__name__)
R = BroadcastRecipient
STATES = ("queued", "sending", "sent", "delivered", "read", "failed", "skipped", "cancelled")


def create_broadcast(services, organization: str, segment: dict | None, texts: dict, template=None,
                     created_by: str = "", name: str = "", rate: float | None = None,
                     rate_unit: str | None = None) -> int:
    """A draft broadcast (validated by bot.broadcasts.validate); returns its id. Sending starts with
    send_broadcast()."""
    draft = validate(services.catalog, organization, {"segment": segment, "texts": texts, "template": template,
                                                      "name": name, "rate": rate, "rate_unit": rate_unit})
    try:
        seg = Segment.from_dict(draft.segment)
        audience(services.catalog, organization, seg, draft.texts, draft.template is not None, utcnow())  # validates
    except SegmentError as exc:
        raise BroadcastError(str(exc)) from exc
    cfg = config_for(services)
    rate = draft.rate if draft.rate is not None else cfg.rate
    unit = draft.rate_unit or cfg.rate_unit
    texts, template = draft.texts, draft.template
    now = utcnow()
    with services.db.begin() as session:
        row = Broadcast(organization=organization, name=draft.name, segment=seg.to_dict(), texts=texts,
                        template=template, state="draft", rate=rate, rate_unit=unit,
                        created_by=(created_by or "")[:100], created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def get(services, broadcast_id: int, organization: str | None = None) -> Broadcast:
    with services.db() as session:
        row = session.get(Broadcast, broadcast_id)
    if row is None or (organization is not None and row.organization != organization):
        raise NotFound(f"no broadcast {broadcast_id}")
    return row


def cost(texts: dict) -> dict:
    """Per language: the SMS text's encoding and segments (after smart encoding)."""
    out = {}
    for lang, text in texts.items():
        info = segment_info(smart_encode(text))
        out[lang] = {"encoding": info.encoding, "segments": info.segments, "characters": len(smart_encode(text))}
    return out


def preview(services, broadcast_id: int | None = None, *, organization: str | None = None,
            segment: dict | None = None, texts: dict | None = None, template=None) -> dict:
    """Recipients per channel, language and mode, skipped ones with reasons, and the SMS cost."""
    if broadcast_id is not None:  # stored: validated when it was created
        b = get(services, broadcast_id, organization)
        organization, segment, texts, template = b.organization, b.segment, b.texts, b.template
    else:
        draft = validate(services.catalog, organization, {"segment": segment, "texts": texts, "template": template})
        segment, texts, template = draft.segment, draft.texts, draft.template
    try:
        query = audience(services.catalog, organization, Segment.from_dict(segment), texts, template is not None,
                         utcnow()).subquery()
    except SegmentError as exc:
        raise BroadcastError(str(exc)) from exc
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(query.c.channel, query.c.language, query.c.mode, query.c.state, query.c.reason,
                   func.count().label("n"))
            .group_by(query.c.channel, query.c.language, query.c.mode, query.c.state, query.c.reason)
        ).all()
    per_lang = cost(texts)
    groups, skipped, total, sms_segments = [], Counter(), 0, 0
    for r in sorted(rows, key=lambda r: (r.channel, r.language, r.mode)):
        if r.state == "skipped":
            skipped[r.reason] += r.n
            continue
        total += r.n
        segments = per_lang[r.language]["segments"] if r.channel == "sms" else None
        if segments:
            sms_segments += segments * r.n
        groups.append({"channel": r.channel, "language": r.language, "mode": r.mode, "recipients": r.n,
                       "segments_each": segments, "segments_total": segments * r.n if segments else None})
    by_channel = Counter()
    for g in groups:
        by_channel[g["channel"]] += g["recipients"]
    return {"organization": organization, "recipients": total, "by_channel": dict(by_channel), "groups": groups,
            "skipped": dict(skipped), "sms_segments": sms_segments, "texts": per_lang}


def _set_state(services, broadcast_id: int, organization: str | None, allowed: tuple[str, ...], new: str,
               **extra) -> Broadcast:
    b = get(services, broadcast_id, organization)
    with services.db.begin() as session:
        moved = session.execute(
            update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.state.in_(allowed))
            .values(state=new, updated_at=utcnow(), **extra)
        ).rowcount
    if not moved:
        current = get(services, broadcast_id).state
        raise BroadcastError(f"broadcast {broadcast_id} is {current}: cannot go to {new}")
    b.state = new
    return b


def send_broadcast(services, broadcast_id: int, organization: str | None = None, *, inline: bool = False) -> dict:
    """draft -> sending: count the audience, make the first chunk of recipient rows (bot/broadcasts/
    chunks.py: the drainers make the rest) and enqueue the drain jobs (inline: drain here)."""
    b = _set_state(services, broadcast_id, organization, ("draft",), "sending", started_at=utcnow())
    try:
        fresh_statistics(services)
        count = chunks.start(services, b)
    except Exception:
        with services.db.begin() as session:
            session.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                            .values(state="draft", started_at=None, audience_size=None, audience_last_id=None,
                                    audience_through=None))
        raise
    if min(count, chunks.CHUNK) >= ANALYZE_AFTER:  # the rows the first chunk made
        analyze(services)
    wake(services, broadcast_id, inline=inline)
    return {"id": broadcast_id, "recipients": count}


ANALYZE_AFTER = 10_000  # rows one send made; autovacuum analyzes too, but only after a minute or more


def analyze(services) -> None:
    """Fresh planner statistics for the recipient rows before the workers claim them: the claim query
    planned on statistics that still called the table empty ran for minutes on 1,000,000 new rows
    (bench/broadcast_million.py). Best effort: sending goes on without it."""
    if services.engine.dialect.name != "postgresql":
        return
    try:
        with services.engine.begin() as conn:
            conn.execute(text("ANALYZE broadcast_recipients"))
    except SQLAlchemyError:
        log.warning("ANALYZE broadcast_recipients failed", exc_info=True)


AUDIENCE_TABLES = ("contacts", "members", "invalid_numbers")
# Tables never analyzed, or changed by more than a tenth since (autovacuum's own rule, which it applies
# only a minute or more later).
_STALE = text("SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(:tables) AND ("
              "coalesce(last_analyze, last_autoanalyze) IS NULL OR n_mod_since_analyze > 50 + n_live_tup / 10)")


def fresh_statistics(services) -> None:
    """ANALYZE the audience's tables when their statistics are stale, before the audience is read: after
    members were imported moments ago, the planner took 7,000 contacts for 2 and joined each with every
    member (6.3 s for 5,000 recipients in bench/polls.py; minutes at 1,000,000). Best effort."""
    if services.engine.dialect.name != "postgresql":
        return
    try:
        with services.engine.begin() as conn:
            for table in conn.execute(_STALE, {"tables": list(AUDIENCE_TABLES)}).scalars().all():
                conn.execute(text(f"ANALYZE {table}"))  # a name from AUDIENCE_TABLES, not from input
    except SQLAlchemyError:
        log.warning("ANALYZE of the audience's tables failed", exc_info=True)


def pause(services, broadcast_id: int, organization: str | None = None) -> Broadcast:
    """sending -> paused: workers stop claiming; rows they had claimed but not sent go back to queued."""
    return _set_state(services, broadcast_id, organization, ("sending",), "paused")


def resume(services, broadcast_id: int, organization: str | None = None, *, inline: bool = False) -> Broadcast:
    b = _set_state(services, broadcast_id, organization, ("paused",), "sending")
    wake(services, broadcast_id, inline=inline)
    return b


def cancel(services, broadcast_id: int, organization: str | None = None) -> Broadcast:
    """Nothing more is sent; queued rows become 'cancelled'. Rows already with the provider stay as they are."""
    b = _set_state(services, broadcast_id, organization, ("draft", "sending", "paused"), "cancelled",
                   finished_at=utcnow())
    with services.engine.begin() as conn:
        conn.execute(update(R).where(R.broadcast_id == broadcast_id, R.state == "queued")
                     .values(state="cancelled", reason="broadcast_cancelled", updated_at=utcnow()))
    return b


def wake(services, broadcast_id: int, *, inline: bool = False) -> None:
    """Make sure work happens for a broadcast in 'sending' (also one a retry with the template re-opened)."""
    with services.engine.begin() as conn:
        conn.execute(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.state == "done")
                     .values(state="sending", finished_at=None, updated_at=utcnow()))
    if inline or services.redis is None:
        from bot.broadcasts.sending import drain

        drain(broadcast_id, services=services, budget=None)
        return
    enqueue_drainers(services, broadcast_id)


def progress(services, broadcast_id: int, organization: str | None = None) -> dict:
    b = get(services, broadcast_id, organization)
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(R.state, R.reason, R.error_code, func.count().label("n"), func.max(R.sent_at).label("last"),
                   func.min(R.sent_at).label("first"))
            .where(R.broadcast_id == broadcast_id).group_by(R.state, R.reason, R.error_code)
        ).all()
    counts = dict.fromkeys(STATES, 0)
    reasons: Counter = Counter()
    failures: Counter = Counter()  # (state, reason, error code) -> recipients, for pages that explain codes
    first = last = None
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + r.n
        if r.state in ("failed", "skipped", "cancelled") or r.reason:
            label = r.reason or "unknown"
            if r.error_code and str(r.error_code) not in label:
                label += f" ({r.error_code})"
            reasons[f"{r.state}: {label}"] += r.n
            failures[(r.state, r.reason or "unknown", r.error_code)] += r.n
        first = min(filter(None, (first, r.first)), default=None)
        last = max(filter(None, (last, r.last)), default=None)
    rest = chunks.unmade(b, sum(counts.values()))
    if rest:  # counted at send, rows not made yet: waiting, or never to be sent
        gone = b.state == "cancelled"
        counts["cancelled" if gone else "queued"] += rest
        if gone:
            reasons["cancelled: broadcast_cancelled"] += rest
            failures[("cancelled", "broadcast_cancelled", None)] += rest
    total = sum(counts.values())
    accepted = counts["sent"] + counts["delivered"] + counts["read"]
    done = total - counts["queued"] - counts["sending"]
    return {
        "id": b.id, "organization": b.organization, "name": b.name, "state": b.state,
        "segment": b.segment, "texts": b.texts, "template": b.template, "rate": b.rate, "rate_unit": b.rate_unit,
        "created_by": b.created_by, "created_at": _iso(b.created_at), "started_at": _iso(b.started_at),
        "finished_at": _iso(b.finished_at),
        "total": total, "counts": counts, "accepted": accepted, "done": done,
        "percent": round(100.0 * done / total, 1) if total else (100.0 if b.state == "done" else 0.0),
        "reasons": dict(reasons), "first_sent_at": _iso(first), "last_sent_at": _iso(last),
        "failures": [{"state": s, "reason": reason, "error_code": code, "count": n}
                     for (s, reason, code), n in sorted(failures.items(), key=lambda kv: (-kv[1], str(kv[0])))],
    }


def list_broadcasts(services, organization: str, limit: int = 50, *, counts: bool = False) -> list[dict]:
    """The organization's broadcasts, newest first; with counts=True also recipients per state (one
    GROUP BY over the listed broadcasts)."""
    with services.db() as session:
        rows = session.scalars(select(Broadcast).where(Broadcast.organization == organization)
                               .order_by(Broadcast.id.desc()).limit(limit)).all()
    out = [{"id": b.id, "name": b.name, "state": b.state, "created_at": _iso(b.created_at),
            "created_by": b.created_by} for b in rows]
    if counts and out:
        per: dict[int, dict] = {b["id"]: dict.fromkeys(STATES, 0) for b in out}
        with services.engine.connect() as conn:
            for r in conn.execute(select(R.broadcast_id, R.state, func.count().label("n"))
                                  .where(R.broadcast_id.in_(list(per))).group_by(R.broadcast_id, R.state)):
                per[r.broadcast_id][r.state] = per[r.broadcast_id].get(r.state, 0) + r.n
        for row, b in zip(rows, out):
            rest = chunks.unmade(row, sum(per[b["id"]].values()))
            per[b["id"]]["cancelled" if row.state == "cancelled" else "queued"] += rest
            b["counts"] = per[b["id"]]
            b["total"] = sum(per[b["id"]].values())
    return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def after_status(services, broadcast_id: int | None) -> None:
    """After the callback's transaction: wake a broadcast that has rows to send again."""
    if broadcast_id is None:
        return
    wake(services, broadcast_id)
