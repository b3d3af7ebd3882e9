"""A poll and its current version as stored: what the service, the results and the results sent back
all read first."""
from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.errors import NotFound
from bot.models import Poll, PollVersion


def get_poll(services, poll_id: int, organization: str | None = None) -> Poll:
    with services.db() as session:
        poll = session.get(Poll, poll_id)
    if poll is None or (organization is not None and poll.organization != organization):
        raise NotFound(f"no poll {poll_id}")
    return poll


def current_version(services, poll: Poll) -> PollVersion:
    with services.db() as session:
        return session.scalars(select(PollVersion).where(PollVersion.poll_id == poll.id,
                                                         PollVersion.number == poll.version)).one()
