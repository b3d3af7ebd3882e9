"""The whole loop of issue 14 through signed webhooks, the API and the periodic check, the clock injected:
a worker reports, the cluster is raised with an authority, the worker is told in their language, the
deadline passes, the worker answers "no", the case reopens, the organizers hear it and the authority's
scorecard shows one overdue case."""
from __future__ import annotations

from datetime import timedelta

from rq import SimpleWorker
from sqlalchemy import select

from bot.desk import followups, report_status, scorecards
from bot.models import Escalation, OutboundMessage, Report, ReportEvent, utcnow
from tests.authorities.conftest import ORG, county, latest_report, reports_of, worker_reports
from tests.reports.helpers import text


def _escalations(services):
    with services.db() as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)))


def test_raise_a_cluster_deadline_passes_worker_says_no_case_reopens(services, client, api, twilio):
    others = reports_of(services, 9)  # nine reports of the same category and place: one cluster
    worker = worker_reports(client, "+254711600001")
    mine = latest_report(services)
    assert mine.cluster_id == others[0].cluster_id and mine.contact_id is not None
    authority = county(services)

    response = api.post(f"/api/v1/reports/{mine.reference}/escalations",
                        json={"authority_id": authority.id, "method": "letter", "reference": "KCC/TL/22",
                              "cluster": True})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert sorted(body["raised"]) == sorted([r.reference for r in others] + [mine.reference])
    assert body["notified"] == 1  # the only reporter with a number
    told = text(services, "report.escalated", "sw", ref=mine.reference, authority="Nairobi County Trade Licensing")
    assert [(m["to"], m["body"]) for m in twilio.messages] == [("+254711600001", told)]
    # every report's timeline has the step; the authority never gets the reporter's number
    with services.db() as session:
        events = session.scalars(select(ReportEvent).where(ReportEvent.report_id == mine.id)).all()
    assert any("Nairobi County Trade Licensing" in (e.note or "") and "KCC/TL/22" in e.note for e in events)
    assert "+254711600001" not in str(api.get(f"/api/v1/authorities/{authority.id}").get_json())

    # The organizers resolve the nine other cases before the deadline; the check asks nobody (no numbers).
    for r in others:
        report_status.change_status(services, ORG, r.reference, "resolved", None, actor="test", notify=False)
    counts = followups.check(services, now=utcnow() + timedelta(days=1))
    assert counts["resolved"] == 9 and counts["asked"] == 0 and counts["overdue"] == 0

    # Seven days later (confiscation: 7 days at this authority) the worker is asked.
    later = utcnow() + timedelta(days=7, hours=1)
    counts = followups.check(services, now=later)
    assert counts == {"resolved": 0, "asked": 1, "overdue": 1, "reminders": 2}  # two organizer numbers
    question = text(services, "report.followup", "sw", ref=mine.reference, authority="Nairobi County Trade Licensing")
    assert twilio.messages[1]["to"] == "+254711600001" and twilio.messages[1]["body"] == question
    reminder = twilio.messages[2]
    assert reminder["to"] == "+254711000900" and mine.reference in reminder["body"]
    assert followups.check(services, now=later + timedelta(hours=1))["asked"] == 0  # asked once

    # "hapana" (no): reopened, the organizers told, the authority's record marked
    assert worker.send("hapana") == text(services, "report.followup.no", "sw", ref=mine.reference)
    with services.db() as session:
        assert session.get(Report, mine.id).status not in ("resolved", "rejected")  # still open
    [esc] = [e for e in _escalations(services) if e.report_id == mine.id]
    assert (esc.state, esc.reopened, esc.overdue, esc.followup_answer) == ("reopened", True, True, "no")
    alerts = [m for m in twilio.messages[4:] if m["to"] in ("+254711000900", "+254711000901")]
    assert len(alerts) == 2 and mine.reference in alerts[0]["body"] and "NOT" in alerts[0]["body"]

    [card] = scorecards.scorecards(services, ORG)
    assert card.shown and card.cases == 10 and card.overdue == 1
    assert card.resolved_share == 0.9 and card.confirmed_share == 0.0
    # the API shows the same card
    listed = api.get("/api/v1/authorities").get_json()["authorities"][0]["scorecard"]
    assert listed["overdue"] == 1 and listed["cases"] == 10


def test_anonymous_reporter_is_told_and_stays_anonymous(services, client, api, twilio):
    worker_reports(client, "+254711600002", anonymous="ndiyo")
    mine = latest_report(services)
    assert mine.anonymous
    authority = county(services)
    response = api.post(f"/api/v1/reports/{mine.reference}/escalations",
                        json={"authority_id": authority.id, "method": "meeting"})
    assert response.status_code == 201 and response.get_json()["notified"] == 1
    assert twilio.messages[-1]["to"] == "+254711600002"
    everything = str(api.get(f"/api/v1/reports/{mine.reference}/escalations").get_json())
    assert "+254711600002" not in everything and "meeting" in everything


def test_organizer_resolves_worker_confirms_with_a_typo(services, client, api, twilio):
    worker = worker_reports(client, "+254711600003")
    mine = latest_report(services)
    authority = county(services)
    assert api.post(f"/api/v1/reports/{mine.reference}/escalations",
                    json={"authority_id": authority.id, "method": "email"}).status_code == 201
    report_status.change_status(services, ORG, mine.reference, "resolved", None, actor="test")
    # the resolve queued the follow-up check at once; a real RQ worker runs it on these services
    from bot import tasks
    tasks.use_services(services)
    try:
        SimpleWorker([services.queue], connection=services.redis).work(burst=True)
    finally:
        tasks.use_services(None)
    assert worker.send("ndyo") == text(services, "report.followup.yes", "sw", ref=mine.reference)  # a typo of ndiyo
    [esc] = _escalations(services)
    assert (esc.state, esc.followup_answer, esc.reopened) == ("confirmed", "yes", False)
    with services.db() as session:
        assert session.get(Report, mine.id).status == "resolved"
        kinds = session.scalars(select(OutboundMessage.kind).order_by(OutboundMessage.id)).all()
    assert "organizer_alert" not in kinds
    # a second answer is not taken as one: "1" is the menu again
    assert worker.send("1") != text(services, "report.followup.yes", "sw", ref=mine.reference)
