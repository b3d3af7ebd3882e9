"""The Catalog API of docs/contracts.md: loading, caching, text lookup and fallbacks."""

from pathlib import Path

import pytest

from content import Catalog, ContentError, Organization, Place, load_catalog
from content.sms import segment_info


def test_load_catalog_is_cached_per_root(tree):
    root = tree.write()
    assert load_catalog(root) is load_catalog(str(root))
    assert load_catalog() is load_catalog()
    assert load_catalog(root) is not load_catalog()


def test_content_dir_env_overrides_default_root(tree, monkeypatch):
    root = tree.write()
    monkeypatch.setenv("CONTENT_DIR", str(root))
    assert set(load_catalog().organizations) == {"test-org"}


def test_structural_errors_raise_content_error(tree):
    tree.data["orgs/test-org/places.yaml"]["places"][0]["kind"] = "mall"
    with pytest.raises(ContentError) as exc:
        load_catalog(tree.write())
    assert "places.yaml: places[0] t.gikomba: kind 'mall'" in str(exc.value)
    assert exc.value.problems[0].file.endswith("orgs/test-org/places.yaml")


def test_fallback_lang_then_org_default_then_english(tree):
    # "thanks" exists in every language; "only.sw" only in Swahili (the org default); "only.en" only in English
    tree.data["messages/sw.yaml"]["only.sw"] = "kiswahili"
    tree.data["messages/en.yaml"]["only.en"] = "english"
    c = load_catalog(tree.write())
    assert c.text("test-org", "thanks", "hi", "sms") == "Asante sana!"       # org text in sw (default)
    assert c.text(None, "thanks", "hi", "sms") == "धन्यवाद!"                  # system text in hi
    assert c.text("test-org", "only.sw", "fr", "sms") == "kiswahili"         # fr missing -> org default sw
    assert c.text("test-org", "only.en", "fr", "sms") == "english"           # fr, sw missing -> en
    assert c.text("test-org", "menu.main", "pt", "sms").startswith("Test (demo): 1 Misaada")  # unknown lang
    assert c.text(None, "menu.main", "pt", "sms").startswith("Streetline: 1 Relief")
    with pytest.raises(KeyError):
        c.text("test-org", "no.such.key", "en", "sms")
    with pytest.raises(KeyError):
        c.text("no-such-org", "thanks", "en", "sms")


def test_channel_variant_then_generic(tree):
    c = load_catalog(tree.write())
    assert c.text("test-org", "menu.main", "en", "whatsapp") == "*Test (demo)*\n1. Relief\n2. Market"
    assert c.text("test-org", "menu.main", "en", "sms") == "Test (demo): 1 Relief 2 Market 0 Menu"
    assert c.text("test-org", "menu.main", "es", "whatsapp") == "Test (demo): 1 Apoyos 2 Ferias 0 Menu"  # generic
    assert c.text("test-org", "menu.main", "en", "web") == "Test (demo): 1 Relief 2 Market 0 Menu"


def _samples() -> dict:
    import yaml

    import content

    registry = yaml.safe_load((Path(content.__file__).parent / "variables.yaml").read_text(encoding="utf-8"))
    return {n: (str(m["sample"].get("any") or next(iter(m["sample"].values()))) if m.get("source") == "sample"
                else "Mon") for n, m in registry.items()}


SAMPLES = _samples()


def test_never_empty_in_demo_content(catalog):
    for slug in [None, *catalog.organizations]:
        for key in catalog.keys(slug):
            if key.endswith(".detail"):
                continue  # WhatsApp layouts, need their variables
            for lang in [*catalog.languages, "pt"]:
                for channel in ("sms", "whatsapp"):
                    try:
                        text = catalog.text(slug, key, lang, channel, **{**SAMPLES, **dict(
                                            market="Gikomba", status="OPEN", until="6pm", reason="cleanup",
                                            count="3", max="4", ref="R1", place="X", options="1 A 2 B")})
                    except KeyError as exc:
                        pytest.fail(f"{slug} {key} {lang} {channel}: {exc}")
                    assert text.strip(), (slug, key, lang, channel)


def test_variables(catalog):
    text = catalog.text("nairobi-vendors", "market.answer.until", "sw", "sms",
                        market="Gikomba", status="IMEFUNGWA", until="saa 12 jioni")
    assert text == "Gikomba: IMEFUNGWA hadi saa 12 jioni. 4=ripoti tatizo, 0=menyu"
    with pytest.raises(KeyError, match=r"needs variable \{until\}"):
        catalog.text("nairobi-vendors", "market.answer.until", "en", "sms", market="Gikomba", status="OPEN")


def test_sms_rendering_keeps_gsm7(catalog):
    status = catalog.text("montevideo-feriantes", "market.status.closed", "es", "sms")
    text = catalog.text("montevideo-feriantes", "market.answer.reason", "es", "sms",
                        market="Tristán Narvaja", status=status, reason="reparación — “urgente”")
    assert text == 'Tristan Narvaja: SUSPENDIDA. Motivo: reparacion - "urgente". 4=reportar, 0=menu'
    assert segment_info(text).encoding == "GSM-7"
    wa = catalog.text("montevideo-feriantes", "market.answer.reason", "es", "whatsapp",
                      market="Tristán Narvaja", status=status, reason="reparación")
    assert "Tristán Narvaja" in wa  # WhatsApp keeps the accents
    hi = catalog.text("pune-wastepickers", "market.answer", "hi", "sms", market="फुले मंडई", status="बंद")
    assert hi.startswith("फुले मंडई: बंद") and segment_info(hi).segments == 1


def test_auto_variables(catalog):
    assert catalog.text("nairobi-vendors", "language.menu", "en", "sms") == \
        "Choose your language, reply: 1 English 2 Kiswahili 0=menu"
    assert catalog.language_options("nairobi-vendors") == ["en", "sw"]
    assert catalog.language_options("pune-wastepickers") == ["hi", "en"]
    assert "1. Français\n2. English" in catalog.text("dakar-vendors", "language.menu", "fr", "whatsapp")
    relief = catalog.text("nairobi-vendors", "topic.relief", "en", "sms")
    titles = [catalog.text("nairobi-vendors", p.title_key, "en", "sms") for p in catalog.programmes("nairobi-vendors")]
    assert relief == f"Relief for members: reply 1 {titles[0]} 2 {titles[1]}. 0=menu"
    assert catalog.text("nairobi-vendors", "menu.main", "en", "sms").startswith("Nairobi Vendors (demo): reply 1")


def test_pages(catalog):
    pages = catalog.pages("nairobi-vendors", "guide.nbo-permit", "en", "sms")
    assert len(pages) == 2 and pages[0].endswith("MORE=next") and pages[1].endswith("0=menu")
    assert catalog.text("nairobi-vendors", "guide.nbo-permit", "en", "sms") == pages[0]
    assert catalog.pages("nairobi-vendors", "guide.nbo-permit", "en", "whatsapp")[0].startswith("*Nairobi County")


def test_whatsapp_detail_is_composed(catalog):
    text = catalog.text("montevideo-feriantes", "relief.mvd-tus", "es", "whatsapp")
    assert text.startswith("*Tarjeta Uruguay Social (MIDES)*\n*Quién:* Hogares")
    assert "- MIDES, oficina de atención: Av. 18 de Julio 1453 (lun a vie 9:30 a 16:30 h)" in text


def test_keywords(catalog):
    menu = catalog.keywords("menu")
    assert isinstance(menu, frozenset) and {"0", "menu", "menyu"} <= menu
    assert {"hi", "hello", "habari", "hola", "bonjour", "namaste"} <= catalog.keywords("greet")
    assert {"help", "msaada", "ayuda", "aide", "madad"} <= catalog.keywords("help")
    assert {"language", "lugha", "idioma", "langue", "bhasha"} <= catalog.keywords("language")
    assert all(w == w.lower() for g in catalog.keyword_groups() for w in catalog.keywords(g))
    assert catalog.keywords("help", "sw") == frozenset({"msaada", "saidia", "usaidizi", "?"})
    assert catalog.match_keyword("  Menyu! ") == "menu"
    with pytest.raises(KeyError):
        catalog.keywords("nope")


def test_organizations_and_numbers(catalog):
    org = catalog.org_for_number("+254709990001")
    assert isinstance(org, Organization) and org.slug == "nairobi-vendors"
    assert catalog.org_for_number("whatsapp:+254709990001") is org
    assert catalog.org_for_number("+254 709 990001") is org
    assert catalog.org_for_number("+10000000000") is None
    assert catalog.org_for_number("") is None
    assert org.is_organizer("whatsapp:+254711000900") and not org.is_organizer("+254711000001")


def test_places(catalog):
    places = catalog.places("dakar-vendors")
    assert places and all(isinstance(p, Place) and p.city == "Dakar" for p in places)
    assert len(catalog.all_places()) == sum(len(catalog.places(s)) for s in catalog.organizations)
    sandaga = catalog.place("dkr.sandaga")
    assert sandaga.kind == "market" and sandaga.name("fr") == "Sandaga" and sandaga.name("en") == "Sandaga"
    assert catalog.place("pune.mandai").name("hi") == "फुले मंडई"
    assert catalog.place("pune.mandai").name("es") == "Mandai"  # falls back to the English name
    assert catalog.places("no-such-org") == []


def test_programmes_and_guides_filters(catalog):
    mvd = "montevideo-feriantes"
    assert {p.id for p in catalog.programmes(mvd)} == {"mvd-tus", "mvd-clasificadores"}
    assert {p.id for p in catalog.programmes(mvd, trade="vendor")} == {"mvd-tus"}
    assert catalog.programmes(mvd, city="Dakar") == []
    assert [g.id for g in catalog.guides(mvd, topic="waste-picker-id")] == ["mvd-registro-clasificador"]
    assert [g.id for g in catalog.guides(mvd, trade="vendor")] == ["mvd-permiso-feriante", "mvd-afiliacion"]
    # A member row's trade value is what programmes and guides name: no second spelling to translate.
    assert {p.id for p in catalog.programmes(mvd, trade="waste_picker")} == {"mvd-tus", "mvd-clasificadores"}
    assert [g.id for g in catalog.guides("pune-wastepickers", topic="waste-picker-id", trade="waste_picker")]


def test_trades_and_categories_come_from_choices_in_menu_order(catalog, tree):
    assert catalog.trades() == ("vendor", "waste_picker", "porter", "other")
    assert catalog.categories() == ("eviction", "confiscation", "harassment", "bribe", "closure", "fire_flood",
                                    "waste", "unpaid", "injury", "other")
    for org in catalog.organizations.values():
        assert org.trades and set(org.trades) <= set(catalog.trades()), org.slug
    # The YAML is the only source of the order: reorder it and the catalog follows.
    tree.data["choices.yaml"]["trade"]["options"].reverse()
    small = load_catalog(tree.write())
    assert small.trades() == ("other", "waste_picker", "vendor")
    assert small.categories() == ("eviction", "other")


def test_catalog_type(catalog):
    assert isinstance(catalog, Catalog)
    assert catalog.languages == ("en", "es", "fr", "sw", "hi")


def test_lang_none_means_org_default(catalog):
    assert catalog.text("pune-wastepickers", "thanks", None, "sms") == catalog.text("pune-wastepickers", "thanks", "hi", "sms")
    assert catalog.text(None, "thanks", None, "sms") == catalog.text(None, "thanks", "en", "sms")


def test_max_length_of_free_text_variables(catalog):
    assert catalog.max_length("reason", "en") == 40
    assert catalog.max_length("reason", "hi") == 12
    assert catalog.max_length("place", "sw") == 25
    assert catalog.max_length("market", "en") is None
