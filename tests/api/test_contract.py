"""The API's OpenAPI description (webhooks/openapi.yaml) is the contract: it is served, it is valid
OpenAPI 3.1, every path under /api/v1 is in it, and every request and response of a walk through
every operation (successes and errors) validates against it with openapi-core."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from bot.desk.tokens import create_token
from tests.conftest import Phone
from webhooks.openapi import description


@pytest.fixture(scope="module")
def contract() -> OpenAPI:
    return OpenAPI.from_dict(description())


class CheckedClient:
    """A test client whose every /api/v1 exchange is validated against the description; the
    requests it made, by operation, are kept so the test can tell nothing was left out."""

    def __init__(self, client, contract: OpenAPI, token: str | None):
        self.client, self.contract, self.token = client, contract, token
        self.seen: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, *, json=None, query=None, token: str | None = "default",
             valid: bool = True):
        """valid=False: a request the description itself refuses (no token, a value out of its
        schema); checked to be refused by it too, and its answer still validated."""
        token = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        def build():
            return EnvironBuilder(path=path, method=method, json=json, query_string=query, headers=headers,
                                  base_url="http://localhost/")

        request = Request(build().get_environ())
        response = self.client.open(build())
        openapi_request = WerkzeugOpenAPIRequest(request)
        if valid:
            self.contract.validate_request(openapi_request)
        else:
            with pytest.raises(OpenAPIError):
                self.contract.validate_request(openapi_request)
        self.contract.validate_response(openapi_request, WerkzeugOpenAPIResponse(response))
        self.seen.add((method, _template(path), response.status_code))
        return response


def _template(path: str) -> str:
    parts = path.split("?")[0].strip("/").split("/")
    if parts[2:3] == ["markets"] and len(parts) == 4:
        return "/api/v1/markets/{place_id}"
    if parts[2:3] == ["reports"] and len(parts) == 4:
        return "/api/v1/reports/{reference}"
    if parts[2:3] == ["reports"] and len(parts) == 5:
        return "/api/v1/reports/{reference}/" + parts[4]
    if parts[2:3] == ["authorities"] and len(parts) == 4:
        return "/api/v1/authorities/{authority_id}"
    if parts[2:3] == ["polls"] and len(parts) == 5 and parts[3].isdigit():
        return "/api/v1/polls/{id}/" + parts[4]
    if parts[2:3] == ["broadcasts"] and len(parts) >= 4 and parts[3].isdigit():
        return "/api/v1/broadcasts/{id}" + {4: "", 5: "/preview" if parts[-1] == "preview" else "/{action}"}[len(parts)]
    return "/" + "/".join(parts)


def test_the_description_is_served_valid_and_covers_every_api_route(app, client):
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.get_json() == description()
    validate(description())  # OpenAPI 3.1, with its JSON Schema dialect
    assert description()["openapi"].startswith("3.1")
    routes = {_rule(r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    assert routes == set(description()["paths"])


def _rule(rule: str) -> str:
    """Flask's /broadcasts/<int:bid>/<any(send, ...):action> as OpenAPI's /broadcasts/{id}/{action}."""
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", lambda m: "{id}" if m.group(1) in ("bid", "pid") else "{%s}" % m.group(1),
                  rule)


def test_every_operation_answers_as_described(services, client, contract):
    token = create_token(services, "nairobi-vendors", "contract")
    api = CheckedClient(client, contract, token)
    worker = Phone(client, "+254711890001")
    for body in ("4", "1", "police took all my goods", "gikomba", "today", "2", "2"):
        worker.send(body)

    assert api.call("GET", "/api/v1/markets", token=None, valid=False).status_code == 401
    assert api.call("GET", "/api/v1/markets", token="stl_wrong").status_code == 401
    assert api.call("GET", "/api/v1/markets").status_code == 200
    assert api.call("GET", "/api/v1/markets/nbo.gikomba").status_code == 200
    assert api.call("GET", "/api/v1/markets/dkr.sandaga").status_code == 404
    assert api.call("PUT", "/api/v1/markets", json={"place_id": "nbo.toi", "status": "closed",
                                                   "reason": "county cleanup", "broadcast": True}).status_code == 200
    assert api.call("PUT", "/api/v1/markets", json={"markets": [
        {"place_id": "nbo.toi", "status": "open", "starts_at": "2026-12-04T06:00:00"},
        {"place_id": "nbo.githurai", "status": "relocated", "ends_at": "2026-12-31T18:00:00+03:00"}]}).status_code == 200
    assert api.call("PUT", "/api/v1/markets", json={"place_id": "nbo.toi", "status": "burning"},
                    valid=False).status_code == 400
    assert api.call("PUT", "/api/v1/markets", json={"place_id": "nowhere", "status": "open"}).status_code == 404
    assert api.call("PUT", "/api/v1/markets/nbo.gikomba", json={"status": "restricted"}).status_code == 200
    assert api.call("GET", "/api/v1/markets/nbo.gikomba").get_json()["history"]

    listed = api.call("GET", "/api/v1/reports", query={"status": "new", "per_page": 10})
    [report] = listed.get_json()["reports"]
    assert api.call("GET", "/api/v1/reports", query={"since": "yesterday"}, valid=False).status_code == 400
    assert api.call("GET", "/api/v1/reports", query={"page": 0}, valid=False).status_code == 400
    ref = report["reference"]
    assert api.call("PATCH", f"/api/v1/reports/{ref}", json={"status": "verified", "note": "seen"}).status_code == 200
    assert api.call("PATCH", f"/api/v1/reports/{ref}", json={"status": "new"}).status_code == 409
    assert api.call("PATCH", "/api/v1/reports/R-0", json={"note": "x"}).status_code == 404
    assert api.call("PATCH", f"/api/v1/reports/{ref}", json={"colour": "red"},
                    valid=False).status_code == 400
    assert api.call("GET", "/api/v1/reports").get_json()["reports"][0]["history"]

    draft = {"segment": {"markets": ["Gikomba"]}, "texts": {"en": "Gikomba opens at 6 tomorrow"}}
    assert api.call("POST", "/api/v1/broadcasts/preview", json=draft).status_code == 200
    assert api.call("POST", "/api/v1/broadcasts/preview", json={"texts": {"fr": "x"}}).status_code == 400
    created = api.call("POST", "/api/v1/broadcasts", json={**draft, "name": "Gikomba hours"})
    assert created.status_code == 201
    bid = created.get_json()["id"]
    assert api.call("GET", "/api/v1/broadcasts").status_code == 200
    assert api.call("GET", f"/api/v1/broadcasts/{bid}").status_code == 200
    assert api.call("GET", f"/api/v1/broadcasts/{bid}/preview").status_code == 200
    assert api.call("GET", f"/api/v1/broadcasts/{bid + 1000}").status_code == 404
    assert api.call("POST", f"/api/v1/broadcasts/{bid}/pause").status_code == 400  # a draft is not sending
    assert api.call("POST", f"/api/v1/broadcasts/{bid}/cancel").status_code == 200
    assert api.call("POST", "/api/v1/broadcasts", json={**draft, "send": True}).status_code == 201

    # authorities (issue 14): add one, change it, raise the report with it, read it all back
    made = api.call("POST", "/api/v1/authorities", json={"name": "County trade licensing", "kind": "city_department",
                                                          "categories": ["confiscation"], "deadlines": {"confiscation": 7}})
    assert made.status_code == 201
    aid = made.get_json()["id"]
    assert api.call("POST", "/api/v1/authorities", json={"name": "x", "places": ["dkr.sandaga"]}).status_code == 400
    assert api.call("PATCH", f"/api/v1/authorities/{aid}", json={"phone": "+254 20 222 1234"}).status_code == 200
    assert api.call("PATCH", f"/api/v1/authorities/{aid + 1000}", json={"active": False}).status_code == 404
    assert api.call("GET", "/api/v1/authorities", query={"from": "2026-01-01"}).status_code == 200
    assert api.call("GET", f"/api/v1/authorities/{aid}").status_code == 200
    assert api.call("GET", f"/api/v1/authorities/{aid + 1000}").status_code == 404
    raised = api.call("POST", f"/api/v1/reports/{ref}/escalations", json={"authority_id": aid, "method": "letter"})
    assert raised.status_code == 201 and raised.get_json()["raised"] == [ref]
    assert api.call("POST", f"/api/v1/reports/{ref}/escalations", json={"authority_id": aid, "method": "fax"},
                    valid=False).status_code == 400
    assert api.call("POST", "/api/v1/reports/R-0/escalations", json={"authority_id": aid, "method": "letter"}).status_code == 404
    assert api.call("GET", f"/api/v1/reports/{ref}/escalations").get_json()["escalations"][0]["method"] == "letter"
    assert api.call("GET", "/api/v1/reports/R-0/escalations").status_code == 404
    listed = api.call("GET", "/api/v1/reports", query={"authority": str(aid)}).get_json()
    assert [r["reference"] for r in listed["reports"]] == [ref] and listed["total"] == 1
    assert api.call("GET", "/api/v1/reports", query={"authority": str(aid + 1000)}).status_code == 400

    # polls (issue 15): create, list, send, results, CSV, close
    poll = {"name": "march", "segment": {"registered": True},
            "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}
    assert api.call("POST", "/api/v1/polls", json={**poll, "questions": []}, valid=False).status_code == 400
    made = api.call("POST", "/api/v1/polls", json=poll)
    assert made.status_code == 201
    pid = made.get_json()["id"]
    assert api.call("GET", "/api/v1/polls").status_code == 200
    assert api.call("POST", f"/api/v1/polls/{pid}/send").status_code == 200
    assert api.call("POST", f"/api/v1/polls/{pid + 1000}/send").status_code == 404
    assert api.call("GET", f"/api/v1/polls/{pid}/results").get_json()["state"] == "open"
    assert api.call("GET", f"/api/v1/polls/{pid}/results.csv").status_code == 200
    assert api.call("GET", f"/api/v1/polls/{pid}/results.xlsx").data[:2] == b"PK"  # a zip: the workbook
    assert api.call("POST", f"/api/v1/polls/{pid}/close").status_code == 200

    operations = {(method.upper(), path) for path, item in description()["paths"].items()
                  for method in item if method in ("get", "put", "post", "patch", "delete")}
    walked = {(method, path) for method, path, _ in api.seen} | {("GET", "/api/v1/openapi.json")}
    assert operations == walked


def test_docs_list_every_operation():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    for path, item in description()["paths"].items():
        for method in item:
            if method in ("get", "put", "post", "patch", "delete"):
                assert f"| `{method.upper()}` | `{path}` |" in docs, (method, path)
