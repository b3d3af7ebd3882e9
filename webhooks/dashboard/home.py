"""The first page after sign-in: what needs attention today in the organizer's organization."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, render_template
from sqlalchemy import func, select

from bot.models import Broadcast, Handover, Member, Report, ReportCluster, utcnow
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_services

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    services, org = current_services(), g.account.organization
    now = utcnow()
    with services.db() as session:
        def count(query) -> int:
            return session.scalar(query) or 0

        figures = {
            "new_reports": count(select(func.count()).select_from(Report)
                                 .where(Report.organization == org, Report.status == "new")),
            "reports_today": count(select(func.count()).select_from(Report)
                                   .where(Report.organization == org, Report.created_at >= now - timedelta(hours=24))),
            "members": count(select(func.count()).select_from(Member).where(Member.organization == org)),
            "sending": count(select(func.count()).select_from(Broadcast)
                             .where(Broadcast.organization == org, Broadcast.state.in_(("sending", "paused")))),
            "handovers": count(select(func.count()).select_from(Handover)
                               .where(Handover.organization == org, Handover.ended_at.is_(None),
                                      Handover.expires_at > now)),
        }
        clusters = session.scalars(
            select(ReportCluster).where(ReportCluster.organization == org, ReportCluster.count > 1,
                                        ReportCluster.last_at >= now - timedelta(hours=72))
            .order_by(ReportCluster.count.desc()).limit(5)).all()
    return render_template("dashboard/home.html", figures=figures, clusters=clusters)
