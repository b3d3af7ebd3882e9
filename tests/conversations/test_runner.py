"""The scenario runner itself: it reads the format strictly, judges languages and content keys
correctly, and a wrong expectation fails with the whole dialogue printed."""
from __future__ import annotations

import pytest

from content import load_catalog
from bot.settings import ROOT
from tests.conversations.dialogue import Player, Scenario, ScenarioError, key_pattern, language_of, load, norm


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "content")


@pytest.mark.parametrize("key", ["menu.main", "menu.fallback", "report.what", "registration.name", "help"])
@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_language_of_reads_every_org_language(catalog, key, channel):
    for org in catalog.organizations.values():
        for lang in org.languages:
            text = catalog.text(org.slug, key, lang, channel)
            assert language_of(text) == lang, (org.slug, lang, text)


def test_key_pattern_matches_rendered_text_and_nothing_else(catalog):
    rendered = catalog.text("nairobi-vendors", "report.received", "sw", "sms", ref="R-1234")
    assert key_pattern(catalog, "nairobi-vendors", "report.received", "sw", "sms").search(norm(rendered))
    assert not key_pattern(catalog, "nairobi-vendors", "report.received", "en", "sms").search(norm(rendered))
    menu = catalog.text("dakar-vendors", "menu.main", "fr", "sms")
    assert key_pattern(catalog, "dakar-vendors", "menu.main", "fr", "sms").search(norm("Désolé.\n" + menu))


def test_norm_ignores_case_accents_and_spacing():
    assert norm("  Menú\n PRINCIPAL ") == "menu principal"
    assert norm("Signalement reçu") == norm("signalement recu")


def test_unknown_keys_are_refused(tmp_path):
    (tmp_path / "bad.yaml").write_text("org: dakar-vendors\nlang: fr\nscenarios:\n"
                                       "  - name: x\n    turns:\n      - send: salut\n        sayz: [menu]\n")
    with pytest.raises(ScenarioError, match="sayz"):
        load(tmp_path)


def test_every_scenario_file_loads_with_a_phone_or_an_organizer():
    for scenario in load():
        assert scenario.persona.get("phone") or scenario.persona.get("organizer"), scenario.id
        assert scenario.turns, scenario.id


def test_a_wrong_expectation_fails_with_the_dialogue(lines, scenario_media):
    line = lines("fallback")
    line.reset()
    scenario = Scenario("selftest", "wrong", "nairobi-vendors", "expects what cannot happen",
                        {"phone": "+254711399999", "channel": "sms", "lang": "en"},
                        [{"send": "hi", "asks": "report.where", "says": ["zzz-not-there"]},
                         {"resend": True, "no_reply": True}],
                        {"inbound": 5}, ("fallback",))
    transcript = Player(line, scenario, "fallback", scenario_media.url).play()
    report = transcript.report()
    assert transcript.failures[0] == "turn 1: expected the conversation at report.where, it is at no form"
    assert "turn 1: reply should mention 'zzz-not-there'" in transcript.failures
    assert "stored: 1 inbound rows, expected 5" in transcript.failures
    assert "  1> hi" in report and "  2> (resend of" in report and "  2< (no reply)" in report
    assert "FIRST FAILED EXPECTATION: turn 1: expected the conversation at report.where" in report
