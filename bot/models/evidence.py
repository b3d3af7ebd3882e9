"""Evidence packs made in the background: the filter a pack was made from, how far its job got, and the
finished PDF, kept so the same pack can be downloaded again or made again from the same filter."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from bot.models.core import Base, JSONType, utcnow

__all__ = ["EvidencePack", "PACK_STATES"]

# queued: waiting for a worker | running | done: the PDF is stored | failed: `error` says why
PACK_STATES = ("queued", "running", "done", "failed")


class EvidencePack(Base):
    __tablename__ = "evidence_packs"
    __table_args__ = (Index("ix_evidence_packs_organization_created", "organization", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization: Mapped[str] = mapped_column(ForeignKey("organizations.slug", ondelete="CASCADE"))
    filters: Mapped[dict] = mapped_column(JSONType, default=dict)  # ReportFilters.as_dict(), dates set
    created_by: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    reports: Mapped[int | None] = mapped_column(Integer)  # reports in the filter when it was asked for
    error: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # read only to download it
    bytes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
