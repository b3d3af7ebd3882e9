"""Sign-in, sessions, CSRF and throttling on the organizers' pages."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.desk.accounts import AccountError, create_user
from bot.models import AuditEvent, User
from tests.dashboard.conftest import PASSWORD, Browser


def test_pages_need_a_sign_in(client):
    for path in ("/", "/reports", "/members", "/markets", "/broadcasts", "/conversations", "/data"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_sign_in_lands_on_the_page_asked_for(browser, organizer):
    browser.refresh_token("/login")
    response = browser.client.post("/login?next=/members", data={
        "email": organizer.email.upper(), "password": PASSWORD, "csrf_token": browser.token})
    assert response.status_code == 302 and response.headers["Location"] == "/members"
    page = browser.get("/").get_data(as_text=True)
    assert "Nairobi" in page and organizer.email in page


def test_next_never_leaves_the_site(browser, organizer):
    browser.refresh_token("/login")
    for target in ("//evil.example.org/", "https://evil.example.org/x", "javascript:alert(1)"):
        response = browser.client.post(f"/login?next={target}", data={
            "email": organizer.email, "password": PASSWORD, "csrf_token": browser.token})
        assert response.headers["Location"] == "/", target
        browser.refresh_token("/login")


def test_wrong_password_and_unknown_email_look_the_same(browser, organizer):
    browser.refresh_token("/login")
    wrong = browser.client.post("/login", data={"email": organizer.email, "password": "nope-nope-nope",
                                                "csrf_token": browser.token})
    unknown = browser.client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD,
                                                  "csrf_token": browser.token})
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an account" in wrong.get_data(as_text=True)
    assert browser.get("/").status_code == 302


def test_passwords_are_stored_as_argon2id(services, organizer):
    with services.db() as session:
        stored = session.scalars(select(User.password_hash).where(User.id == organizer.id)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert "m=65536" in stored  # memory-hard: 64 MiB per check


def test_sign_out_ends_the_session(signed_in):
    assert signed_in.get("/").status_code == 200
    assert signed_in.post("/logout").status_code == 302
    assert signed_in.get("/").status_code == 302


def test_sign_in_is_recorded(services, signed_in, organizer):
    with services.db() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == organizer.id)).all()
    assert actions == ["login"]


# --------------------------------------------------------------------------- CSRF


def test_forms_without_the_csrf_token_are_refused(signed_in):
    response = signed_in.client.post("/logout", data={}, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert "expired or did not come from this site" in response.get_data(as_text=True)
    assert signed_in.get("/").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(app, signed_in, organizer):
    other = Browser(app.test_client())
    other.refresh_token("/login")
    response = signed_in.client.post("/logout", data={"csrf_token": other.token})
    assert response.status_code == 400


def test_login_form_needs_the_token_too(browser, organizer):
    response = browser.client.post("/login", data={"email": organizer.email, "password": PASSWORD})
    assert response.status_code == 400 and browser.get("/").status_code == 302


def test_webhooks_and_api_are_outside_csrf(client):
    # Twilio's signature and the API's bearer token protect these; CSRF would only break them.
    assert client.post("/webhooks/twilio/messages", data={}).status_code == 403
    assert client.get("/api/v1/markets").status_code == 401


# --------------------------------------------------------------------------- throttling


def test_sign_in_locks_after_repeated_failures(app, make_settings, browser, organizer):
    for _ in range(5):
        browser.refresh_token("/login")
        response = browser.client.post("/login", data={"email": organizer.email, "password": "wrong-password",
                                                       "csrf_token": browser.token})
        assert response.status_code == 401
    browser.refresh_token("/login")
    locked = browser.client.post("/login", data={"email": organizer.email, "password": PASSWORD,
                                                 "csrf_token": browser.token})
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert browser.get("/").status_code == 302  # the right password does not get in while locked


def test_lock_is_per_address_too(app, make_user, organizer, redis):
    # Guessing across many accounts from one address is stopped as well, after many more failures than
    # one account's 5 (a market's shared Wi-Fi is one address for everyone there: tests/security).
    limit = app.extensions["streetline"].settings.login_address_max_failures
    assert limit > app.extensions["streetline"].settings.login_max_failures
    b = Browser(app.test_client())
    for n in range(limit):
        b.refresh_token("/login")
        b.client.post("/login", data={"email": f"guess{n}@example.org", "password": "x" * 12,
                                      "csrf_token": b.token})
    b.refresh_token("/login")
    response = b.client.post("/login", data={"email": organizer.email, "password": PASSWORD,
                                             "csrf_token": b.token})
    assert response.status_code == 429
    # Another address still signs in.
    other = Browser(app.test_client())
    other.refresh_token("/login")
    ok = other.client.post("/login", data={"email": organizer.email, "password": PASSWORD,
                                           "csrf_token": other.token},
                           environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert ok.status_code == 302


def test_lock_expires(app, browser, organizer, redis):
    for _ in range(5):
        browser.refresh_token("/login")
        browser.client.post("/login", data={"email": organizer.email, "password": "wrong-password",
                                            "csrf_token": browser.token})
    for key in redis.keys("login:fail:*"):
        assert 0 < redis.ttl(key) <= 900
        redis.delete(key)  # what 15 minutes do
    assert browser.login(organizer.email).status_code == 302


# --------------------------------------------------------------------------- accounts


def test_accounts_are_checked(services, organizer):
    with pytest.raises(AccountError, match="already exists"):
        create_user(services, "nairobi-vendors", organizer.email.upper(), "x", PASSWORD)
    with pytest.raises(AccountError, match="at least 10"):
        create_user(services, "nairobi-vendors", "short@example.org", "x", "short")
    with pytest.raises(AccountError, match="unknown organization"):
        create_user(services, "atlantis", "a@example.org", "x", PASSWORD)


def test_cli_creates_the_first_admin(services, settings, monkeypatch):
    from bot.cli import cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(cli, ["user", "create", "dakar-vendors", "Awa@Example.org", "--role", "admin",
                                      "--name", "Awa"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "admin awa@example.org created for dakar-vendors" in result.output
    again = CliRunner().invoke(cli, ["user", "create", "dakar-vendors", "awa@example.org", "--password", PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output



def test_demo_accounts_for_make_run(services, settings, monkeypatch, browser):
    from bot.cli import cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    result = CliRunner().invoke(cli, ["user", "demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "admin@nairobi-vendors.demo" in result.output and "admin@dakar-vendors.demo" in result.output
    assert CliRunner().invoke(cli, ["user", "demo", "--password", PASSWORD]).output == ""  # once only
    assert browser.login("admin@nairobi-vendors.demo").status_code == 302
    monkeypatch.setenv("STREETLINE_ENV", "production")
    refused = CliRunner().invoke(cli, ["user", "demo", "--password", PASSWORD])
    assert refused.exit_code != 0
