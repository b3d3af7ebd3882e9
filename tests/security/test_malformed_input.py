"""Issue 12 item 9: malformed but authenticated input gets a 4xx that says what to fix, never a 500."""
from __future__ import annotations

import pytest

from bot.desk.tokens import create_token
from tests.conftest import PUBLIC_BASE_URL, sign

STATUS = "/webhooks/twilio/status"


def status_callback(client, **form):
    form = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", **form}
    return client.post(STATUS, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + STATUS, form)})


@pytest.mark.parametrize("form, word", [
    ({"ErrorCode": "3" * 40}, b"ErrorCode"),
    ({"ErrorCode": "30007\x00"}, b"NUL"),
    ({"ErrorCode": "abc"}, b"ErrorCode"),
    ({"MessageStatus": "deliv\x00ered"}, b"NUL"),
    ({"MessageSid": "SM" + "a" * 31 + "\x00"}, b"NUL"),
    ({"ErrorMessage": "x\x00y"}, b"NUL"),
    ({"MessageSid": "SMnot-a-sid"}, b"MessageSid"),
    ({"SmsSid": "SM" + "b" * 32}, b"same"),
    ({"MessageStatus": "x" * 200}, b"MessageStatus"),
])
def test_status_callback_with_malformed_fields_is_a_400(services, client, form, word):
    response = status_callback(client, **form)
    assert response.status_code == 400 and word in response.data, response.data


def test_a_well_formed_status_callback_still_counts(services, client):
    assert status_callback(client, ErrorCode="30007", MessageStatus="failed").status_code == 204


PAGES = ["/reports", "/reports/map", "/reports/map.json", "/members", "/conversations"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_malformed_queries_with_a_4xx(signed_in, path):
    for query in ("q=%00", "q=a%00b", "page=%00", "date_from=%00", "market=%00", "status=%00"):
        response = signed_in.get(f"{path}?{query}")
        assert response.status_code == 400 and b"NUL" in response.data, (path, query, response.status_code)
    for query in ("page=99999999999999999999", "page=-1", "page=1e3", "page=%E2%91%A0"):
        # a page number the list cannot use: a 400 that says so (the conversations list shows its last page)
        response = signed_in.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        assert b"Traceback" not in response.data


def test_a_nul_in_a_posted_form_is_a_400(signed_in):
    response = signed_in.post("/conversations/1/reply", {"body": "hi\x00"})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("change, word", [
    ({"rate": "abc"}, "rate"),
    ({"rate": float("nan")}, "rate"),
    ({"rate": [1]}, "rate"),
    ({"rate": True}, "rate"),
    ({"rate_unit": 5}, "rate_unit"),
    ({"texts": {"en": "hi\x00"}}, "NUL"),
    ({"segment": "all"}, "segment"),
    ({"texts": "hello"}, "texts"),
])
def test_broadcasts_api_answers_malformed_json_with_a_400(services, client, change, word):
    token = create_token(services, "nairobi-vendors", "desk")
    body = {"segment": {"registered": True}, "texts": {"en": "Gikomba is closed"}, **change}
    response = client.post("/api/v1/broadcasts", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400, (change, response.status_code, response.data)
    found = response.get_json()
    assert word in (found.get("message") or found.get("error")), found


@pytest.mark.parametrize("query", ["page=abc", "page=99999999999999999999", "q=%00", "status=%00", "since=%00"])
def test_reports_api_answers_malformed_queries_with_a_4xx(services, client, query):
    token = create_token(services, "nairobi-vendors", "desk")
    response = client.get(f"/api/v1/reports?{query}", headers={"Authorization": f"Bearer {token}"})
    assert 400 <= response.status_code < 500, (query, response.status_code, response.data)
