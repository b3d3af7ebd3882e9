"""Answers to numbered questions read the way workers text them, in every organization language,
against the real option lists of content/choices.yaml (no server needed)."""
from __future__ import annotations

import pytest

from types import SimpleNamespace

from bot.line import keywords
from bot.line.flows.runner import Runner
from bot.line.flows.states import FlowContext, Invalid, listed
from content import load_catalog

CATALOG = load_catalog()


def pick(org: str, lang: str, name: str, text: str, channel: str = "sms"):
    """What the runner's own reading of a choice takes from `text` at the list `name` (None: asked
    again). The runner needs only the catalog and the message here, so no server is started."""
    ctx = FlowContext(answers={}, lang=lang, channel=channel, org=CATALOG.org(org), catalog=CATALOG)
    choice = listed(ctx, name, "x", save_as="x")
    runner = Runner.__new__(Runner)
    runner.catalog = CATALOG
    runner.turn = SimpleNamespace(inbound=SimpleNamespace(text=text.strip(), body=text))
    try:
        return runner._choose(choice, keywords.normalise(text), skip=False)
    except Invalid:
        return None


@pytest.mark.parametrize("org,lang,text,value", [
    ("nairobi-vendors", "en", "yes", "anonymous"), ("nairobi-vendors", "en", "Yeah", "anonymous"),
    ("nairobi-vendors", "en", "ok", "anonymous"), ("nairobi-vendors", "en", "nope", "named"),
    ("nairobi-vendors", "en", "yse", "anonymous"), ("nairobi-vendors", "en", "yes please", "anonymous"),
    ("nairobi-vendors", "en", "anonymous", "anonymous"), ("nairobi-vendors", "en", "1", "anonymous"),
    ("nairobi-vendors", "en", "2.", "named"), ("nairobi-vendors", "sw", "ndiyo", "anonymous"),
    ("nairobi-vendors", "sw", "Ndio", "anonymous"), ("nairobi-vendors", "sw", "sawa", "anonymous"),
    ("nairobi-vendors", "sw", "hapana", "named"), ("nairobi-vendors", "sw", "la", "named"),
    ("nairobi-vendors", "sw", "bila jina", "anonymous"),
    ("dakar-vendors", "fr", "Oui", "anonymous"), ("dakar-vendors", "fr", "ouais", "anonymous"),
    ("dakar-vendors", "fr", "NON", "named"), ("dakar-vendors", "fr", "anonyme", "anonymous"),
    ("montevideo-feriantes", "es", "sí", "anonymous"), ("montevideo-feriantes", "es", "si", "anonymous"),
    ("montevideo-feriantes", "es", "dale", "anonymous"), ("montevideo-feriantes", "es", "no", "named"),
    ("montevideo-feriantes", "es", "anonimo", "anonymous"),
    ("pune-wastepickers", "hi", "हाँ", "anonymous"), ("pune-wastepickers", "hi", "हां", "anonymous"),
    ("pune-wastepickers", "hi", "haan", "anonymous"), ("pune-wastepickers", "hi", "han", "anonymous"),
    ("pune-wastepickers", "hi", "ji", "anonymous"), ("pune-wastepickers", "hi", "नहीं", "named"),
    ("pune-wastepickers", "hi", "nahi", "named"), ("pune-wastepickers", "hi", "nai", "named"),
    ("pune-wastepickers", "hi", "gumnaam", "anonymous"),
])
def test_yes_and_no_words_of_every_language(org, lang, text, value):
    assert pick(org, lang, "report_anonymous", text) == value


@pytest.mark.parametrize("org,lang,text,value", [
    ("nairobi-vendors", "en", "yes", "yes"), ("nairobi-vendors", "en", "yse", "yes"), ("nairobi-vendors", "en", "2", "no"),
    ("nairobi-vendors", "en", "do not quote me", "no"), ("nairobi-vendors", "en", "you may quote", "yes"),
    ("nairobi-vendors", "sw", "hapana", "no"), ("nairobi-vendors", "sw", "msinukuu", "no"),
    ("dakar-vendors", "fr", "ne citez pas", "no"), ("dakar-vendors", "fr", "oui", "yes"),
    ("montevideo-feriantes", "es", "no citen", "no"), ("montevideo-feriantes", "es", "dale", "yes"),
    ("pune-wastepickers", "hi", "mat likho", "no"), ("pune-wastepickers", "hi", "haan", "yes"),
    ("nairobi-vendors", "en", "maybe later", None),
])
def test_may_we_quote_you_takes_the_yes_no_words_and_its_own(org, lang, text, value):
    """The report form's last step (report_quote): "do not quote" must never read as a yes."""
    assert pick(org, lang, "report_quote", text) == value


@pytest.mark.parametrize("org,lang,text,value", [
    ("nairobi-vendors", "en", "goods taken", "confiscation"), ("nairobi-vendors", "en", "Eviction", "eviction"),
    ("nairobi-vendors", "en", "evicton", "eviction"), ("nairobi-vendors", "en", "harasment", "harassment"),
    ("nairobi-vendors", "en", "they asked for a bribe", "bribe"), ("nairobi-vendors", "en", "10", "other"),
    ("nairobi-vendors", "en", "fire", "fire_flood"), ("nairobi-vendors", "sw", "hongo", "bribe"),
    ("nairobi-vendors", "sw", "moto", "fire_flood"), ("nairobi-vendors", "sw", "kufukuzwa", "eviction"),
    ("dakar-vendors", "fr", "déguerpissement", "eviction"), ("dakar-vendors", "fr", "deguerpissement", "eviction"),
    ("dakar-vendors", "fr", "saisie", "confiscation"), ("dakar-vendors", "fr", "incendie", "fire_flood"),
    ("montevideo-feriantes", "es", "decomiso", "confiscation"), ("montevideo-feriantes", "es", "coima", "bribe"),
    ("montevideo-feriantes", "es", "basura", "waste"), ("montevideo-feriantes", "es", "no me pagaron", "unpaid"),
    ("pune-wastepickers", "hi", "rishwat", "bribe"), ("pune-wastepickers", "hi", "आग", "fire_flood"),
    ("pune-wastepickers", "hi", "paisa nahi mila", "unpaid"), ("pune-wastepickers", "hi", "माल जब्त", "confiscation"),
])
def test_category_words_labels_and_typos(org, lang, text, value):
    assert pick(org, lang, "report_category", text) == value


@pytest.mark.parametrize("org,lang,text", [
    ("nairobi-vendors", "en", "maybe"), ("nairobi-vendors", "en", "11"), ("nairobi-vendors", "en", "🙂"),
    ("dakar-vendors", "fr", "peut-être"), ("nairobi-vendors", "en", "no, keep me anonymous"),
])
def test_answers_that_pick_nothing_are_asked_again(org, lang, text):
    name = "report_category" if text == "11" else "report_anonymous"
    assert pick(org, lang, name, text) is None


@pytest.mark.parametrize("org,lang,text,value", [
    ("nairobi-vendors", "en", "street vendor", "vendor"), ("nairobi-vendors", "sw", "mchuuzi", "vendor"),
    ("pune-wastepickers", "hi", "kachra", "waste_picker"), ("montevideo-feriantes", "es", "clasificador", "waste_picker"),
    ("dakar-vendors", "fr", "vendeuse", "vendor"), ("nairobi-vendors", "en", "porter", "porter"),
])
def test_trades_by_word(org, lang, text, value):
    assert pick(org, lang, "trade", text) == value


def test_the_list_shown_is_the_list_accepted():
    """Every label shown in any language is itself an answer that picks its own option."""
    for org in CATALOG.organizations:
        for lang in CATALOG.org(org).languages:
            for name, listing in CATALOG.choices.items():
                for channel in ("sms", "whatsapp"):
                    for option in listing.options:
                        assert pick(org, lang, name, option.label(lang, channel), channel) == option.value, \
                            (org, lang, name, channel, option.value)
