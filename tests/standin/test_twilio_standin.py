"""The Twilio stand-in through twilio-python's real Client: messages, auth, spec checks, faults, callbacks."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from standin.client import LocalTwilioHttpClient, local_twilio_client
from standin.twilio_api import TwilioStandin

ACCOUNT_SID = "AC" + "0" * 31 + "1"  # as in conftest.py
AUTH_TOKEN = "test-auth-token"
FROM = "+254709990001"
TO = "+254711000001"
HX = "HX" + "a" * 32


def messages_url(tw: TwilioStandin) -> str:
    return f"{tw.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def post(tw: TwilioStandin, data: list[tuple[str, str]] | dict, auth=(ACCOUNT_SID, AUTH_TOKEN)) -> requests.Response:
    with requests.Session() as session:
        return session.post(messages_url(tw), data=data, auth=auth, timeout=5)


# -- messages ---------------------------------------------------------------------------------------------


def test_create_fetch_and_list_through_twilio_client(tw, twilio):
    msg = twilio.messages.create(to=TO, from_=FROM, body="Market opens at 6")

    assert msg.sid.startswith("SM") and len(msg.sid) == 34
    assert msg.status == "queued"
    assert msg.direction == "outbound-api"
    assert msg.num_segments == "1" and msg.num_media == "0"
    assert msg.account_sid == ACCOUNT_SID
    assert msg.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{msg.sid}.json"
    assert abs(msg.date_created - datetime.now(timezone.utc)) < timedelta(seconds=5)  # parsed from RFC 2822

    fetched = twilio.messages(msg.sid).fetch()
    assert (fetched.sid, fetched.body, fetched.to, fetched.from_) == (msg.sid, "Market opens at 6", TO, FROM)

    listed = twilio.messages.list(to=TO)
    assert [m.sid for m in listed] == [msg.sid]
    assert tw.messages[-1]["sid"] == msg.sid and tw.messages[-1]["body"] == "Market opens at 6"
    assert tw.violations == []


def test_list_filters_and_pages_newest_first(tw, twilio):
    sids = [twilio.messages.create(to=TO, from_=FROM, body=f"n{i}").sid for i in range(7)]
    other = twilio.messages.create(to="+254711000002", from_=FROM, body="other").sid

    listed = twilio.messages.list(to=TO, page_size=3)  # follows next_page_uri over three pages
    assert [m.sid for m in listed] == list(reversed(sids))
    assert [m.sid for m in twilio.messages.list(from_=FROM, limit=2)] == [other, sids[-1]]
    assert len(twilio.messages.list(to=TO, limit=4, page_size=2)) == 4

    page = twilio.messages.page(to=TO, page_size=3)
    assert len(list(page)) == 3 and page.next_page_url
    pages = [r for r in tw.requests if r["method"] == "GET"]
    assert all(r["status"] == 200 for r in pages)

    tw.wait_for_callbacks(5)  # date_sent is set once "sent"
    today = datetime.now(timezone.utc).date()
    assert len(twilio.messages.list(date_sent=datetime.now(timezone.utc))) == 8
    assert len(twilio.messages.list(date_sent_after=datetime(today.year, today.month, today.day))) == 8
    assert twilio.messages.list(date_sent_before=datetime(2020, 1, 1)) == []
    assert tw.violations == []


def test_fetch_unknown_sid_is_twilio_404(twilio):
    with pytest.raises(TwilioRestException) as err:
        twilio.messages("SM" + "f" * 32).fetch()
    assert err.value.status == 404 and err.value.code == 20404


def test_media_messaging_service_and_segments(tw, twilio):
    mms = twilio.messages.create(to=TO, messaging_service_sid="MG" + "1" * 32,
                                 media_url=["https://example.org/a.jpg", "https://example.org/b.jpg"])
    assert mms.sid.startswith("MM") and mms.num_media == "2" and mms.from_ is None
    assert tw.messages[-1]["media_url"] == ["https://example.org/a.jpg", "https://example.org/b.jpg"]

    assert twilio.messages.create(to=TO, from_=FROM, body="a" * 160).num_segments == "1"
    assert twilio.messages.create(to=TO, from_=FROM, body="a" * 161).num_segments == "2"
    assert twilio.messages.create(to=TO, from_=FROM, body="{" * 80).num_segments == "1"   # 160 septets
    assert twilio.messages.create(to=TO, from_=FROM, body="{" * 81).num_segments == "2"
    assert twilio.messages.create(to=TO, from_=FROM, body="Habari 👋").num_segments == "1"
    assert twilio.messages.create(to=TO, from_=FROM, body="नमस्ते " * 12).num_segments == "2"  # 84 UCS-2 units
    assert tw.violations == []


def test_concurrent_creates_are_all_recorded(tw):
    errors = []

    def send(n):
        client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN)
        try:
            for i in range(25):
                client.messages.create(to=f"+2547110{n:02d}{i:03d}", from_=FROM, body=f"{n}/{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            client.http_client.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(tw.messages) == 200 and len({m["sid"] for m in tw.messages}) == 200


# -- auth and the spec check ------------------------------------------------------------------------------


def test_wrong_credentials_are_401_with_code_20003(tw):
    client = local_twilio_client(tw.base_url, ACCOUNT_SID, "wrong-token")
    try:
        with pytest.raises(TwilioRestException) as err:
            client.messages.create(to=TO, from_=FROM, body="hi")
    finally:
        client.http_client.close()
    assert err.value.status == 401 and err.value.code == 20003
    assert tw.messages == []

    answer = post(tw, {"To": TO, "From": FROM, "Body": "hi"}, auth=None)
    assert answer.status_code == 401
    assert set(answer.json()) == {"code", "message", "more_info", "status"}
    assert answer.json()["code"] == 20003 and answer.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("data, code, fragment", [
    ({"From": FROM, "Body": "no To"}, 21604, "missing required parameter To"),
    ({"To": TO, "Body": "no sender"}, 21603, "one of From, MessagingServiceSid is required"),
    ({"To": TO, "From": FROM}, 21602, "one of Body, MediaUrl, ContentSid is required"),
    ({"To": TO, "From": FROM, "ContentSid": "HX123"}, 20422, "does not match '^HX[0-9a-fA-F]{32}$'"),
    ({"To": TO, "From": FROM, "Body": "x", "ValidityPeriod": "soon"}, 20422, "'soon' is not a valid integer"),
    ({"To": TO, "From": FROM, "Body": "x", "RiskCheck": "maybe"}, 20422, "is not one of ['enable', 'disable']"),
    ({"To": TO, "From": FROM, "Body": "x", "StatusCallback": "not a url"}, 20422, "is not a 'uri'"),
    ({"To": TO, "From": FROM, "Body": "x", "StatusCallbackUrl": "https://x.org"}, 20422,
     "unknown parameter StatusCallbackUrl"),
])
def test_requests_the_spec_forbids_are_400_and_recorded(tw, data, code, fragment):
    answer = post(tw, data)

    assert answer.status_code == 400
    assert answer.json()["code"] == code and fragment in answer.json()["message"]
    assert tw.messages == []
    [violation] = tw.violations
    assert violation["rejected"] and any(fragment in e for e in violation["errors"])
    assert violation["form"] == data


def test_spec_errors_surface_through_twilio_client(twilio, tw):
    with pytest.raises(TwilioRestException) as err:
        twilio.messages.create(to=TO, from_=FROM, content_sid="HX-not-a-sid")
    assert err.value.status == 400 and err.value.code == 20422
    assert "ContentSid" in err.value.msg
    assert len(tw.violations) == 1


def test_json_body_is_not_what_the_api_takes(tw):
    with requests.Session() as session:
        answer = session.post(messages_url(tw), json={"To": TO, "From": FROM, "Body": "x"},
                              auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert answer.status_code == 400
    assert "application/x-www-form-urlencoded" in answer.json()["message"]


def test_list_query_is_checked_too(tw):
    with requests.Session() as session:
        answer = session.get(messages_url(tw), params={"PageSize": "5000"}, auth=(ACCOUNT_SID, AUTH_TOKEN),
                             timeout=5)
    assert answer.status_code == 400 and "maximum of 1000" in answer.json()["message"]


def test_lenient_params_accept_but_record_unknown_parameters():
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, strict_params=False) as tw:
        answer = post(tw, {"To": TO, "From": FROM, "Body": "x", "Tags": "{}"})
        assert answer.status_code == 201
        [violation] = tw.violations
        assert violation["kinds"] == ["unknown"] and not violation["rejected"]


def test_business_rules_beyond_the_schema(tw, twilio):
    cases = [(dict(to="0711 000 001", from_=FROM, body="x"), 21211),
             (dict(to="whatsapp:" + TO, from_=FROM, body="x"), 21910),
             (dict(to=TO, from_=FROM, body="x" * 1601), 21617),
             (dict(to=TO, from_=FROM, content_sid=HX, content_variables="[1]"), 21656)]
    for kwargs, code in cases:
        with pytest.raises(TwilioRestException) as err:
            twilio.messages.create(**kwargs)
        assert (err.value.status, err.value.code) == (400, code)
    assert tw.messages == []


def test_responses_conform_to_the_spec(tw, twilio):
    """Every answer above (201, 200 list/fetch, errors) is checked by the stand-in with validate_responses."""
    sid = twilio.messages.create(to=TO, from_=FROM, body="hi", status_callback="https://example.org/s").sid
    twilio.messages.create(to="whatsapp:" + TO, from_="whatsapp:" + FROM, content_sid=HX,
                           content_variables=json.dumps({"1": "Asha"}))
    twilio.messages.list(page_size=1)
    twilio.messages(sid).fetch()
    tw.fail_number(TO, 21610)
    with pytest.raises(TwilioRestException):
        twilio.messages.create(to=TO, from_=FROM, body="hi")
    tw.wait_for_callbacks(5)
    twilio.messages(sid).fetch()  # status "delivered", date_sent set

    assert tw.violations == []
    statuses = {r["status"] for r in tw.requests}
    assert statuses == {200, 201, 400}

    # and the checker does catch an answer the real API would not give
    bad = tw.message(sid)
    resource = {k: bad[k] for k in tw.spec.spec["components"]["schemas"]["api.v2010.account.message"]["properties"]}
    resource.update(status="posted", date_created="2024-01-01T00:00:00Z", extra=1)
    del resource["num_media"]
    errors = [str(e) for e in tw.spec.check_response("GET", resource["uri"], 200, json.dumps(resource).encode())]
    assert any("'posted' is not one of" in e for e in errors)
    assert any("is not a 'date-time-rfc-2822'" in e for e in errors)
    assert any("'num_media' is a required property" in e for e in errors)
    assert any("extra: not in the spec" in e for e in errors)


# -- rate limits and faults -------------------------------------------------------------------------------


def test_rate_limit_answers_429_with_20429(tw, twilio):
    tw.set_rate(2, burst=5)  # bucket of 5, refills 2/s
    results = []
    for i in range(12):
        try:
            twilio.messages.create(to=TO, from_=FROM, body=f"{i}")
            results.append(201)
        except TwilioRestException as exc:
            results.append((exc.status, exc.code))
    assert results[:5] == [201] * 5
    assert (429, 20429) in results
    assert len(tw.messages) == results.count(201) < 12

    time.sleep(0.6)  # refilled at least one
    twilio.messages.create(to=TO, from_=FROM, body="after a pause")

    tw.set_rate(None)
    for _ in range(20):
        twilio.messages.create(to=TO, from_=FROM, body="unlimited")


def test_rate_limit_can_count_segments(tw, twilio):
    tw.set_rate(1, count_segments=True, burst=4)
    twilio.messages.create(to=TO, from_=FROM, body="x" * 400)  # 3 segments
    with pytest.raises(TwilioRestException) as err:
        twilio.messages.create(to=TO, from_=FROM, body="y" * 400)
    assert err.value.code == 20429
    twilio.messages.create(to=TO, from_=FROM, body="one segment")


@pytest.mark.parametrize("code, status", [(21610, 400), (21211, 400), (21614, 400), (20429, 429)])
def test_fail_number_surfaces_as_twilio_rest_exception(tw, twilio, code, status):
    tw.fail_number("+254700000009", code=code)
    with pytest.raises(TwilioRestException) as err:
        twilio.messages.create(to="+254700000009", from_=FROM, body="hi")
    assert (err.value.status, err.value.code) == (status, code)
    twilio.messages.create(to=TO, from_=FROM, body="others still work")
    # a bare number covers WhatsApp too
    with pytest.raises(TwilioRestException):
        twilio.messages.create(to="whatsapp:+254700000009", from_="whatsapp:" + FROM, body="hi")


def test_fail_next_gives_5xx_then_recovers(tw, twilio):
    tw.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as err:
            twilio.messages.create(to=TO, from_=FROM, body="hi")
        assert err.value.status == 503
    assert twilio.messages.create(to=TO, from_=FROM, body="hi").status == "queued"
    assert len(tw.messages) == 1
    assert [r["fault"] for r in tw.requests] == ["http 503", "http 503", None]


def test_fail_after_create_means_the_message_exists_anyway(tw, twilio):
    tw.fail_next(1, status=500, after_create=True)
    with pytest.raises(TwilioRestException):
        twilio.messages.create(to=TO, from_=FROM, body="sent but the answer was lost")
    assert len(tw.messages) == 1


def test_drop_next_closes_the_connection_without_answer(tw, twilio):
    tw.drop_next(2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            twilio.messages.create(to=TO, from_=FROM, body="hi")
    assert tw.messages == []
    twilio.messages.create(to=TO, from_=FROM, body="hi")
    tw.drop_next(1, after_create=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        twilio.messages.create(to=TO, from_=FROM, body="created, answer dropped")
    assert len(tw.messages) == 2
    assert [r["fault"] for r in tw.requests] == ["drop", "drop", None, "drop"]


def test_slow_answers_trip_the_client_timeout(tw):
    client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN, timeout=0.3)
    try:
        tw.set_delay(2.0, count=1)
        started = time.monotonic()
        with pytest.raises(requests.exceptions.Timeout):
            client.messages.create(to=TO, from_=FROM, body="hi")
        assert time.monotonic() - started < 1.5
        tw.set_delay(0.2)
        started = time.monotonic()
        client.messages.create(to=TO, from_=FROM, body="slow but in time")
        assert time.monotonic() - started >= 0.2
    finally:
        client.http_client.close()


# -- WhatsApp ---------------------------------------------------------------------------------------------


def test_whatsapp_outside_window_fails_with_63016_unless_template(receiver):
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, whatsapp_window_open=False, validate_responses=True) as tw:
        client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN)
        try:
            wa_to, wa_from = "whatsapp:" + TO, "whatsapp:" + FROM
            free = client.messages.create(to=wa_to, from_=wa_from, body="free-form",
                                          status_callback=receiver.url + "/status")
            assert free.status == "queued"  # like Twilio: accepted, then failed asynchronously
            template = client.messages.create(to=wa_to, from_=wa_from, content_sid=HX,
                                              content_variables=json.dumps({"1": "Asha"}),
                                              status_callback=receiver.url + "/status")
            tw.set_whatsapp_window(TO, open=True)
            inside = client.messages.create(to=wa_to, from_=wa_from, body="inside the window")
            tw.wait_for_callbacks(5)

            failed = client.messages(free.sid).fetch()
            assert (failed.status, failed.error_code) == ("failed", 63016)
            assert receiver.statuses(free.sid) == ["queued", "failed"]
            assert [r["form"].get("ErrorCode") for r in receiver.received
                    if r["form"]["MessageSid"] == free.sid] == [None, "63016"]
            assert client.messages(template.sid).fetch().status == "delivered"
            assert client.messages(inside.sid).fetch().status == "delivered"
            assert tw.message(template.sid)["content_variables"] == '{"1": "Asha"}'
            assert tw.violations == []
        finally:
            client.http_client.close()


def test_whatsapp_window_error_can_be_synchronous():
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, whatsapp_window_open=False,
                       whatsapp_window_error="sync") as tw:
        answer = post(tw, {"To": "whatsapp:" + TO, "From": "whatsapp:" + FROM, "Body": "free-form"})
        assert answer.status_code == 400 and answer.json()["code"] == 63016


# -- status callbacks -------------------------------------------------------------------------------------


def test_callbacks_are_signed_and_in_order(tw, twilio, receiver):
    msg = twilio.messages.create(to=TO, from_=FROM, body="hi", status_callback=receiver.url + "/twilio/status")
    sent = tw.wait_for_callbacks(5)

    assert receiver.statuses(msg.sid) == ["queued", "sent", "delivered"]
    assert all(r["valid"] for r in receiver.received)
    form = receiver.received[-1]["form"]
    assert form["MessageSid"] == form["SmsSid"] == msg.sid
    assert (form["AccountSid"], form["From"], form["To"], form["ApiVersion"]) == (ACCOUNT_SID, FROM, TO,
                                                                                  "2010-04-01")
    assert "ErrorCode" not in form
    assert [c["response_status"] for c in sent] == [204, 204, 204]
    # the signature is twilio-python's algorithm over the URL and the form
    assert RequestValidator(AUTH_TOKEN).compute_signature(sent[0]["url"], sent[0]["params"]) == sent[0]["signature"]
    assert tw.message(msg.sid)["statuses"] == ["queued", "sent", "delivered"]
    assert twilio.messages(msg.sid).fetch().date_sent is not None


def test_create_is_not_delayed_by_callbacks(receiver):
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, callback_delay=0.5) as tw:
        client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN)
        try:
            started = time.monotonic()
            sids = [client.messages.create(to=TO, from_=FROM, body=f"{i}",
                                           status_callback=receiver.url + "/s").sid for i in range(5)]
            assert time.monotonic() - started < 2.5  # synchronous callbacks would take 5 x 1 s
            assert client.messages(sids[0]).fetch().status in ("queued", "sent")
            tw.wait_for_callbacks(5)
        finally:
            client.http_client.close()
        for sid in sids:
            assert receiver.statuses(sid) == ["queued", "sent", "delivered"]


def test_configured_final_statuses(tw, twilio, receiver):
    tw.final_status("+254711000005", "undelivered", error_code=30007)
    tw.final_status("+254711000006", "failed", error_code=30005)
    tw.final_status("whatsapp:+254711000007", "read")
    url = receiver.url + "/status"
    undelivered = twilio.messages.create(to="+254711000005", from_=FROM, body="x", status_callback=url)
    failed = twilio.messages.create(to="+254711000006", from_=FROM, body="x", status_callback=url)
    read = twilio.messages.create(to="whatsapp:+254711000007", from_="whatsapp:" + FROM, body="x",
                                  status_callback=url)
    tw.wait_for_callbacks(5)

    assert receiver.statuses(undelivered.sid) == ["queued", "sent", "undelivered"]
    assert receiver.statuses(failed.sid) == ["queued", "failed"]
    assert receiver.statuses(read.sid) == ["queued", "sent", "delivered", "read"]
    last = {r["form"]["MessageSid"]: r["form"] for r in receiver.received}
    assert last[undelivered.sid]["ErrorCode"] == "30007" and last[failed.sid]["ErrorCode"] == "30005"
    assert last[read.sid]["ChannelPrefix"] == "whatsapp"
    fetched = twilio.messages(undelivered.sid).fetch()
    assert (fetched.status, fetched.error_code, fetched.error_message) == ("undelivered", 30007, "Message filtered")
    assert all(r["valid"] for r in receiver.received)


def test_duplicate_and_out_of_order_callbacks(tw, twilio, receiver):
    tw.callback_chaos(duplicate=True, out_of_order=True)
    msg = twilio.messages.create(to=TO, from_=FROM, body="x", status_callback=receiver.url + "/s")
    tw.wait_for_callbacks(5)
    assert receiver.statuses(msg.sid) == ["delivered", "delivered", "sent", "sent", "queued", "queued"]
    assert twilio.messages(msg.sid).fetch().status == "delivered"  # the resource never moves back


def test_default_callback_and_callback_base(receiver):
    """Signed for the public URL the app knows (PUBLIC_BASE_URL), delivered to the local one."""
    receiver.public_base = "https://streetline.example.org"
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, status_callback="https://streetline.example.org/twilio/status",
                       callback_base=receiver.url) as tw:
        client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN)
        try:
            msg = client.messages.create(to=TO, from_=FROM, body="x")
            other = client.messages.create(to=TO, from_=FROM, body="y",
                                           status_callback="https://streetline.example.org/cb?org=nairobi")
            sent = tw.wait_for_callbacks(5)
        finally:
            client.http_client.close()
    assert receiver.statuses(msg.sid) == ["queued", "sent", "delivered"]
    assert receiver.statuses(other.sid) == ["queued", "sent", "delivered"]
    assert {r["path"] for r in receiver.received} == {"/twilio/status", "/cb"}
    assert all(r["valid"] for r in receiver.received)
    assert {c["delivered_to"].split("?")[0] for c in sent} == {receiver.url + "/twilio/status", receiver.url + "/cb"}


def test_unreachable_callback_receiver_is_recorded_not_fatal(tw, twilio):
    msg = twilio.messages.create(to=TO, from_=FROM, body="x", status_callback="http://127.0.0.1:9/nothing")
    sent = tw.wait_for_callbacks(5)
    assert len(sent) == 3 and all(c["error"] for c in sent)
    assert twilio.messages(msg.sid).fetch().status == "delivered"


# -- the client helper ------------------------------------------------------------------------------------


def test_client_rewrites_only_the_rest_api_host():
    http = LocalTwilioHttpClient("http://127.0.0.1:8010/")
    try:
        assert http.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json") == \
            "http://127.0.0.1:8010/2010-04-01/Accounts/AC1/Messages.json"
        assert http.rewrite("https://api.dublin.ie1.twilio.com/2010-04-01/x") == "http://127.0.0.1:8010/2010-04-01/x"
        with pytest.raises(ValueError):
            http.rewrite("https://content.twilio.com/v1/Content")
        assert http.timeout == 5.0
    finally:
        http.close()


def test_reset_forgets_everything(tw, twilio):
    tw.fail_number(TO, 21610)
    with pytest.raises(TwilioRestException):
        twilio.messages.create(to=TO, from_=FROM, body="x")
    tw.reset()
    assert tw.requests == [] and tw.messages == []
    twilio.messages.create(to=TO, from_=FROM, body="x")
    assert len(tw.messages) == 1


def test_other_paths_and_methods(tw):
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    base = f"{tw.base_url}/2010-04-01/Accounts/{ACCOUNT_SID}"
    with requests.Session() as session:
        calls = session.get(f"{base}/Calls.json", auth=auth, timeout=5)   # in Twilio's API, not in the stand-in
        nowhere = session.get(f"{tw.base_url}/2010-04-01/Nope.json", auth=auth, timeout=5)
        options = session.options(f"{base}/Messages.json", auth=auth, timeout=5)
        delete = session.delete(f"{base}/Messages/SM{'0' * 32}.json", auth=auth, timeout=5)
    assert (calls.status_code, calls.json()["code"]) == (404, 20404)
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, 20404)
    assert (options.status_code, options.json()["code"]) == (404, 20404)
    assert delete.status_code == 405
    assert [v["kinds"] for v in tw.violations] == [["path"]]  # OPTIONS is not an operation in the spec


def test_max_records_keeps_only_the_latest():
    with TwilioStandin(ACCOUNT_SID, AUTH_TOKEN, max_records=3) as tw:
        client = local_twilio_client(tw.base_url, ACCOUNT_SID, AUTH_TOKEN)
        try:
            sids = [client.messages.create(to=TO, from_=FROM, body=str(i)).sid for i in range(5)]
            assert [m.sid for m in client.messages.list()] == sids[:1:-1]
        finally:
            client.http_client.close()
        assert [m["sid"] for m in tw.messages] == sids[2:]
        assert len(tw.requests) == 3
        assert "_seq" not in tw.messages[0]
