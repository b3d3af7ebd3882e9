"""What handling one message produced: the replies, changes to the contact, the NLU result."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.line.replies import Reply


@dataclass
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    contact_changes: dict = field(default_factory=dict)
    nlu: object | None = None
    duplicate: bool = False
    # The database could not be read for this message (it is being spooled).
    offline: bool = False
    # A finished form the database could not take: saved on replay (bot/line/deferred.py).
    deferred: dict | None = None
    # Steps run with the services after the message and its replies are recorded (FORGET erases both).
    after_record: list = field(default_factory=list)
