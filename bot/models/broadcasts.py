"""Broadcasts: one organizer message to a segment of an organization's contacts, and one row per
recipient that carries its own state, so each contact gets it exactly once (bot/broadcasts/)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, JSONType, utcnow

__all__ = ["Broadcast", "BroadcastRecipient", "InvalidNumber"]


class Broadcast(Base):
    """state: draft -> sending -> done; sending <-> paused; draft|sending|paused -> cancelled."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # {"cities": [...], "markets": [...], "trades": [...], "languages": [...], "registered": bool|None,
    #  "channels": ["sms", "whatsapp"]}
    segment: Mapped[dict] = mapped_column(JSONType, default=dict)
    texts: Mapped[dict] = mapped_column(JSONType, default=dict)  # language -> text
    # {"content_sid": "HX...", "variables": {"1": "..."}} for WhatsApp outside the 24 h window
    template: Mapped[dict | None] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    rate: Mapped[float] = mapped_column(Float, default=10.0)  # per sender, per second
    rate_unit: Mapped[str] = mapped_column(String(16), default="segments")  # "messages" | "segments"
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Recipient rows are made in chunks of contact ids (bot/broadcasts/chunks.py): at send, the audience's
    # size and its last contact id; audience_through is how far rows exist. NULL: made all at once.
    audience_size: Mapped[int | None] = mapped_column(Integer)
    audience_last_id: Mapped[int | None] = mapped_column(BigInteger)
    audience_through: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def audience_complete(self) -> bool:
        return self.audience_through is None or self.audience_through >= (self.audience_last_id or 0)


class BroadcastRecipient(Base):
    """One (broadcast, contact). state: queued -> sending (claimed by one attempt) -> sent -> delivered
    -> read, or failed / skipped / cancelled (with a reason). A row in 'sending' without a provider SID is
    in doubt after a crash and is reconciled against the provider before any resend."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id", name="uq_broadcast_recipients_broadcast_id"),
        Index("ix_broadcast_recipients_broadcast_state", "broadcast_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | whatsapp
    language: Mapped[str] = mapped_column(String(8))
    to_address: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="text")  # text | template
    state: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    attempt_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    earlier_sid: Mapped[str | None] = mapped_column(String(64))  # a free-form attempt that failed with 63016
    status_rank: Mapped[int] = mapped_column(SmallInteger, default=0)
    segments: Mapped[int | None] = mapped_column(SmallInteger)
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class InvalidNumber(Base):
    """A number the provider called invalid (21211): broadcasts leave it out until it writes in again."""

    __tablename__ = "invalid_numbers"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    error_code: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
