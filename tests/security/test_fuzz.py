"""Issue 12: a fuzz test of the webhooks (signed with RequestValidator: the signature is valid, the
content hostile), the status callback, the organizers' pages (signed in) and the API (bearer token).
Whatever arrives, the answer is never a 5xx and no request ends in the catch-all error handler (which
answers a Twilio message with an empty 200, so the status alone would not show it).

Hypothesis runs derandomized (a fixed seed) with no example database, so every run tries the same
cases; HYPOTHESIS_FUZZ_SCALE multiplies the number of cases (e.g. 10 for a longer local hunt)."""
from __future__ import annotations

import logging
import os
import re
import uuid
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from bot.desk.tokens import create_token
from tests.conftest import NAIROBI, PUBLIC_BASE_URL, sign
from tests.security.conftest import PASSWORD, Browser

SCALE = float(os.environ.get("HYPOTHESIS_FUZZ_SCALE", "1"))


def fuzz(examples: int):
    return hsettings(max_examples=max(1, int(examples * SCALE)), derandomize=True, database=None,
                     deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)


NASTY = ["", " ", "\x00", "a\x00b", "%00", "\r\n", "'; DROP TABLE reports; --", "<script>alert(1)</script>",
         "{{7*7}}", "${jndi:x}", "../../etc/passwd", "9" * 40, "-1", "0", "1e309", "NaN", "inf", "①", "٣",
         "ñ" * 300, "😀" * 100, "whatsapp:", "whatsapp:+", "+" + "9" * 30, "SM" + "0" * 32, "\u202e", "\ufeff",
         "null", "true", "[]", "{}", "x" * 5000]
# Any text a form can carry (no lone surrogates: they cannot be encoded in a request at all).
TEXT = st.text(st.characters(codec="utf-8"), max_size=80)
HOSTILE = st.one_of(st.sampled_from(NASTY), TEXT, st.text("0123456789-+.e", max_size=25))
FORM_KEYS = ["Body", "From", "To", "NumMedia", "MediaUrl0", "MediaContentType0", "Latitude", "Longitude",
             "Address", "Label", "ProfileName", "WaId", "NumSegments", "SmsStatus", "ApiVersion", "AccountSid",
             "MessageSid", "SmsMessageSid", "SmsSid", "ButtonText", "ButtonPayload", "ReferralBody"]
BODIES = st.one_of(HOSTILE, st.sampled_from(["hi", "1", "2", "4", "MENU", "STOP", "START", "HELP", "0", "JOIN",
                                             "police took my goods at gikomba", "BROADCAST STATUS Toi MOVED",
                                             "STATUS Gikomba CLOSED until friday", "MORE", "ndiyo", "R-1234"]))


class Unhandled(logging.Handler):
    """Records what reached webhooks/errors.py's catch-all (an exception no view handled)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record):
        self.seen.append(record.getMessage() + (f"\n{record.exc_text or ''}" if record.exc_info else ""))


@pytest.fixture
def unhandled():
    handler = Unhandled()
    logger = logging.getLogger("webhooks.errors")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def no_server_error(response, unhandled, what):
    seen, unhandled.seen = unhandled.seen, []  # each example on its own
    assert not seen, (what, seen[-1][-2000:])
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


# --------------------------------------------------------------------------- Twilio webhooks

@st.composite
def message_forms(draw):
    channel = draw(st.sampled_from(["sms", "whatsapp"]))
    number = "+2547" + draw(st.text("0123456789", min_size=8, max_size=8))
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    form = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": prefix + number,
            "To": prefix + NAIROBI, "Body": draw(BODIES), "NumMedia": "0"}
    form.update(draw(st.dictionaries(st.sampled_from(FORM_KEYS), HOSTILE, max_size=4)))
    form.update(draw(st.dictionaries(TEXT.filter(bool), HOSTILE, max_size=2)))
    return form


@fuzz(200)
@given(form=message_forms())
def test_signed_hostile_messages_never_5xx(services, client, unhandled, form):
    url = PUBLIC_BASE_URL + "/webhooks/twilio/messages"
    response = client.post("/webhooks/twilio/messages", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    no_server_error(response, unhandled, form)
    assert response.status_code in (200, 400), (form, response.status_code, response.data[:200])


@st.composite
def status_forms(draw):
    form = {"MessageSid": draw(st.one_of(st.just(new_sid()), HOSTILE)),
            "MessageStatus": draw(st.one_of(st.sampled_from(["queued", "sent", "delivered", "read", "failed",
                                                             "undelivered"]), HOSTILE)),
            "AccountSid": "AC" + "0" * 32}
    form.update(draw(st.dictionaries(st.sampled_from(["ErrorCode", "ErrorMessage", "SmsSid", "SmsStatus", "To",
                                                      "From", "ChannelStatusMessage", "AccountSid"]),
                                     HOSTILE, max_size=3)))
    return form


@fuzz(800)
@given(form=status_forms())
def test_signed_hostile_status_callbacks_never_5xx(services, client, unhandled, form):
    url = PUBLIC_BASE_URL + "/webhooks/twilio/status"
    response = client.post("/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    no_server_error(response, unhandled, form)
    assert response.status_code in (204, 400), (form, response.status_code)


# --------------------------------------------------------------------------- the organizers' pages

GET_PAGES = ["/", "/reports", "/reports/map", "/reports/map.json", "/reports/{ref}", "/reports/{ref}/media/{n}",
             "/members", "/members/{text}", "/members/reveals", "/markets", "/markets/{text}",
             "/markets/nbo.gikomba", "/broadcasts", "/broadcasts/new", "/broadcasts/{n}",
             "/broadcasts/{n}/progress", "/conversations", "/conversations/{n}", "/conversations/{n}/messages",
             "/data", "/data/export", "/data/figures.json", "/simulator", "/simulator/messages",
             "/simulator/media/{text}", "/healthz", "/login"]
POST_PAGES = ["/reports/{ref}/note", "/reports/{ref}/status", "/markets/relief", "/markets/nbo.gikomba/status",
              "/markets/announce", "/markets/relief/{n}/cancel", "/broadcasts/new", "/broadcasts/preview",
              "/broadcasts/{n}/{text}", "/conversations/{n}/reply", "/conversations/{n}/take-over",
              "/conversations/{n}/hand-back", "/members/{text}/reveal", "/data/export/full", "/account/language"]
QUERY_KEYS = ["q", "page", "status", "category", "market", "date_from", "date_to", "cluster", "trade", "language",
              "opted_out", "taken_over", "after_in", "after_out", "relief", "format", "anonymise", "next", "since",
              "per_page", "offset", "phone", "channel"]
FIELDS = QUERY_KEYS + ["body", "note", "reason", "name", "text_en", "text_sw", "rate", "rate_unit", "send",
                       "starts", "ends", "venue", "recipients", "place_id", "id", "confirm", "markets", "cities",
                       "trades", "languages", "registered"]
NUMBERS = st.one_of(st.integers(0, 3), st.integers(-(2**70), 2**70))


@st.composite
def page_requests(draw):
    method = draw(st.sampled_from(["GET", "GET", "GET", "POST"]))
    template = draw(st.sampled_from(GET_PAGES if method == "GET" else POST_PAGES))
    path = template.format(ref=draw(st.sampled_from(["R-0000", "{ref}"])) if "{ref}" in template else "",
                           n=draw(NUMBERS), text=quote(draw(HOSTILE), safe=""))
    values = draw(st.dictionaries(st.sampled_from(FIELDS if method == "POST" else QUERY_KEYS), HOSTILE,
                                  max_size=4))
    as_json = method == "POST" and draw(st.booleans())
    return method, path, values, as_json


@pytest.fixture
def desk(app, services, make_user, phone):
    """An admin signed in once (argon2 is slow on purpose), and one report to look at."""
    admin = make_user("nairobi-vendors", "admin")
    browser = Browser(app.test_client())
    assert browser.login(admin.email, PASSWORD).status_code == 302
    worker = phone("+254711999001")
    worker.send("police took my goods at gikomba this morning")
    worker.send("1")  # anonymous
    worker.send("2")  # not to be quoted
    from sqlalchemy import select

    from bot.models import Report

    with services.db() as session:
        reference = session.scalar(select(Report.reference))
    assert reference
    return browser, reference


@fuzz(750)
@given(request=page_requests())
def test_signed_in_pages_never_5xx(desk, unhandled, request):
    browser, reference = desk
    method, path, values, as_json = request
    path = path.replace("%7Bref%7D", reference).replace("{ref}", reference)
    if method == "GET":
        response = browser.get(path, query_string=values)
    elif as_json:
        response = browser.fetch("POST", path, json=values)
    else:
        response = browser.post(path, values)
    response.close()
    no_server_error(response, unhandled, (method, path, values))


# --------------------------------------------------------------------------- the API

JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), HOSTILE),
                    lambda children: st.one_of(st.lists(children, max_size=4),
                                               st.dictionaries(HOSTILE, children, max_size=4)),
                    max_leaves=12)
BROADCAST_KEYS = ["segment", "texts", "template", "name", "rate", "rate_unit", "created_by", "markets", "cities",
                  "trades", "languages", "registered", "channels", "en", "sw", "content_sid", "variables"]


@st.composite
def api_requests(draw):
    choice = draw(st.sampled_from(["list", "list", "markets", "market", "put_market", "put_markets", "create",
                                   "preview", "patch", "act", "show"]))
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS), HOSTILE, max_size=4))
    body = draw(st.one_of(JSON, st.dictionaries(st.sampled_from(BROADCAST_KEYS), JSON, max_size=5)))
    text, n = quote(draw(HOSTILE), safe=""), draw(NUMBERS)
    return {
        "list": ("GET", "/api/v1/reports", query, None),
        "markets": ("GET", "/api/v1/markets", query, None),
        "market": ("GET", f"/api/v1/markets/{text}", query, None),
        "put_market": ("PUT", f"/api/v1/markets/{draw(st.sampled_from(['nbo.gikomba', text]))}", None, body),
        "put_markets": ("PUT", "/api/v1/markets", None, body),
        "create": ("POST", "/api/v1/broadcasts", None, body),
        "preview": ("POST", "/api/v1/broadcasts/preview", None, body),
        "patch": ("PATCH", f"/api/v1/reports/{draw(st.sampled_from(['{ref}', text]))}", None, body),
        "act": ("POST", f"/api/v1/broadcasts/{n}/{text}", None, body),
        "show": ("GET", f"/api/v1/broadcasts/{n}", query, None),
    }[choice]


@pytest.fixture
def api_token(services):
    return create_token(services, "nairobi-vendors", "fuzz")


@fuzz(550)
@given(request=api_requests())
def test_api_with_a_valid_token_never_5xx(desk, api_token, client, unhandled, request):
    _, reference = desk
    method, path, query, body = request
    token = api_token
    response = client.open(path.replace("%7Bref%7D", reference).replace("{ref}", reference), method=method,
                           query_string=query, json=body, headers={"Authorization": f"Bearer {token}"})
    no_server_error(response, unhandled, request)


def test_the_fuzzers_reach_past_the_front_door(services, client):
    """A guard on the guards: a signed message with a fuzzed but valid shape is answered (200), so
    the cases above exercise the engine, not only the 400s."""
    form = {"MessageSid": new_sid(), "AccountSid": "AC" + "0" * 32, "From": "+254711999002", "To": NAIROBI,
            "Body": "hi\x00 {{7*7}} <b>", "NumMedia": "0"}
    url = PUBLIC_BASE_URL + "/webhooks/twilio/messages"
    response = client.post("/webhooks/twilio/messages", data=form, headers={"X-Twilio-Signature": sign(url, form)})
    assert response.status_code == 200 and re.search(r"<Message>", response.get_data(as_text=True))
