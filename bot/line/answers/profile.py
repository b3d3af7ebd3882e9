"""What we know of the worker who asks: city, trade and registered market. Registration is
another feature (bot/line/members.py); without a member row, an org with one city / one trade implies them."""
from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    city: str | None = None
    trade: str | None = None
    place_id: str | None = None  # the market the worker registered at


def profile(turn) -> Profile:
    org = turn.org
    registered = _registration(turn)
    city = registered.get("city") or (org.cities[0] if len(org.cities) == 1 else None)
    trade = registered.get("trade") or (org.trades[0] if len(org.trades) == 1 else None)
    place_id = registered.get("place_id")
    if place_id and place_id not in {p.id for p in turn.services.catalog.places(org.slug)}:
        place_id = None
    return Profile(city, trade, place_id)


def _registration(turn) -> dict:
    """The worker's member row (bot/line/members.py, the registration feature), when there is one."""
    from bot.line.members import registered_profile

    if turn.contact is None:
        return {}
    try:
        member = registered_profile(turn.services, turn.org.slug, turn.contact.id)
    except Exception:  # registration is optional for an answer: log and answer without it
        log.exception("member lookup failed")
        return {}
    if member is None:
        return {}
    trade = member.trade  # one vocabulary: choices.yaml `trade` (catalog.trades())
    return {"city": member.city, "trade": trade if trade in turn.org.trades else None, "place_id": member.place_id}
