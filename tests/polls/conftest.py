"""Poll fixtures: the broadcasts' Twilio stand-in and contacts (tests/broadcasts/conftest.py)."""
from tests.broadcasts.conftest import bservices, people, standin  # noqa: F401
