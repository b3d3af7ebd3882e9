"""Issue 12 item 10: sign-in locks by account; by client address only much later, so one person's
typos behind a market's shared NAT lock nobody else out; X-Forwarded-For counts only behind PROXY_FIX."""
from __future__ import annotations

import re

import pytest

from bot.orgs import sync_organizations
from bot.services import build_services
from tests.security.conftest import PASSWORD
from webhooks import create_app


def sign_in(client, email, password=PASSWORD, address="203.0.113.7", forwarded=None):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base=environ, headers=headers).status_code


@pytest.fixture
def site(make_settings, db, redis):
    built = []

    def make(**overrides):
        services = build_services(make_settings(login_max_failures=3, login_address_max_failures=6, **overrides))
        sync_organizations(services)
        built.append(services)
        return services, create_app(services=services)

    yield make
    for services in built:
        services.close()


def test_one_persons_typos_lock_their_account_not_the_market_wifi(site, make_user):
    services, app = site()
    from bot.desk.accounts import create_user

    alice = create_user(services, "nairobi-vendors", "alice@example.org", "Alice", PASSWORD)
    bob = create_user(services, "nairobi-vendors", "bob@example.org", "Bob", PASSWORD)
    client = app.test_client()
    assert [sign_in(client, alice.email, "wrong password") for _ in range(3)] == [401, 401, 401]
    assert sign_in(client, alice.email) == 429  # her account is locked, even with the right password
    assert sign_in(app.test_client(), alice.email, address="198.51.100.9") == 429  # from anywhere
    assert sign_in(app.test_client(), bob.email) == 302  # the same shared address: Bob gets in


def test_guessing_across_accounts_from_one_address_is_stopped(site):
    services, app = site()
    from bot.desk.accounts import create_user

    bob = create_user(services, "nairobi-vendors", "bob@example.org", "Bob", PASSWORD)
    client = app.test_client()
    for n in range(6):
        assert sign_in(client, f"user{n}@example.org", "guess") == 401
    assert sign_in(client, bob.email) == 429  # this address waits now
    assert sign_in(app.test_client(), bob.email, address="198.51.100.9") == 302  # others do not


def test_x_forwarded_for_is_ignored_without_proxy_fix(site):
    services, app = site()
    client = app.test_client()
    for n in range(6):  # a new forged address each time: all counted against the real one
        sign_in(client, f"user{n}@example.org", "guess", forwarded=f"192.0.2.{n}")
    assert sign_in(client, "user9@example.org", "guess", forwarded="192.0.2.99") == 429


def test_x_forwarded_for_is_the_client_behind_proxy_fix(site):
    services, app = site(proxy_fix=True)
    client = app.test_client()
    for n in range(6):  # one proxy address, six clients behind it
        sign_in(client, f"user{n}@example.org", "guess", forwarded=f"192.0.2.{n}")
    assert sign_in(client, "user9@example.org", "guess", forwarded="192.0.2.99") == 401  # not locked
    for _ in range(6):
        sign_in(client, "user8@example.org" if _ % 2 else "user7@example.org", "guess", forwarded="192.0.2.50")
    assert sign_in(client, "user9@example.org", "guess", forwarded="192.0.2.50") == 429
