"""A form finished while the database was away: its answers ride in the spool and are saved on replay.

The runner calls `defer` when a flow's `complete` step (storing a registration, a report) cannot
reach the database; the worker is told the answers are kept (`form.saved_later`). The drainer
finishes it once the message is stored (bot/line/resume.py).
"""
from __future__ import annotations

import logging

from bot.line import spool

log = logging.getLogger(__name__)


def defer(turn, flow, state, session: dict, exc: BaseException) -> bool:
    """Keep a completion for later when `exc` is the database being away. False: not an outage."""
    offline = getattr(turn.outcome, "offline", False)
    if not (offline or (isinstance(exc, Exception) and spool.connection_lost(exc))):
        return False
    turn.outcome.deferred = {
        "flow": flow.name, "complete": state.complete, "answers": session["answers"],
        "extra": session.get("extra") or {}, "lang": turn.lang, "key": state.key, "key_lang": state.lang,
        "vars": dict(state.vars), "contact_changes": dict(state.contact_changes),
    }
    turn.say("form.saved_later")
    return True
