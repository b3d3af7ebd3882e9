"""Member polls (bot/broadcasts/polls/): a poll, its versions (the questions; editing a poll that has
answers makes a new version) and one answer per member per question per version (the last one wins)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, JSONType, utcnow

__all__ = ["Poll", "PollAnswer", "PollVersion"]


class Poll(Base):
    """state: draft -> [scheduled (sent before opens_at: the periodic job sends it then)] -> open (its
    current version sent) -> closed (by hand, or by the periodic job at closes_at; then the results go
    back to the respondents). Answers count while open and before closes_at."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    segment: Mapped[dict] = mapped_column(JSONType, default=dict)  # as a broadcast's (bot/broadcasts/audience.py)
    template: Mapped[dict | None] = mapped_column(JSONType)  # WhatsApp outside the 24 h window
    state: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(SmallInteger, default=1)  # the current version's number
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # After closing: the broadcasts that send the results back (set once, in the transaction that creates
    # them: a second close job finds them and sends nothing again), and when all of them were started.
    results_broadcasts: Mapped[list | None] = mapped_column(JSONType)
    results_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The public permalink to the anonymised results: None = off (the default).
    public_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


class PollVersion(Base):
    """questions: [{"texts": {lang: text}, "options": [{"value": "yes", "labels": {lang: label}}] or []
    (a free answer)}]. broadcast_id: the broadcast that asked its first question."""

    __tablename__ = "poll_versions"
    __table_args__ = (UniqueConstraint("poll_id", "number", name="uq_poll_versions_poll_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)
    questions: Mapped[list] = mapped_column(JSONType, default=list)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PollAnswer(Base):
    """A member's answer to one question of one version. option: the option's value, None for "other"
    (text kept as typed). Answering again overwrites the row (changes counts how often)."""

    __tablename__ = "poll_answers"
    __table_args__ = (
        UniqueConstraint("version_id", "question", "contact_id", name="uq_poll_answers_version_id"),
        Index("ix_poll_answers_poll_question", "poll_id", "question"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("poll_versions.id", ondelete="CASCADE"))
    question: Mapped[int] = mapped_column(SmallInteger)  # 0-based index in the version's questions
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    option: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    # The member's market and trade when they answered: results need no join, and do not move when a
    # member later changes market.
    market: Mapped[str | None] = mapped_column(String(64))
    trade: Mapped[str | None] = mapped_column(String(32))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
    changes: Mapped[int] = mapped_column(SmallInteger, default=0)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
