"""Telling a reporter something about their report outside a conversation turn (raised with an authority,
"has it been fixed?"), and telling the organization's organizer numbers (a worker saying it was not).
In the reporter's language and channel, through bot.line.outbound.send_to_contact, the one send path.
Anonymous reporters are told too: we know their number; only the organizers' pages hide it."""
from __future__ import annotations

from typing import Callable

from bot.line.outbound import Sent, send_to_contact
from bot.line.replies import finish
from bot.line.reports import truncate
from bot.models import Contact, Report
from bot.providers import whatsapp_window_open

KIND = "report_note"  # outbound_messages.kind of these messages


def reader(services, report: Report, contact: Contact) -> tuple[str, str]:
    """(language, channel) to write to this reporter in. WhatsApp refuses free text 24 h after the
    worker's last message (63016); the same number then gets an SMS, worded for SMS."""
    org = services.catalog.org(report.organization)
    lang = contact.language or report.language or org.default_language
    if lang not in org.languages:
        lang = org.default_language
    channel = report.channel
    if channel == "whatsapp" and not whatsapp_window_open(contact.last_inbound_whatsapp_at):
        channel = "sms"
    return lang, channel


def authority_name(services, lang: str, name: str) -> str:
    return truncate(services.catalog, "authority", lang, name)


def tell_reporter(services, report: Report, contact: Contact | None, key: str, *, also: Callable | None = None,
                  **vars) -> Sent | None:
    """None when there is nobody to tell (no number, opted out, forgotten)."""
    if contact is None or contact.opted_out or not contact.phone:
        return None
    catalog = services.catalog
    org = catalog.org(report.organization)
    lang, channel = reader(services, report, contact)
    if "authority" in vars:
        vars["authority"] = authority_name(services, lang, vars["authority"])
    body = catalog.text(org.slug, key, lang, channel, ref=report.reference, **vars)
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    return send_to_contact(services, org=org.slug, contact_id=contact.id, channel=channel, to=prefix + contact.phone,
                           from_=prefix + org.numbers[0], reply=finish(body, channel), kind=KIND, also=also)


def tell_organizers(services, org_slug: str, key: str, **vars) -> int:
    """An SMS to each of the organization's organizer numbers (org.yaml `organizers`), in its first
    language. Returns how many were sent."""
    catalog = services.catalog
    org = catalog.org(org_slug)
    lang = org.default_language
    if "authority" in vars:
        vars["authority"] = authority_name(services, lang, vars["authority"])
    if "refs" in vars:
        vars["refs"] = truncate(catalog, "refs", lang, vars["refs"])
    reply = finish(catalog.text(org.slug, key, lang, "sms", **vars), "sms")
    sent = 0
    for number in org.organizers:
        result = send_to_contact(services, org=org.slug, contact_id=None, channel="sms", to=number,
                                 from_=org.numbers[0], reply=reply, kind="organizer_alert")
        sent += not result.failed
    return sent
