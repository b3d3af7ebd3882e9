"""The validator: passes on the demo content, rejects broken trees with file/key/lang/problem."""
import re

import pytest

from content import ContentError, load_catalog
from content.validate import main, validate


def one(problems, *needles):
    hits = [p for p in problems if all(n in p for n in needles)]
    assert hits, f"no problem with {needles!r} in:\n" + "\n".join(problems)
    return hits[0]


def test_demo_content_is_valid():
    report = validate()
    assert report.problems == [], "\n".join(map(str, report.problems))
    assert report.sms_checked > 500 and report.whatsapp_checked > 500
    assert set(report.segments) <= {("GSM-7", 1), ("UCS-2", 1)}  # every SMS in one segment


def test_cli_exit_codes(tree, capsys):
    assert main([]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    tree.data["messages/sw.yaml"].pop("thanks")
    assert main([str(tree.write())]) == 1
    err = capsys.readouterr().err
    assert re.search(r"ERROR content/messages/sw.yaml: thanks \[sw\]: missing translation", err), err


def test_small_tree_is_valid(tree, problems_of):
    assert problems_of(tree.write()) == []


def test_missing_translation(tree, problems_of):
    del tree.data["messages/hi.yaml"]["thanks"]
    del tree.data["orgs/test-org/messages.yaml"]["thanks"]["en"]
    problems = problems_of(tree.write())
    one(problems, "messages/hi.yaml", "thanks [hi]", "missing translation")
    one(problems, "orgs/test-org/messages.yaml", "thanks [en]", "missing translation")


def test_missing_programme_translation(tree, problems_of):
    del tree.data["orgs/test-org/programmes.yaml"]["programmes"][0]["texts"]["en"]
    one(problems_of(tree.write()), "programmes.yaml", "relief.t-relief", "[en]", "missing translation")


def test_unknown_place_reference(tree, problems_of):
    tree.data["orgs/test-org/programmes.yaml"]["programmes"][0]["places"] = ["t.nowhere"]
    one(problems_of(tree.write()), "orgs/test-org/programmes.yaml", "t-relief", "unknown place reference 't.nowhere'")


def test_unknown_office_and_guide_reference(tree, problems_of):
    prog = tree.data["orgs/test-org/programmes.yaml"]["programmes"][0]
    prog["offices"] = ["t.gone"]
    prog["guide"] = "no-such-guide"
    problems = problems_of(tree.write())
    one(problems, "unknown office reference 't.gone'")
    one(problems, "unknown guide reference 'no-such-guide'")


def test_over_long_sms(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = "Thank you " * 17  # 170 characters
    msg = one(problems_of(tree.write()), "messages/en.yaml", "thanks [en]", "2 SMS segments")
    assert "GSM-7, 170/160" in msg


def test_over_long_sms_with_longest_variable_values(tree, problems_of):
    # fits with a short market name, not with the longest name in the org's gazetteer
    tree.data["orgs/test-org/places.yaml"]["places"].append(
        {"id": "t.long", "kind": "market", "city": "Nairobi", "lat": -1.2, "lon": 36.9,
         "names": {"sw": ["Soko " + "la Muda Mrefu Sana " * 8], "en": ["Long"]}})
    msg = one(problems_of(tree.write()), "market.answer [sw]", "SMS segments", "market='Soko la Muda")
    assert "messages/sw.yaml" in msg


def test_needless_ucs2_curly_quote(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = "Thank you, we’ll reply soon."
    msg = one(problems_of(tree.write()), "messages/en.yaml", "thanks [en]", "needless UCS-2")
    assert "U+2019" in msg and "write \"'\" instead" in msg


def test_non_gsm_accent_in_gsm_language(tree, problems_of):
    tree.data["messages/es.yaml"]["thanks"] = "Gracias por la información"
    msg = one(problems_of(tree.write()), "messages/es.yaml", "thanks [es]", "not GSM-7")
    assert "'informacion'" in msg


def test_hindi_sms_over_70_units(tree, problems_of):
    tree.data["messages/hi.yaml"]["thanks"] = "धन्यवाद! " * 9
    one(problems_of(tree.write()), "messages/hi.yaml", "thanks [hi]", "SMS segments (UCS-2")


def test_emoji_in_sms(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = {"sms": "Thanks 👍", "whatsapp": "Thanks 👍"}
    problems = problems_of(tree.write())
    one(problems, "thanks [en]", "sms: emoji")
    assert not [p for p in problems if "whatsapp: emoji" in p]


def test_bad_yaml(tree, problems_of):
    tree.data["messages/fr.yaml"] = "menu.main: \"unterminated\nthanks: [\n"
    one(problems_of(tree.write()), "content/messages/fr.yaml", "bad YAML", "line")
    with pytest.raises(ContentError, match=r"messages/fr.yaml: bad YAML"):
        load_catalog(tree.root)


def test_unknown_org_default_language(tree, problems_of):
    tree.data["orgs/test-org/org.yaml"]["default_language"] = "pt"
    one(problems_of(tree.write()), "orgs/test-org/org.yaml", "default_language", "'pt' is not one of the org's languages")


@pytest.mark.parametrize("zone", [None, "", "Nairobi", "Africa", "Africa/Atlantis", "../etc/passwd", 3])
def test_org_timezone_must_be_an_iana_zone(tree, problems_of, zone):
    if zone is None:
        del tree.data["orgs/test-org/org.yaml"]["timezone"]
    else:
        tree.data["orgs/test-org/org.yaml"]["timezone"] = zone
    one(problems_of(tree.write()), "orgs/test-org/org.yaml", "timezone", "IANA time zone")


def test_org_timezone_is_loaded(tree):
    assert load_catalog(tree.write()).organizations["test-org"].timezone == "Africa/Nairobi"


@pytest.mark.parametrize("value", ["yes", "true", 1, "on"])
def test_public_results_must_be_true_or_false(tree, problems_of, value):
    tree.data["orgs/test-org/org.yaml"]["public_results"] = value
    one(problems_of(tree.write()), "orgs/test-org/org.yaml", "public_results", "must be true or false")


def test_public_results_are_off_unless_turned_on(tree):
    assert load_catalog(tree.write()).organizations["test-org"].public_results is False


def test_public_results_turned_on(tree):
    tree.data["orgs/test-org/org.yaml"]["public_results"] = True
    assert load_catalog(tree.write()).organizations["test-org"].public_results is True


def test_unknown_org_language(tree, problems_of):
    tree.data["orgs/test-org/org.yaml"]["languages"] = ["sw", "en", "zu"]
    one(problems_of(tree.write()), "org.yaml", "languages [zu]", "unknown language 'zu'")


def test_unknown_variable_and_missing_variable(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = "Thanks {name}"
    tree.data["messages/sw.yaml"]["market.answer"] = "{market}: habari. 0=menyu"
    problems = problems_of(tree.write())
    one(problems, "thanks [en]", "unknown variable {name}")
    one(problems, "market.answer [sw]", "does not use {status}")


def test_unknown_message_key(tree, problems_of):
    for lang in ("en", "es", "fr", "sw", "hi"):
        tree.data[f"messages/{lang}.yaml"]["thnaks"] = "x"
    one(problems_of(tree.write()), "thnaks", "unknown message key")


def test_bad_placeholder(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = "Thanks {0!r}"
    one(problems_of(tree.write()), "thanks [en]", "bad placeholder")


def test_unknown_place_kind_and_missing_coordinates(tree, problems_of):
    places = tree.data["orgs/test-org/places.yaml"]["places"]
    places.append({"id": "t.x", "kind": "mall", "city": "Nairobi", "names": {"sw": ["X"], "en": ["X"]}})
    places.append({"id": "t.y", "kind": "area", "city": "Nairobi", "names": {"sw": ["Y"], "en": ["Y"]}})
    problems = problems_of(tree.write())
    one(problems, "places.yaml", "t.x", "kind 'mall'")
    one(problems, "places.yaml", "t.y", "coordinates missing")


def test_demo_org_must_say_demo(tree, problems_of):
    tree.data["orgs/test-org/org.yaml"]["name"] = "Test vendors"
    one(problems_of(tree.write()), "org.yaml", "(demo)")


def test_bad_phone_number(tree, problems_of):
    tree.data["orgs/test-org/org.yaml"]["organizers"] = ["0711000999"]
    one(problems_of(tree.write()), "org.yaml", "organizers", "not an E.164 number")


def test_yaml_boolean_keyword(tree, problems_of):
    tree.data["keywords.yaml"] = tree.data["keywords.yaml"] | {"confirm": "x"}
    tree.write()
    (tree.root / "keywords.yaml").write_text(
        (tree.root / "keywords.yaml").read_text() + "yes_words:\n  en: [yes, ok]\n", encoding="utf-8")
    one(problems_of(tree.root), "keywords.yaml", "booleans: quote them")


def test_missing_contract_keyword_language(tree, problems_of):
    del tree.data["keywords.yaml"]["help"]["hi"]
    one(problems_of(tree.write()), "keywords.yaml", "help [hi]", "missing translation")


def test_whatsapp_only_channel_missing_sms_variant(tree, problems_of):
    tree.data["messages/en.yaml"]["thanks"] = {"whatsapp": "Thanks!"}
    one(problems_of(tree.write()), "thanks [en]", "no sms variant")


def test_trades_are_the_values_of_the_trade_list(tree, problems_of):
    tree.data["orgs/test-org/org.yaml"]["trades"] = ["vendor", "waste-picker"]  # the old spelling
    tree.data["orgs/test-org/programmes.yaml"]["programmes"][0]["trades"] = ["other"]  # a trade the org lacks
    problems = problems_of(tree.write())
    assert "unknown trade 'waste-picker' (one of vendor, waste_picker, other: choices.yaml trade)" in one(
        problems, "org.yaml", "trades")
    one(problems, "programmes.yaml", "t-relief", "unknown trade 'other'")


def test_the_trade_and_category_lists_are_required(tree, problems_of):
    del tree.data["choices.yaml"]["report_category"]
    problems = problems_of(tree.write())
    one(problems, "choices.yaml: report_category", "option list missing")
    assert not any("choices.yaml: trade:" in p for p in problems)
    (tree.write() / "choices.yaml").unlink()
    problems = problems_of(tree.root)
    one(problems, "choices.yaml: trade", "option list missing")
    one(problems, "org.yaml", "unknown trade 'vendor'")
