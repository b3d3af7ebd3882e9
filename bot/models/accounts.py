"""Organizers' side: accounts, the audit log (phone reveals, exports, sign-ins) and human handovers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, JSONType, utcnow

__all__ = ["User", "AuditEvent", "Handover"]


class User(Base):
    """An organizer or admin of one organization. Passwords are argon2id hashes (bot/desk/accounts.py)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # organizer | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Browser sessions carry the generation they were signed in under; sign-out, a new password or
    # disabling the account bumps it, and every older session cookie stops working (server-side).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The pages' language (en, fr, es, sw, hi); None: the organization's first language.
    language: Mapped[str | None] = mapped_column(String(8))


class AuditEvent(Base):
    """Who did what to personal data: reveals of a number, exports, handovers, sign-ins."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "organization", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))  # reveal_phone | export | login | handover ...
    target: Mapped[str | None] = mapped_column(String(64))  # "contact:12", "report:R-4821"
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handover(Base):
    """A contact an organizer has taken over: the bot stays silent until `ended_at` or `expires_at`."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_contact_id", "contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
