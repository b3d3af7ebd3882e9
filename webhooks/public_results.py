"""GET /results/<organization>: the public results page, no sign-in. Only for an organization whose
org.yaml says `public_results: true`; any other (or unknown) organization is a 404, the same answer, so
the page does not tell who uses the line. `?months=3|6|12` chooses the period (12 by default). The
figures (bot/desk/public_results.py) are anonymised and suppressed; the page is in the organization's
first language."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import force_locale

from bot.desk import public_results
from webhooks.context import current_services
from webhooks.dashboard.i18n import SUPPORTED

bp = Blueprint("public_results", __name__)
CACHE_SECONDS = 300


@bp.get("/results/<org>")
def results(org: str):
    services = current_services()
    if not public_results.enabled(services.catalog, org):
        abort(404)
    months = request.args.get("months", str(public_results.DEFAULT_MONTHS))
    if months not in {str(m) for m in public_results.PERIODS}:  # int() would take "١٢" and " 12" too
        abort(404)  # only the periods the page links to exist
    organization = services.catalog.organizations[org]
    lang = next((lang for lang in organization.languages if lang in SUPPORTED), "en")
    with force_locale(lang):
        page = render_template("dashboard/public/results.html",
                               summary=public_results.summary(services, org, months=int(months)),
                               periods=list(public_results.PERIODS), org=organization, lang=lang)
    # Linked from other sites and shared with journalists: a proxy or CDN in front may keep it five
    # minutes, so a crowd of readers costs the database one query per five minutes, not one each.
    return page, 200, {"Cache-Control": f"public, max-age={CACHE_SECONDS}"}
