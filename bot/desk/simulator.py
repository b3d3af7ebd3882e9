"""The phone simulator's side of the line (no Flask): simulated phone numbers, provider-format signed
forms, and reading what the line sent to a simulated phone.

A simulated phone is an ordinary number in a reserved test range of the organization's country
(+254 70000 xxxx in Kenya, +91 700000 xxxx in India, ...). A number is handed out only when no contact
of any organization has it, it is not an organization's or an organizer's number, and (when Redis is
there) no other browser claimed it: so a simulator session never speaks as, or reads for, a real member.
The browser session that owns a number keeps it in its signed session cookie; nothing else lets a
caller name a number to read.

Messages go through the real webhook (`webhooks/dashboard/simulator.py` posts `build_form`'s form,
signed by `sign`, through the app in-process): signature check, parsing, storage, engine, TwiML.

What the line pushes later (report status notifications, broadcasts, organizer replies) is read from
two places, so the simulator works with either sender:

* the local outbox (OutboxSender's JSONL at settings.outbox_path; read from a byte offset, complete
  lines only), when no Twilio account is configured;
* the database's OutboundMessage rows addressed to the phone (kind "message": what went through the
  sender; broadcasts write one such row per recipient, BroadcastRecipient itself keeps no body), with
  their delivery status.

Both carry the provider SID, which is the key a message is shown under, so the same message read from
both places is shown once.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from sqlalchemy import func, select

from bot.messages import MAX_BODY
from bot.providers import simulated_phone
from bot.models import Contact, InboundMessage, OutboundMessage, OrganizationNumber
from bot.phones import to_e164
from content.sms import non_gsm7_chars, segment_info, split_segments

WEBHOOK_PATH = simulated_phone.WEBHOOK_PATH
CHANNELS = ("sms", "whatsapp")
SIMULATOR_ACCOUNT = simulated_phone.SIMULATOR_ACCOUNT
PROFILE_MAX = 60
HISTORY_LIMIT = 100
PUSHED_LIMIT = 50
OUTBOX_READ_MAX = 4 * 1024 * 1024  # bytes of outbox read per poll; the rest on the next poll

# Reserved test ranges: national prefix per country calling code; 4 random digits follow.
TEST_RANGES = {254: "70000", 91: "700000", 221: "70000", 598: "9900"}
RANDOM_DIGITS = 4
CLAIM_TTL = 90 * 24 * 3600
CLAIM_KEY = "simulator:phone:{}"


class SimulatorError(ValueError):
    """Bad input from the simulator page; the message is shown to the organizer (a 400)."""


class NoFreeNumber(RuntimeError):
    """Every number of the test range is taken."""


# --------------------------------------------------------------------------- phones


def _range_prefix(org_number: str) -> str:
    """'+25470000' for a Kenyan organization: country code and the reserved national prefix."""
    number = phonenumbers.parse(org_number, None)
    cc = number.country_code
    national = TEST_RANGES.get(cc)
    if national is None:  # another country: the start of its documented example mobile number
        region = phonenumbers.region_code_for_country_code(cc)
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        digits = str(example.national_number) if example else str(number.national_number)
        national = digits[:max(1, len(digits) - RANDOM_DIGITS)]
    return f"+{cc}{national}"


def in_test_range(phone: str, org_number: str) -> bool:
    prefix = _range_prefix(org_number)
    return phone.startswith(prefix) and len(phone) == len(prefix) + RANDOM_DIGITS and phone[1:].isdigit()


def _taken(services, phone: str) -> bool:
    catalog = services.catalog
    for org in catalog.organizations.values():
        if phone in org.numbers or org.is_organizer(phone):
            return True
    with services.db() as session:
        if session.scalar(select(Contact.id).where(Contact.phone == phone).limit(1)) is not None:
            return True
        return session.get(OrganizationNumber, phone) is not None


def _claim(services, phone: str, owner: str) -> bool:
    """Reserve the number for one browser session (Redis SET NX); without Redis the database check
    alone decides."""
    from redis.exceptions import RedisError

    if services.redis is None:
        return True
    try:
        return bool(services.redis.set(CLAIM_KEY.format(phone), owner, nx=True, ex=CLAIM_TTL))
    except (RedisError, OSError):
        return True


def _suffix() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(RANDOM_DIGITS))


def new_phone(services, org_number: str, owner: str, attempts: int = 40) -> str:
    """A fresh simulated number in the test range of `org_number`'s country that no one has."""
    prefix = _range_prefix(org_number)
    for _ in range(attempts):
        candidate = prefix + _suffix()
        phone = to_e164(candidate)
        if phone is None or phone != candidate:
            raise NoFreeNumber(f"{prefix}… is not a usable test range")
        if not _taken(services, phone) and _claim(services, phone, owner):
            return phone
    raise NoFreeNumber(f"no free simulated number in {prefix}…; try again")


def new_owner() -> str:
    """An id for one browser session's simulator (kept in the signed session cookie)."""
    return secrets.token_urlsafe(16)


def address(phone: str, channel: str) -> str:
    return f"whatsapp:{phone}" if channel == "whatsapp" else phone


def watermarks(services, settings) -> dict:
    """Where this phone's history starts: the outbox size and the highest message ids now. Everything
    the phone sees later is after these, so reading never scans what came before it."""
    path = Path(settings.outbox_path)
    with services.db() as session:
        out_id = session.scalar(select(func.max(OutboundMessage.id))) or 0
        in_id = session.scalar(select(func.max(InboundMessage.id))) or 0
    return {"outbox": path.stat().st_size if path.exists() else 0, "out_id": out_id, "in_id": in_id}


# --------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    address: str | None = None
    label: str | None = None


def coordinate(raw, bound: float, name: str) -> float:
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        raise SimulatorError(f"{name} must be a number, like -1.2836") from None
    if value != value or abs(value) > bound:
        raise SimulatorError(f"{name} must be between -{bound:g} and {bound:g}")
    return value


def location_of(catalog, org_slug: str, *, place_id: str | None = None, latitude=None, longitude=None,
                label: str | None = None) -> Location:
    """A pin at one of the organization's gazetteer places, or at typed coordinates."""
    if place_id:
        place = next((p for p in catalog.places(org_slug) if p.id == place_id), None)
        if place is None or place.lat is None or place.lon is None:
            raise SimulatorError("Pick a place from the list, or type coordinates")
        org = catalog.organizations.get(org_slug)
        return Location(place.lat, place.lon, None, place.name(org.default_language if org else "en"))
    lat = coordinate(latitude, 90, "Latitude")
    lon = coordinate(longitude, 180, "Longitude")
    label = (label or "").strip()[:200] or None
    return Location(lat, lon, None, label)


def build_form(*, channel: str, phone: str, to: str, body: str, account_sid: str | None = None,
               profile_name: str | None = None, location: Location | None = None,
               media: list[tuple[str, str]] = ()) -> dict:
    """The form the provider posts for one inbound message from this phone."""
    if channel not in CHANNELS:
        raise SimulatorError("channel must be sms or whatsapp")
    where = {} if location is None else {"latitude": location.latitude, "longitude": location.longitude,
                                         "place_address": location.address, "label": location.label}
    return simulated_phone.build_form(channel=channel, phone=phone, to=to, body=body, account_sid=account_sid,
                                      profile_name=profile_name, media=media, **where)


def check_body(body: str, channel: str, has_attachment: bool) -> str:
    if len(body) > MAX_BODY:
        raise SimulatorError(f"A message can be at most {MAX_BODY} characters (this one has {len(body)})")
    if not body.strip() and not has_attachment:
        raise SimulatorError("Type a message first" + (", or send a location or a photo"
                                                        if channel == "whatsapp" else ""))
    return body


def signed_url(settings, path: str = WEBHOOK_PATH) -> str:
    return simulated_phone.signed_url(settings, path)


def sign(settings, form: dict, path: str = WEBHOOK_PATH) -> str:
    """The provider's signature for `form` posted to PUBLIC_BASE_URL + path, with the app's secret."""
    return simulated_phone.sign(settings, form, path)


def parse_twiml(xml: str) -> list[str]:
    """The texts of the line's answer to a simulated message."""
    return simulated_phone.parse_twiml(xml)


# --------------------------------------------------------------------------- what a phone shows


def describe(text: str, channel: str) -> dict:
    """What the simulator shows under a message: characters, and for SMS the encoding and parts."""
    info = segment_info(text)
    shown = {"body": text, "chars": len(text), "channel": channel}
    if channel == "sms":
        shown.update(encoding=info.encoding, segments=info.segments, units=info.units,
                     parts=split_segments(text),
                     ucs2_chars=sorted({c for _, c in non_gsm7_chars(text)})[:20])
    return shown


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _pushed_row(row: OutboundMessage) -> dict | None:
    if row.provider_sid is None and row.status != "failed":
        return None  # not handed to the sender yet
    return {**describe(row.body or "", row.channel), "key": row.provider_sid or f"out:{row.id}",
            "direction": "in", "kind": "pushed", "status": row.status, "at": _iso(row.created_at),
            "source": "database"}


def pushed_from_db(services, org: str, phone: str, since_id: int) -> list[dict]:
    """Messages the line sent this phone through the sender (not TwiML replies), oldest first."""
    addresses = [address(phone, c) for c in CHANNELS]
    with services.db() as session:
        rows = list(session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id > since_id, OutboundMessage.organization == org,
                   OutboundMessage.to_address.in_(addresses), OutboundMessage.kind != "reply")
            .order_by(OutboundMessage.id.desc()).limit(PUSHED_LIMIT)))
    return [m for m in (_pushed_row(r) for r in reversed(rows)) if m is not None]


def read_outbox(path: Path, offset: int, addresses: set[str], from_numbers: set[str]) -> tuple[list[dict], int]:
    """Outbox records to `addresses` (from the organization's numbers) after byte `offset`; returns them
    and the offset to read from next. A line still being written (no newline yet) waits for later."""
    path = Path(path)
    if not path.exists():
        return [], 0
    size = path.stat().st_size
    if offset > size:  # the outbox was truncated or replaced: start over
        offset = 0
    found = []
    with open(path, "rb") as fh:
        fh.seek(offset)
        chunk = fh.read(min(size - offset, OUTBOX_READ_MAX))
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    for line in chunk[:end + 1].splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        to = record.get("to")
        if to in addresses and to_e164(record.get("from") or "") in from_numbers:
            channel = "whatsapp" if to.startswith("whatsapp:") else "sms"
            found.append({**describe(record.get("body") or "", channel), "key": record.get("sid"),
                          "direction": "in", "kind": "pushed", "status": "sent", "at": record.get("at"),
                          "media_urls": record.get("media_urls") or [], "source": "outbox"})
    return found, offset + end + 1


def pushed(services, org, phone: str, marks: dict, outbox_offset: int | None) -> tuple[list[dict], int]:
    """Everything pushed to `phone` by `org` since the phone was made: (messages, next outbox offset)."""
    settings = services.settings
    offset = marks.get("outbox", 0) if outbox_offset is None else max(int(outbox_offset), 0)
    found, next_offset = read_outbox(settings.outbox_path, offset, {address(phone, c) for c in CHANNELS},
                                     set(org.numbers))
    seen = {m["key"] for m in found}
    for message in pushed_from_db(services, org.slug, phone, marks.get("out_id", 0)):
        if message["key"] not in seen:
            found.append(message)
    return found, next_offset


def history(services, org: str, phone: str, marks: dict) -> list[dict]:
    """The phone's conversation so far from the database: what it sent, the TwiML replies and what was
    pushed, in order (for a reload of the page)."""
    addresses = [address(phone, c) for c in CHANNELS]
    with services.db() as session:
        sent = list(session.scalars(
            select(InboundMessage)
            .where(InboundMessage.id > marks.get("in_id", 0), InboundMessage.organization == org,
                   InboundMessage.from_address.in_(addresses))
            .order_by(InboundMessage.id.desc()).limit(HISTORY_LIMIT)))
        got = list(session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id > marks.get("out_id", 0), OutboundMessage.organization == org,
                   OutboundMessage.to_address.in_(addresses))
            .order_by(OutboundMessage.id.desc()).limit(HISTORY_LIMIT)))
    items = []
    for m in sent:
        items.append((m.received_at, 0, m.id, {
            **describe(m.body or "", m.channel), "key": m.provider_sid, "direction": "out", "kind": "sent",
            "at": _iso(m.received_at), "media_urls": [x.get("url") for x in (m.media or []) if x.get("url")],
            "latitude": m.latitude, "longitude": m.longitude, "label": m.label}))
    for m in got:
        if m.kind == "reply":
            item = {**describe(m.body or "", m.channel), "key": f"out:{m.id}", "direction": "in", "kind": "reply",
                    "at": _iso(m.created_at)}
        else:
            item = _pushed_row(m)
            if item is None:
                continue
        items.append((m.created_at, 1, m.id, item))
    items.sort(key=lambda t: (t[0], t[1], t[2]))
    return [t[3] for t in items]
