"""/api/v1/markets: token auth, an organization's own places only, changes the line then answers."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.models import MarketStatus, PendingBroadcast
from bot.desk.tokens import create_token


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def statuses(services):
    with services.db() as session:
        return list(session.scalars(select(MarketStatus).order_by(MarketStatus.id)))


def test_no_or_bad_token_is_401(services, client):
    assert client.get("/api/v1/markets").status_code == 401
    assert client.get("/api/v1/markets", headers=auth("stl_nope")).status_code == 401
    assert client.put("/api/v1/markets", json={"place_id": "nbo.toi", "status": "closed"}).status_code == 401
    assert statuses(services) == []


def test_list_and_get_only_the_organizations_places(services, client):
    token = create_token(services, "nairobi-vendors", "dashboard")
    body = client.get("/api/v1/markets", headers=auth(token)).get_json()
    ids = {m["place_id"] for m in body["markets"]}
    assert body["organization"] == "nairobi-vendors"
    assert ids == {p.id for p in services.catalog.places("nairobi-vendors")}
    assert all(m["status"] is None for m in body["markets"])
    one = client.get("/api/v1/markets/nbo.gikomba", headers=auth(token))
    assert one.status_code == 200 and one.get_json()["history"] == []
    assert client.get("/api/v1/markets/dkr.sandaga", headers=auth(token)).status_code == 404


def test_put_changes_the_status_the_line_answers_with(services, client, line):
    token = create_token(services, "nairobi-vendors", "dashboard")
    response = client.put("/api/v1/markets", headers=auth(token),
                          json={"place_id": "nbo.gikomba", "status": "closed", "reason": "fire",
                                "ends_at": "2099-01-01T18:00", "broadcast": True})
    assert response.status_code == 200, response.get_json()
    [saved] = response.get_json()["saved"]
    assert saved["status"] == "closed" and saved["source"] == "api" and saved["pending_broadcast_id"]
    assert datetime.fromisoformat(saved["ends_at"]) == datetime(2099, 1, 1, 15, 0, tzinfo=timezone.utc)  # 18:00 Nairobi
    [row] = statuses(services)
    assert row.changed_by == "api:nairobi-vendors"
    with services.db() as session:
        assert session.scalars(select(PendingBroadcast)).one().status == "pending"
    body = client.get("/api/v1/markets/nbo.gikomba", headers=auth(token)).get_json()
    assert body["status"]["status"] == "closed" and len(body["history"]) == 1
    worker = line("nairobi-vendors")
    assert worker.one("gikomba").startswith("Gikomba: CLOSED until")


def test_an_org_token_cannot_change_another_orgs_place(services, client):
    token = create_token(services, "dakar-vendors", "dashboard")
    assert client.put("/api/v1/markets", headers=auth(token),
                      json={"place_id": "nbo.gikomba", "status": "closed"}).status_code == 404
    assert client.put("/api/v1/markets/nbo.gikomba", headers=auth(token),
                      json={"status": "closed"}).status_code == 404
    # a batch with one foreign place changes nothing at all
    batch = {"markets": [{"place_id": "dkr.sandaga", "status": "closed"},
                         {"place_id": "nbo.toi", "status": "closed"}]}
    assert client.put("/api/v1/markets", headers=auth(token), json=batch).status_code == 404
    assert statuses(services) == []
    ok = client.put("/api/v1/markets/dkr.sandaga", headers=auth(token), json={"status": "restricted"})
    assert ok.status_code == 200
    assert [r.organization for r in statuses(services)] == ["dakar-vendors"]


def test_bad_changes_are_400(services, client):
    token = create_token(services, "pune-wastepickers", "t")
    for body in ({"place_id": "pune.mandai", "status": "burning"},
                 {"place_id": "pune.mandai", "status": "closed", "ends_at": "soon"},
                 {"place_id": "pune.mandai", "status": "closed", "starts_at": "2030-01-02", "ends_at": "2030-01-01"},
                 {"markets": []}):
        assert client.put("/api/v1/markets", headers=auth(token), json=body).status_code == 400, body
    assert statuses(services) == []
