"""The language switcher in the header: a small form that stores the organizer's choice on the account."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, abort, g, redirect, request
from flask_babel import gettext as _

from bot.desk import accounts
from webhooks.dashboard.auth import _safe_next, login_required
from webhooks.dashboard.common import current_services
from webhooks.dashboard.i18n import SUPPORTED

bp = Blueprint("language", __name__)


@bp.post("/account/language")
@login_required
def choose():
    language = request.form.get("language", "")
    if language not in SUPPORTED:
        abort(400, description=_("The pages are not available in that language."))
    accounts.set_language(current_services(), g.account.id, language)
    return redirect(_safe_next(_same_site_page(request.referrer)))


def _same_site_page(referrer: str | None) -> str | None:
    """Back to the page the switcher was on (its Referer), only when that page is on this site."""
    if not referrer:
        return None
    found = urlparse(referrer)
    if found.netloc != request.host:
        return None
    return found.path + (f"?{found.query}" if found.query else "")
