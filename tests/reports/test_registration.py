"""Registration through signed webhooks: consent first, member numbers, gazetteer suggestions,
languages, updates, and nothing kept without consent."""
from __future__ import annotations

from bot.line.members import CONSENT_VERSION
from bot.models import Contact, Member
from tests.reports.helpers import DAKAR, MONTEVIDEO, PUNE, rows, text


def test_swahili_vendor_registers_over_sms(services, phone):
    worker = phone("+254711100001")
    worker.send("5")
    worker.send("2")  # Kiswahili
    consent = worker.send("jiunge")
    assert consent == text(services, "consent.v1", "sw")
    assert worker.send("ndiyo") == text(services, "registration.name", "sw")
    assert worker.send("Wanjiku Kamau") == text(services, "registration.trade", "sw")
    assert worker.send("1") == text(services, "registration.place", "sw")  # one city: not asked
    assert worker.send("soko la gikomba") == text(services, "language.menu", "sw",
                                                  languages=services.catalog.auto_variables(
                                                      "nairobi-vendors", "sw", "sms")["languages"])
    done = worker.send("2")
    assert done == text(services, "registration.done", "sw", number="NRB-00001")
    [member] = rows(services, Member)
    assert (member.number, member.name, member.trade, member.place_id, member.language) == (
        "NRB-00001", "Wanjiku Kamau", "vendor", "nbo.gikomba", "sw")
    assert member.consent_version == CONSENT_VERSION and member.consented_at is not None
    # the next one gets the next number
    other = phone("+254711100002")
    for body in ("join", "yes", "Otieno", "2", "Muthurwa", "1"):
        reply = other.send(body)
    assert reply == text(services, "registration.done", "en", number="NRB-00002")


def test_declining_consent_keeps_nothing(services, phone):
    worker = phone("+254711100003")
    worker.send("join")
    assert worker.send("2") == text(services, "registration.declined", "en")
    assert rows(services, Member) == []
    [contact] = rows(services, Contact)
    assert contact.language is None and not contact.opted_out


def test_unsure_place_offers_numbered_suggestions_and_unknown_is_kept_as_typed(services, phone):
    worker = phone("+254711100004")
    for body in ("join", "yes", "Akinyi", "1"):
        worker.send(body)
    ask = worker.send("Gitura")  # Githurai? Gikomba?
    assert ask.startswith("Which one?") and "Githurai" in ask and "None of these" in ask
    options = ask.split("Reply ", 1)[1]
    assert worker.send("1") == text(services, "language.menu", "en", languages="1 English 2 Kiswahili")
    worker.send("1")
    [member] = rows(services, Member)
    assert member.place_id == "nbo.githurai" and member.place_text == "Gitura", options

    other = phone("+254711100005")
    for body in ("join", "yes", "Baraka", "4", "Behind the bus stage at Zzyzx", "1"):
        other.send(body)
    member = rows(services, Member)[-1]
    assert (member.place_id, member.place_text, member.trade) == (None, "Behind the bus stage at Zzyzx", "other")


def test_whatsapp_location_pin_registers_the_nearest_market(services, phone):
    worker = phone("+254711100006", "whatsapp")
    for body in ("join", "1", "Njeri", "3"):
        worker.send(body)
    reply = worker.send("", Latitude="-1.2838", Longitude="36.8390", Label="Gikomba")
    assert "English" in reply and "Kiswahili" in reply
    worker.send("1")
    [member] = rows(services, Member)
    assert (member.place_id, member.trade) == ("nbo.gikomba", "porter")


def test_member_updates_one_detail(services, phone):
    worker = phone("+254711100007")
    for body in ("join", "yes", "Wambui", "1", "Toi", "1"):
        worker.send(body)
    ask = worker.send("join")
    assert ask == text(services, "registration.update", "en", number="NRB-00001")
    assert worker.send("3") == text(services, "registration.place", "en")
    assert worker.send("Kariokor") == text(services, "registration.updated", "en", number="NRB-00001")
    [member] = rows(services, Member)
    assert (member.place_id, member.name, member.trade) == ("nbo.kariokor", "Wambui", "vendor")


def test_hindi_waste_picker_registers_in_pune(services, phone):
    worker = phone("+919800000001", to=PUNE)
    consent = worker.send("सदस्य")
    assert consent == text(services, "consent.v1", "hi", org="pune-wastepickers")
    for body in ("हाँ", "सुनीता", "2"):
        worker.send(body)
    place = services.catalog.places("pune-wastepickers")[0]
    reply = worker.send(place.name("hi"))
    assert "English" in reply  # language menu of Pune: hi, en
    done = worker.send("1")
    assert done == text(services, "registration.done", "hi", org="pune-wastepickers", number="PUN-00001")
    [member] = rows(services, Member)
    assert (member.trade, member.place_id, member.language) == ("waste_picker", place.id, "hi")


def test_spanish_and_french_registrations_with_their_numbers(services, phone):
    feriante = phone("+59899000001", to=MONTEVIDEO)
    assert feriante.send("afiliarme") == text(services, "consent.v1", "es", org="montevideo-feriantes")
    for body in ("sí", "Marta", "1", "Tristán Narvaja"):
        reply = feriante.send(body)
    reply = feriante.send("1")  # language menu es, en
    assert reply == text(services, "registration.done", "es", org="montevideo-feriantes", number="MNT-00001")
    vendeur = phone("+221770000001", to=DAKAR)
    assert vendeur.send("adhérer") == text(services, "consent.v1", "fr", org="dakar-vendors")
    for body in ("oui", "Awa Ndiaye", "1", "Sandaga"):
        vendeur.send(body)
    assert vendeur.send("1") == text(services, "registration.done", "fr", org="dakar-vendors", number="DKR-00001")
    numbers = {m.organization: m.place_id for m in rows(services, Member)}
    assert numbers["montevideo-feriantes"] and numbers["dakar-vendors"]
