"""Organizer accounts and signed-in browser sessions (Flask test client) for the dashboard tests."""
from __future__ import annotations

import re

import pytest

from bot.desk.accounts import create_user

PASSWORD = "correct horse battery"


class Browser:
    """A Flask test client that signs in and sends the page's CSRF token like a real form would."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def refresh_token(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True))
        self.token = found.group(1) if found else ""
        return self.token

    def login(self, email: str, password: str = PASSWORD):
        self.refresh_token("/login")
        response = self.client.post("/login", data={"email": email, "password": password,
                                                    "csrf_token": self.token})
        self.refresh_token("/")
        return response

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)

    def fetch(self, method: str, path: str, json=None):
        """A fetch() call from the page's JS: JSON body and the X-CSRF-Token header."""
        return self.client.open(path, method=method, json=json,
                                headers={"X-CSRF-Token": self.token, "Accept": "application/json"})


def signed_in_as(app, account) -> Browser:
    """A fresh browser on `app`, signed in as `account`."""
    b = Browser(app.test_client())
    assert b.login(account.email).status_code == 302
    return b


@pytest.fixture
def make_user(services):
    def make(org: str = "nairobi-vendors", role: str = "organizer", email: str | None = None):
        email = email or f"{role}@{org}.example.org"
        return create_user(services, org, email, f"{role.title()} of {org}", PASSWORD, role)

    return make


@pytest.fixture
def organizer(make_user):
    return make_user("nairobi-vendors", "organizer")


@pytest.fixture
def admin(make_user):
    return make_user("nairobi-vendors", "admin")


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def signed_in(browser, organizer):
    """A browser signed in as an organizer of nairobi-vendors."""
    assert browser.login(organizer.email).status_code == 302
    return browser


@pytest.fixture
def signed_in_admin(app, admin):
    return signed_in_as(app, admin)


@pytest.fixture
def outsider(app, make_user):
    """A browser signed in as an organizer of another organization (pune-wastepickers)."""
    return signed_in_as(app, make_user("pune-wastepickers", "organizer"))
