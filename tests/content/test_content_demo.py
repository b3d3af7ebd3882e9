"""The demo content itself: the contract of docs/contracts.md, and every SMS within its budget."""
import math
import re
import unicodedata

from pathlib import Path

import pytest

from content.sms import segment_info

CONTRACT_KEYS = ["menu.main", "menu.fallback", "help", "optout.confirm", "optin.confirm", "thanks", "topic.relief",
                 "topic.market", "topic.registration", "topic.report", "language.menu", "language.changed",
                 "error.temporary"]
ORGS = {
    "nairobi-vendors": ("Nairobi street vendors' association (demo)", "+254709990001", ["en", "sw"]),
    "pune-wastepickers": ("Pune waste pickers' cooperative (demo)", "+912067990001", ["hi", "en"]),
    "dakar-vendors": ("Dakar street vendors (demo)", "+221338990001", ["fr"]),
    "montevideo-feriantes": ("Feriantes y clasificadores de Montevideo (demo)", "+59829990001", ["es"]),
}
CITY_CENTRES = {"Nairobi": (-1.2864, 36.8172), "Pune": (18.5204, 73.8567), "Dakar": (14.6928, -17.4467),
                "Montevideo": (-34.9011, -56.1645)}
# Longest realistic values for the caller's variables (the validator derives its own from the content).
LONG = {
    "market": None,  # the org's longest place name, per language
    "status": None,  # the longest market.status.* text
    "until": {"en": "Sat 30 Nov 18:00", "sw": "Jumamosi 30/11 saa 12 jioni", "es": "sáb 30/11 18:00",
              "fr": "sam. 30/11 18h00", "hi": "शनि 30/11 शाम 6"},
    "reason": {"en": "x" * 40, "sw": "x" * 40, "es": "x" * 40, "fr": "x" * 40, "hi": "क" * 12},
    "place": "x" * 25, "count": "12345", "max": "9", "ref": "R12345", "options": None,
}


def test_organizations_match_the_contract(catalog):
    assert set(catalog.organizations) == set(ORGS)
    for slug, (name, number, languages) in ORGS.items():
        org = catalog.organizations[slug]
        assert (org.name, org.numbers, org.languages, org.default_language) == (name, [number], languages, languages[0])
        assert org.demo and "(demo)" in org.name and "(demo)" in org.short_name
        assert org.organizers and all(n.startswith("+") for n in org.organizers)
        assert catalog.org_for_number(number) is org
        assert catalog.org_for_number(f"whatsapp:{number}") is org


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_contract_keys_have_own_text_in_every_language_and_channel(catalog, key):
    for lang in catalog.languages:
        assert (None, key) in catalog._raw_messages and lang in catalog._raw_messages[(None, key)], (key, lang)
        sms = catalog.text(None, key, lang, "sms")
        wa = catalog.text(None, key, lang, "whatsapp")
        assert sms and wa


def test_places_are_real_and_near_their_city(catalog):
    kinds = {p.kind for p in catalog.all_places()}
    assert kinds == {"market", "feria", "mandi", "dumpsite", "area"}
    for p in catalog.all_places():
        lat0, lon0 = CITY_CENTRES[p.city]
        km = math.hypot((p.lat - lat0) * 111, (p.lon - lon0) * 111 * math.cos(math.radians(lat0)))
        assert km < 30, (p.id, km)
        org = catalog.organizations[p.org]
        assert all(lang in p.names for lang in org.languages), p.id
    names = {n for p in catalog.all_places() for n in p.all_names()}
    assert {"Gikomba", "Muthurwa", "Market Yard", "Sandaga", "Colobane", "Tristán Narvaja", "Piedras Blancas"} <= names


def _registry_samples() -> dict:
    import yaml

    import content

    registry = yaml.safe_load((Path(content.__file__).parent / "variables.yaml").read_text(encoding="utf-8"))
    # sampled variables with their values; any other variable gets a short placeholder
    return {name: (meta["sample"] if meta.get("source") == "sample" else "Mon") for name, meta in registry.items()}


def _values(catalog, slug, lang):
    places = catalog.places(slug)
    longest = max((p.name(lang) for p in places), key=lambda n: segment_info(n).units)
    statuses = [catalog.text(slug, k, lang, "sms") for k in catalog.keys(slug) if k.startswith("market.status.")]
    top3 = sorted((p.name(lang) for p in places), key=lambda n: -segment_info(n).units)[:3]
    out = {k: (v.get(lang, "x") if isinstance(v, dict) else v) for k, v in LONG.items() if v is not None}
    for name, sample in _registry_samples().items():  # variables added later by features
        out.setdefault(name, sample if isinstance(sample, str) else str(sample.get(lang, sample.get("any", name))))
    out.update(market=longest, status=max(statuses, key=len), options=catalog.numbered(top3, "sms"))
    return out


def _is_emoji(c):
    return ord(c) > 0xFFFF or 0x2600 <= ord(c) <= 0x27BF or c == "\ufe0f"


def test_every_sms_text_fits_its_budget(catalog):
    checked = 0
    failures = []
    for slug, org in catalog.organizations.items():
        for lang in dict.fromkeys([*org.languages, *org.menu_languages]):
            values = _values(catalog, slug, lang)
            for key in sorted(catalog.keys(slug)):
                if key.endswith(".detail"):
                    continue  # WhatsApp-only layouts
                for page in catalog.pages(slug, key, lang, "sms", **values):
                    checked += 1
                    info = segment_info(page)
                    gsm_lang = catalog.language_info[lang]["sms_encoding"] == "GSM-7"
                    source_is_devanagari = any(unicodedata.name(c, "").startswith("DEVANAGARI") for c in page)
                    if info.segments != 1:
                        failures.append(f"{slug} {key} [{lang}]: {info} {page!r}")
                    if gsm_lang and info.encoding != "GSM-7" and not source_is_devanagari:
                        failures.append(f"{slug} {key} [{lang}]: UCS-2 {page!r}")
                    if any(_is_emoji(c) for c in page):
                        failures.append(f"{slug} {key} [{lang}]: emoji {page!r}")
    assert not failures, "\n".join(failures)
    assert checked > 400


# Command syntax, and the ten report categories that need ~82 Devanagari units: romanized Hindi in
# one GSM-7 segment costs the same as one UCS-2 segment and keeps the numbered list whole.
ROMANIZED_HINDI = {"org.status.usage", "org.relief.usage", "report.category"}


def test_hindi_sms_is_devanagari_within_70_units(catalog):
    for key in catalog.keys("pune-wastepickers"):
        if key.endswith(".detail"):
            continue
        for page in catalog.template("pune-wastepickers", key, "hi", "sms"):
            if key in ROMANIZED_HINDI:  # too long for 70 UCS-2 units: one GSM-7 segment instead
                assert segment_info(page).segments == 1, (key, page)
                continue
            assert segment_info(page).units <= 70, (key, page)
            literal = re.sub(r"\{[a-z_]+\}", "", page)
            deva = [c for c in literal if unicodedata.name(c, "").startswith("DEVANAGARI")]
            letters = [c for c in literal if c.isalpha()] + [c for c in deva if not c.isalpha()]
            # concise Devanagari, not romanized Hindi (commands like STOP/YES may stay Latin)
            assert len(deva) >= len(letters) / 2, (key, page)


def test_whatsapp_texts_fit_twilio_limit(catalog):
    for slug in catalog.organizations:
        for lang in catalog.organizations[slug].languages:
            for key in catalog.keys(slug):
                if key.endswith(".detail"):
                    continue
                text = catalog.text(slug, key, lang, "whatsapp", **_values(catalog, slug, lang))
                assert len(text) <= 1600, (slug, key, lang)


def test_programmes_and_guides_cover_the_orgs(catalog):
    topics = {slug: {g.topic for g in catalog.guides(slug)} for slug in catalog.organizations}
    assert "vendor-licence" in topics["nairobi-vendors"]
    assert "waste-picker-id" in topics["pune-wastepickers"]
    assert {"vendor-licence", "waste-picker-id"} <= topics["montevideo-feriantes"]
    assert "vendor-licence" in topics["dakar-vendors"]
    assert all(topics[s] >= {"membership", "relief-registration"} or s == "montevideo-feriantes" for s in topics)
    for slug in catalog.organizations:
        assert catalog.programmes(slug), slug
    relocation = catalog.programmes("dakar-vendors")[0]
    assert "dkr.champ-de-courses" in relocation.places
