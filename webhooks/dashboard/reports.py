"""Reports pages: the inbox (filters, cluster summaries, pages), one report (description, place, photos and
voice notes, history, status changes and notes; a status change tells the reporter) and the map (Leaflet
served from static/vendor; tiles only when MAP_TILES_URL is set, else the gazetteer's outlines).

Views parse the request, call bot.desk (inbox, filters, clusters, report_map; bot.line.reports for changes), render. Everything is scoped
to g.account.organization; another organization's report, cluster or file answers 404."""
from __future__ import annotations

from datetime import date

from flask import (Blueprint, abort, flash, g, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _

from bot.desk import authorities, clusters as report_clusters, inbox as queries, report_map, report_status
from bot.desk.filters import FilterError, ReportFilters, check_authority, place_options
from bot.line import reports
from webhooks.dashboard.auth import login_required
from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _common(**extra) -> dict:
    services = current_services()
    catalog = services.catalog
    return {"statuses": reports.STATUSES, "categories": catalog.categories(),
            "places": place_options(catalog, g.account.organization),
            "authorities": authorities.listing(services, g.account.organization),
            "category_label": i18n.category_label, "status_label": i18n.status_label, **extra}


def _filters() -> tuple[ReportFilters, str | None]:
    """The request's report filters, or no filters and why they were refused (a sentence)."""
    try:
        filters = ReportFilters.parse(request.args, current_services().catalog, g.account.organization)
        check_authority(current_services(), g.account.organization, filters)  # raised with one of ours
        return filters, None
    except FilterError as exc:
        return ReportFilters(), _sentence(str(exc))


# --------------------------------------------------------------------------- inbox


@bp.get("")
@login_required
def inbox():
    services, org = current_services(), g.account.organization
    filters, error = _filters()
    if error:
        return render_template("dashboard/reports/inbox.html", error=error, filters=filters,
                               raw=request.args, page=None, clusters=[], current_cluster=None,
                               **_common()), 400
    current_cluster = None
    if filters.cluster is not None:
        current_cluster = report_clusters.cluster(services, org, filters.cluster)
        if current_cluster is None:
            abort(404, description=_("There is no such group of reports in your organization."))
    page = queries.search(services, org, filters)
    clusters = [] if current_cluster else report_clusters.cluster_summaries(services, org, filters)
    return render_template("dashboard/reports/inbox.html", error=None, filters=filters, raw=request.args,
                           page=page, clusters=clusters, current_cluster=current_cluster, **_common())


# --------------------------------------------------------------------------- map


@bp.get("/map")
@login_required
def map_view():
    services, org = current_services(), g.account.organization
    settings = services.settings
    filters, error = _filters()
    return render_template("dashboard/reports/map.html", filters=filters, raw=request.args, error=error,
                           outlines=report_map.outlines(services.catalog, org),
                           tiles_url=settings.map_tiles_url or "",
                           tiles_attribution=settings.map_tiles_attribution or "", **_common()), 400 if error else 200


@bp.get("/map.json")
@login_required
def map_json():
    services, org = current_services(), g.account.organization
    filters, error = _filters()
    if error:
        return jsonify(error=error, status=400), 400
    if filters.cluster is not None and report_clusters.cluster(services, org, filters.cluster) is None:
        return jsonify(error=_("There is no such group of reports in your organization."), status=404), 404
    found = report_map.map_points(services, org, filters)
    for point in found["points"]:
        point["url"] = url_for("reports.detail", reference=point["reference"])
        point["category_label"] = i18n.category_label(point["category"])
        point["status_label"] = i18n.status_label(point["status"])
        point["date_label"] = i18n.day(date.fromisoformat(point["date"]))
    found["list_url"] = url_for("reports.inbox", **filters.args(page=1))
    response = jsonify(found)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- one report


def _detail_or_404(reference: str):
    found = queries.detail(current_services(), g.account.organization, reference)
    if found is None:
        abort(404, description=_("There is no report %(reference)s in your organization.", reference=reference[:20]))
    return found


def _render_detail(report, *, error: str | None = None, form: dict | None = None, status: int = 200):
    services = current_services()
    shapes = report_map.outlines(services.catalog, g.account.organization,
                              {report.place_id} if report.place_id else set())
    return render_template("dashboard/reports/detail.html", report=report, error=error, form=form or {},
                           outlines=shapes, tiles_url=services.settings.map_tiles_url or "",
                           tiles_attribution=services.settings.map_tiles_attribution or "",
                           note_max=report_status.NOTE_MAX, **_common()), status


@bp.get("/<reference>")
@login_required
def detail(reference: str):
    return _render_detail(_detail_or_404(reference))


def _told(reach: str | None, notified: bool) -> str:
    if notified and reach == "sms":
        return _("the reporter was sent an SMS.")
    if notified and reach == "whatsapp":
        return _("the reporter was sent a WhatsApp message.")
    if notified:
        return _("the reporter was sent a message.")
    if reach == "opted_out":
        return _("the reporter has opted out of messages, so was not told.")
    if reach in ("none", None):
        return _("there is no number to tell the reporter.")
    return _("the message to the reporter could not be sent (it is logged; they can still ask by reference).")


@bp.post("/<reference>/status")
@login_required
def change_status(reference: str):
    services, org = current_services(), g.account.organization
    report = _detail_or_404(reference)
    status = (request.form.get("status") or "").strip()
    note = request.form.get("note") or None
    seen = request.form.get("from_status")
    form = {"status": status, "note": note or ""}
    if status not in reports.STATUSES:
        return _render_detail(report, error=_("Choose the new status."), form=form, status=400)
    if seen and seen != report.status:
        return _render_detail(report, form=form, status=409, error=(
            _("Someone changed this report to “%(status)s” while you had it open. Check the history below, "
              "then choose again.", status=i18n.status_label(report.status))))
    if status == report.status or status not in report_status.TRANSITIONS.get(report.status, set()):
        return _render_detail(report, form=form, status=409, error=(
            _("A %(current)s report cannot be marked %(new)s.", current=i18n.status_label(report.status),
              new=i18n.status_label(status))))
    reach = queries.reporter_reach(services, org, report.reference)
    try:
        change = report_status.change_status(services, org, report.reference, status, note, actor=g.account.email)
    except report_status.TransitionError:
        fresh = _detail_or_404(reference)
        return _render_detail(fresh, form=form, status=409, error=(
            _("A %(current)s report cannot be marked %(new)s.", current=i18n.status_label(fresh.status),
              new=i18n.status_label(status))))
    except ValueError as exc:
        return _render_detail(report, error=_sentence(str(exc)), form=form, status=400)
    if change is None:
        abort(404, description=_("There is no report %(reference)s in your organization.", reference=reference[:20]))
    label, told = i18n.status_label(status), _told(reach, change.notified)
    flash(_("Marked %(status)s with your note; %(told)s", status=label, told=told) if change.event.note
          else _("Marked %(status)s; %(told)s", status=label, told=told), "success" if change.notified else "warning")
    return redirect(url_for("reports.detail", reference=change.report.reference))


@bp.post("/<reference>/note")
@login_required
def add_note(reference: str):
    services, org = current_services(), g.account.organization
    report = _detail_or_404(reference)
    note = (request.form.get("note") or "").strip()
    if not note:
        return _render_detail(report, error=_("Write a note first."), form={"only_note": ""}, status=400)
    try:
        change = report_status.change_status(services, org, report.reference, None, note, actor=g.account.email)
    except ValueError as exc:
        return _render_detail(report, error=_sentence(str(exc)), form={"only_note": note}, status=400)
    if change is None:
        abort(404, description=_("There is no report %(reference)s in your organization.", reference=reference[:20]))
    flash(_("Note added. Notes alone are for organizers: the reporter is not sent a message."), "success")
    return redirect(url_for("reports.detail", reference=change.report.reference))


def _sentence(message: str) -> str:
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."


@bp.get("/<reference>/media/<int:media_id>")
@login_required
def media(reference: str, media_id: int):
    found = queries.media_file(current_services(), g.account.organization, reference, media_id)
    if found is None:
        abort(404, description=_("There is no such file for this report."))
    path, content_type = found
    response = send_file(path, mimetype=content_type, conditional=True, max_age=3600,
                         download_name=f"{reference}-{media_id}{path.suffix}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
