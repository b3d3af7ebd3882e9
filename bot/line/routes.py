"""Where messages outside a form go. Feature modules register here; the engine consults it.

- `topic(name)`: a handler for a topic reached by menu number, keyword or NLU intent
  (topic.relief, topic.market, topic.registration, topic.report, ...). Signature:
  handler(turn, store, nlu) where nlu is the NluResult or None.
- `keyword(group, topic)`: a whole-message keyword group (content/keywords.yaml) that leads to a topic.
- `pattern(regex)`: a handler(turn, store, match) for messages matching a regex (report references).
- `before(fn)`: fn(turn, store, word) -> bool, tried before the rest; True = handled.
  `before_all(fn)` puts it ahead of the other hooks (organizer commands).
"""
from __future__ import annotations

import re
from typing import Callable

TOPICS: dict[str, Callable] = {}
KEYWORDS: dict[str, str] = {}
PATTERNS: list[tuple[re.Pattern, Callable]] = []
BEFORE: list[Callable] = []


def topic(name: str):
    def register(handler: Callable) -> Callable:
        TOPICS[name] = handler
        return handler

    return register


def keyword(group: str, topic_name: str) -> None:
    KEYWORDS[group] = topic_name


def pattern(regex: str, flags: int = re.IGNORECASE):
    def register(handler: Callable) -> Callable:
        PATTERNS.append((re.compile(regex, flags), handler))
        return handler

    return register


def before(handler: Callable) -> Callable:
    BEFORE.append(handler)
    return handler


def before_all(handler: Callable) -> Callable:
    """A `before` hook tried ahead of every other (organizer commands: "FERMER Castors" is a command
    before it is a message naming a market)."""
    BEFORE.insert(0, handler)
    return handler
