"""Member polls (issue 15), a sub-package of the broadcasts room (not a room of its own: a poll is sent by
the broadcast machinery, and the line and the desk may already import bot.broadcasts).

    from bot.broadcasts import polls
    pid = polls.create_poll(services, "nairobi-vendors", {"name": "march", "segment": {"registered": True},
                            "questions": [{"texts": {"en": "March on Friday?", "sw": "..."}, "yes_no": True}]})
    polls.send_poll(services, pid)      # the first question as a broadcast to the segment
    polls.results(services, pid)        # counts and shares per option, by market, trade, language, channel
    polls.close_poll(services, pid)

Modules: validate (the one validator: page, API, SMS command, service), service (create, edit -> new
version, send, close, the open-polls cache), answers (what the line reads and writes: bot/line/polls.py
reads a member's reply as the answer), results, summary (the results text a member reads), results_back
(on close, that text to each respondent through broadcasts, once), schedule (the clock: scheduled polls
sent at opens_at, closed at closes_at; RQ job bot.tasks.polls_tick). May import what bot.broadcasts may.
"""
from bot.broadcasts.polls.results import answer_rows, results
from bot.broadcasts.polls.service import (
    close_poll,
    create_poll,
    current_version,
    edit_poll,
    get_poll,
    list_polls,
    open_key,
    open_polls,
    question_text,
    by_public_token,
    send_poll,
    set_public,
    validate,
)

__all__ = ["answer_rows", "close_poll", "create_poll", "current_version", "edit_poll", "get_poll", "list_polls",
           "open_key", "open_polls", "question_text", "results", "send_poll", "validate", "set_public", "by_public_token"]
