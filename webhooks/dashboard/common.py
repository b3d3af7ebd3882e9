"""What every organizer page needs: the services, the signed-in organizer's organization, and template
helpers that show times in that organization's time zone and places by their name."""
from __future__ import annotations

from flask import Flask, g

from webhooks.context import current_services
from webhooks.dashboard import i18n


def current_org():
    """The signed-in organizer's organization (content catalog object)."""
    return current_services().catalog.org(g.account.organization)


def init_app(app: Flask) -> None:
    @app.context_processor
    def page_helpers():
        if g.get("account") is None:
            return {}
        catalog, org = current_services().catalog, current_org()

        def local(value, fmt: str = "datetime"):
            # Babel formats for the page's locale in the organization's zone (i18n.py's timezone selector).
            return i18n.day(value) if fmt == "date" else i18n.when(value)

        def place_name(place_id, fallback=None):
            if not place_id:
                return fallback or ""
            try:
                return catalog.place(place_id).name(org.default_language)
            except KeyError:
                return fallback or place_id

        return {"local": local, "place_name": place_name}
