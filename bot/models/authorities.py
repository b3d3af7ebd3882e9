"""Authorities an organization takes reports to (city departments, utilities, police units, markets
management) and escalations: one report raised with one authority, and what came of it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, JSONType, utcnow

__all__ = ["Authority", "Escalation", "AUTHORITY_KINDS", "ESCALATION_METHODS", "ESCALATION_STATES"]

AUTHORITY_KINDS = ("city_department", "utility", "police", "market_management", "other")
ESCALATION_METHODS = ("letter", "meeting", "email", "phone")
# open: raised, waiting | resolved: an organizer marked the report resolved, the worker not asked or
# not answered yet | confirmed: the worker said it is fixed | reopened: the worker said it is not
ESCALATION_STATES = ("open", "resolved", "confirmed", "reopened")


class Authority(Base):
    __tablename__ = "authorities"
    __table_args__ = (UniqueConstraint("organization", "name", name="uq_authorities_organization_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    office: Mapped[str | None] = mapped_column(String(300))
    categories: Mapped[list] = mapped_column(JSONType, default=list)  # report categories; empty: any
    places: Mapped[list] = mapped_column(JSONType, default=list)  # gazetteer place ids; empty: anywhere
    deadlines: Mapped[dict] = mapped_column(JSONType, default=dict)  # category -> days to respond
    default_days: Mapped[int] = mapped_column(Integer, default=14)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Escalation(Base):
    """One report raised with one authority (raising a cluster makes one per report, with its
    cluster_id). The reporter's identity is never part of it: the authority gets our reference only."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_authority_raised", "authority_id", "raised_at"),
        Index("ix_escalations_followup", "organization", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("report_clusters.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(100))  # the authority's own reference
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="open")
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    followup_answer: Mapped[str | None] = mapped_column(String(8))  # yes | no
    followup_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Marks on the authority's record: past its deadline, and the worker saying it was not fixed.
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
