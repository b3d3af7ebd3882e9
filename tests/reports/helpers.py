"""Shared helpers for the registration/report tests."""
from __future__ import annotations

from sqlalchemy import select

PUNE, DAKAR, MONTEVIDEO = "+912067990001", "+221338990001", "+59829990001"


def rows(services, model, *where):
    with services.db() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))


def text(services, key, lang, channel="sms", org="nairobi-vendors", **vars):
    return services.catalog.text(org, key, lang, channel, **vars)


def local_today(services, org="nairobi-vendors"):
    """The organization's today: "yesterday" in Pune after 18:30 UTC is the machine's today."""
    from bot.line.answers.dates import local_today as today_in

    return today_in(services.catalog.organizations[org])
