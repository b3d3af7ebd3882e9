"""simulator pages (being built)."""
from __future__ import annotations

from flask import Blueprint, render_template

from webhooks.dashboard.auth import login_required

bp = Blueprint("simulator", __name__, url_prefix="/simulator")


@bp.get("")
@login_required
def index():
    return render_template("dashboard/placeholder.html", title="simulator")
