"""What the line needs of polls: which poll a member was sent, what they answered, and storing an answer
(one row per member per question per version: answering again overwrites it, so each member counts once).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Integer, bindparam, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.db import autocommit

from bot.models import BroadcastRecipient, InboundMessage, Member, Poll, PollAnswer, PollVersion, utcnow

R = BroadcastRecipient
REACHED = ("sending", "sent", "delivered", "read")  # a reply proves it arrived, whatever the callbacks said


@dataclass(frozen=True)
class Participation:
    poll_id: int
    version_id: int
    questions: list
    language: str  # the language the member was asked in
    asked_at: datetime | None
    answered: frozenset[int]  # question indices answered


@lru_cache(maxsize=1)
def _participation_statement():
    """Built once: making the statement cost more CPU than running it (bench/polls.py)."""
    contact = bindparam("p_contact")
    answered = (select(func.array_agg(PollAnswer.question)).where(PollAnswer.version_id == PollVersion.id,
                                                                  PollAnswer.contact_id == contact)
                .scalar_subquery())
    return (select(PollVersion.poll_id, PollVersion.id, PollVersion.questions, R.language, R.sent_at,
                   answered.label("answered"))
            .join(R, R.broadcast_id == PollVersion.broadcast_id)
            .where(PollVersion.poll_id.in_(bindparam("p_polls", expanding=True)), R.contact_id == contact,
                   R.state.in_(REACHED))
            .order_by(PollVersion.id.desc()).limit(1))


def participation(services, contact_id: int, poll_ids: list[int]) -> Participation | None:
    """The newest version of these polls whose broadcast reached this contact, with their answers (one
    query: it runs for a member's first message while a poll is open)."""
    if not poll_ids:
        return None
    with services.engine.connect() as conn:
        row = conn.execute(_participation_statement(), {"p_contact": contact_id, "p_polls": list(poll_ids)}).first()
    if row is None:
        return None
    return Participation(row.poll_id, row.id, row.questions, row.language, row.sent_at,
                         frozenset(row.answered or ()))


@lru_cache(maxsize=4)
def _record_statement(dialect_name: str, unless_busy: bool):
    """The answer's upsert, built once per dialect and kind (see _participation_statement); every value
    is a parameter named p_<column>, plus p_organization, p_sid and, unless_busy, p_since and p_words."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = PollAnswer.__table__

    def param(column: str):
        return bindparam(f"p_{column}", type_=table.c[column].type)

    member = (Member.contact_id == param("contact_id"), Member.organization == bindparam("p_organization"))
    values = {column: param(column) for column in ("poll_id", "version_id", "question", "contact_id", "option",
                                                   "text", "channel", "language", "answered_at")}
    values.update(market=select(Member.place_id).where(*member).scalar_subquery(),
                  trade=select(Member.trade).where(*member).scalar_subquery(),
                  inbound_message_id=select(InboundMessage.id)
                  .where(InboundMessage.provider_sid == bindparam("p_sid")).scalar_subquery(),
                  changes=literal(0, Integer))
    if not unless_busy:
        stmt = dialect.insert(PollAnswer).values(**values)
    else:
        busy = exists().where(InboundMessage.contact_id == param("contact_id"),
                              InboundMessage.received_at > bindparam("p_since", type_=InboundMessage.received_at.type),
                              InboundMessage.provider_sid != bindparam("p_sid"),
                              func.lower(func.trim(InboundMessage.body)).not_in(bindparam("p_words", expanding=True)))
        stmt = dialect.insert(PollAnswer).from_select(list(values), select(*values.values()).where(~busy))
    return stmt.on_conflict_do_update(
        index_elements=["version_id", "question", "contact_id"],
        set_=dict(option=stmt.excluded.option, text=stmt.excluded.text, channel=stmt.excluded.channel,
                  market=stmt.excluded.market, trade=stmt.excluded.trade,
                  inbound_message_id=stmt.excluded.inbound_message_id, answered_at=stmt.excluded.answered_at,
                  changes=PollAnswer.changes + 1)).returning(PollAnswer.changes)


def record(services, p: Participation, question: int, contact_id: int, option: str | None, text: str | None,
           channel: str, inbound_sid: str | None, *, organization: str, unless_busy_since: datetime | None = None,
           not_busy_words: frozenset[str] = frozenset()) -> str:
    """Store (or change) an answer: "new", "changed", or "busy" (nothing stored) when the contact wrote
    something since `unless_busy_since` other than this message and `not_busy_words` (a form under way
    when the question came took those messages). One statement either way."""
    params = dict(p_poll_id=p.poll_id, p_version_id=p.version_id, p_question=question, p_contact_id=contact_id,
                  p_option=option, p_text=(text or "")[:1000] or None, p_channel=channel, p_language=p.language,
                  p_answered_at=utcnow(), p_organization=organization, p_sid=inbound_sid)
    if unless_busy_since is not None:
        params.update(p_since=unless_busy_since, p_words=sorted(not_busy_words) or [""])
    fast = autocommit(services.engine)  # one statement: no BEGIN/COMMIT round trips on PostgreSQL
    with (fast.connect() if fast is not None else services.engine.begin()) as conn:
        stmt = _record_statement(conn.dialect.name, unless_busy_since is not None)
        changes = conn.execute(stmt, params).scalar()
    return "busy" if changes is None else ("changed" if changes else "new")


def since(services, contact_id: int, after: datetime | None, sid: str) -> list[str]:
    """What the contact wrote (other than this message) after `after`, oldest first, at most 20: a form
    under way when the question came took those messages."""
    if after is None:
        return []
    with services.engine.connect() as conn:
        return list(conn.scalars(select(InboundMessage.body).where(
            InboundMessage.contact_id == contact_id, InboundMessage.received_at > after,
            InboundMessage.provider_sid != sid).order_by(InboundMessage.id).limit(20)))


def last_answered(services, organization: str, contact_id: int) -> tuple[int, int] | None:
    """(poll id, version id) of the newest poll this contact answered (for RESULTS)."""
    with services.engine.connect() as conn:
        row = conn.execute(select(PollAnswer.poll_id, PollAnswer.version_id)
                           .join(Poll, Poll.id == PollAnswer.poll_id)
                           .where(PollAnswer.contact_id == contact_id, Poll.organization == organization)
                           .order_by(PollAnswer.answered_at.desc()).limit(1)).first()
    return (row.poll_id, row.version_id) if row else None


def last_created(services, organization: str, created_by: str) -> tuple[int, None] | None:
    """(poll id, None) of the newest poll this organizer's number sent by SMS (for their RESULTS)."""
    with services.engine.connect() as conn:
        pid = conn.scalar(select(Poll.id).where(Poll.organization == organization, Poll.created_by == created_by,
                                                Poll.state != "draft").order_by(Poll.id.desc()).limit(1))
    return (pid, None) if pid else None
