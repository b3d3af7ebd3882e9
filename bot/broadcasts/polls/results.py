"""A poll's results: per question, counts and shares per option ("other" for answers that picked none),
overall and by market, trade, language and channel, and the response rate against delivered messages.

One GROUP BY per breakdown over poll_answers (one row per member per question per version, so a member
counts once however often they changed their mind). Market and trade are the member's when they answered (kept on the answer).
Raw counts: pages and exports that leave the organization suppress small ones (bot/desk/suppression.py).
"""
from __future__ import annotations

from sqlalchemy import func, literal_column, select, text

from bot.broadcasts.polls.service import current_version, get_poll
from bot.models import BroadcastRecipient, PollAnswer, PollVersion

R = BroadcastRecipient
OTHER = "other"
BREAKDOWNS = ("market", "trade", "language", "channel")


def _dimension(name: str):
    return {"market": func.coalesce(PollAnswer.market, "-"), "trade": func.coalesce(PollAnswer.trade, "-"),
            "language": PollAnswer.language, "channel": PollAnswer.channel}[name]


_SETS = text("""
SELECT a.question, coalesce(a.option, 'other') AS option, coalesce(a.market, '-') AS market,
       coalesce(a.trade, '-') AS trade, a.language, a.channel,
       GROUPING(coalesce(a.market, '-'), coalesce(a.trade, '-'), a.language, a.channel) AS g, count(*) AS n
FROM poll_answers a
WHERE a.version_id = :version
GROUP BY a.question, coalesce(a.option, 'other'),
         GROUPING SETS ((), (coalesce(a.market, '-')), (coalesce(a.trade, '-')), (a.language), (a.channel))
""")
# GROUPING() bits, market first: which breakdown a row of _SETS belongs to.
_SET_OF = {15: None, 7: "market", 11: "trade", 13: "language", 14: "channel"}


def _grouping_sets(conn, organization: str, version_id: int):
    overall, by = [], {name: [] for name in BREAKDOWNS}
    for r in conn.execute(_SETS, {"version": version_id}):
        name = _SET_OF[r.g]
        if name is None:
            overall.append((r.question, r.option, r.n))
        else:
            by[name].append((r.question, getattr(r, name), r.option, r.n))
    return overall, by


def _shares(counts: dict[str, int], values: list[str]) -> list[dict]:
    total = sum(counts.values())
    keys = values + ([OTHER] if counts.get(OTHER) else [])
    return [{"option": v, "count": counts.get(v, 0),
             "share": round(counts.get(v, 0) / total, 4) if total else 0.0} for v in keys]


def results(services, poll_id: int, organization: str | None = None, version: int | None = None) -> dict:
    poll = get_poll(services, poll_id, organization)
    with services.db() as session:
        v = current_version(services, poll) if version is None else session.scalars(
            select(PollVersion).where(PollVersion.poll_id == poll.id, PollVersion.number == version)).one_or_none()
        versions = session.scalars(select(PollVersion.number).where(PollVersion.poll_id == poll.id)
                                   .order_by(PollVersion.number)).all()
    if v is None:
        from bot.broadcasts.errors import NotFound

        raise NotFound(f"poll {poll_id} has no version {version}")
    option = func.coalesce(PollAnswer.option, OTHER)
    base = select().select_from(PollAnswer).where(PollAnswer.version_id == v.id)
    with services.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one scan for every breakdown (100,000 answers: one pass)
            overall, by = _grouping_sets(conn, poll.organization, v.id)
        else:
            overall = conn.execute(base.add_columns(PollAnswer.question, option.label("option"), func.count())
                                   .group_by(PollAnswer.question, literal_column("option"))).all()
            by = {name: conn.execute(base.add_columns(PollAnswer.question, _dimension(name).label("key"),
                                                      option.label("option"), func.count())
                                     .group_by(PollAnswer.question, literal_column("key"),
                                               literal_column("option"))).all()
                  for name in BREAKDOWNS}
        respondents = conn.scalar(select(func.count(func.distinct(PollAnswer.contact_id)))
                                  .where(PollAnswer.version_id == v.id))
        reach = dict(conn.execute(select(R.state, func.count()).where(R.broadcast_id == v.broadcast_id)
                                  .group_by(R.state)).all()) if v.broadcast_id else {}
    delivered = reach.get("delivered", 0) + reach.get("read", 0)
    sent = delivered + reach.get("sent", 0)
    questions = []
    for q, question in enumerate(v.questions):
        values = [o["value"] for o in question["options"]]
        counts = {o: n for (qq, o, n) in overall if qq == q}
        breakdowns = {}
        for name in BREAKDOWNS:
            groups: dict[str, dict[str, int]] = {}
            for qq, key, o, n in by[name]:
                if qq == q:
                    groups.setdefault(key, {})[o] = n
            breakdowns[name] = {key: {"answers": sum(c.values()), "options": _shares(c, values)}
                                for key, c in sorted(groups.items())}
        questions.append({"index": q, "texts": question["texts"], "free": not values,
                          "labels": {o["value"]: o["labels"] for o in question["options"]},
                          "answers": sum(counts.values()), "options": _shares(counts, values) if values else [],
                          "by": breakdowns})
    base_count = delivered or sent
    return {"id": poll.id, "organization": poll.organization, "name": poll.name, "state": poll.state,
            "version": v.number, "versions": list(versions), "broadcast_id": v.broadcast_id,
            "opens_at": poll.opens_at and poll.opens_at.isoformat(),
            "closes_at": poll.closes_at and poll.closes_at.isoformat(),
            "recipients": sum(reach.values()), "sent": sent, "delivered": delivered, "respondents": respondents,
            # Against delivered once status callbacks came; against accepted by the provider until then.
            "response_rate": round(respondents / base_count, 4) if base_count else 0.0,
            "response_rate_of": "delivered" if delivered else "sent",
            "questions": questions}


def answer_rows(services, poll_id: int, organization: str | None = None):
    """Every answer of the current version, without who gave it: (question, option, market, trade,
    language, channel). For anonymised exports."""
    poll = get_poll(services, poll_id, organization)
    v = current_version(services, poll)
    with services.engine.connect() as conn:
        return conn.execute(
            select(PollAnswer.question, func.coalesce(PollAnswer.option, OTHER).label("option"),
                   PollAnswer.market, PollAnswer.trade, PollAnswer.language, PollAnswer.channel)
            .where(PollAnswer.version_id == v.id)
            .order_by(PollAnswer.question, PollAnswer.id)).all()
