"""An evidence brief laid out: the pack's numbers (bot/desk/evidence.py) in the brief's template, in the
organization's language, as a page or as the HTML WeasyPrint makes the PDF from. Used by the views
(evidence.py) and by the RQ job that makes a kept pack (evidence_job.py)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_org, current_services


def stylesheets() -> tuple:
    return (Path(current_app.static_folder) / "css" / "evidence.css",)


def render_pack(pack) -> str:
    """The brief's HTML for the PDF (also for the RQ job, inside an app context with g.account set)."""
    return render(pack, for_pdf=True)


def render(pack, for_pdf: bool = False) -> str:
    org = current_org()
    catalog = current_services().catalog
    with force_locale(org.default_language):  # the brief is in the organization's language
        labels = {c: i18n.category_label(c) for c in catalog.categories()}
        charts = pack.charts(labels)
        return render_template("dashboard/evidence/pack.html", pack=pack, org=org, charts=charts,
                               query=pack.filters.as_dict(), for_pdf=for_pdf)
