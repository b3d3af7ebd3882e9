"""What remains of a worker who asked to be forgotten: nothing but a keyed hash of the number, and
only when they had opted out, so that the opt-out outlives the erasure (bot/line/privacy.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, utcnow

__all__ = ["ForgottenOptOut"]


class ForgottenOptOut(Base):
    """HMAC-SHA256 of (organization, E.164 number) under SECRET_KEY: the number cannot be read back,
    but the same number writing in again is recognised and stays opted out."""

    __tablename__ = "forgotten_opt_outs"

    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"),
                                              primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    forgotten_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
