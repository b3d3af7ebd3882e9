"""The one way a view reaches the services object: the one create_app stored (webhooks/__init__.py)."""
from __future__ import annotations

from flask import current_app

KEY = "streetline"


def current_services():
    return current_app.extensions[KEY]
