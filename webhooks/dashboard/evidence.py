"""Evidence packs: the data page's filter as a dated brief in the organization's language, as a page
(/evidence) and as the PDF made from that same page (/evidence.pdf, WeasyPrint). The numbers come from
bot/desk/evidence.py (the data page's figures, map, quotes, open-case age, authority scorecards); this view
only lays them out and translates. Bad filters are a 400 with the reason, as on the data page.

Kept packs (/evidence/packs, bot/desk/evidence_packs.py): asked for with a filter, made at once for a
small range or in an RQ job for a large one (webhooks/dashboard/evidence_job.py) while the pack's page
polls /evidence/packs/<id>.json (static/js/evidence.js); the PDF is kept to download again, and a pack
can be made again from its filter."""
from __future__ import annotations

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from bot.desk import evidence, evidence_packs, stats
from bot.desk.filters import place_options
from bot.line.reports import STATUSES
from bot.desk.filters import FilterError, check_authority
from webhooks.dashboard.evidence_job import JOB_TIMEOUT
from webhooks.dashboard.evidence_render import render, render_pack, stylesheets
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_services

bp = Blueprint("evidence", __name__)

STATE_LABELS = {"queued": _l("waiting for a worker"), "running": _l("being made"), "done": _l("ready"),
                "failed": _l("failed")}


@bp.context_processor
def helpers():
    return {"state_labels": {k: str(v) for k, v in STATE_LABELS.items()}}


def _filters(args):
    services, org = current_services(), g.account.organization
    try:
        filters = stats.chart_filters(args, services.catalog, org)
        check_authority(services, org, filters)
    except FilterError as exc:
        abort(400, description=_("These filters cannot be used: %(reason)s.", reason=exc))
    return filters


def _pack():
    return evidence.build(current_services(), g.account.organization, _filters(request.args))


@bp.get("/evidence")
@login_required
def index():
    return render(_pack())


@bp.get("/evidence.pdf")
@login_required
def pdf():
    pack = _pack()
    body = evidence.pdf(render_pack(pack), stylesheets=stylesheets())
    return _download(body, pack.organization, pack.generated_at)


def _download(body: bytes, org: str, made) -> Response:
    name = f"streetline-{org}-{made:%Y-%m-%d}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --------------------------------------------------------------------------- kept packs


@bp.get("/evidence/packs")
@login_required
def packs():
    services, org = current_services(), g.account.organization
    from bot.desk import authorities

    return render_template("dashboard/evidence/packs.html", packs=evidence_packs.listing(services, org),
                           query=request.args, statuses=STATUSES, categories=services.catalog.categories(),
                           places=place_options(services.catalog, org),
                           authorities=authorities.listing(services, org))


@bp.post("/evidence/packs")
@login_required
def ask():
    args = {k: v for k, v in request.form.items() if k != "csrf_token"}
    return _start(_filters(args))


def _start(filters):
    services, org = current_services(), g.account.organization
    row = evidence_packs.create(services, org, filters, f"web:{g.account.email}")
    if services.queue is None or (row.reports or 0) <= evidence_packs.INLINE_MAX:
        evidence_packs.run(services, row.id, render_pack, stylesheets())
    else:
        services.queue.enqueue("webhooks.dashboard.evidence_job.make", row.id, job_timeout=JOB_TIMEOUT,
                               description=f"evidence pack {row.id}")
    return redirect(url_for("evidence.pack", pack_id=row.id))


def _row(pack_id: int):
    row = evidence_packs.get(current_services(), g.account.organization, pack_id)
    if row is None:
        abort(404)
    return row


@bp.get("/evidence/packs/<int:pack_id>")
@login_required
def pack(pack_id: int):
    return render_template("dashboard/evidence/pack_status.html", row=_row(pack_id))


@bp.get("/evidence/packs/<int:pack_id>.json")
@login_required
def pack_json(pack_id: int):
    row = _row(pack_id)
    out = evidence_packs.status(row)
    out["download"] = url_for("evidence.pack_pdf", pack_id=row.id) if row.state == "done" else None
    return jsonify(out)


@bp.get("/evidence/packs/<int:pack_id>.pdf")
@login_required
def pack_pdf(pack_id: int):
    row = _row(pack_id)
    body = evidence_packs.pdf(current_services(), row.organization, row.id) if row.state == "done" else None
    if body is None:
        abort(404, description=_("This evidence pack is not ready."))
    return _download(body, row.organization, row.finished_at or row.created_at)


@bp.post("/evidence/packs/<int:pack_id>/again")
@login_required
def again(pack_id: int):
    return _start(_filters(_row(pack_id).filters or {}))
