"""A demo history for a demo organization (`python -m bot.cli demo load|clear ORG`, and `make run`), so the
pages show what the product does before real workers use it.

Twelve weeks of it, made through the code paths real traffic takes: contacts and their first messages
through the inbound store (bot/line/store.py), members through save_member, reports through create_report and
change_status (backdated with their `now`, so clusters form as they would have), market closures through
bot/line/live.py, a broadcast through the broadcasts service (sent inline through the configured sender, its
delivery results through the status-callback path), a taken-over conversation through bot/line/handover.py and
bot/desk/conversations.py. Never in production, only for organizations marked `demo: true` in content/.

Every row a load makes is registered in the organization's audit log (action "demo_data", the ids in its
detail), so `clear` removes exactly those rows and whatever hangs off the demo contacts, nothing else.
The texts workers and organizers "wrote" are in bot/desk/demo.yaml.
"""
from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import bindparam, delete, select, update

from bot.line import handover, live, reports
from bot.desk import report_status
from bot.desk.conversations import send_reply
from bot.desk.demo_media import attach, placeholders
from bot.line.delivery import record_status
from bot.messages import Inbound
from bot.line.media import media_dir
from bot.line.members import CONSENT_VERSION, save_member
from bot.models import (AuditEvent, Broadcast, BroadcastRecipient, Contact, Handover, InboundMessage, MarketStatus,
                        Member, OutboundMessage, Report, ReportCluster, ReportEvent, ReportMedia, StatusEvent, User,
                        utcnow)
from bot.line.sessions import handover_key
from bot.line.store import store_inbound

MARK = "demo_data"
WEEKS = 12
STALL_KINDS = ("market", "feria", "mandi")
# The status a report ends in, and the path it took there (every status appears).
PATHS = {"new": (), "verified": ("verified",), "in_progress": ("verified", "in_progress"),
         "resolved": ("verified", "in_progress", "resolved"), "rejected": ("rejected",)}


class DemoError(ValueError):
    """The demo history cannot be loaded or cleared here (production, not a demo org, already loaded)."""


@lru_cache(maxsize=1)
def corpus() -> dict:
    return yaml.safe_load((Path(__file__).with_name("demo.yaml")).read_text(encoding="utf-8"))


@dataclass
class Registry:
    """The ids of what one load made, by kind; stored in the audit log as they are made."""

    org: str
    ids: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, *ids: int) -> None:
        self.ids.setdefault(kind, []).extend(i for i in ids if i is not None)

    def save(self, services) -> None:
        if self.ids:
            with services.db.begin() as session:
                session.add(AuditEvent(organization=self.org, user_id=None, action=MARK, target="demo",
                                       detail={k: sorted(set(v)) for k, v in self.ids.items()}))
            self.ids = {}


def registered(services, org: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    with services.db() as session:
        for detail in session.scalars(select(AuditEvent.detail).where(AuditEvent.organization == org,
                                                                      AuditEvent.action == MARK)):
            for kind, ids in (detail or {}).items():
                out.setdefault(kind, set()).update(ids)
    return out


def _check(services, slug: str):
    if services.settings.production:
        raise DemoError("demo data is for development and demonstrations, never in production")
    org = services.catalog.organizations.get(slug)
    if org is None:
        raise DemoError(f"unknown organization {slug!r}")
    if not org.demo or slug not in corpus()["orgs"]:
        raise DemoError(f"{slug} is not a demo organization (demo: true in content/ and an entry in bot/desk/demo.yaml)")
    return org


# --------------------------------------------------------------------------- load


def load(services, slug: str, *, members: int = 220, reports_count: int = 320, seed: int = 7) -> dict:
    """Make the demo history of `slug`; returns counts. Refuses when it is already loaded."""
    org = _check(services, slug)
    if registered(services, slug).get("contacts"):
        raise DemoError(f"the demo history of {slug} is already loaded (clear it first)")
    rng = random.Random(f"{slug}:{seed}")
    now = utcnow().replace(microsecond=0)
    reg = Registry(slug)
    people = _contacts(services, org, rng, now, members + members // 5, reg)
    reg.save(services)
    _members(services, org, rng, people[:members])
    made = _reports(services, org, rng, now, people, reports_count, reg)
    reg.save(services)
    closures = _closures(services, org, rng, now, reg)
    reg.save(services)
    broadcast = _broadcast(services, org, rng, reg)
    reg.save(services)
    taken = _handover(services, org, rng, now, people[members // 2], reg)
    reg.save(services)
    return {"contacts": len(people), "members": members, "reports": made, "market_statuses": closures,
            "broadcast_recipients": broadcast, "taken_over_conversations": int(taken)}


@dataclass
class Person:
    contact_id: int
    phone: str
    channel: str
    language: str
    name: str
    place_id: str | None
    joined: datetime


def _weighted(rng, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _languages(org) -> dict:
    first, *rest = org.languages
    return {first: 3, **{lang: 1 for lang in rest}}


def _contacts(services, org, rng, now, count: int, reg: Registry) -> list[Person]:
    """Workers who texted the line over the weeks: contact and first message through the inbound store."""
    spec, lines = corpus()["orgs"][org.slug], corpus()["greetings"]
    stalls = [p.id for p in services.catalog.places(org.slug) if p.kind in STALL_KINDS] or \
        [p.id for p in services.catalog.places(org.slug)]
    people: list[Person] = []
    handled, touched = [], []
    with services.engine.begin() as conn:
        for n in range(count):
            phone = spec["phone"].format(n=n + 1)
            channel = "whatsapp" if rng.random() < 0.35 else "sms"
            language = _weighted(rng, _languages(org))
            joined = now - timedelta(days=WEEKS * 7 * rng.random() ** 0.7, minutes=rng.randrange(600))
            prefix = "whatsapp:" if channel == "whatsapp" else ""
            name = rng.choice(spec["names"])
            inbound = Inbound(sid=f"SM{rng.getrandbits(128):032x}", channel=channel, from_address=prefix + phone,
                              to_address=prefix + org.numbers[0], phone=phone, to_number=org.numbers[0],
                              body=rng.choice(lines.get(language) or lines["en"]), received_at=joined,
                              profile_name=name if channel == "whatsapp" else None,
                              wa_id=phone.lstrip("+") if channel == "whatsapp" else None)
            message_id, contact = store_inbound(conn, inbound, org.slug)
            handled.append({"mid": message_id, "at": joined})
            # The language the worker chose from the menu, and when they first wrote.
            touched.append({"cid": contact.id, "language": language, "at": joined})
            people.append(Person(contact.id, phone, channel, language, name, rng.choice(stalls), joined))
            reg.add("contacts", contact.id)
        conn.execute(update(InboundMessage).where(InboundMessage.id == bindparam("mid"))
                     .values(handled_at=bindparam("at")), handled)
        conn.execute(update(Contact).where(Contact.id == bindparam("cid"))
                     .values(language=bindparam("language"), created_at=bindparam("at"), opted_in_at=bindparam("at")),
                     touched)
    return people


def _members(services, org, rng, people: list[Person]) -> None:
    trades = corpus()["orgs"][org.slug]["trades"]
    city = org.cities[0] if org.cities else None
    for person in people:
        save_member(services, org, person.contact_id,
                    {"name": person.name, "trade": _weighted(rng, trades), "city": city,
                     "place_id": person.place_id, "place_text": None, "language": person.language},
                    consent_version=CONSENT_VERSION)


def _times(rng, now, count: int) -> list[tuple[datetime, int]]:
    """Report times over twelve weeks, busier lately, with bursts (one place and category within hours):
    (time, burst number or -1). Some land in the last day so Today has news."""
    times = [(now - timedelta(days=WEEKS * 7 * rng.random() ** 1.6, minutes=rng.randrange(60 * 14)), -1)
             for _ in range(int(count * 0.7))]
    burst = 0
    while len(times) < count:
        start = now - timedelta(hours=2 + rng.random() * 20) if burst == 0 else \
            now - timedelta(days=1 + WEEKS * 7 * rng.random() ** 1.3)
        for _ in range(rng.randint(3, 7)):
            times.append((start + timedelta(minutes=rng.randrange(240)), burst))
        burst += 1
    return sorted((min(t, now - timedelta(minutes=5)), b) for t, b in times[:count])


def _reports(services, org, rng, now, people: list[Person], count: int, reg: Registry) -> int:
    spec, texts, typed = corpus()["orgs"][org.slug], corpus()["reports"], corpus()["typed_places"]
    places = [p for p in services.catalog.places(org.slug)]
    stalls = [p for p in places if p.kind in STALL_KINDS] or places
    bursts: dict[int, tuple[str, object]] = {}
    photo, voice = placeholders(services, org.slug)
    made = 0
    for at, burst in _times(rng, now, count):
        person = rng.choice(people)
        if burst >= 0:
            category, place = bursts.setdefault(burst, (_weighted(rng, spec["categories"]), rng.choice(stalls)))
        else:
            category, place = _weighted(rng, spec["categories"]), rng.choice(places)
        lines = (texts.get(person.language) or {}).get(category) or texts["en"].get(category) or texts["en"]["other"]
        roll = rng.random()
        if roll < 0.08:  # typed, not in the gazetteer
            where = {"place_id": None, "place_text": rng.choice(typed.get(person.language) or typed["en"]),
                     "latitude": None, "longitude": None, "address": None}
        elif person.channel == "whatsapp" and roll < 0.35 and place.lat is not None:  # a location pin
            where = {"place_id": place.id, "place_text": None, "address": None,
                     "latitude": round(place.lat + rng.uniform(-0.002, 0.002), 6),
                     "longitude": round(place.lon + rng.uniform(-0.002, 0.002), 6)}
        else:
            where = {"place_id": place.id, "place_text": place.name(person.language), "latitude": None,
                     "longitude": None, "address": None}
        report = reports.create_report(
            services, org.slug, contact_id=person.contact_id, channel=person.channel, language=person.language,
            category=category, description=rng.choice(lines), place=where,
            occurred_on=(at - timedelta(days=rng.choice((0, 0, 0, 1)))).date(), occurred_text=None,
            anonymous=rng.random() < 0.3, now=at,
            quote_consent=made % 3 != 0)  # two in three agree to be quoted (not drawn: the history stays the same)
        reg.add("reports", report.id)
        reg.add("clusters", report.cluster_id)
        if person.channel == "whatsapp" and rng.random() < 0.4:
            attach(services, report.id, *(photo if rng.random() < 0.75 else voice), at)
        _progress(services, org, rng, report.reference, at, now)
        made += 1
    return made


def _progress(services, org, rng, reference: str, at: datetime, now: datetime) -> None:
    """Older reports have moved on; the newest mostly wait. The reporter is not messaged for the past."""
    age = (now - at).days
    if age < 1:
        final = rng.choice(("new", "new", "new", "verified"))
    else:
        final = rng.choices(list(PATHS), weights=(1, 3, 3, 4, 1) if age > 14 else (4, 4, 3, 1, 1))[0]
    notes = corpus()["notes"]
    step = at
    for status in PATHS[final]:
        step = min(step + timedelta(hours=rng.randint(2, 72)), now)
        report_status.change_status(services, org.slug, reference, status, notes.get(status), actor="demo organizer",
                              now=step, notify=False)


def _closures(services, org, rng, now, reg: Registry) -> int:
    reasons = corpus()["closures"]
    lang = org.default_language
    stalls = [p.id for p in services.catalog.places(org.slug) if p.kind in STALL_KINDS]
    made = 0
    for place_id, (start, days, status) in zip(rng.sample(stalls, min(4, len(stalls))),
                                               ((-30, 2, "closed"), (-9, 1, "restricted"), (0, 2, "closed"),
                                                (3, 1, "closed"))):
        starts = (now + timedelta(days=start)).replace(hour=5, minute=0, second=0)
        view, _ = live.set_market_status(services, org.slug, place_id, status, changed_by="demo organizer",
                                         source="cli", starts_at=starts, ends_at=starts + timedelta(days=days),
                                         reason=rng.choice(reasons.get(lang) or reasons["en"]))
        reg.add("market_statuses", view.id)
        made += 1
    return made


def _broadcast(services, org, rng, reg: Registry) -> int:
    """A notice to one busy market's members, sent through the configured sender; the delivery results
    arrive through the status-callback path."""
    from bot.broadcasts.service import create_broadcast, send_broadcast

    spec = corpus()["broadcast"]
    with services.db() as session:
        places = session.scalars(select(Member.place_id).where(Member.organization == org.slug,
                                                               Member.place_id.is_not(None))).all()
    market = max(set(places), key=places.count)
    texts = {lang: spec["texts"][lang] for lang in org.languages if lang in spec["texts"]}
    broadcast_id = create_broadcast(services, org.slug, {"markets": [market]}, texts, created_by="demo organizer",
                                    name=spec["name"], rate=1000, rate_unit="messages")
    reg.add("broadcasts", broadcast_id)
    reg.save(services)
    send_broadcast(services, broadcast_id, org.slug, inline=True)
    with services.db() as session:
        sent = session.execute(select(BroadcastRecipient.provider_sid, BroadcastRecipient.channel)
                               .where(BroadcastRecipient.broadcast_id == broadcast_id,
                                      BroadcastRecipient.provider_sid.is_not(None))).all()
    for sid, channel in sent:
        roll = rng.random()
        if roll < 0.08:
            record_status(services, sid, "undelivered", error_code=30003)
        elif roll < 0.12:
            record_status(services, sid, "failed", error_code=30006)
        else:
            record_status(services, sid, "delivered")
            if channel == "whatsapp" and rng.random() < 0.7:
                record_status(services, sid, "read")
    return len(sent)


def _handover(services, org, rng, now, person: Person, reg: Registry) -> bool:
    """A worker asks for a person; an organizer of the org takes over and replies (from the page's code)."""
    with services.db() as session:
        user_id = session.scalar(select(User.id).where(User.organization == org.slug, User.disabled_at.is_(None))
                                 .order_by(User.role != "admin", User.id).limit(1))
    if user_id is None:  # no organizer account yet: nobody could have taken it over
        return False
    lines = corpus()["handover"]
    lang = person.language
    with services.engine.begin() as conn:
        for n, body in enumerate(lines["worker"].get(lang) or lines["worker"]["en"]):
            at = now - timedelta(minutes=25 - 8 * n)
            inbound = Inbound(sid=f"SM{rng.getrandbits(128):032x}", channel="sms", from_address=person.phone,
                              to_address=org.numbers[0], phone=person.phone, to_number=org.numbers[0], body=body,
                              received_at=at)
            message_id, _ = store_inbound(conn, inbound, org.slug)
            conn.execute(update(InboundMessage).where(InboundMessage.id == message_id).values(handled_at=at))
    handover.start(services, org.slug, person.contact_id, user_id)
    send_reply(services, org.slug, person.contact_id, user_id,
               lines["organizer"].get(lang) or lines["organizer"]["en"])
    return True


# --------------------------------------------------------------------------- clear


def clear(services, slug: str) -> dict:
    """Remove exactly what demo loads made for `slug` (and what hangs off its demo contacts)."""
    _check(services, slug)
    ids = registered(services, slug)
    contacts = sorted(ids.get("contacts", ()))
    report_ids = sorted(ids.get("reports", ()))
    counts: dict[str, int] = {}
    if services.redis is not None:
        with services.db() as session:
            held = session.execute(select(Handover.contact_id, Contact.phone).join(Contact, Contact.id == Handover.contact_id)
                                   .where(Handover.contact_id.in_(contacts), Handover.ended_at.is_(None))).all()
        for _, phone in held:  # the bot must not stay silent for a number that is gone
            services.redis.delete(handover_key(slug, phone))
    with services.db.begin() as session:
        outbound = session.execute(select(OutboundMessage.id, OutboundMessage.provider_sid)
                                   .where(OutboundMessage.contact_id.in_(contacts))).all()
        sids = [sid for _, sid in outbound if sid] + list(session.scalars(
            select(BroadcastRecipient.provider_sid).where(BroadcastRecipient.contact_id.in_(contacts),
                                                          BroadcastRecipient.provider_sid.is_not(None))))
        targets = [f"contact:{c}" for c in contacts] + [f"outbound:{o}" for o, _ in outbound]

        def gone(name: str, stmt) -> None:
            counts[name] = session.execute(stmt).rowcount or 0

        for chunk in _chunks(sids):
            gone("status_events", delete(StatusEvent).where(StatusEvent.provider_sid.in_(chunk)))
        for chunk in _chunks(targets):
            gone("audit_events", delete(AuditEvent).where(AuditEvent.organization == slug,
                                                         AuditEvent.target.in_(chunk)))
        gone("report_events", delete(ReportEvent).where(ReportEvent.report_id.in_(report_ids)))
        gone("report_media", delete(ReportMedia).where(ReportMedia.report_id.in_(report_ids)))
        gone("reports", delete(Report).where(Report.organization == slug, Report.id.in_(report_ids)))
        used = select(Report.cluster_id).where(Report.cluster_id.is_not(None)).scalar_subquery()
        gone("report_clusters", delete(ReportCluster).where(ReportCluster.organization == slug,
                                                            ReportCluster.id.in_(sorted(ids.get("clusters", ()))),
                                                            ReportCluster.id.not_in(used)))
        broadcasts = sorted(ids.get("broadcasts", ()))
        gone("broadcast_recipients", delete(BroadcastRecipient).where(BroadcastRecipient.broadcast_id.in_(broadcasts)))
        gone("broadcasts", delete(Broadcast).where(Broadcast.organization == slug, Broadcast.id.in_(broadcasts)))
        gone("market_statuses", delete(MarketStatus).where(MarketStatus.organization == slug,
                                                           MarketStatus.id.in_(sorted(ids.get("market_statuses", ())))))
        gone("outbound_messages", delete(OutboundMessage).where(OutboundMessage.contact_id.in_(contacts)))
        gone("inbound_messages", delete(InboundMessage).where(InboundMessage.contact_id.in_(contacts)))
        gone("handovers", delete(Handover).where(Handover.contact_id.in_(contacts)))
        gone("members", delete(Member).where(Member.organization == slug, Member.contact_id.in_(contacts)))
        gone("contacts", delete(Contact).where(Contact.organization == slug, Contact.id.in_(contacts)))
        session.execute(delete(AuditEvent).where(AuditEvent.organization == slug, AuditEvent.action == MARK))
    shutil.rmtree(media_dir(services.settings) / f"demo-{slug}", ignore_errors=True)
    return counts


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]
