"""Incident reports through signed webhooks: the form, NLU prefill, dates, locations, references,
clusters."""
from __future__ import annotations

from datetime import date, timedelta

from bot.models import Member, Report, ReportCluster, ReportMedia
from nlu.dates import incident_day as parse_when  # the report form's reading of "when"
from tests.reports.helpers import DAKAR, MONTEVIDEO, PUNE, local_today, rows, text


def test_menu_4_walks_the_whole_form_on_sms(services, phone):
    worker = phone("+254711200001")
    assert worker.send("4") == text(services, "report.category", "en")
    assert worker.send("2") == text(services, "report.what", "en")
    assert worker.send("County askaris took my sukuma and my cart") == text(services, "report.where", "en")
    assert worker.send("Gikomba market") == text(services, "report.when", "en")
    assert worker.send("yesterday") == text(services, "report.anonymous", "en")  # SMS: no photo question
    # "Report anonymously?" no: organizers may see the name; then the last step, may we quote you?
    assert worker.send("no") == text(services, "report.quote", "en")
    done = worker.send("1")
    [report] = rows(services, Report)
    assert done == text(services, "report.received", "en", ref=report.reference)
    assert report.reference.startswith("R-") and len(report.reference) == 6
    assert (report.category, report.place_id, report.anonymous, report.channel, report.status, report.quote_consent) == (
        "confiscation", "nbo.gikomba", False, "sms", "new", True)
    assert report.occurred_on == local_today(services) - timedelta(days=1) and report.occurred_text == "yesterday"
    assert report.description == "County askaris took my sukuma and my cart"


def test_free_text_report_is_prefilled_by_the_nlu_in_swahili(services, phone):
    worker = phone("+254711200002")
    worker.send("5")
    worker.send("2")
    ask = worker.send("askari wamechukua mali yangu gikomba leo")
    assert ask == text(services, "report.anonymous", "sw")  # category, what, where and when were understood
    assert worker.send("ndiyo") == text(services, "report.quote", "sw")
    done = worker.send("hapana")
    [report] = rows(services, Report)
    assert done == text(services, "report.received", "sw", ref=report.reference)
    assert (report.category, report.place_id, report.occurred_on, report.anonymous, report.language) == (
        "confiscation", "nbo.gikomba", local_today(services), True, "sw")


def test_newcomer_registers_and_reports_a_confiscation_in_swahili(services, phone):
    """The issue's 'done when': register as a vendor in Swahili, then report in a few messages."""
    worker = phone("+254711200003")
    for body in ("jiunge", "ndiyo", "Mama Njeri", "1", "Gikomba"):
        worker.send(body)
    assert "NRB-00001" in worker.send("2")
    assert worker.send("askari wamechukua mali yangu gikomba leo") == text(services, "report.anonymous", "sw")
    worker.send("hapana")
    worker.send("2")
    [report] = rows(services, Report)
    [member] = rows(services, Member)
    assert report.member_id == member.id and report.language == "sw"


def test_invalid_answers_reask_with_a_hint_then_the_form_keeps_what_was_typed(services, phone):
    worker = phone("+254711200004")
    worker.send("4")
    hint = worker.send("42")
    assert hint.startswith(text(services, "choice.invalid", "en", max=10))
    worker.send("1")
    short = worker.send("x")
    assert short.startswith(text(services, "report.too_short", "en"))
    worker.send("They chased us from the road")
    worker.send("Toi")
    bad_date = worker.send("next month maybe")
    assert bad_date.startswith(text(services, "report.when_invalid", "en"))
    worker.send("kesho")  # tomorrow: not an incident date
    # A third unreadable date is kept as typed: a report is never lost to the three-strike rule.
    assert worker.send("whenever") == text(services, "report.anonymous", "en")
    assert worker.send("yes please") == text(services, "report.quote", "en")
    assert worker.send("nope").startswith("Report R-")
    [report] = rows(services, Report)
    assert (report.category, report.occurred_on, report.occurred_text, report.anonymous) == \
        ("eviction", None, "whenever", True)


def test_skip_the_date_and_unknown_place_is_kept_as_typed_in_spanish(services, phone):
    worker = phone("+59899100001", to=MONTEVIDEO)
    assert worker.send("4") == text(services, "report.category", "es", org="montevideo-feriantes")
    worker.send("7")
    worker.send("No pasa el camion hace una semana")
    worker.send("Pasaje Zzyzx al fondo")
    assert worker.send("saltar") == text(services, "report.anonymous", "es", org="montevideo-feriantes")
    worker.send("no")
    worker.send("si")
    [report] = rows(services, Report)
    assert (report.category, report.place_id, report.place_text, report.occurred_on) == (
        "waste", None, "Pasaje Zzyzx al fondo", None)


def test_whatsapp_location_pin_and_hindi_kal_means_yesterday(services, phone):
    worker = phone("+919800100001", "whatsapp", to=PUNE)
    assert worker.send("4") == text(services, "report.category", "hi", "whatsapp", org="pune-wastepickers")
    worker.send("8")
    worker.send("भंगार वाले ने पैसे नहीं दिए")
    place = next(p for p in services.catalog.places("pune-wastepickers") if p.lat is not None)
    worker.send("", Latitude=str(place.lat + 0.001), Longitude=str(place.lon), Address="Near the gate")
    ask = worker.send("kal")
    assert ask == text(services, "report.media", "hi", "whatsapp", org="pune-wastepickers")
    worker.send("SKIP")
    worker.send("नहीं")
    assert worker.send("haan").startswith("शिकायत *R-")
    [report] = rows(services, Report)
    assert (report.place_id, report.address, report.occurred_on, report.channel) == (
        place.id, "Near the gate", local_today(services, "pune-wastepickers") - timedelta(days=1), "whatsapp")
    assert report.latitude and report.longitude


def test_french_report_in_dakar_with_a_date(services, phone):
    worker = phone("+221770100001", to=DAKAR)
    worker.send("signaler")
    worker.send("1")
    worker.send("La mairie nous a déguerpis de la rue")
    worker.send("Sandaga")
    day = local_today(services, "dakar-vendors") - timedelta(days=3)
    assert worker.send(day.strftime("%d/%m")) == text(services, "report.anonymous", "fr", org="dakar-vendors")
    worker.send("oui")
    worker.send("non")
    [report] = rows(services, Report)
    assert (report.category, report.occurred_on, report.anonymous) == ("eviction", day, True)
    assert report.place_id is not None


def test_reference_tells_the_reporter_the_status_and_no_one_else(services, phone):
    worker = phone("+254711200005")
    worker.send("police took my goods at gikomba this morning")
    worker.send("1")
    worker.send("2")
    [report] = rows(services, Report)
    digits = report.reference[2:]
    assert worker.send(f"r{digits}") == text(services, "report.status", "en", ref=report.reference,
                                             state=text(services, "report.state.new", "en"))
    stranger = phone("+254711200006")
    assert stranger.send(report.reference) == text(services, "report.unknown", "en", ref=report.reference)


def test_same_category_same_place_within_the_window_is_one_cluster(services, phone):
    for i in range(3):
        worker = phone(f"+25471130000{i}")
        worker.send("police took my goods at gikomba this morning")
        worker.send("1")
        worker.send("2")
    other = phone("+254711300009")
    other.send("police took my goods at muthurwa this morning")
    other.send("1")
    other.send("2")
    reports = rows(services, Report)
    clusters = {c.place_key: c for c in rows(services, ReportCluster)}
    assert clusters["nbo.gikomba"].count == 3 and clusters["nbo.muthurwa"].count == 1
    assert len({r.cluster_id for r in reports if r.place_id == "nbo.gikomba"}) == 1


def test_a_cluster_window_of_zero_starts_a_new_cluster(make_settings, db, redis, phone):
    from bot.orgs import sync_organizations
    from bot.services import build_services
    from tests.conftest import Phone
    from webhooks import create_app

    services = build_services(make_settings(report_cluster_hours=1e-9))
    sync_organizations(services)
    client = create_app(services=services).test_client()
    for i in range(2):
        worker = Phone(client, f"+25471140000{i}")
        worker.send("police took my goods at gikomba this morning")
        worker.send("1")
        worker.send("2")
    assert [c.count for c in rows(services, ReportCluster)] == [1, 1]
    services.close()


def test_whatsapp_photo_is_recorded_as_pending_media_without_a_queue(services, phone):
    services.queue = None
    worker = phone("+254711200007", "whatsapp")
    worker.send("police took my goods at gikomba this morning")
    ask = worker.send("", NumMedia=1, MediaUrl0="http://127.0.0.1:9/ME1", MediaContentType0="image/jpeg")
    assert ask == text(services, "report.anonymous", "en", "whatsapp")
    worker.send("1")
    assert worker.send("2").startswith("Report *R-")
    [media] = rows(services, ReportMedia)
    assert (media.status, media.content_type, media.url) == ("pending", "image/jpeg", "http://127.0.0.1:9/ME1")


def test_the_last_step_asks_whether_the_words_may_be_quoted(services, phone):
    """Yes/no in words, digits and typos as in the form's other yes/no steps; three unclear answers = no."""
    for number, answers, consent in (("+254711500001", ["yse"], True), ("+254711500002", ["hapana"], False),
                                     ("+254711500003", ["maybe later", "what?", "hmm"], False)):
        worker = phone(number)
        worker.send("police took my goods at gikomba this morning")
        assert worker.send("2") == text(services, "report.quote", "en")
        for answer in answers[:-1]:
            assert worker.send(answer).endswith(text(services, "report.quote", "en"))  # re-asked with a hint
        assert worker.send(answers[-1]).startswith("Report R-")
    assert [r.quote_consent for r in sorted(rows(services, Report), key=lambda r: r.id)] == [True, False, False]


def test_parse_when_words_and_dates():
    today = date(2026, 11, 25)  # a Wednesday
    assert parse_when("today", today) == today
    assert parse_when("jana", today) == today - timedelta(days=1)
    assert parse_when("ayer", today) == today - timedelta(days=1)
    assert parse_when("hier", today) == today - timedelta(days=1)
    assert parse_when("kal", today) == today - timedelta(days=1)
    assert parse_when("monday", today) == date(2026, 11, 23)
    assert parse_when("24/11", today) == date(2026, 11, 24)
    assert parse_when("2026-11-20", today) == date(2026, 11, 20)
    assert parse_when("26/11/2026", today) is None  # future
    assert parse_when("kesho", today) is None
    assert parse_when("31/02", today) is None
