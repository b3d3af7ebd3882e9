"""One validator (bot.broadcasts.validate) behind the compose page, the API and the CLI: what the page
refuses, /api/v1/broadcasts refuses too, through the real app with token auth. Each case below was
refused by the page and accepted by the API before the rules moved into bot/broadcasts."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.broadcasts import Invalid
from bot.broadcasts.validate import validate
from bot.desk.tokens import create_token
from bot.models import Broadcast
from tests.dashboard.conftest import make_user, signed_in_as  # noqa: F401  (fixture)

ORG = "nairobi-vendors"
EN = "Gikomba market is closed on Monday."
HX = "HX" + "c" * 32

REFUSED = [  # (what changes in a good body, the field the API names)
    ({"segment": {"cities": ["Pune"]}}, "segment.cities"),
    ({"segment": {"trades": ["astronaut"]}}, "segment.trades"),
    ({"segment": {"languages": ["fr"]}}, "segment.languages"),
    ({"texts": {"en": EN, "fr": "Le marché est fermé."}}, "texts.fr"),
    ({"template": {"content_sid": "HX123", "variables": {}}}, "template.content_sid"),
    ({"name": "n" * 201}, "name"),
]


@pytest.fixture
def app(bservices):
    from webhooks import create_app

    return create_app(services=bservices)


def count(services) -> int:
    with services.db() as session:
        return session.scalar(select(func.count()).select_from(Broadcast))


@pytest.mark.parametrize("change, field", REFUSED)
def test_the_api_refuses_what_the_page_refuses(app, bservices, people, make_user, change, field):  # noqa: F811
    people.vendor()
    body = {"segment": {"registered": True}, "texts": {"en": EN}, **change}
    page = signed_in_as(app, make_user(ORG, "organizer"))
    on_page = page.fetch("POST", "/broadcasts/preview", json=body)
    assert on_page.status_code == 400, on_page.json
    auth = {"Authorization": f"Bearer {create_token(bservices, ORG, 'test')}"}
    client = app.test_client()
    created = client.post("/api/v1/broadcasts", json=body, headers=auth)
    assert created.status_code == 400 and created.json["field"] == field, created.json
    previewed = client.post("/api/v1/broadcasts/preview", json=body, headers=auth)
    assert previewed.status_code == 400 and previewed.json["field"] == field, previewed.json
    assert count(bservices) == 0


def test_the_api_still_takes_a_good_draft_with_names_and_any_case(app, bservices, people):
    people.vendor()
    auth = {"Authorization": f"Bearer {create_token(bservices, ORG, 'test')}"}
    body = {"segment": {"markets": ["Gikomba"], "trades": ["VENDOR"], "registered": True},
            "texts": {"en": f"  {EN}\r\n"}, "template": {"content_sid": HX, "variables": {"1": "Gikomba"}}}
    r = app.test_client().post("/api/v1/broadcasts", json=body, headers=auth)
    assert r.status_code == 201, r.json
    b = r.json["broadcast"]
    assert b["segment"]["markets"] == ["nbo.gikomba"] and b["segment"]["trades"] == ["vendor"]
    assert b["texts"] == {"en": EN} and r.json["preview"]["recipients"] == 1


def test_the_cli_refuses_it_too(bservices, monkeypatch):
    from bot.cli import cli

    s = bservices.settings
    for name, value in {"DATABASE_URL": s.database_url, "REDIS_URL": s.redis_url}.items():
        monkeypatch.setenv(name, value)
    out = CliRunner().invoke(cli, ["broadcast", "create", "--org", ORG, "--city", "Pune", "--text", f"en={EN}"])
    assert out.exit_code != 0 and "unknown city 'Pune'" in out.output, out.output
    assert count(bservices) == 0


def test_one_error_type_with_field_and_key(bservices):
    with pytest.raises(Invalid) as caught:
        validate(bservices.catalog, ORG, {"texts": {"en": "x" * 1601}})
    assert (caught.value.field, caught.value.key, caught.value.params["limit"]) == ("texts.en", "text_too_long", 1600)
    with pytest.raises(Invalid) as caught:
        validate(bservices.catalog, ORG, {"texts": {"sw": "Habari"}})
    assert (caught.value.field, caught.value.key) == ("texts.en", "default_text_missing")
    draft = validate(bservices.catalog, ORG, {"texts": {}}, strict=False)  # the live preview while typing
    assert draft.texts == {} and draft.segment["registered"] is None
