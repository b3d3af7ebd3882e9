"""reports pages (being built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from webhooks.dashboard.auth import login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("")
@login_required
def inbox():
    return render_template("dashboard/placeholder.html", title="reports")


@bp.get("/map")
@login_required
def map_view():
    return render_template("dashboard/placeholder.html", title="map")
