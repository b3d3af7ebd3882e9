"""Organizers' changes told to members: a pending announcement becomes a broadcast to the members
registered at that market, one text per organization language (the SMS wording, which also reads
well on WhatsApp)."""
from __future__ import annotations

import logging

from sqlalchemy import update

from bot.broadcasts import BroadcastError, create_broadcast, send_broadcast
from bot.models import PendingBroadcast

log = logging.getLogger(__name__)


def texts_for(turn, render) -> dict[str, str]:
    """render(reader_turn) -> text, for each of the organization's languages."""
    return {lang: render(turn.for_reader(lang)) for lang in turn.org.languages}


def segment_for(place_id: str | None) -> dict:
    """Who hears an announcement: the members registered at that market (all members without one)."""
    return {"markets": [place_id], "registered": True} if place_id else {"registered": True}


def send_pending(services, organization: str, pending_id: int, place_id: str | None, texts: dict,
                 requested_by: str) -> str:
    """Create and start the broadcast; the pending row records the outcome ("sent" or "failed")."""
    return start_pending(services, organization, pending_id, place_id, texts, requested_by)[0]


def start_pending(services, organization: str, pending_id: int, place_id: str | None, texts: dict,
                  requested_by: str) -> tuple[str, int | None]:
    """send_pending, also returning the broadcast's id (None when it could not be created)."""
    broadcast_id = None
    try:
        broadcast_id = create_broadcast(services, organization, segment_for(place_id), texts,
                                        created_by=requested_by, name=f"announcement {pending_id}")
        send_broadcast(services, broadcast_id, organization)
        state = "sent"
    except BroadcastError as exc:
        log.warning("announcement %s not sent: %s", pending_id, exc)
        state = "failed"
    with services.db.begin() as session:
        session.execute(update(PendingBroadcast).where(PendingBroadcast.id == pending_id).values(status=state))
    return state, broadcast_id
