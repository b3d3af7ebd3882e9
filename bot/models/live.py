"""Live data organizers change: market status, relief distributions; and the API tokens they use.

Every change is a new row that records who made it (`changed_by`: an organizer's number, "cli:<user>"
or "api:<token name>"), through what (`source`: sms | cli | api) and when (`created_at`). The answer
for a market on a date is the newest row whose [starts_at, ends_at) window covers that date, so the
history is the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, utcnow

__all__ = ["ApiToken", "MarketStatus", "ReliefDistribution", "PendingBroadcast", "MARKET_STATES"]

MARKET_STATES = ("open", "closed", "relocated", "restricted")


class ApiToken(Base):
    """A bearer token for one organization's API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MarketStatus(Base):
    """One organizer report about a market (a place id of the org's gazetteer in content/)."""

    __tablename__ = "market_statuses"
    __table_args__ = (Index("ix_market_statuses_org_place", "organization", "place_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    place_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # open | closed | relocated | restricted
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(8))  # sms | cli | api
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReliefDistribution(Base):
    """A relief distribution an organization announces: where, when, for whom."""

    __tablename__ = "relief_distributions"
    __table_args__ = (Index("ix_relief_distributions_org_starts", "organization", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    place_id: Mapped[str | None] = mapped_column(String(64))  # gazetteer place, when it is one
    venue: Mapped[str] = mapped_column(String(200))  # where, as the organizer wrote it (or the place name)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[str] = mapped_column(String(200))  # for whom
    programme_id: Mapped[str | None] = mapped_column(String(64))
    changed_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PendingBroadcast(Base):
    """A change an organizer asked to tell the members about. An SMS command turns it into a
    broadcast at once (status "sent", or "failed"); one asked for through the markets API stays
    "pending" until an organizer sends it (bot/broadcasts/announce.py)."""

    __tablename__ = "pending_broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # market_status | relief_distribution
    place_id: Mapped[str | None] = mapped_column(String(64))
    market_status_id: Mapped[int | None] = mapped_column(ForeignKey("market_statuses.id", ondelete="CASCADE"))
    relief_distribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("relief_distributions.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
