"""The organizers' pages in the organizer's language, with Flask-Babel.

Catalogs live in webhooks/translations/<lang>/LC_MESSAGES/messages.po (compiled to .mo by `make install`,
mk/i18n.mk). An account's language is its own choice (users.language) or else its organization's first
language; before sign-in, the browser's. Dates and numbers go through Babel for that locale, in the
organization's time zone. Labels for stored values (statuses, categories, trades) are here and not in
bot/, which stays free of Flask; the strings the pages' JS shows are here too, handed to it as JSON in a
data- attribute (a strict CSP forbids inline scripts)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import Flask, g, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_percent, format_time
from flask_babel import get_locale, gettext, lazy_gettext as _l, ngettext
from babel import numbers

from bot.line.answers import dates
from webhooks.context import current_services

SUPPORTED = ("en", "fr", "es", "sw", "hi")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

STATUS = {"new": _l("new"), "verified": _l("verified"), "in_progress": _l("in progress"),
          "resolved": _l("resolved"), "rejected": _l("rejected")}
CATEGORY = {"eviction": _l("eviction"), "confiscation": _l("confiscation"), "harassment": _l("harassment"),
            "bribe": _l("bribe demand"), "closure": _l("closure or demolition"), "fire_flood": _l("fire or flood"),
            "waste": _l("waste not collected"), "unpaid": _l("unpaid recyclables"), "injury": _l("injury"),
            "other": _l("other")}
TRADE = {"vendor": _l("vendor"), "waste_picker": _l("waste picker"), "porter": _l("porter"), "other": _l("other")}
# An outbound message's delivery status (provider-neutral, bot/messages.py RANK).
MESSAGE_STATUS = {"queued": _l("queued"), "accepted": _l("accepted"), "sending": _l("sending"), "sent": _l("sent"),
                  "delivered": _l("delivered"), "read": _l("read"), "failed": _l("failed"),
                  "undelivered": _l("undelivered"), "received": _l("received"), "canceled": _l("cancelled"),
                  "cancelled": _l("cancelled")}
RATE_UNIT = {"segments": _l("SMS segments"), "messages": _l("messages")}
MEDIA_KIND = {"image": _l("photo"), "audio": _l("voice note"), "video": _l("video"), "file": _l("file")}
PLACE_KIND = {"market": _l("market"), "area": _l("area"), "dumpsite": _l("dumpsite"),
              "landfill": _l("landfill"), "street": _l("street")}

# What the pages' scripts show, by key; {name} marks a value the script fills in.
JS_STRINGS = {
    "send": _l("Send"),
    "send_to": _l("Send to {n}"),
    "sending": _l("Sending…"),
    "saving": _l("Saving…"),
    "starting_broadcast": _l("Starting the broadcast…"),
    "write_default_text": _l("Write the {language} text to see the SMS cost and send."),
    "nobody_matches": _l("No one matches this segment yet."),
    "no_text_for": _l("No text yet for: {languages} (they get the {language} text)."),
    "skipped": _l("skipped: {explanation}"),
    "cost_line": _l("{segments} SMS segments, {messages} WhatsApp messages."),
    "reports": _l("Reports"),
    "members": _l("Members"),
    "people": _l("People"),
    "state": _l("State"),
    "why": _l("Why"),
    "code": _l("Code"),
    "none_so_far": _l("None so far."),
    "updating_every": _l("Updating every 2 seconds"),
    "last_update": _l("last update {time}"),
    "connection_lost": _l("Connection lost, retrying…"),
    "location": _l("location"),
    "attached": _l("{type} attached"),
    "you_have": _l("You have this conversation."),
    "someone_has": _l("{name} has this conversation."),
    "an_organizer": _l("An organizer"),
    "bot_silent_until": _l("The bot stays silent until it is handed back or {time}."),
    "bot_answers": _l("The bot answers this worker."),
    "take_over_hint": _l("Take over to talk to them yourself; the bot stays silent meanwhile."),
    "window_open_until": _l("24 h window open until {time}"),
    "window_closed": _l("window closed: free text cannot be sent until they write again"),
    "updated_at": _l("Updated {time}"),
    "offline_retrying": _l("Offline, retrying…"),
    "write_first": _l("Write a message before sending."),
    "characters_of": _l("{n} / {max} characters"),
    "sms_parts": _l("{n} SMS"),
    "sms_parts_unicode": _l("{n} SMS (Unicode)"),
    "n_characters": _l("{n} characters"),
    "sms_shows": _l("SMS shows: “{text}…”"),
    "placed_at_market": _l("Placed at its market: no exact location."),
    "map_shown_one": _l("{n} report on the map"),
    "map_shown": _l("{n} reports on the map"),
    "map_truncated": _l("the newest {shown} of {total}; narrow the filters to see the rest"),
    "map_unplaced": _l("{n} without a known place (see the list)"),
    "loading_reports": _l("Loading reports…"),
    "load_failed": _l("Could not load the reports: {error}"),
    "hide": _l("Hide"),
    "hidden_again": _l("hidden — reveal again if needed (logged)"),
    "sim_counter_sms": _l("{chars} chars · {encoding} · {segments} SMS"),
    "sim_chars_one": _l("{n} char"),
    "sim_chars": _l("{n} chars"),
    "sim_segments_one": _l("{n} segment"),
    "sim_segments": _l("{n} segments"),
    "sim_septets": _l("{n} septets"),
    "sim_units": _l("{n} units"),
    "sim_ucs2_because": _l("UCS-2 because of: {chars}"),
    "pushed": _l("pushed"),
    "photo": _l("photo"),
    "no_reply": _l("no reply"),
    "choose_photo": _l("Choose a photo first"),
    "offline": _l("offline"),
}


def label(table: dict, key: str | None) -> str:
    """The translated label of a stored value, or the value itself made readable."""
    if not key:
        return ""
    return str(table[key]) if key in table else key.replace("_", " ")


def status_label(status: str | None) -> str:
    return label(STATUS, status)


def category_label(category: str | None) -> str:
    return label(CATEGORY, category)


def trade_label(trade: str | None) -> str:
    return label(TRADE, trade)


def message_status(status: str | None) -> str:
    return label(MESSAGE_STATUS, status)


def kind_label(kind: str | None) -> str:
    return label(PLACE_KIND, kind)


def language_name(code: str | None) -> str:
    """A language in its own name ("Kiswahili", "हिंदी"), from content/languages.yaml."""

    info = current_services().catalog.language_info.get(code or "") or {}
    return info.get("label") or code or ""


HTTP_NAMES = {400: _l("The request cannot be used"), 403: _l("Not allowed"), 404: _l("Not found"),
              405: _l("Not allowed"), 409: _l("Changed meanwhile"), 413: _l("Too large"),
              429: _l("Too many tries"), 500: _l("Something went wrong")}


def http_name(code: int, name: str) -> str:
    return str(HTTP_NAMES[code]) if code in HTTP_NAMES else name


def _cluster_noun(category: str, n: int) -> str:
    # one msgid pair per category: how many of what, as organizers say it ("3 confiscations")
    nouns = {
        "eviction": lambda: ngettext("eviction report", "evictions", n),
        "confiscation": lambda: ngettext("confiscation report", "confiscations", n),
        "harassment": lambda: ngettext("harassment report", "harassment reports", n),
        "bribe": lambda: ngettext("bribe demand report", "bribe demands", n),
        "closure": lambda: ngettext("closure report", "closures", n),
        "fire_flood": lambda: ngettext("fire/flood report", "fire/flood reports", n),
        "waste": lambda: ngettext("waste report", "waste reports", n),
        "unpaid": lambda: ngettext("unpaid-recyclables report", "unpaid-recyclables reports", n),
        "injury": lambda: ngettext("injury report", "injuries", n),
    }
    return nouns.get(category, lambda: ngettext("other report", "other reports", n))()


def cluster_phrase(cluster, place: str | None = None, now: datetime | None = None) -> str:
    """"confiscations at Gikomba today" (the count goes before it), for a cluster summary of bot/desk/inbox.py
    (count, category, place, first_at)."""
    now = now or datetime.now(timezone.utc)
    days = (now.date() - cluster.first_at.date()).days
    if days <= 0:
        when = gettext("today")
    elif days == 1:
        when = gettext("since yesterday")
    else:
        when = gettext("since %(date)s", date=format_datetime(cluster.first_at, "d MMM"))
    return gettext("%(what)s at %(place)s %(when)s", what=_cluster_noun(cluster.category, cluster.count),
                   place=place or getattr(cluster, "place", None) or gettext("one place"), when=when)


def cluster_text(cluster, place: str | None = None) -> str:
    """"12 confiscations at Gikomba today"."""
    return f"{format_decimal(cluster.count)} {cluster_phrase(cluster, place)}"


def account_language(account, catalog) -> str:
    """The language an account reads the pages in: its own choice, else its organization's first
    language the pages have, else English."""
    if account is None:
        return "en"
    if account.language in SUPPORTED:
        return account.language
    org = catalog.organizations.get(account.organization)
    return next((lang for lang in (org.languages if org else ()) if lang in SUPPORTED), "en")


def choices(account, catalog) -> list[tuple[str, str]]:
    """The switcher's languages: the organization's (that the pages have), then English, each in its own
    name."""
    org = catalog.organizations.get(account.organization)
    codes = [lang for lang in (org.languages if org else ()) if lang in SUPPORTED]
    codes += [lang for lang in ("en",) if lang not in codes]
    if account.language in SUPPORTED and account.language not in codes:
        codes.append(account.language)
    names = catalog.language_info
    return [(code, (names.get(code) or {}).get("label", code)) for code in codes]


def _select_locale() -> str:

    account = g.get("account")
    if account is not None:
        return account_language(account, current_services().catalog)
    return request.accept_languages.best_match(SUPPORTED) or "en"


def _select_timezone() -> str | None:

    account = g.get("account")
    if account is None:
        return None
    return str(dates.zone(current_services().catalog.organizations.get(account.organization)))


def when(value: datetime | str | None, *, with_year: bool = True) -> str:
    """A moment in the organization's time zone, the locale's way: "3 déc. 2026, 14:05"."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    day = format_date(value, "medium") if with_year else format_datetime(value, "d MMM")
    return f"{day}, {format_time(value, 'short')}"


def day(value: date | datetime | None, form: str = "medium") -> str:
    """A day the locale's way ("3 déc. 2026"); datetimes are first moved to the organization's zone."""
    return format_date(value, form) if value else ""


def count(value):
    """A count the locale's way ("1 234"); a suppressed cell ("<5") as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value)
    return value


def share_text(share: str | None) -> str:
    """bot/desk/stats.py's "12.5%" the locale's way ("12,5 %"); "" (hidden) stays empty."""
    if not share or not share.endswith("%"):
        return share or ""
    try:  # Decimal: "18.6" stays 18.6 (a float shows 18.600000000000001)
        value = Decimal(share[:-1]) / 100
    except InvalidOperation:
        return share
    return numbers.format_percent(value, locale=get_locale(), decimal_quantization=False)


def js_strings() -> str:
    return json.dumps({key: str(text) for key, text in JS_STRINGS.items()}, ensure_ascii=False)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    # {% trans %} blocks span lines in the templates: one space between words in the catalogs.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_time=format_time,
        format_decimal=format_decimal, format_percent=format_percent, when=when, day=day, count=count,
        share_text=share_text,
        status_label=status_label, category_label=category_label, trade_label=trade_label,
        kind_label=kind_label, message_status=message_status, language_name=language_name, http_name=http_name, cluster_text=cluster_text,
        cluster_phrase=cluster_phrase,
        rate_unit=lambda unit: label(RATE_UNIT, unit), media_kind=lambda kind: label(MEDIA_KIND, kind),
        page_locale=lambda: str(get_locale() or "en"), js_strings=js_strings)

    @app.context_processor
    def switcher():

        account = g.get("account")
        return {"language_choices": choices(account, current_services().catalog) if account else []}
