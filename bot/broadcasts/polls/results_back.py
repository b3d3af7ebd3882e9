"""After a poll closes, its results go back to each respondent (issue 15): overall and at their market, in
their language, one SMS segment where the content allows (the text RESULTS gives, bot/broadcasts/polls/summary.py).

Through the broadcast machinery, so rate limits, the WhatsApp window, opt-outs and delivery tracking hold:
one broadcast per market shown (respondents whose first answer was given there, with that market's
shares) and one for the rest (overall only: no market, or one under K answers). The groups are disjoint,
so nobody is in two of them, and each broadcast is exactly once per recipient.

Exactly once per poll: the broadcasts are created and recorded on the poll (polls.results_broadcasts) in
one transaction that only commits if nothing was recorded before; a second run (two workers, the job run
again) finds them and only starts those still in draft (draft -> sending is itself one guarded UPDATE)."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update

from bot.broadcasts.config import config_for
from bot.broadcasts.errors import BroadcastError
from bot.broadcasts.polls import summary
from bot.broadcasts.polls.results import results
from bot.broadcasts.polls.rows import current_version, get_poll
from bot.broadcasts.service import send_broadcast
from bot.models import Broadcast, Poll, utcnow

log = logging.getLogger(__name__)


class _Taken(Exception):
    """Another run recorded the results broadcasts first: this run's drafts roll back."""


def groups(services, poll: Poll) -> list[tuple[str, dict, dict]]:
    """(name, segment, texts) per results broadcast; [] when there is nothing to tell."""
    r = results(services, poll.id)
    question = summary.first_question(r)
    if question is None:
        return []
    catalog, org = services.catalog, services.catalog.org(poll.organization)
    k = services.settings.suppress_below
    version_id = current_version(services, poll).id
    shown = sorted(m for m, g in question["by"]["market"].items() if m != "-" and g["answers"] >= k)
    out = []
    for market in shown:
        local = question["by"]["market"][market]
        texts = {lang: summary.text(catalog, org, question, lang, "sms", local, catalog.place(market).name(lang))
                 for lang in org.languages}
        out.append((market, {"respondents": {"version": version_id, "markets": [market]}}, texts))
    first = r["questions"][0]  # the groups go by the first question's answer (everyone answered it)
    if first["answers"] > sum(first["by"]["market"].get(m, {"answers": 0})["answers"] for m in shown):
        texts = {lang: summary.text(catalog, org, question, lang, "sms") for lang in org.languages}
        out.append(("all", {"respondents": {"version": version_id, "markets": shown, "except": True}}, texts))
    return out


def send_results(services, poll_id: int, now: datetime | None = None, *, inline: bool = False) -> list[int]:
    """Create (once) and start the results broadcasts of a closed poll; their ids."""
    now = now or utcnow()
    poll = get_poll(services, poll_id)
    if poll.state != "closed":
        raise BroadcastError(f"poll {poll_id} is not closed")
    ids = poll.results_broadcasts
    if ids is None:
        ids = _create(services, poll, now)
    for bid in ids:
        try:
            send_broadcast(services, bid, inline=inline)
        except BroadcastError:  # already started (by an earlier run): exactly once is the machinery's
            pass
    with services.db.begin() as session:
        session.execute(update(Poll).where(Poll.id == poll_id, Poll.results_sent_at.is_(None))
                        .values(results_sent_at=now))
    return ids


def _create(services, poll: Poll, now: datetime) -> list[int]:
    cfg = config_for(services)
    planned = groups(services, poll)
    try:
        with services.db.begin() as session:
            rows = [Broadcast(organization=poll.organization, name=f"poll {poll.id} v{poll.version} results {name}"[:200],
                              segment=segment, texts=texts, template=None, state="draft", rate=cfg.rate,
                              rate_unit=cfg.rate_unit, created_by="poll results", created_at=now, updated_at=now)
                    for name, segment, texts in planned]
            session.add_all(rows)
            session.flush()
            ids = [b.id for b in rows]
            claimed = session.execute(update(Poll).where(Poll.id == poll.id, Poll.results_broadcasts.is_(None))
                                      .values(results_broadcasts=ids)).rowcount
            if not claimed:
                raise _Taken
    except _Taken:
        with services.db() as session:
            return list(session.scalar(select(Poll.results_broadcasts).where(Poll.id == poll.id)) or [])
    log.info("poll %s: results back through broadcasts %s", poll.id, ids)
    return ids
