"""Shared helpers for the registration/report tests."""
from __future__ import annotations

from sqlalchemy import select

PUNE, DAKAR, MONTEVIDEO = "+912067990001", "+221338990001", "+59829990001"


def rows(services, model, *where):
    with services.db() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))


def text(services, key, lang, channel="sms", org="nairobi-vendors", **vars):
    return services.catalog.text(org, key, lang, channel, **vars)
