"""The polls API: the same validator as the service (400 with the field), send, results, the CSV export
anonymised and K-suppressed; another organization's poll is not found."""
from __future__ import annotations

from bot.desk.tokens import create_token
from webhooks import create_app

POLL = {"name": "march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def test_create_send_results_and_csv(bservices, people):
    client = create_app(services=bservices).test_client()
    auth = {"Authorization": f"Bearer {create_token(bservices, 'nairobi-vendors', 'test')}"}
    other = {"Authorization": f"Bearer {create_token(bservices, 'dakar-vendors', 'test')}"}
    for _ in range(3):
        people.vendor(language="sw")
    bad = client.post("/api/v1/polls", json={**POLL, "questions": [{"texts": {"sw": "Ijumaa?"}, "yes_no": True}]},
                      headers=auth)
    assert bad.status_code == 400 and bad.json["field"] == "questions[0].texts.en"
    assert client.post("/api/v1/polls", data="x", headers=auth).status_code == 400
    created = client.post("/api/v1/polls", json=POLL, headers=auth)
    assert created.status_code == 201, created.json
    pid = created.json["id"]
    assert client.post(f"/api/v1/polls/{pid}/send", headers=other).status_code == 404
    sent = client.post(f"/api/v1/polls/{pid}/send", headers=auth)
    assert sent.status_code == 200 and sent.json["recipients"] == 3
    assert client.post(f"/api/v1/polls/{pid}/send", headers=auth).status_code == 400  # exactly once
    results = client.get(f"/api/v1/polls/{pid}/results", headers=auth).json
    assert results["state"] == "open" and [o["option"] for o in results["questions"][0]["options"]] == ["yes", "no"]
    csv = client.get(f"/api/v1/polls/{pid}/results.csv", headers=auth).get_data(as_text=True)
    assert csv.splitlines()[0] == "question,breakdown,group,option,count"
    closed = client.post(f"/api/v1/polls/{pid}/close", headers=auth)
    assert closed.status_code == 200 and closed.json["state"] == "closed"
    assert client.post(f"/api/v1/polls/{pid}/close", headers=auth).status_code == 400


def test_csv_hides_small_counts():
    from webhooks.polls_api import csv_text

    result = {"questions": [{"index": 0, "options": [{"option": "yes", "count": 12}, {"option": "no", "count": 2},
                                                      {"option": "other", "count": 7}], "by": {}}]}
    lines = csv_text(result, 5).splitlines()
    assert lines[1:] == ["1,all,all,yes,12", "1,all,all,no,<5", "1,all,all,other,≥5"]
