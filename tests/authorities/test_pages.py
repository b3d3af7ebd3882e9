"""The Authorities page as an organizer uses it: add an authority (refused input kept with a 400), raise
a reported case by its reference with the suggested authority, see the case and mark a response, and
the scorecard's suppression below ten cases."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot.desk import authorities, escalations
from bot.models import Authority, Escalation
from tests.authorities.conftest import ORG, county, latest_report, reports_of, worker_reports
from tests.reports.helpers import text


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_add_an_authority_on_the_page_and_a_refused_one_keeps_the_form(services, organizer_browser):
    refused = organizer_browser.post("/authorities", data={"name": "Police Gikomba", "email": "not an address",
                                                           "active": "on"})
    assert refused.status_code == 400
    page = _page(refused)
    assert 'id="authority-error"' in page and "not an email address" in page and 'value="Police Gikomba"' in page
    saved = organizer_browser.post("/authorities", data={
        "name": "Police Gikomba", "kind": "police", "email": "ocs@police.example.org", "categories": ["harassment", "bribe"],
        "deadline_harassment": "3", "places": ["nbo.gikomba"], "default_days": "10", "active": "on"})
    assert saved.status_code == 302
    [row] = authorities.listing(services, ORG)
    assert (row.kind, row.categories, row.deadlines, row.places, row.default_days, row.active) == (
        "police", ["harassment", "bribe"], {"harassment": 3}, ["nbo.gikomba"], 10, True)
    detail = organizer_browser.get(saved.headers["Location"])
    assert detail.status_code == 200 and "Police Gikomba" in _page(detail)
    # unticking "active" on the change form deactivates it
    changed = organizer_browser.post(f"/authorities/{row.id}", data={"name": "Police Gikomba", "kind": "police"})
    assert changed.status_code == 302 and authorities.get(services, ORG, row.id).active is False


def test_raise_by_reference_with_the_suggested_authority_the_worker_is_told(services, client, organizer_browser, twilio):
    worker_reports(client, "+254711600010")
    mine = latest_report(services)
    other = authorities.create(services, ORG, {"name": "Water company", "kind": "utility", "categories": ["waste"]})
    best = county(services)
    everything = authorities.create(services, ORG, {"name": "Governor's office"})
    suggested = [a.id for a in authorities.suggest(services, ORG, mine.category, mine.place_id)]
    assert suggested == [best.id, everything.id] and other.id not in suggested

    # from the report's page, its link to the raise form
    link = re.search(r'<a id="raise-link" href="([^"]+)"', _page(organizer_browser.get(f"/reports/{mine.reference}")))
    assert link and link.group(1) == f"/authorities?ref={mine.reference}#raise"
    page = _page(organizer_browser.get(link.group(1).split("#")[0]))
    assert re.search(rf'<li data-authority="{best.id}">', page)
    assert re.search(rf'<option value="{best.id}" selected>', page)
    response = organizer_browser.post("/authorities/raise", data={"ref": mine.reference, "authority_id": str(best.id),
                                                                  "method": "meeting", "reference": "MTG-4"})
    assert response.status_code == 302
    assert twilio.messages[-1]["body"] == text(services, "report.escalated", "sw", ref=mine.reference,
                                               authority=best.name)
    [case] = escalations.cases(services, ORG)
    assert (case.reference, case.escalation.method, case.escalation.raised_by) == (
        mine.reference, "meeting", "web:organizer@nairobi.example.org")
    # the timeline of the report shows it
    assert "MTG-4" in _page(organizer_browser.get(f"/reports/{mine.reference}"))
    # raising it again with the same authority while it waits: skipped, nobody told twice
    sent = len(twilio.messages)
    organizer_browser.post("/authorities/raise", data={"ref": mine.reference, "authority_id": str(best.id),
                                                       "method": "letter"})
    assert len(twilio.messages) == sent and len(escalations.cases(services, ORG)) == 1
    # the authority responded: recorded once
    assert organizer_browser.post(f"/authorities/cases/{case.escalation.id}/response").status_code == 302
    with services.db() as session:
        assert session.get(Escalation, case.escalation.id).first_response_at is not None


def test_raise_refusals_are_400s_with_the_reason(services, organizer_browser, outsider_authority):
    worker_report = reports_of(services, 1)[0]
    for data, expected in (({"ref": "R-999999", "method": "letter"}, "No report R-999999"),
                           ({"ref": worker_report.reference, "method": "fax"}, "method must be one of"),
                           ({"ref": worker_report.reference, "method": "letter", "raised_at": "next week"},
                            "raised_at must be a date"),
                           ({"ref": worker_report.reference, "method": "letter", "authority_id": str(outsider_authority)},
                            "not one of your organization")):
        data.setdefault("authority_id", str(county(services, name=f"County {len(expected)}").id))
        response = organizer_browser.post("/authorities/raise", data=data)
        assert response.status_code == 400 and expected in _page(response), (data, _page(response)[:300])


def test_scorecard_says_too_few_cases_below_ten_and_shows_figures_from_ten(services, organizer_browser):
    authority = county(services)
    reports = reports_of(services, 10)
    for r in reports[:9]:
        escalations.raise_report(services, ORG, r.reference, {"authority_id": authority.id, "method": "letter"}, "test")
    page = _page(organizer_browser.get("/authorities"))
    row = re.search(r'<tr class="scorecard"[^>]*data-shown="(\w+)" data-cases="(\d+)"', page)
    assert row.groups() == ("no", "9") and "Too few cases to compare" in page
    escalations.raise_report(services, ORG, reports[9].reference, {"authority_id": authority.id, "method": "letter"}, "test")
    page = _page(organizer_browser.get("/authorities"))
    row = re.search(r'<tr class="scorecard"[^>]*data-shown="(\w+)" data-cases="(\d+)"', page)
    assert row.groups() == ("yes", "10") and "Too few cases to compare" not in page
    assert organizer_browser.get("/authorities?from=2026-13-01").status_code == 400


def test_another_organizations_authority_is_not_found(services, organizer_browser, outsider_authority):
    assert organizer_browser.get(f"/authorities/{outsider_authority}").status_code == 404
    assert organizer_browser.post(f"/authorities/{outsider_authority}", data={"name": "mine now"}).status_code == 404
    with services.db() as session:
        assert session.scalars(select(Authority.name).where(Authority.id == outsider_authority)).one() == "Pune ward office"


def test_the_page_speaks_the_organizations_language(live, services):
    from bot.desk.accounts import create_user
    from tests.authorities.conftest import PASSWORD, Browser

    account = create_user(services, "dakar-vendors", "org@dakar.example.org", "Awa", PASSWORD, "organizer")
    browser = Browser(live[1].test_client())
    assert browser.login(account.email).status_code == 302
    authorities.create(services, "dakar-vendors", {"name": "Mairie de Dakar-Plateau", "kind": "city_department"})
    page = _page(browser.get("/authorities"))
    assert "Autorités" in page and "Trop peu de dossiers pour comparer" in page and "Porter un signalement" in page
