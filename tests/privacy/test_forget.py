"""FORGET through signed webhooks: a WhatsApp worker registers, reports twice with a photo (downloaded
by the RQ job from a local media server), texts FORGET and confirms. Afterwards no table's text and no
file under MEDIA_DIR holds their number, name or words; the reports still count on the data page; a
broadcast to their market skips them; an opt-out survives the erasure as a hash."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import String, Text, select
from sqlalchemy.types import JSON

from bot.broadcasts import preview
from bot.models import AuditEvent, Base, Contact, ForgottenOptOut, Member, Report, ReportMedia
from bot.services import build_services
from tests.conftest import Phone
from tests.dashboard.conftest import signed_in_as
from tests.reports.helpers import rows, text
from localservers.media import JPEG
from tests.reports.test_media import burst

NUMBER = "+254711870001"
NAME = "Wanjiru Zebrafinch"
PROFILE = "Wanjiru Z Quetzal"
WORDS = ("okapibanner", "narwhalstall")  # one in each report's description


@pytest.fixture
def live(make_live):
    return make_live(suppress_below=1)


def register(worker: Phone, name: str, market: str = "gikomba") -> str:
    worker.send("join")
    worker.send("1")  # consent
    worker.send(name)
    worker.send("1")  # street vendor
    worker.send(market)
    return worker.send("1")  # English


def report(worker: Phone, words: str, photo_url: str) -> str:
    worker.send(f"police took my goods at gikomba this morning {words}")
    worker.send("", NumMedia=1, MediaUrl0=photo_url, MediaContentType0="image/jpeg")
    worker.send("2")  # not anonymous: linked to the member until FORGET
    return worker.send("1")  # may be quoted (until FORGET)


def every_text(services) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text, string and JSON value of every row of every table."""
    found = []
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))
                       or isinstance(getattr(c.type, "impl", None), (String, Text, JSON))]
            for row in conn.execute(select(*columns)) if columns else []:
                for column, value in zip(columns, row):
                    if value is not None:
                        found.append((table.name, column.name, value if isinstance(value, str)
                                      else json.dumps(value, ensure_ascii=False)))
    return found


def traces(services, needles) -> list[tuple[str, str, str]]:
    return [(t, c, v[:80]) for t, c, v in every_text(services)
            if any(n.lower() in v.lower() for n in needles)]


def gikomba_audience(services) -> int:
    figures = preview(services, organization="nairobi-vendors", segment={"markets": ["nbo.gikomba"]},
                      texts={"en": "Gikomba is open tomorrow"})
    return figures["recipients"] + sum(figures["skipped"].values())


def data_page_reports(browser) -> int:
    response = browser.get("/data/figures.json")
    assert response.status_code == 200
    return response.get_json()["reports"]


@pytest.fixture
def make_user(live):
    from bot.desk.accounts import create_user
    from tests.dashboard.conftest import PASSWORD

    services, _ = live

    def make(org: str, role: str):
        return create_user(services, org, f"{role}@{org}.example.org", role.title(), PASSWORD, role)

    return make


def test_forgotten_worker_leaves_no_trace_but_their_reports_still_count(live, media_server, make_user):
    services, app = live
    client = app.test_client()
    worker = Phone(client, NUMBER, "whatsapp")
    worker.form = _with_profile(worker.form)
    neighbour = Phone(client, "+254711870002")  # another Gikomba member: the broadcast still reaches them
    register(neighbour, "Akinyi Otieno")
    assert register(worker, NAME).startswith(text(services, "registration.done", "en", "whatsapp",
                                                     number="NRB-00002")[:12])
    for words in WORDS:
        assert report(worker, words, media_server.url + "/ME1").startswith("Report")
    burst(services)  # the photos are downloaded into MEDIA_DIR
    media_dir = Path(services.settings.media_dir)
    photos = [p for p in media_dir.rglob("*") if p.is_file()]
    assert len(photos) == 2 and all(p.read_bytes() == JPEG for p in photos)
    needles = (NUMBER.lstrip("+"), NAME, "Zebrafinch", PROFILE, *WORDS)
    assert {t for t, _, _ in traces(services, needles)} >= {"contacts", "members", "inbound_messages", "reports"}
    organizer = signed_in_as(app, make_user("nairobi-vendors", "organizer"))
    assert data_page_reports(organizer) == 2
    assert gikomba_audience(services) == 2
    assert all(r.quote_consent for r in rows(services, Report))

    ask = worker.send("forget")
    assert ask == text(services, "forget.confirm", "en", "whatsapp",
                       forget_confirm="1. Yes, erase\n2. No, keep")
    assert worker.send("1") == text(services, "forget.done", "en", "whatsapp")

    assert traces(services, needles) == []
    assert [p for p in media_dir.rglob("*") if p.is_file()] == []
    assert rows(services, ReportMedia) == []
    reports = rows(services, Report)
    assert len(reports) == 2 and all(r.contact_id is None and r.member_id is None and r.anonymous
                                     and not r.quote_consent for r in reports)
    assert {r.description for r in reports} == {"[erased]"}
    assert [m.name for m in rows(services, Member)] == ["Akinyi Otieno"]
    assert len(rows(services, Contact)) == 1
    assert data_page_reports(organizer) == 2  # the organization's counts do not change
    assert gikomba_audience(services) == 1  # only the neighbour
    [event] = rows(services, AuditEvent, AuditEvent.action == "forget_contact")
    assert event.detail["reports_anonymised"] == 2 and event.detail["media"] == 2
    assert services.redis.keys(f"*{NUMBER}*") == []


def forgotten(services) -> list[ForgottenOptOut]:
    with services.db() as session:
        return list(session.scalars(select(ForgottenOptOut)))


def _with_profile(form):
    def make(body: str = "", **extra):
        return form(body, ProfileName=PROFILE, **extra)

    return make


def test_saying_no_erases_nothing(live):
    services, app = live
    worker = Phone(app.test_client(), "+254711870003")
    worker.send("hello")
    assert worker.send("forget") == text(services, "forget.confirm", "en", forget_confirm="1 Yes, erase 2 No, keep")
    assert worker.send("2") == text(services, "forget.kept", "en")
    assert len(rows(services, Contact)) == 1 and traces(services, ("254711870003",))


def test_an_opted_out_worker_forgotten_by_an_admin_stays_opted_out(live, make_user):
    services, app = live
    client = app.test_client()
    worker = Phone(client, "+254711870004")
    register(worker, "Otieno Pangolin")
    assert worker.send("STOP") == text(services, "optout.confirm", "en")
    admin = signed_in_as(app, make_user("nairobi-vendors", "admin"))
    page = admin.get("/members/NRB-00001")
    assert page.status_code == 200 and b"forget-form" in page.data
    organizer = signed_in_as(app, make_user("nairobi-vendors", "organizer"))
    assert organizer.post("/members/NRB-00001/forget", data={"reason": "she asked by phone"}).status_code == 403
    refused = admin.post("/members/NRB-00001/forget", data={"reason": ""})
    assert refused.status_code == 400 and rows(services, Member)
    done = admin.post("/members/NRB-00001/forget", data={"reason": "she asked by phone"})
    assert done.status_code == 302
    assert traces(services, ("254711870004", "Pangolin")) == []
    [kept] = forgotten(services)
    assert kept.organization == "nairobi-vendors" and len(kept.phone_hash) == 64
    [event] = rows(services, AuditEvent, AuditEvent.action == "forget_contact")
    assert event.user_id is not None and event.detail["reason"] == "she asked by phone"

    # The number writes in again: no answer, and its new contact row is opted out (no broadcasts).
    assert worker.send("hello") == ""
    [contact] = rows(services, Contact)
    assert contact.opted_out is True and forgotten(services) == []
    assert preview(services, organization="nairobi-vendors", texts={"en": "x"})["recipients"] == 0
    # START brings them back, as for anyone who opted out.
    assert worker.send("START") == text(services, "optin.confirm", "en")
    assert preview(services, organization="nairobi-vendors", texts={"en": "x"})["recipients"] == 1


def test_mydata_tells_a_member_what_is_held(live):
    services, app = live
    worker = Phone(app.test_client(), "+254711870005")
    register(worker, "Achieng Mydata")
    reply = worker.send("my data")
    first = text(services, "mydata.member", "en", number="NRB-00001", trade_name="Street vendor",
                 market="Gikomba", language_name="English")
    assert reply.startswith(first) and "0 reports" in reply and "Consent v1 on" in reply and "FORGET" in reply
    other = Phone(app.test_client(), "+254711870006")
    assert other.send("MYDATA") == text(services, "mydata.contact", "en", days=90)


def test_an_erasure_the_database_refuses_right_after_the_reply_is_queued_and_done_later(live, make_settings):
    from rq import SimpleWorker

    from bot.line.privacy import erase_or_queue

    services, app = live
    worker = Phone(app.test_client(), "+254711870007")
    register(worker, "Queued Kestrel")
    [contact] = rows(services, Contact)
    # The same Redis, a database that is not there: the erasure cannot run now.
    away = build_services(make_settings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/none"))
    try:
        assert erase_or_queue(away, "nairobi-vendors", contact.id) is None
    finally:
        away.close()
    assert traces(services, ("254711870007", "Kestrel"))  # not yet
    SimpleWorker([services.queue], connection=services.redis).work(burst=True)  # tasks use `services`
    assert traces(services, ("254711870007", "Kestrel")) == []


@pytest.mark.parametrize("to, lang, first, words", [
    ("+254709990001", "sw", ("hello", "5", "2"), ("nisahau", "ndiyo")),
    ("+221338990001", "fr", ("bonjour",), ("effacer mes données", "oui")),
    ("+59829990001", "es", ("hola",), ("borrar mis datos", "sí")),
    ("+912067990001", "hi", ("नमस्ते",), ("मेरा डेटा हटाओ", "हाँ")),
])
def test_forget_in_each_language(live, to, lang, first, words):
    services, app = live
    number = "+2547118700" + str(10 + ["sw", "fr", "es", "hi"].index(lang))
    worker = Phone(app.test_client(), number, to=to)
    for body in first:
        worker.send(body)
    org = services.catalog.org_for_number(to).slug
    ask, done = worker.send(words[0]), worker.send(words[1])
    assert ask.startswith(text(services, "forget.confirm", lang, org=org,
                               forget_confirm=services.catalog.choice_text("forget_confirm", lang, "sms"))[:20])
    assert done == text(services, "forget.done", lang, org=org)
    assert traces(services, (number.lstrip("+"),)) == []
