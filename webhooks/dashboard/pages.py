"""The pages, in navigation order: (endpoint, label) for the menu, and the blueprints to register."""
from __future__ import annotations

NAV = (
    ("home.index", "Today"),
    ("reports.inbox", "Reports"),
    ("reports.map_view", "Map"),
    ("members.index", "Members"),
    ("markets.index", "Markets"),
    ("broadcasts.index", "Broadcasts"),
    ("conversations.index", "Conversations"),
    ("data.index", "Data"),
    ("simulator.index", "Phone"),
)


def blueprints(settings) -> list:
    from webhooks.dashboard import (auth, broadcasts, conversations, data, home, markets, members, reports,
                                    simulator)

    found = [auth.bp, home.bp, reports.bp, members.bp, markets.bp, broadcasts.bp, conversations.bp, data.bp]
    if settings.simulator:
        found.append(simulator.bp)
    return found
