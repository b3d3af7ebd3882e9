"""Fixtures for the content tests: the demo catalog, and small content trees written into tmp_path
(valid by default; tests break one thing and expect the validator to say what)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from content import load_catalog

LANGS = ["en", "es", "fr", "sw", "hi"]


def _base_tree() -> dict[str, Any]:
    """path (relative to the content root) -> YAML data (or a str for raw text)."""
    msgs = {
        "en": {"menu.main": {"sms": "{org}: 1 Relief 2 Market 0 Menu", "whatsapp": "*{org}*\n1. Relief\n2. Market"},
               "market.answer": "{market}: {status}. 0=menu", "market.status.open": "OPEN",
               "thanks": "Thank you!"},
        "es": {"menu.main": "{org}: 1 Apoyos 2 Ferias 0 Menu", "market.answer": "{market}: {status}. 0=menu",
               "market.status.open": "ABIERTA", "thanks": "Gracias!"},
        "fr": {"menu.main": "{org}: 1 Aides 2 Marchés 0 Menu", "market.answer": "{market}: {status}. 0=menu",
               "market.status.open": "OUVERT", "thanks": "Merci !"},
        "sw": {"menu.main": "{org}: 1 Misaada 2 Soko 0 Menyu", "market.answer": "{market}: {status}. 0=menyu",
               "market.status.open": "WAZI", "thanks": "Asante!"},
        "hi": {"menu.main": "1 राहत 2 मंडी 0 मेनू", "market.answer": "{market}: {status}। 0 मेनू",
               "market.status.open": "खुला", "thanks": "धन्यवाद!"},
    }
    tree: dict[str, Any] = {
        "languages.yaml": {
            "system_languages": LANGS,
            "languages": {
                "en": {"label": "English", "label_sms": "English", "sms_encoding": "GSM-7"},
                "es": {"label": "Español", "label_sms": "Español", "sms_encoding": "GSM-7"},
                "fr": {"label": "Français", "label_sms": "Francais", "sms_encoding": "GSM-7"},
                "sw": {"label": "Kiswahili", "label_sms": "Kiswahili", "sms_encoding": "GSM-7"},
                "hi": {"label": "हिंदी", "label_sms": "Hindi", "sms_encoding": "UCS-2"},
            },
        },
        "keywords.yaml": {g: {lang: [f"{g}-{lang}"] for lang in LANGS} for g in ("menu", "greet", "help", "language")},
        "keys.yaml": {"menu.main": {}, "thanks": {}, "market.status.open": {},
                      "market.answer": {"vars": ["market", "status"]}},
        "variables.yaml": {
            "org": {"source": "auto"}, "languages": {"source": "auto"},
            "programmes": {"source": "auto"}, "guides": {"source": "auto"},
            "market": {"source": "place_name"},
            "status": {"source": "keys", "prefix": "market.status."},
        },
        # The two lists the Catalog names itself (trades(), categories()); the validator requires them.
        "choices.yaml": {
            "trade": {"options": [{"value": v, "label": {lang: label for lang in LANGS}}
                                  for v, label in (("vendor", "Vendor"), ("waste_picker", "Picker"), ("other", "Other"))]},
            "report_category": {"options": [{"value": v, "label": {lang: label for lang in LANGS}}
                                            for v, label in (("eviction", "Eviction"), ("other", "Other"))]},
        },
        "orgs/test-org/org.yaml": {
            "slug": "test-org", "demo": True, "name": "Test vendors (demo)", "short_name": "Test (demo)",
            "numbers": ["+254709990099"], "cities": ["Nairobi"], "languages": ["sw", "en"],
            "default_language": "sw", "organizers": ["+254711000999"], "trades": ["vendor"],
            "timezone": "Africa/Nairobi",
            "offices": [{"id": "t.office", "city": "Nairobi", "lat": -1.28, "lon": 36.82,
                         "names": {"sw": "Ofisi", "en": "Office"}, "address": {"sw": "CBD", "en": "CBD"},
                         "hours": {"sw": "Jtatu-Ijumaa", "en": "Mon-Fri"}}],
        },
        "orgs/test-org/places.yaml": {"places": [
            {"id": "t.gikomba", "kind": "market", "city": "Nairobi", "lat": -1.2836, "lon": 36.8389,
             "names": {"sw": ["Gikomba"], "en": ["Gikomba", "Gikomba Market"]}},
        ]},
        "orgs/test-org/programmes.yaml": {"programmes": [
            {"id": "t-relief", "cities": ["Nairobi"], "trades": ["vendor"], "places": ["t.gikomba"],
             "offices": ["t.office"], "texts": {
                 lang: {"title": f"Relief {lang}", "who": "w", "what": "x", "where": "y", "when": "z",
                        "how": "h", "sms": [f"Relief {lang} page 1. MORE", f"Relief {lang} page 2. 0=menu"]}
                 for lang in ("sw", "en")}},
        ]},
        "orgs/test-org/guides.yaml": {"guides": [
            {"id": "t-permit", "topic": "vendor-licence", "offices": ["t.office"], "texts": {
                lang: {"title": f"Permit {lang}", "steps": ["a", "b"], "documents": ["ID"], "fees": "KES 1",
                       "sms": f"Permit {lang}: bring ID. 0=menu"} for lang in ("sw", "en")}},
        ]},
        "orgs/test-org/messages.yaml": {"thanks": {"sw": "Asante sana!", "en": "Thank you very much!"}},
    }
    for lang, m in msgs.items():
        tree[f"messages/{lang}.yaml"] = m
    return tree


class Tree:
    """A small content tree in tmp_path. ``data`` is editable before ``write()``."""

    def __init__(self, root: Path):
        self.root = root
        self.data = copy.deepcopy(_base_tree())

    def write(self) -> Path:
        for rel, value in self.data.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            text = value if isinstance(value, str) else yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
            path.write_text(text, encoding="utf-8")
        return self.root


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    return Tree(tmp_path / "content")


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def problems_of() -> Callable[[Path], list[str]]:
    from content.validate import validate

    def run(root: Path) -> list[str]:
        return [str(p) for p in validate(root).problems]

    return run
