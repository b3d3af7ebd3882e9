"""standin.spec: Twilio's OpenAPI description, cached, and the request/response checks built on it."""

from __future__ import annotations

import base64
import json
import random
from urllib.parse import urlencode

import pytest

from standin import spec as spec_module
from standin.spec import TwilioSpec, load_spec_dict, shared_spec

AC = "AC" + "0" * 32
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{AC}:token".encode()).decode()}
MESSAGES = f"/2010-04-01/Accounts/{AC}/Messages.json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def spec() -> TwilioSpec:
    return shared_spec()


def create(spec: TwilioSpec, pairs, headers=AUTH) -> list[str]:
    return [str(e) for e in spec.check_request("POST", MESSAGES, headers=headers, body=urlencode(pairs).encode(),
                                               content_type=FORM)]


def test_parsed_spec_is_cached_as_json(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(spec_module, "_loaded", {})
    first = load_spec_dict()
    [cached] = tmp_path.glob("twilio_api_v2010-*.json")
    assert json.loads(cached.read_text()) == first
    monkeypatch.setattr(spec_module, "_loaded", {})
    monkeypatch.setattr(spec_module, "_parse_yaml", lambda raw: pytest.fail("parsed the YAML again"))
    assert load_spec_dict() == first
    assert load_spec_dict() is load_spec_dict()  # and kept in memory


def test_a_good_create_passes(spec):
    assert create(spec, [("To", "+254711000001"), ("From", "+254709990001"), ("Body", "hi"),
                         ("StatusCallback", "https://example.org/twilio/status"),
                         ("MediaUrl", "https://example.org/a.jpg"), ("MediaUrl", "https://example.org/b.jpg"),
                         ("SmartEncoded", "true"), ("ValidityPeriod", "600")]) == []
    assert create(spec, [("To", "whatsapp:+254711000001"), ("MessagingServiceSid", "MG" + "a" * 32),
                         ("ContentSid", "HX" + "b" * 32), ("ContentVariables", '{"1": "x"}')]) == []


@pytest.mark.parametrize("pairs, expected", [
    ([], ["missing required parameter To", "one of From, MessagingServiceSid is required",
          "one of Body, MediaUrl, ContentSid is required"]),
    ([("To", "+1555"), ("From", "+1555"), ("Body", "")], ["one of Body, MediaUrl, ContentSid is required"]),
    ([("To", "+1555"), ("MessagingServiceSid", "MG1"), ("Body", "x")],
     ["invalid parameter MessagingServiceSid: 'MG1' is too short",
      "invalid parameter MessagingServiceSid: 'MG1' does not match '^MG[0-9a-fA-F]{32}$'"]),
    ([("To", "+1555"), ("From", "+1"), ("Body", "x"), ("SendAsMms", "perhaps")],
     ["invalid parameter SendAsMms: 'perhaps' is not a valid boolean"]),
    ([("To", "+1555"), ("From", "+1"), ("Body", "x"), ("ScheduleType", "later")],
     ["invalid parameter ScheduleType: 'later' is not one of ['fixed']"]),
    ([("To", "+1555"), ("From", "+1"), ("Body", "x"), ("SendAt", "tomorrow")],
     ["invalid parameter SendAt: 'tomorrow' is not a 'date-time'"]),
    ([("To", "+1555"), ("From", "+1"), ("Body", "x"), ("MessageIntent", "marketing")],
     ["unknown parameter MessageIntent (not in Twilio's spec; the real API ignores it)"]),
])
def test_what_the_spec_forbids(spec, pairs, expected):
    assert create(spec, pairs) == expected


def test_credentials_path_and_content_type(spec):
    pairs = [("To", "+1555"), ("From", "+1"), ("Body", "x")]
    assert create(spec, pairs, headers={}) == ["no credentials for the accountSid_authToken basic scheme"]
    bad_account = spec.check_request("POST", "/2010-04-01/Accounts/AC123/Messages.json", headers=AUTH,
                                     body=urlencode(pairs).encode(), content_type=FORM)
    assert "invalid parameter AccountSid: 'AC123' is too short" in [str(e) for e in bad_account]
    assert [e.kind for e in spec.check_request("GET", "/2010-04-01/Nope.json")] == ["path"]
    as_json = spec.check_request("POST", MESSAGES, headers=AUTH, body=json.dumps(dict(pairs)).encode(),
                                 content_type="application/json")
    assert as_json[0].kind == "content-type"


def test_list_and_fetch_parameters(spec):
    def get(path, query=()):
        return [str(e) for e in spec.check_request("GET", path, headers=AUTH, query=query)]

    assert get(MESSAGES, [("To", "+1555"), ("DateSent>", "2026-11-01T00:00:00Z"), ("PageSize", "50"),
                          ("Page", "1"), ("PageToken", "PAxyz")]) == []
    assert get(MESSAGES, [("PageSize", "0")]) == ["invalid parameter PageSize: 0 is less than the minimum of 1"]
    # the docs allow DateSent=YYYY-MM-DD; the spec says date-time, which is what twilio-python sends
    assert get(MESSAGES, [("DateSent", "2026-11-01")]) == ["invalid parameter DateSent: '2026-11-01' is not a "
                                                           "'date-time'"]
    assert get(f"/2010-04-01/Accounts/{AC}/Messages/SM{'0' * 32}.json") == []
    assert get(f"/2010-04-01/Accounts/{AC}/Messages/XX{'0' * 32}.json") == [
        "invalid parameter Sid: 'XX00000000000000000000000000000000' does not match '^(SM|MM)[0-9a-fA-F]{32}$'"]


def test_memoized_verdicts_equal_fresh_ones(spec):
    """The per-shape memo must never change a verdict (compare with a checker that has an empty memo)."""
    values = {"To": ["+1555", "", " ", "whatsapp:+2547", "x"], "From": ["+1", ""], "Body": ["hi", "", "x" * 300],
              "ValidityPeriod": ["5", "abc"], "SmartEncoded": ["true", "maybe"],
              "StatusCallback": ["http://a.org/b", "bad url", ""], "ContentSid": ["HX" + "a" * 32, "HX1"],
              "MediaUrl": ["http://m.org/1", "x y"], "RiskCheck": ["enable", "no"], "Tags": ["1"]}
    rng = random.Random(7)
    for _ in range(150):
        pairs = [(k, rng.choice(v)) for k, v in values.items() if rng.random() < 0.5]
        memoized = create(spec, pairs)
        fresh = TwilioSpec.__new__(TwilioSpec)
        fresh.__dict__.update(spec.__dict__)
        fresh._memo = {}
        assert create(fresh, pairs) == memoized, pairs


def test_twilios_own_examples_pass_the_response_check(spec):
    path_item = spec.spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"]
    examples = path_item["post"]["responses"]["201"]["content"]["application/json"]["examples"]
    for name, example in examples.items():
        body = json.dumps(example["value"]).encode()
        assert spec.check_response("POST", MESSAGES, 201, body) == [], name
    listing = path_item["get"]["responses"]["200"]["content"]["application/json"]["examples"]["readFullPage1"]
    assert spec.check_response("GET", MESSAGES, 200, json.dumps(listing["value"]).encode()) == []


def test_error_answers_need_twilios_error_shape(spec):
    good = {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
            "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}
    assert spec.check_response("POST", MESSAGES, 400, json.dumps(good).encode()) == []
    errors = [str(e) for e in spec.check_response("POST", MESSAGES, 400, b'{"error": "nope"}')]
    assert "error response 400: 'code' is a required property" in errors
    assert spec.check_response("POST", MESSAGES, 429, json.dumps(good).encode())[0].kind == "response"
