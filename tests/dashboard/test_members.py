"""Members page: list, search and filters, masked numbers everywhere, the admin's logged reveal, and
the organization boundary."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.desk import roster
from bot.line.members import save_member
from bot.models import AuditEvent, Contact

PUNE = "+912067990001"


def add_member(services, phone, number: str, name: str, place_id: str | None = "nbo.gikomba", *,
               trade: str = "vendor", language: str = "en", org: str = "nairobi-vendors", stop: bool = False,
               to: str | None = None):
    """A worker texts the line (the contact, as the webhook makes it), then is registered with consent."""
    worker = phone(number, "sms", to) if to else phone(number)
    worker.send("hello")
    if stop:
        worker.send("STOP")
    with services.db() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.organization == org, Contact.phone == number))
    assert contact_id is not None
    return save_member(services, services.catalog.org(org), contact_id,
                       {"name": name, "trade": trade, "city": "Nairobi", "place_id": place_id,
                        "place_text": None, "language": language}, consent_version="v1")


@pytest.fixture
def members(services, phone):
    """Three Nairobi members (one opted out) and a Pune member who must never show up for Nairobi."""
    return {
        "wanjiku": add_member(services, phone, "+254711000123", "Wanjiku Kamau", "nbo.gikomba", language="sw"),
        "otieno": add_member(services, phone, "+254722000456", "Otieno Odhiambo", "nbo.toi", trade="porter"),
        "akinyi": add_member(services, phone, "+254733000789", "Akinyi Achieng", "nbo.gikomba", stop=True),
        "pune": add_member(services, phone, "+919890000321", "Sunita Pawar", None, trade="waste_picker",
                           org="pune-wastepickers", to=PUNE),
    }


FULL = ("+254711000123", "+254722000456", "+254733000789", "254711000123", "711000123", "722000456", "733000789")


def html(response) -> str:
    return response.get_data(as_text=True)


def listed(response) -> list[str]:
    return re.findall(r'data-member="([A-Z]{3}-\d{5})"', html(response))


def assert_no_full_numbers(page: str) -> None:
    for full in FULL:
        assert full not in page, full


# --------------------------------------------------------------------------- list, search, filters


def test_the_list_shows_members_with_masked_numbers(signed_in, members):
    response = signed_in.get("/members")
    assert response.status_code == 200
    page = html(response)
    assert listed(response) == [members["akinyi"].number, members["otieno"].number, members["wanjiku"].number]
    assert "+254 7•• ••• 123" in page and "+254 7•• ••• 456" in page
    assert "Wanjiku Kamau" in page and "Gikomba" in page and "Toi Market" in page and "Porter" in page
    assert 'data-member="' + members["akinyi"].number + '" data-opted-out="yes"' in page
    assert "v1" in page and 'data-col="consent"' in page
    assert "Sunita" not in page  # another organization's member
    assert_no_full_numbers(page)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query,expected", [
    ("wanjiku", ["wanjiku"]),
    ("KAMAU", ["wanjiku"]),
    ("456", ["otieno"]),            # the last digits of the phone
    ("0722 000 456", ["otieno"]),   # spaces as someone reads it out
    ("NRB-00002", ["otieno"]),      # the member number
    ("2", ["otieno"]),              # too short for a phone suffix: only NRB-00002 has it
    ("a%", []),                     # LIKE wildcards are literal
])
def test_search(signed_in, members, query, expected):
    response = signed_in.get("/members", query_string={"q": query})
    assert response.status_code == 200
    found = listed(response)
    assert found == [members[name].number for name in expected]
    assert_no_full_numbers(html(response))


@pytest.mark.parametrize("args,expected", [
    ({"trade": "porter"}, ["otieno"]),
    ({"market": "nbo.gikomba"}, ["akinyi", "wanjiku"]),
    ({"language": "sw"}, ["wanjiku"]),
    ({"opted_out": "yes"}, ["akinyi"]),
    ({"opted_out": "no", "market": "nbo.gikomba"}, ["wanjiku"]),
    ({"market": "none"}, []),
])
def test_filters(signed_in, members, args, expected):
    response = signed_in.get("/members", query_string=args)
    assert response.status_code == 200
    assert listed(response) == [members[name].number for name in expected]


@pytest.mark.parametrize("args,message", [
    ({"trade": "astronaut"}, "Unknown trade"),
    ({"market": "pune.mandai"}, "Unknown market"),  # another org's place is not a filter here
    ({"language": "hi"}, "Unknown language"),
    ({"opted_out": "maybe"}, "Opted out: use yes or no"),
    ({"page": "x"}, "The page must be a number"),
    ({"q": "x" * 101}, "too long"),
])
def test_bad_filters_are_a_400_with_a_message(signed_in, members, args, message):
    response = signed_in.get("/members", query_string=args)
    assert response.status_code == 400
    assert message in html(response)


def test_pagination_keeps_the_filters(signed_in, members, monkeypatch):
    monkeypatch.setattr(roster, "PER_PAGE", 1)
    first = signed_in.get("/members", query_string={"trade": "vendor"})
    assert listed(first) == [members["akinyi"].number]
    assert "Page 1 of 2" in html(first)
    link = re.search(r'rel="next" data-page="2" href="([^"]+)"', html(first)).group(1).replace("&amp;", "&")
    assert "trade=vendor" in link
    second = signed_in.get(link)
    assert listed(second) == [members["wanjiku"].number] and 'rel="prev"' in html(second)
    # A page past the end shows the last one rather than nothing.
    assert listed(signed_in.get("/members", query_string={"trade": "vendor", "page": "9"})) == [
        members["wanjiku"].number]


def test_member_detail(signed_in, members):
    response = signed_in.get(f"/members/{members['wanjiku'].number}")
    assert response.status_code == 200
    page = html(response)
    assert "Wanjiku Kamau" in page and "+254 7•• ••• 123" in page and "Gikomba" in page
    assert 'id="reveal-form"' not in page and "Reveal number" not in page  # organizers never get the button
    assert_no_full_numbers(page)
    assert signed_in.get("/members/NRB-99999").status_code == 404


def test_organizers_never_see_a_full_number_anywhere(signed_in, members):
    paths = ["/members", "/members?q=123", "/members?q=Wanjiku", "/members?opted_out=yes",
             "/", "/markets", "/markets/nbo.gikomba"]
    paths += [f"/members/{m.number}" for key, m in members.items() if key != "pune"]
    for path in paths:
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert_no_full_numbers(html(response))


# --------------------------------------------------------------------------- reveal


def reveals(services):
    with services.db() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal_phone")))


def test_an_admin_reveals_a_number_once_and_it_is_logged(services, signed_in_admin, admin, members):
    number = members["wanjiku"].number
    page = html(signed_in_admin.get(f"/members/{number}"))
    assert 'id="reveal-button"' in page and "+254711000123" not in page
    response = signed_in_admin.post(f"/members/{number}/reveal", {"reason": "calling about her report R-1"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'data-revealed="yes">+254711000123<' in html(response)
    [event] = reveals(services)
    assert (event.organization, event.user_id, event.target) == (
        "nairobi-vendors", admin.id, f"contact:{members['wanjiku'].contact_id}")
    assert event.detail["reason"] == "calling about her report R-1" and event.detail["member"] == number
    # Only that response had it: the member's page is masked again.
    again = html(signed_in_admin.get(f"/members/{number}"))
    assert "+254711000123" not in again and "+254 7•• ••• 123" in again
    # The admin's list of recent reveals.
    listing = signed_in_admin.get("/members/reveals")
    assert listing.status_code == 200
    assert number in html(listing) and "calling about her report R-1" in html(listing)
    assert admin.email in html(listing) and "+254711000123" not in html(listing)


def test_a_reveal_needs_a_reason(services, signed_in_admin, members):
    number = members["wanjiku"].number
    response = signed_in_admin.post(f"/members/{number}/reveal", {"reason": "  "})
    assert response.status_code == 400
    assert "Write why you need the full number" in html(response)
    assert "+254711000123" not in html(response)
    assert reveals(services) == []


def test_organizers_cannot_reveal(services, signed_in, members):
    response = signed_in.post(f"/members/{members['wanjiku'].number}/reveal", {"reason": "just curious"},
                              headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert "+254711000123" not in html(response)
    assert signed_in.get("/members/reveals").status_code == 403
    assert reveals(services) == []


def test_a_reveal_without_the_csrf_token_is_refused(services, signed_in_admin, members):
    response = signed_in_admin.client.post(f"/members/{members['wanjiku'].number}/reveal",
                                           data={"reason": "calling her"}, headers={"Accept": "text/html"})
    assert response.status_code == 400 and "expired or did not come from this site" in html(response)
    assert reveals(services) == []


def test_reveal_by_fetch(services, signed_in_admin, members):
    response = signed_in_admin.fetch("POST", f"/members/{members['otieno'].number}/reveal",
                                     json={"reason": "handover call"})
    assert response.status_code == 200 and response.get_json()["phone"] == "+254722000456"
    bad = signed_in_admin.fetch("POST", f"/members/{members['otieno'].number}/reveal", json={"reason": ""})
    assert bad.status_code == 400 and "Write why" in bad.get_json()["error"]
    assert len(reveals(services)) == 1


# --------------------------------------------------------------------------- organization boundary


def test_another_organization_cannot_see_nairobis_members(outsider, members):
    number = members["wanjiku"].number
    response = outsider.get(f"/members/{number}")
    assert response.status_code == 404
    assert "Wanjiku" not in html(response)
    page = outsider.get("/members", query_string={"q": "123"})
    assert listed(page) == [] and "Wanjiku" not in html(page)
    own = outsider.get("/members")
    assert listed(own) == [members["pune"].number]
    assert "+91 9•• •••• 321" in html(own) and "+919890000321" not in html(own)


def test_an_admin_of_another_organization_gets_404_on_reveal(services, app, make_user, members):
    from tests.dashboard.conftest import Browser

    make_user("pune-wastepickers", "admin")
    b = Browser(app.test_client())
    b.login("admin@pune-wastepickers.example.org")
    for reason in ("calling her", ""):
        response = b.post(f"/members/{members['wanjiku'].number}/reveal", {"reason": reason},
                          headers={"Accept": "text/html"})
        assert response.status_code == 404, reason
        assert "+254711000123" not in html(response)
    assert reveals(services) == []
    assert "Wanjiku" not in html(b.get("/members/reveals"))
