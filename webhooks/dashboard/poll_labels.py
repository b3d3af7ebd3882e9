"""How a poll's results are labelled on its page and on its public permalink: an option's label in the
organization's language, a breakdown group's name (a market, a trade, a language, a channel)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webhooks.dashboard import i18n
from webhooks.dashboard.common import current_services

BREAKDOWNS = {"market": _l("By market"), "trade": _l("By trade"), "language": _l("By language"),
              "channel": _l("By channel")}


def option_label(question: dict, option: str, lang: str) -> str:
    if option == "other":
        return str(_l("Other answers"))
    labels = question["labels"].get(option, {})
    return labels.get(lang) or next(iter(labels.values()), option)


def breakdown_group(name: str, key: str, lang: str) -> str:
    if name == "market":
        return current_services().catalog.place(key).name(lang) if key and key != "-" else str(_l("No market given"))
    if name == "trade":
        return i18n.trade_label(key) if key != "-" else "—"
    if name == "language":
        return i18n.language_name(key)
    return {"sms": "SMS", "whatsapp": "WhatsApp"}.get(key, key)
