"""Signed-in browsers (the dashboard tests' helpers) for the security tests."""
from tests.dashboard.conftest import PASSWORD, Browser, admin, browser, make_user, organizer, signed_in  # noqa: F401
