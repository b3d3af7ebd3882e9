"""Keywords handled before any flow. Twilio's own lists: on SMS the carrier acts on these
whatever our forms expected, so they are never form answers (and WhatsApp behaves alike)."""
from __future__ import annotations

import re

OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN = frozenset({"start", "yes", "unstop"})
HELP = frozenset({"help", "info"})

_PUNCT = re.compile(r"[\s.!?¡¿,;:'\"]+")


def normalise(text: str) -> str:
    """Lower-case, trim punctuation at the ends and collapse spaces: 'STOP!' -> 'stop'."""
    return _PUNCT.sub(" ", text.casefold()).strip()


def single_word(text: str) -> str | None:
    words = normalise(text).split()
    return words[0] if len(words) == 1 else None
