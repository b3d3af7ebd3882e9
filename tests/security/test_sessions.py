"""Issue 12 item 7: signing out ends the session on the server. A cookie copied before sign-out (or
before a password change, or before the account was disabled) no longer opens the pages."""
from __future__ import annotations

from bot.desk import accounts
from tests.security.conftest import PASSWORD, Browser


def copy_of(app, browser: Browser) -> Browser:
    """Another client carrying the same session cookie: what a thief copied."""
    thief = Browser(app.test_client())
    cookie = browser.client.get_cookie("streetline_session")
    thief.client.set_cookie(cookie.key, cookie.value)
    return thief


def test_a_cookie_copied_before_sign_out_no_longer_opens_reports(app, signed_in):
    thief = copy_of(app, signed_in)
    assert thief.get("/reports").status_code == 200  # the copy works while the organizer is signed in
    assert signed_in.post("/logout").status_code == 302
    response = thief.get("/reports")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert signed_in.get("/reports").status_code == 302


def test_signing_in_again_works_and_only_the_new_session_counts(app, signed_in, organizer):
    old = copy_of(app, signed_in)
    signed_in.post("/logout")
    assert signed_in.login(organizer.email).status_code == 302
    assert signed_in.get("/reports").status_code == 200
    assert old.get("/reports").status_code == 302


def test_a_new_password_ends_every_session(app, services, signed_in, organizer):
    thief = copy_of(app, signed_in)
    accounts.set_password(services, organizer.email, PASSWORD + " new")
    assert thief.get("/reports").status_code == 302
    assert signed_in.get("/reports").status_code == 302


def test_disabling_an_account_ends_its_sessions_and_sign_in(app, services, signed_in, organizer):
    accounts.disable_user(services, organizer.email)
    assert signed_in.get("/reports").status_code == 302
    fresh = Browser(app.test_client())
    assert fresh.login(organizer.email).status_code == 401
