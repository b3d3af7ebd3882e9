"""Evidence packs: the data page's filter as a dated brief in the organization's language, as a page
(/evidence) and as the PDF made from that same page (/evidence.pdf, WeasyPrint). The numbers come from
bot/desk/evidence.py (the data page's figures, open-case age, authority scorecards); this view only lays
them out and translates. Bad filters are a 400 with the reason, as on the data page."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import force_locale, gettext as _

from bot.desk import evidence, stats
from bot.desk.filters import FilterError, check_authority
from webhooks.dashboard import i18n
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_org, current_services

bp = Blueprint("evidence", __name__)


def _pack():
    services, org = current_services(), g.account.organization
    try:
        filters = stats.chart_filters(request.args, services.catalog, org)
        check_authority(services, org, filters)
    except FilterError as exc:
        abort(400, description=_("These filters cannot be used: %(reason)s.", reason=exc))
    return evidence.build(services, org, filters)


def _render(pack) -> str:
    org = current_org()
    catalog = current_services().catalog
    with force_locale(org.default_language):  # the brief is in the organization's language
        labels = {c: i18n.category_label(c) for c in catalog.categories()}
        names = {p.id: p.name(org.default_language) for p in catalog.places(org.slug)}
        charts = pack.charts(labels, names, _("Place not matched"))
        return render_template("dashboard/evidence/pack.html", pack=pack, org=org, charts=charts,
                               query=pack.filters.as_dict())


@bp.get("/evidence")
@login_required
def index():
    return _render(_pack())


@bp.get("/evidence.pdf")
@login_required
def pdf():
    pack = _pack()
    body = evidence.pdf(_render(pack), stylesheets=(Path(current_app.static_folder) / "css" / "evidence.css",))
    name = f"streetline-{pack.organization}-{pack.generated_at:%Y-%m-%d}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})
