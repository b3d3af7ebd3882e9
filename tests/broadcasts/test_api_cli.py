"""The API (token auth, scoped to the organization) and the organizer's CLI path: a Swahili-and-English
closure notice to every registered vendor of one market, sent and watched from the command line."""
from __future__ import annotations

from click.testing import CliRunner

from bot.broadcasts.sending import drain
from bot.desk.tokens import create_token


def test_api_create_preview_progress_and_actions(bservices, people, standin):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    people.vendor(language="sw")
    people.vendor()
    token = create_token(bservices, "nairobi-vendors", "test")
    other = create_token(bservices, "dakar-vendors", "test")
    body = {"segment": {"markets": ["nbo.gikomba"], "registered": True},
            "texts": {"en": "Gikomba closed Monday.", "sw": "Gikomba imefungwa Jumatatu."}}
    assert client.post("/api/v1/broadcasts", json=body).status_code == 401
    r = client.post("/api/v1/broadcasts", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.json
    bid = r.json["id"]
    assert r.json["preview"]["recipients"] == 2 and r.json["broadcast"]["state"] == "draft"
    assert client.get(f"/api/v1/broadcasts/{bid}", headers={"Authorization": f"Bearer {other}"}).status_code == 404
    bad = client.post("/api/v1/broadcasts", json={"texts": {"sw": "x"}}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "default language" in bad.json["error"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/v1/broadcasts/{bid}/send", headers=auth).json["state"] == "sending"
    assert client.post(f"/api/v1/broadcasts/{bid}/pause", headers=auth).json["state"] == "paused"
    assert client.post(f"/api/v1/broadcasts/{bid}/resume", headers=auth).json["state"] == "sending"
    drain(bid, services=bservices, budget=None)
    p = client.get(f"/api/v1/broadcasts/{bid}", headers=auth).json
    assert p["state"] == "done" and p["counts"]["sent"] == 2
    assert client.post(f"/api/v1/broadcasts/{bid}/cancel", headers=auth).status_code == 400
    assert [b["id"] for b in client.get("/api/v1/broadcasts", headers=auth).json["broadcasts"]] == [bid]


def test_cli_closure_notice_to_registered_vendors_of_one_market(bservices, people, standin, monkeypatch):
    from bot.cli import cli

    s = bservices.settings
    for name, value in {"DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url,
                        "TWILIO_ACCOUNT_SID": s.twilio_account_sid, "TWILIO_AUTH_TOKEN": s.twilio_auth_token,
                        "TWILIO_API_BASE_URL": s.twilio_api_base_url, "BROADCAST_STATUS_CALLBACKS": "0"}.items():
        monkeypatch.setenv(name, value)
    sw = [people.vendor(language="sw") for _ in range(3)]
    en = [people.vendor() for _ in range(2)]
    people.vendor(place_id="nbo.toi")  # another market
    people.contact()  # not registered
    runner = CliRunner()
    out = runner.invoke(cli, ["broadcast", "create", "--org", "nairobi-vendors", "--market", "Gikomba",
                              "--registered", "--trade", "vendor", "--text", "en=Gikomba market is closed on Monday.",
                              "--text", "sw=Soko la Gikomba limefungwa Jumatatu.", "--by", "+254711000900"])
    assert out.exit_code == 0, out.output
    assert "recipients: 5" in out.output and "sms      sw" in out.output
    bid = int(out.output.split()[1])
    out = runner.invoke(cli, ["broadcast", "send", str(bid), "--inline"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["broadcast", "status", str(bid), "--watch"])
    assert out.exit_code == 0 and "100.0%" in out.output and "done" in out.output and "sent 5" in out.output
    assert len(standin.messages) == 5
    assert sorted(m["body"] for m in standin.messages).count("Soko la Gikomba limefungwa Jumatatu.") == len(sw)
    assert len(en) == 2
