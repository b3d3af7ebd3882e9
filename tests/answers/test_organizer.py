"""Organizer SMS commands: only the organization's organizer numbers change anything; a change
shows up in the next worker's answer; BROADCAST tells the members of that market."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sqlalchemy import insert

from bot.line.answers import dates
from bot.broadcasts.sending import drain
from bot.models import Broadcast, Contact, MarketStatus, Member, PendingBroadcast, ReliefDistribution, utcnow
from tests.answers.conftest import ORGANIZERS

# (org, organizer language, command, place, status) in each demo language
COMMANDS = [
    ("nairobi-vendors", "en", "STATUS Gikomba CLOSED until friday reason county cleanup", "nbo.gikomba", "closed"),
    ("nairobi-vendors", "sw", "HALI Gikomba IMEFUNGWA hadi kesho sababu usafi wa kaunti", "nbo.gikomba", "closed"),
    ("pune-wastepickers", "hi", "स्थिति मंडई बंद कल तक कारण सफाई", "pune.mandai", "closed"),
    ("pune-wastepickers", "en", "status mandai restricted reason repairs", "pune.mandai", "restricted"),
    ("dakar-vendors", "fr", "STATUT Sandaga FERMÉ jusqu'au samedi motif travaux de voirie", "dkr.sandaga", "closed"),
    ("montevideo-feriantes", "es", "ESTADO Tristan Narvaja TRASLADADA hasta el viernes motivo obras", "mvd.tristan-narvaja",
     "relocated"),
]


def rows(services, model):
    with services.db() as session:
        return list(session.scalars(select(model).order_by(model.id)))


@pytest.mark.parametrize("org,lang,command,place_id,status", COMMANDS)
def test_organizer_sets_a_status_and_the_next_worker_hears_it(services, line, org, lang, command, place_id, status):
    organizer = line(org, number=ORGANIZERS[org], lang=lang)
    name = services.catalog.place(place_id).name(lang)
    reply = organizer.one(command)
    [row] = rows(services, MarketStatus)
    # The reply says exactly what was saved: status, end and reason.
    saved = [organizer.text(f"market.status.{status}", lang)]
    if row.ends_at:
        saved.append(organizer.text("org.status.until", lang, until=dates.show_until(
            services.catalog, org, lang, "sms", row.ends_at, dates.org_zone(services.catalog, org))))
    saved.append(organizer.text("org.status.reason", lang, reason=row.reason))
    assert reply == organizer.text("org.status.saved.quiet", lang, market=name, status=" ".join(saved))
    assert (row.organization, row.place_id, row.status, row.source, row.changed_by) == (
        org, place_id, status, "sms", ORGANIZERS[org])
    assert rows(services, PendingBroadcast) == []
    worker = line(org)
    worker_lang = services.catalog.organizations[org].default_language
    answer = worker.one(services.catalog.place(place_id).name(worker_lang))
    assert organizer.text(f"market.status.{status}", worker_lang) in answer


@pytest.mark.parametrize("org,lang,command,place_id,status", COMMANDS)
def test_anyone_else_is_refused_and_nothing_changes(services, line, org, lang, command, place_id, status):
    worker = line(org, lang=lang)
    assert worker.one(command) == worker.text("org.refused", lang)
    assert rows(services, MarketStatus) == []


def test_an_organizer_of_another_org_is_refused(services, line):
    stranger = line("dakar-vendors", number=ORGANIZERS["nairobi-vendors"])
    assert stranger.one("STATUT Sandaga FERMÉ") == stranger.text("org.refused", "fr")
    assert rows(services, MarketStatus) == []


def _vendor_at(services, phone, place_id, language):
    now = utcnow()
    with services.engine.begin() as conn:
        contact = conn.execute(insert(Contact).values(
            organization="nairobi-vendors", phone=phone, language=language, created_at=now, updated_at=now,
            last_inbound_sms_at=now).returning(Contact.id)).scalar()
        conn.execute(insert(Member).values(
            organization="nairobi-vendors", contact_id=contact, seq=contact, number=f"NRB-{contact:05d}",
            name="Vendor", trade="vendor", city="Nairobi", place_id=place_id, language=language,
            consent_version="v1", consented_at=now, created_at=now, updated_at=now))


def test_broadcast_tells_the_members_of_that_market_in_their_language(services, line):
    _vendor_at(services, "+254799000001", "nbo.toi", "sw")
    _vendor_at(services, "+254799000002", "nbo.toi", "en")
    _vendor_at(services, "+254799000003", "nbo.gikomba", "en")  # another market: not told
    organizer = line("nairobi-vendors", number=ORGANIZERS["nairobi-vendors"])
    reply = organizer.one("BROADCAST STATUS Toi MOVED reason relocated to the bus park")
    assert reply == organizer.text("org.status.queued", "en", market="Toi Market", status="MOVED (relocated to the bus park)")
    [status] = rows(services, MarketStatus)
    [pending] = rows(services, PendingBroadcast)
    assert (pending.status, pending.kind, pending.market_status_id, pending.place_id, pending.requested_by) == (
        "sent", "market_status", status.id, "nbo.toi", ORGANIZERS["nairobi-vendors"])
    [broadcast] = rows(services, Broadcast)
    drain(broadcast.id, services=services, budget=None)

    sent = {m["to"]: m["body"] for m in services.sender.read()}
    assert set(sent) == {"+254799000001", "+254799000002"}
    worker = line("nairobi-vendors")
    assert sent["+254799000002"] == worker.one("Toi")  # the same words a worker asking gets
    assert "Toi" in sent["+254799000001"] and sent["+254799000001"] != sent["+254799000002"]


def test_status_query_is_answered_and_changes_nothing(services, line):
    organizer = line("nairobi-vendors", number=ORGANIZERS["nairobi-vendors"])
    organizer.one("status gikomba closed reason fire")
    worker = line("nairobi-vendors")
    reply = worker.one("status gikomba")
    assert reply == worker.text("market.answer.reason", "en", market="Gikomba", status="CLOSED", reason="fire")
    assert len(rows(services, MarketStatus)) == 1


def test_malformed_commands_get_the_usage(services, line):
    organizer = line("nairobi-vendors", number=ORGANIZERS["nairobi-vendors"])
    assert organizer.one("status nowhere closed") == organizer.text("org.status.usage", "en")
    assert organizer.one("status gikomba closed until someday") == organizer.text("org.status.usage", "en")
    assert organizer.one("distribution gikomba for everyone") == organizer.text("org.relief.usage", "en")
    assert rows(services, MarketStatus) == [] and rows(services, ReliefDistribution) == []


@pytest.mark.parametrize("org,lang,command,venue,recipients", [
    ("nairobi-vendors", "en", "DISTRIBUTION Gikomba friday 10:00 for fire victims", "nbo.gikomba", "fire victims"),
    ("nairobi-vendors", "sw", "MGAO Muthurwa kesho 9:00 kwa wajane", "nbo.muthurwa", "wajane"),
    ("pune-wastepickers", "hi", "वितरण मंडई कल 10 बजे सभी सदस्यों के लिए", "pune.mandai", "सभी सदस्यों"),
    ("dakar-vendors", "fr", "DISTRIBUTION Sandaga demain 10h00 pour les sinistrés", "dkr.sandaga", "les sinistrés"),
    ("montevideo-feriantes", "es", "REPARTO Cerro viernes 10:00 para clasificadores", "mvd.cerro", "clasificadores"),
])
def test_organizer_announces_a_distribution_workers_then_see(services, line, org, lang, command, venue, recipients):
    organizer = line(org, number=ORGANIZERS[org], lang=lang)
    reply = organizer.one(command)
    [row] = rows(services, ReliefDistribution)
    assert (row.place_id, row.recipients, row.changed_by, row.source) == (venue, recipients, ORGANIZERS[org], "sms")
    assert row.starts_at.astimezone().hour is not None
    assert reply.startswith(organizer.text("org.relief.saved", lang, venue="@", starts="@").split("@")[0])
    worker = line(org)
    first = worker.send("1")[0]
    worker_lang = services.catalog.organizations[org].default_language
    assert first.startswith(worker.text("relief.distribution", worker_lang, venue="@", starts="@",
                                        recipients="@").split("@")[0])


def test_broadcast_distribution_becomes_a_broadcast(services, line):
    organizer = line("montevideo-feriantes", number=ORGANIZERS["montevideo-feriantes"])
    reply = organizer.one("DIFUNDIR REPARTO Cerro mañana 10:00 para clasificadores")
    assert reply.startswith("Guardado: reparto en Feria del Cerro") and "pendiente" in reply
    [pending] = rows(services, PendingBroadcast)
    assert pending.kind == "relief_distribution" and pending.status == "sent"
    [broadcast] = rows(services, Broadcast)
    assert broadcast.organization == "montevideo-feriantes" and "Feria del Cerro" in broadcast.texts["es"]
