"""The organizers' pages: server-rendered Jinja, small vanilla JS, libraries served from
webhooks/static/vendor (npm, never a CDN). One blueprint per page in this package.

Every view is behind `login_required` (auth.py) and scopes its queries to `g.account.organization`;
every state-changing request carries the session's CSRF token (csrf.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from bot.phones import mask


class PagesSessions(SecureCookieSessionInterface):
    """The organizers' pages keep a signed cookie session; Twilio's webhooks never have one (Twilio sends
    no cookie): not opening and saving a session there saves a signer and a serializer per message."""

    def open_session(self, app, request):
        if request.path.startswith("/webhooks/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    settings = app.extensions["streetline"].settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="streetline_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.session_interface = PagesSessions()
    from webhooks.dashboard import auth, common, compress, csrf, i18n, pages

    csrf.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    common.init_app(app)
    compress.init_app(app)
    app.jinja_env.filters["mask"] = mask
    for blueprint in pages.blueprints(settings):
        app.register_blueprint(blueprint)
    # The menu lists only pages this app serves (the simulator is off in production).
    app.jinja_env.globals["dashboard_pages"] = [(e, label) for e, label in pages.NAV
                                                if e.split(".")[0] in app.blueprints]
