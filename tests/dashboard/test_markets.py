"""Markets page: status changes with who/when in the org's time zone, answered by the line right after;
relief distributions; the one-click offer to tell the market's members; the organization boundary."""
from __future__ import annotations

import re
from html import unescape
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.line import live
from bot.models import Broadcast, BroadcastRecipient, MarketStatus, PendingBroadcast, ReliefDistribution
from tests.dashboard.test_members import add_member


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def rows(services, model):
    with services.db() as session:
        return list(session.scalars(select(model).order_by(model.id)))


@pytest.fixture
def gikomba_members(services, phone):
    """Two reachable members at Gikomba (en, sw), one who sent STOP there, one at Toi."""
    return [add_member(services, phone, "+254711000201", "Njeri", "nbo.gikomba", language="en"),
            add_member(services, phone, "+254711000202", "Mwangi", "nbo.gikomba", language="sw"),
            add_member(services, phone, "+254711000203", "Kerubo", "nbo.gikomba", stop=True),
            add_member(services, phone, "+254711000204", "Baraka", "nbo.toi")]


def change(browser, place="nbo.gikomba", **form):
    data = {"status": "closed", "starts": "", "ends": "", "reason": ""}
    data.update(form)
    return browser.post(f"/markets/{place}/status", data)


# --------------------------------------------------------------------------- status


def test_the_page_lists_the_orgs_markets_with_their_status(services, signed_in):
    live.set_market_status(services, "nairobi-vendors", "nbo.toi", "relocated", changed_by="+254711000900",
                           source="sms", reason="moved to the bus park")
    response = signed_in.get("/markets")
    assert response.status_code == 200
    page = html(response)
    for place in services.catalog.places("nairobi-vendors"):
        assert f'data-place="{place.id}"' in page
    assert 'data-place="nbo.toi" data-status="relocated"' in page and "moved to the bus park" in page
    assert 'data-place="nbo.gikomba" data-status="none"' in page
    assert "pune." not in page  # only this organization's places
    assert "+254711000900" not in page and "+254 7•• ••• 900" in page  # an SMS organizer's number is masked


def test_a_status_change_is_stored_with_who_and_when_and_the_line_answers_it(services, signed_in, organizer, phone):
    response = change(signed_in, status="closed", reason="county cleanup", ends="2099-11-30")
    assert response.status_code == 302
    assert re.match(r"/markets/nbo.gikomba\?change=\d+#offer$", response.headers["Location"])
    [row] = rows(services, MarketStatus)
    assert (row.organization, row.place_id, row.status, row.reason, row.source, row.changed_by) == (
        "nairobi-vendors", "nbo.gikomba", "closed", "county cleanup", "web", f"web:{organizer.email}")
    assert abs((row.created_at - datetime.now(timezone.utc)).total_seconds()) < 60
    # "2099-11-30" as an end is the end of that day in Nairobi (UTC+3): 21:00 UTC on the 30th.
    assert row.ends_at == datetime(2099, 11, 30, 21, 0, tzinfo=timezone.utc)
    page = html(signed_in.get(response.headers["Location"]))
    assert 'data-status="closed"' in page and "county cleanup" in page and organizer.email in page
    assert 'data-status-id="%d" data-status="closed"' % row.id in page
    # The line answers with it at once: a worker asking, by command and by the market's name.
    worker = phone("+254711000555")
    answer = worker.send("status gikomba")
    assert "CLOSED" in answer and "county cleanup" in answer
    assert "CLOSED" in worker.send("Gikomba")


def test_dates_are_in_the_orgs_time_zone(services, signed_in):
    assert change(signed_in, status="restricted", starts="2099-01-05T08:00", ends="2099-01-05T18:30").status_code == 302
    [row] = rows(services, MarketStatus)
    assert row.starts_at == datetime(2099, 1, 5, 5, 0, tzinfo=timezone.utc)
    assert row.ends_at == datetime(2099, 1, 5, 15, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("form,message", [
    ({"status": "exploded"}, "Status must be one of"),
    ({"status": ""}, "Status must be one of"),
    ({"starts": "next tuesday"}, "Starts: 'next tuesday' is not a date and time"),
    ({"ends": "31/02/2099"}, "Ends: '31/02/2099' is not a date and time"),
    ({"starts": "2099-01-05T08:00", "ends": "2099-01-05T07:00"}, "Ends must come after the start"),
    ({"ends": "2001-01-01T07:00"}, "Ends must be in the future"),
    ({"reason": "x" * 501}, "The reason is too long"),
])
def test_bad_status_or_dates_are_a_400_with_a_message(services, signed_in, form, message):
    response = change(signed_in, **form)
    assert response.status_code == 400
    assert message in html(response)
    assert 'id="status-error"' in html(response)
    assert rows(services, MarketStatus) == []


def test_a_change_without_the_csrf_token_is_refused(services, signed_in):
    response = signed_in.client.post("/markets/nbo.gikomba/status", data={"status": "closed"},
                                     headers={"Accept": "text/html"})
    assert response.status_code == 400 and "expired or did not come from this site" in html(response)
    assert rows(services, MarketStatus) == []


# --------------------------------------------------------------------------- telling members


def test_the_offer_shows_the_count_and_one_click_starts_the_broadcast(services, signed_in, organizer, phone,
                                                                      gikomba_members):
    location = change(signed_in, status="closed", reason="fire").headers["Location"]
    page = html(signed_in.get(location))
    # Two reachable members at Gikomba: not the one who sent STOP, not the one at Toi.
    assert 'data-recipients="2"' in page and "Tell the 2 members registered at Gikomba" in page
    assert 'id="broadcast-offer-button"' in page
    [status] = rows(services, MarketStatus)
    assert rows(services, Broadcast) == []  # nothing is sent before the click

    response = signed_in.post("/markets/announce", {"kind": "market_status", "id": str(status.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"change={status.id}#offer")
    [broadcast] = rows(services, Broadcast)
    assert broadcast.organization == "nairobi-vendors" and broadcast.state == "sending"
    assert broadcast.segment["markets"] == ["nbo.gikomba"] and broadcast.segment["registered"] is True
    assert broadcast.created_by == f"web:{organizer.email}"
    recipients = rows(services, BroadcastRecipient)
    assert len(recipients) == 2 and {r.language for r in recipients} == {"en", "sw"}
    [pending] = rows(services, PendingBroadcast)
    assert (pending.kind, pending.market_status_id, pending.status) == ("market_status", status.id, "sent")
    # The same words the line answers a worker asking (rendered per language from content).
    assert broadcast.texts["en"] == phone("+254711000777").send("status gikomba")
    assert set(broadcast.texts) == {"en", "sw"} and broadcast.texts["sw"] != broadcast.texts["en"]

    told = html(signed_in.get(response.headers["Location"]))
    assert f'id="broadcast-link" data-broadcast="{broadcast.id}" href="/broadcasts/{broadcast.id}"' in told
    assert 'id="broadcast-offer-button"' not in told
    # A second click (or a second organizer) does not send it twice.
    again = signed_in.post("/markets/announce", {"kind": "market_status", "id": str(status.id)})
    assert again.status_code == 302 and len(rows(services, Broadcast)) == 1
    assert "told already" in html(signed_in.get(again.headers["Location"]))


def test_a_change_asked_for_through_the_api_waits_on_the_page(services, signed_in, gikomba_members):
    view, pending = live.set_market_status(services, "nairobi-vendors", "nbo.gikomba", "open", changed_by="api:x",
                                           source="api", broadcast=True)
    page = html(signed_in.get("/markets"))
    assert f'class="waiting" data-kind="market_status" data-id="{view.id}"' in page
    assert signed_in.post("/markets/announce", {"kind": "market_status", "id": str(view.id)}).status_code == 302
    [row] = rows(services, PendingBroadcast)
    assert row.id == pending and row.status == "sent"
    assert len(rows(services, BroadcastRecipient)) == 2
    assert 'class="waiting"' not in html(signed_in.get("/markets"))


@pytest.mark.parametrize("form,status", [
    ({"kind": "gossip", "id": "1"}, 400),
    ({"kind": "market_status", "id": "x"}, 400),
    ({"kind": "market_status", "id": "999999"}, 404),
])
def test_bad_announcements(signed_in, form, status):
    assert signed_in.post("/markets/announce", form, headers={"Accept": "text/html"}).status_code == status


# --------------------------------------------------------------------------- relief


def test_relief_add_offer_and_cancel(services, signed_in, phone, gikomba_members):
    response = signed_in.post("/markets/relief", {"place": "nbo.gikomba", "venue": "", "starts": "2099-03-02T10:00",
                                                  "ends": "", "recipients": "fire victims", "programme": ""})
    assert response.status_code == 302 and "relief=" in response.headers["Location"]
    [row] = rows(services, ReliefDistribution)
    assert (row.place_id, row.venue, row.recipients, row.source) == ("nbo.gikomba", "Gikomba", "fire victims", "web")
    assert row.starts_at == datetime(2099, 3, 2, 7, 0, tzinfo=timezone.utc)
    page = html(signed_in.get(response.headers["Location"]))
    assert f'data-relief="{row.id}"' in page and "fire victims" in page
    assert 'data-kind="relief_distribution"' in page and 'data-recipients="2"' in page
    # Workers asking about relief (menu 1) hear it.
    assert "fire victims" in phone("+254711000888").send("1")
    # One click tells the members, with the line's own relief text.
    assert signed_in.post("/markets/announce", {"kind": "relief_distribution", "id": str(row.id)}).status_code == 302
    [broadcast] = rows(services, Broadcast)
    assert "fire victims" in broadcast.texts["en"] and broadcast.segment["markets"] == ["nbo.gikomba"]
    # Cancel: gone from the page and from the line.
    assert signed_in.post(f"/markets/relief/{row.id}/cancel").status_code == 302
    assert rows(services, ReliefDistribution)[0].cancelled_at is not None
    assert f'data-relief="{row.id}"' not in html(signed_in.get("/markets"))
    assert "fire victims" not in phone("+254711000889").send("1")


@pytest.mark.parametrize("form,message", [
    ({"place": "", "venue": "", "recipients": "all", "starts": "2099-03-02T10:00"}, "Where: pick a place"),
    ({"place": "pune.mandai", "recipients": "all", "starts": "2099-03-02T10:00"}, "Unknown place"),
    ({"place": "nbo.toi", "recipients": "", "starts": "2099-03-02T10:00"}, "For whom"),
    ({"place": "nbo.toi", "recipients": "all", "starts": ""}, "Starts: when does the distribution start?"),
    ({"place": "nbo.toi", "recipients": "all", "starts": "tomorrow-ish"}, "is not a date and time"),
    ({"place": "nbo.toi", "recipients": "all", "starts": "2099-03-02T10:00", "ends": "2099-03-02T09:00"},
     "the end must come after the start"),
    ({"place": "nbo.toi", "recipients": "all", "starts": "2099-03-02T10:00", "programme": "nope"},
     "Unknown programme"),
])
def test_bad_relief_is_a_400_with_a_message(services, signed_in, form, message):
    response = signed_in.post("/markets/relief", form)
    assert response.status_code == 400
    assert message in html(response) and 'id="relief-error"' in html(response)
    assert rows(services, ReliefDistribution) == []


def test_a_venue_outside_the_gazetteer_tells_all_members(services, signed_in, gikomba_members):
    signed_in.post("/markets/relief", {"venue": "St Teresa's hall", "recipients": "widows",
                                       "starts": "2099-03-02T10:00"})
    [row] = rows(services, ReliefDistribution)
    assert row.place_id is None and row.venue == "St Teresa's hall"
    page = html(signed_in.get(f"/markets?relief={row.id}"))
    assert 'data-recipients="3"' in page and "(all markets)" in page  # every reachable member


# --------------------------------------------------------------------------- organization boundary


def test_another_organization_cannot_touch_nairobis_markets(services, outsider, gikomba_members):
    view, _ = live.set_market_status(services, "nairobi-vendors", "nbo.gikomba", "closed", changed_by="x",
                                     source="cli", reason="secret reason")
    relief, _ = live.announce_relief(services, "nairobi-vendors", venue="Gikomba", place_id="nbo.gikomba",
                                     starts_at=datetime(2099, 3, 2, tzinfo=timezone.utc), recipients="vendors",
                                     changed_by="x", source="cli")
    assert outsider.get("/markets/nbo.gikomba").status_code == 404
    assert outsider.post("/markets/nbo.gikomba/status", {"status": "open"}).status_code == 404
    assert outsider.post("/markets/announce", {"kind": "market_status", "id": str(view.id)}).status_code == 404
    assert outsider.post("/markets/announce", {"kind": "relief_distribution", "id": str(relief.id)}).status_code == 404
    assert outsider.post(f"/markets/relief/{relief.id}/cancel").status_code == 404
    assert outsider.post("/markets/relief", {"place": "nbo.gikomba", "recipients": "x",
                                             "starts": "2099-03-02T10:00"}).status_code == 400
    own = html(outsider.get("/markets"))
    assert "nbo.gikomba" not in own and "secret reason" not in own and 'data-place="pune.' in own
    assert html(outsider.get(f"/markets?relief={relief.id}")).count('id="offer"') == 0
    assert outsider.get(f"/markets/pune.mandai?change={view.id}").status_code == 200
    assert 'id="offer"' not in html(outsider.get(f"/markets/pune.mandai?change={view.id}"))
    assert len(rows(services, MarketStatus)) == 1 and rows(services, Broadcast) == []
    assert rows(services, ReliefDistribution)[0].cancelled_at is None
