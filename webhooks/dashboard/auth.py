"""Sign-in and sign-out for organizers; `login_required` and `admin_required` for every page.

The browser session holds only the account id, its session generation (and the CSRF token); the account
is read again on each request, so a disabled account is out at once, and a cookie from before a sign-out
or a password change no longer opens anything (users.session_generation)."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlparse

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from bot.desk import accounts
from webhooks.dashboard.common import current_services

bp = Blueprint("auth", __name__)



def init_app(app: Flask) -> None:
    @app.before_request
    def load_account():
        user_id = session.get("uid")
        g.account = accounts.get_account(current_services(), user_id) if user_id else None
        if g.account is not None and session.get("gen") != g.account.generation:
            g.account = None  # signed out (or password changed, account disabled) since this cookie
        if user_id and g.account is None:
            session.clear()

    @app.context_processor
    def account_context():
        account = g.get("account")
        catalog = current_services().catalog
        org = catalog.organizations.get(account.organization) if account else None
        return {"account": account, "org": org}


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not g.account.is_admin:
            abort(403, description=_("Only an admin of your organization can do this."))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        email = request.form.get("email", "")
        address = request.remote_addr or "unknown"
        try:
            account = accounts.authenticate(current_services(), email, request.form.get("password", ""), address)
        except accounts.Locked:
            account, status = None, 429
            error = _("Too many failed sign-ins. Wait 15 minutes, or ask an admin to reset your password.")
        if account is not None:
            session.clear()  # a fresh session (and CSRF token) after sign-in
            session.permanent = True
            session["uid"] = account.id
            session["gen"] = account.generation
            return redirect(_safe_next(request.args.get("next")))
        if error is None:
            error, status = _("That email and password do not match an account."), 401
    return render_template("dashboard/login.html", error=error, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout():
    if g.get("account") is not None:
        accounts.end_sessions(current_services(), g.account.id)  # a copied cookie is over too
    session.clear()
    return redirect(url_for("auth.login"))
