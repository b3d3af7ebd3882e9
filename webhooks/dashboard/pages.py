"""The pages, in navigation order: (endpoint, label) for the menu, and the blueprints to register."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

NAV = (
    ("home.index", _l("Today")),
    ("reports.inbox", _l("Reports")),
    ("reports.map_view", _l("Map")),
    ("members.index", _l("Members")),
    ("markets.index", _l("Markets")),
    ("authorities.index", _l("Authorities")),
    ("broadcasts.index", _l("Broadcasts")),
    ("polls.index", _l("Polls")),
    ("conversations.index", _l("Conversations")),
    ("data.index", _l("Data")),
    ("simulator.index", _l("Phone")),
)


def blueprints(settings) -> list:
    from webhooks.dashboard import (auth, broadcasts, conversations, data, home, language, markets, members,
                                    reports, simulator)
    from webhooks.dashboard import authorities, evidence

    found = [auth.bp, language.bp, home.bp, reports.bp, members.bp, markets.bp, broadcasts.bp, conversations.bp,
             data.bp, authorities.bp, evidence.bp]
    from webhooks.dashboard import polls

    found.append(polls.bp)
    if settings.simulator:
        found.append(simulator.bp)
    return found
