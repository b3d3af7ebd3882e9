"""Broadcasts organizers can trust: segmented, rate-limited, window-aware, exactly once per recipient.

    from bot.broadcasts import create_broadcast, preview, send_broadcast, progress, pause, resume, cancel
    bid = create_broadcast(services, "nairobi-vendors", {"markets": ["nbo.gikomba"], "registered": True},
                           {"en": "Gikomba is closed on Monday.", "sw": "Gikomba imefungwa Jumatatu."},
                           created_by="+254711000900")
    preview(services, bid)          # recipients per channel/language/mode, skipped with reasons, SMS segments
    send_broadcast(services, bid)   # first chunk of recipient rows + RQ drain jobs on "broadcasts"

Modules: validate (the one validator of a draft, for the pages, the API, the CLI and the service), errors,
audience (segment -> SELECT), chunks (recipient rows, made a chunk of the audience at a time), service
(life cycle, progress), sending (the RQ drain job: make the next chunk, claim, send, write back), job (Job, Row, Outcome, the message of one row), writeback (claim and write back in the
database), reconcile (rows in doubt against the provider's list), process (heartbeat, thread pool),
ratelimit (Redis token bucket, Lua), status (delivery callbacks), sweeper, config, announce, once.
Workers: `python -m bot.cli broadcast worker` (worker.py: an RQ SimpleWorker on the broadcasts queue that
builds the services once at start and hands them to every drain job; jobs carry a broadcast id).

May import: bot core (settings, services, db, models, messages, phones), the bot.providers facade,
content/. Imported by bot.line (an organizer's SMS command), bot.desk, webhooks/ and the CLI.
"""
from bot.broadcasts.audience import Segment, SegmentError
from bot.broadcasts.errors import BroadcastError, Invalid, NotFound
from bot.broadcasts.service import (
    cancel,
    create_broadcast,
    list_broadcasts,
    pause,
    preview,
    progress,
    resume,
    send_broadcast,
)

__all__ = ["BroadcastError", "Invalid", "NotFound", "Segment", "SegmentError", "cancel", "create_broadcast",
           "list_broadcasts", "pause", "preview", "progress", "reconcile", "resume", "send_broadcast"]


def reconcile(services, broadcast_id: int, *, force: bool = False) -> dict:
    from bot.broadcasts.reconcile import reconcile as _reconcile

    return _reconcile(services, broadcast_id, force=force)
