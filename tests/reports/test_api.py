"""The reports API: per-organization tokens, filters, pages, clusters, masking, anonymity, status
changes that notify the reporter through the real twilio client against the local stand-in."""
from __future__ import annotations

import pytest

from bot.models import OutboundMessage, Report, ReportEvent
from bot.desk.tokens import create_token
from tests.conftest import Phone
from tests.reports.helpers import MONTEVIDEO, rows, text



@pytest.fixture
def live(sending):
    services, app = sending
    return services, app.test_client()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def report(client, number, body="police took my goods at gikomba this morning", to="+254709990001",
           anonymous="no", channel="sms"):
    worker = Phone(client, number, channel, to)
    worker.send(body)
    worker.send(anonymous)
    worker.send("2")  # not to be quoted
    return worker


def test_done_when_register_report_list_change_and_the_phone_hears_it(live, twilio):
    services, client = live
    worker = Phone(client, "+254711500001")
    for body in ("jiunge", "ndiyo", "Mama Njeri", "1", "Gikomba", "2"):
        worker.send(body)
    worker.send("askari wamechukua mali yangu gikomba leo")
    worker.send("hapana")  # not anonymous
    worker.send("hapana")  # not to be quoted
    token = create_token(services, "nairobi-vendors", "desk")

    listed = client.get("/api/v1/reports", headers=auth(token)).get_json()
    [item] = listed["reports"]
    assert item["category"] == "confiscation" and item["place"]["id"] == "nbo.gikomba"
    assert item["reporter"] == {"phone": "+254 7•• ••• 001", "member_number": "NRB-00001", "name": "Mama Njeri"}
    assert listed["clusters"][0]["count"] == 1 and "Gikomba" in listed["clusters"][0]["summary"]

    ref = item["reference"]
    response = client.patch(f"/api/v1/reports/{ref}", json={"status": "verified", "note": "We are on it"},
                            headers=auth(token))
    assert response.status_code == 200 and response.get_json()["notified"] is True
    state = text(services, "report.state.verified", "sw")
    expected = text(services, "report.changed.note", "sw", ref=ref, state=state, note="We are on it")
    [sent] = twilio.messages
    assert (sent["to"], sent["body"]) == ("+254711500001", expected) and twilio.violations == []
    [out] = rows(services, OutboundMessage, OutboundMessage.kind == "message")
    assert (out.body, out.provider_sid, out.to_address) == (expected, sent["sid"], "+254711500001")
    [_, event] = rows(services, ReportEvent)
    assert (event.from_status, event.to_status, event.note, event.notification_id) == (
        "new", "verified", "We are on it", out.id)
    # and the worker can ask again
    assert worker.send(ref) == text(services, "report.status.note", "sw", ref=ref, state=state, note="We are on it")


def test_whatsapp_reporter_is_notified_on_whatsapp_in_spanish(live, twilio):
    services, client = live
    worker = Phone(client, "+59899500001", "whatsapp", MONTEVIDEO)
    for body in ("4", "2", "Se llevaron la mercaderia", "Tristán Narvaja", "hoy", "saltar", "1", "2"):
        worker.send(body)
    [r] = rows(services, Report)
    token = create_token(services, "montevideo-feriantes", "desk")
    assert client.patch(f"/api/v1/reports/{r.reference}", json={"status": "resolved"},
                        headers=auth(token)).status_code == 200
    [sent] = twilio.messages
    assert sent["to"] == "whatsapp:+59899500001" and sent["from"] == f"whatsapp:{MONTEVIDEO}"
    assert sent["body"] == text(services, "report.changed", "es", "whatsapp", org="montevideo-feriantes",
                                ref=r.reference, state=text(services, "report.state.resolved", "es", "whatsapp"))


def test_whatsapp_reporter_outside_the_24_hour_window_gets_an_sms(live, twilio):
    from datetime import timedelta

    from sqlalchemy import update

    from bot.models import Contact, utcnow

    services, client = live
    worker = Phone(client, "+59899500003", "whatsapp", MONTEVIDEO)
    for body in ("4", "2", "Se llevaron la mercaderia", "Tristán Narvaja", "hoy", "saltar", "1", "2"):
        worker.send(body)
    with services.db.begin() as session:  # the worker last wrote two days ago
        session.execute(update(Contact).values(last_inbound_whatsapp_at=utcnow() - timedelta(days=2)))
    [r] = rows(services, Report)
    token = create_token(services, "montevideo-feriantes", "desk")
    answer = client.patch(f"/api/v1/reports/{r.reference}", json={"status": "verified"}, headers=auth(token))
    assert answer.status_code == 200 and answer.get_json()["notified"] is True
    [sent] = twilio.messages
    assert (sent["to"], sent["from"]) == ("+59899500003", MONTEVIDEO)  # SMS, not WhatsApp
    assert sent["body"] == text(services, "report.changed", "es", "sms", org="montevideo-feriantes",
                                ref=r.reference, state=text(services, "report.state.verified", "es", "sms"))
    [out] = rows(services, OutboundMessage, OutboundMessage.kind == "message")
    assert out.channel == "sms" and out.segments == 1


def test_an_organizations_token_never_sees_another_organizations_reports(live):
    services, client = live
    report(client, "+254711500002")
    report(client, "+59899500002", "me decomisaron la mercaderia en tristan narvaja hoy", MONTEVIDEO)
    nairobi, montevideo = (create_token(services, slug, "desk") for slug in ("nairobi-vendors",
                                                                              "montevideo-feriantes"))
    nbo = client.get("/api/v1/reports", headers=auth(nairobi)).get_json()["reports"]
    mvd = client.get("/api/v1/reports", headers=auth(montevideo)).get_json()["reports"]
    assert len(nbo) == 1 and len(mvd) == 1
    assert client.patch(f"/api/v1/reports/{nbo[0]['reference']}", json={"status": "verified"},
                        headers=auth(montevideo)).status_code == 404
    assert client.get("/api/v1/reports").status_code == 401
    assert client.get("/api/v1/reports", headers=auth("stl_nope")).status_code == 401
    [r] = rows(services, Report, Report.organization == "nairobi-vendors")
    assert r.status == "new"


def test_filters_pages_clusters_and_anonymous_reporters(live):
    services, client = live
    for i in range(3):
        report(client, f"+25471160000{i}", anonymous="yes")
    report(client, "+254711600009", "they evicted us from muthurwa yesterday")
    token = create_token(services, "nairobi-vendors", "desk")
    everything = client.get("/api/v1/reports?per_page=2", headers=auth(token)).get_json()
    assert (everything["total"], len(everything["reports"]), everything["next_page"]) == (4, 2, 2)
    gikomba = client.get("/api/v1/reports?market=Gikomba&category=confiscation",
                         headers=auth(token)).get_json()
    assert gikomba["total"] == 3 and all(r["reporter"] is None and r["anonymous"] for r in gikomba["reports"])
    assert gikomba["clusters"][0]["count"] == 3 and gikomba["clusters"][0]["summary"].startswith(
        "3 confiscation reports at Gikomba")
    assert "+2547116" not in str(everything)
    evictions = client.get("/api/v1/reports?category=eviction&status=new&since=2000-01-01",
                           headers=auth(token)).get_json()
    assert evictions["total"] == 1 and evictions["reports"][0]["place"]["id"] == "nbo.muthurwa"
    assert client.get("/api/v1/reports?since=2999-01-01", headers=auth(token)).get_json()["total"] == 0
    for bad in ("status=lost", "category=aliens", "since=yesterday", "page=0", "per_page=1000", "page=x"):
        assert client.get(f"/api/v1/reports?{bad}", headers=auth(token)).status_code == 400, bad


def test_status_transitions_are_validated(live, twilio):
    services, client = live
    report(client, "+254711700001")
    [r] = rows(services, Report)
    token = create_token(services, "nairobi-vendors", "desk")
    url = f"/api/v1/reports/{r.reference}"

    def patch(body, **kw):
        return client.patch(url, headers=auth(token), **({"json": body} if body is not None else kw))

    assert patch({"status": "done"}).status_code == 400
    assert patch({}).status_code == 400
    assert patch({"status": "verified", "colour": "red"}).status_code == 400
    assert patch({"status": 3}).status_code == 400
    assert patch(None, data="not json", content_type="application/json").status_code == 400
    assert patch({"note": "x" * 501}).status_code == 400
    assert patch({"status": "in_progress"}).status_code == 200
    assert patch({"status": "verified"}).status_code == 409  # no going back
    assert patch({"note": "Met the county officer"}).status_code == 200  # a note alone: no message
    assert patch({"status": "rejected", "note": "Duplicate"}).status_code == 200
    assert patch({"status": "resolved"}).status_code == 409
    assert client.patch("/api/v1/reports/R-0000", json={"status": "verified"}, headers=auth(token)).status_code == 404
    assert len(twilio.messages) == 2
    history = [(e.from_status, e.to_status, e.note) for e in rows(services, ReportEvent)]
    assert history == [(None, "new", None), ("new", "in_progress", None), ("in_progress", "in_progress",
                       "Met the county officer"), ("in_progress", "rejected", "Duplicate")]


def test_opted_out_reporter_is_not_messaged(live, twilio):
    services, client = live
    worker = report(client, "+254711700002")
    worker.send("STOP")
    [r] = rows(services, Report)
    token = create_token(services, "nairobi-vendors", "desk")
    response = client.patch(f"/api/v1/reports/{r.reference}", json={"status": "verified"}, headers=auth(token))
    assert response.get_json()["notified"] is False and twilio.messages == []
