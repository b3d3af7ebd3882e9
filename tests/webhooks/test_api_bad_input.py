"""Every API write answers malformed input with a 4xx and a JSON error, never a 500."""
from __future__ import annotations

import pytest

from bot.desk.tokens import create_token

WRITES = [
    ("put", "/api/v1/markets"),
    ("put", "/api/v1/markets/nbo.gikomba"),
    ("patch", "/api/v1/reports/R-1234"),
    ("post", "/api/v1/broadcasts"),
    ("post", "/api/v1/broadcasts/preview"),
    ("post", "/api/v1/broadcasts/1/send"),
]
BODIES = [
    ("not json", "text/plain"),
    ("{broken", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ('"a string"', "application/json"),
    ('{"status": 12, "texts": "x", "segment": [], "until": "someday", "markets": {"a": 1}}', "application/json"),
    ('{"status": "closed", "ends_at": "2026-99-99T99:99", "until": "2026-99-99T99:99"}', "application/json"),
]


@pytest.fixture
def auth(services):
    return {"Authorization": "Bearer " + create_token(services, "nairobi-vendors", "tests")}


@pytest.mark.parametrize("method,path", WRITES)
@pytest.mark.parametrize("body,content_type", BODIES)
def test_malformed_writes_are_4xx(client, auth, method, path, body, content_type):
    response = getattr(client, method)(path, data=body, content_type=content_type, headers=auth)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert response.is_json and b"Traceback" not in response.data


@pytest.mark.parametrize("path", ["/api/v1/markets", "/api/v1/reports", "/api/v1/broadcasts",
                                  "/api/v1/reports?page=-1&per_page=9999&since=yesterday&status=nope",
                                  "/api/v1/broadcasts/999999", "/api/v1/markets/not-a-place"])
def test_reads_without_a_token_are_401_and_bad_queries_4xx(client, auth, path):
    assert client.get(path).status_code == 401
    response = client.get(path, headers=auth)
    assert response.status_code < 500 and response.is_json
