"""What workers give us: registrations (members), incident reports and their media."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.core import Base, utcnow

__all__ = ["Member", "Report", "ReportCluster", "ReportEvent", "ReportMedia"]


class Member(Base):
    """A registered worker. Exists only with consent: its version and time are stored with it."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("organization", "contact_id", name="uq_members_organization_contact_id"),
        UniqueConstraint("organization", "seq", name="uq_members_organization_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # NRB-00042
    name: Mapped[str] = mapped_column(String(100))
    trade: Mapped[str] = mapped_column(String(32))  # vendor | waste_picker | porter | other
    city: Mapped[str | None] = mapped_column(String(100))
    place_id: Mapped[str | None] = mapped_column(String(64))  # gazetteer id when matched
    place_text: Mapped[str | None] = mapped_column(String(200))  # as typed
    language: Mapped[str | None] = mapped_column(String(8))
    consent_version: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportCluster(Base):
    """Reports of one category at one place within the clustering window."""

    __tablename__ = "report_clusters"
    __table_args__ = (Index("ix_report_clusters_lookup", "organization", "category", "place_key", "last_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32))
    place_key: Mapped[str] = mapped_column(String(200))  # place id, "text:<typed>" or "geo:<lat>,<lon>"
    place_id: Mapped[str | None] = mapped_column(String(64))
    place_text: Mapped[str | None] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("organization", "reference", name="uq_reports_organization_reference"),
        Index("ix_reports_organization_created", "organization", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(12))  # R-4821
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # The reporter agreed (the form's last step) that a short anonymised quote may appear in evidence packs.
    quote_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[str | None] = mapped_column(String(64))
    place_text: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    occurred_text: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="new")
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("report_clusters.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportEvent(Base):
    """A status change and/or an organizer's note; notification_id is the message telling the reporter."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(100))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportMedia(Base):
    """An attachment: Twilio's URL until the download job stores it under MEDIA_DIR.
    status: pending (not queued yet: Redis was down) | queued | stored | failed | rejected (type/size)
    | refused (URL outside MEDIA_ALLOWED_HOSTS, or a redirect elsewhere: never fetched)."""

    __tablename__ = "report_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    path: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
