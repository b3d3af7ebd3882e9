"""POLL <question> from an organizer's number: a one-question yes/no poll to the organization's registered
members, sent at once through the broadcast machinery (issue 15). The question goes out as typed (the
organization's default-language text, which every member without their own language's text gets), with
the yes/no labels of each member's language. Organizations that confirm commands with a one-time code
(org.yaml confirm_commands) create polls on the page or through the API instead.

Registered as a `before_all` hook ahead of the poll answers: only an organizer's message that starts
with the POLL word (content/keywords.yaml cmd_poll) is taken."""
from __future__ import annotations

from bot.broadcasts import BroadcastError
from bot.broadcasts import polls
from bot.line import keywords, routes

MAX_NAME = 60


@routes.before_all
def poll_command(turn, store, word) -> bool:
    text = (turn.inbound.text or "").strip()
    parts = text.split(None, 1)
    if not parts or not turn.org.is_organizer(turn.inbound.phone or ""):
        return False
    catalog = turn.services.catalog
    if not any(keywords.normalise(parts[0]) in catalog.keywords("cmd_poll", lang) for lang in turn.org.languages):
        return False
    question = parts[1].strip() if len(parts) > 1 else ""
    if turn.org.confirm_commands:
        turn.say("org.poll.page")
        return True
    if not question:
        turn.say("org.poll.usage")
        return True
    data = {"name": question[:MAX_NAME], "segment": {"registered": True},
            "questions": [{"texts": {turn.org.default_language: question}, "yes_no": True}]}
    try:
        pid = polls.create_poll(turn.services, turn.org.slug, data, created_by=turn.inbound.phone)
        sent = polls.send_poll(turn.services, pid)
    except BroadcastError:  # too long, or nobody to ask
        turn.say("org.poll.usage")
        return True
    turn.say("org.poll.sent", count=sent["recipients"])
    return True
