"""Data for advocacy: charts of the organization's reports and members (bot/desk/stats.py) and exports of
its reports as CSV, XLSX and GeoJSON (bot/desk/exports.py).

Anonymised exports are links (GET, any organizer, audited); a full export with the reporters' details
is a POST from an admin with a reason (CSRF-checked, audited). Bad filters are a 400 with the reason.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l

from bot.desk import authorities, exports, stats
from bot.desk.filters import FilterError, ReportFilters, check_authority
from bot.line.reports import STATUSES
from webhooks.dashboard.auth import admin_required, login_required
from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services

bp = Blueprint("data", __name__, url_prefix="/data")

# bot/desk/stats.py labels its figures in English; the page and its charts show them in the page's language.
UNPLACED = {"place": _l("Place not matched"), "members-place": _l("No market given")}
SERIES = {"by_category": "category", "by_place": "place", "members_by_trade": "members-trade",
          "members_by_place": "members-place"}


def row_label(table: str, key: str, label: str) -> str:
    """One row's label in a table or chart: `table` is category, place, members-trade or members-place."""
    if table == "category":
        return i18n.category_label(key)
    if table == "members-trade":
        return i18n.trade_label(key)
    if table in UNPLACED and not key:
        return str(UNPLACED[table])
    return label


def translated(figures: dict) -> dict:
    """figures.json() with its labels in the page's language (weeks as Babel dates)."""
    out = dict(figures)
    for name, table in SERIES.items():
        series = out.get(name)
        if isinstance(series, dict) and "keys" in series and "labels" in series:
            out[name] = {**series, "labels": [row_label(table, k, label)
                                              for k, label in zip(series["keys"], series["labels"])]}
    week = out.get("by_week")
    if isinstance(week, dict) and "weeks" in week:
        out["by_week"] = {**week, "labels": [i18n.day(date.fromisoformat(w)) for w in week["weeks"]],
                          "category_labels": [i18n.category_label(c) for c in week.get("categories", [])]}
    return out



def _chart_filters() -> ReportFilters:
    services = current_services()
    try:
        filters = stats.chart_filters(request.args, services.catalog, g.account.organization)
        check_authority(services, g.account.organization, filters)  # reports raised with it (the evidence pack's)
        return filters
    except FilterError as exc:
        abort(400, description=_("These filters cannot be used: %(reason)s.", reason=exc))


def _places(services, org: str) -> list:
    return sorted(services.catalog.places(org), key=lambda p: p.name("en").lower())


@bp.get("")
@login_required
def index():
    services, org = current_services(), g.account.organization
    filters = _chart_filters()
    figures = stats.figures(services, org, filters)
    return render_template("dashboard/data/index.html", figures=figures, filters=filters,
                           query=filters.as_dict(), places=_places(services, org),
                           authorities=authorities.listing(services, org),
                           categories=services.catalog.categories(), statuses=STATUSES, formats=exports.FORMATS,
                           category_label=i18n.category_label, row_label=row_label,
                           figures_json=translated(figures.json()))


@bp.get("/figures.json")
@login_required
def figures_json():
    return jsonify(translated(stats.figures(current_services(), g.account.organization, _chart_filters()).json()))


def _send(services, values, *, anonymised: bool, reason: str | None = None) -> Response:
    org = g.account.organization
    fmt = (values.get("format") or "").strip().lower()
    try:
        filters = ReportFilters.parse(values, services.catalog, org)
        made = exports.export_reports(services, org, fmt, filters, anonymised=anonymised, account=g.account,
                                      reason=reason, via="web")
    except (exports.ExportError, FilterError) as exc:
        abort(400, description=_("This export cannot be made: %(reason)s.", reason=exc))
    except PermissionError as exc:
        abort(403, description=str(exc))
    headers = {
        "Content-Disposition": f'attachment; filename="{made.filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Streetline-Rows": str(made.rows),
        "X-Streetline-Anonymised": "yes" if made.anonymised else "no",
    }
    if made.format == "geojson":
        headers["X-Streetline-Omitted"] = str(made.omitted)
    return Response(made.chunks, content_type=made.content_type, headers=headers)


@bp.get("/export")
@login_required
def export():
    """An anonymised export: ?format=csv|xlsx|geojson and the inbox filters (status, category, market,
    from, to)."""
    if request.args.get("anonymised", "1").strip().lower() in ("0", "no", "false", "off"):
        abort(400, description=_("Exports with the reporters’ details are made by an admin with the form "
                                 "on the Data page, giving a reason."))
    return _send(current_services(), request.args, anonymised=True)


@bp.post("/export/full")
@admin_required
def export_full():
    """A full export (admins): form fields format, reason and the filters."""
    return _send(current_services(), request.form, anonymised=False, reason=request.form.get("reason"))
