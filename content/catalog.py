"""The Catalog: an immutable, dict-backed view of the content, built from what content/loader.py read.

All text lookups are pre-resolved when it is built (language and channel fallbacks included), so
``Catalog.text`` is one dict lookup plus ``str.format_map``; ``load_catalog()`` caches one per root.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from content.choices import ChoiceList
from content.loader import default_root, load_raw
from content.loader_items import resolve_items
from content.raw import RawContent
from content.sms import smart_encode
from content.texts import GENERIC, Pages, Vars, entry_channel
from content.types import CHANNELS, FALLBACK_LANGUAGE, ContentError, Guide, Office, Organization, Place, \
    Programme, normalize_number


class Catalog:
    """Immutable view of the content. Build with :func:`load_catalog`."""

    def __init__(self, raw: RawContent):
        resolve_items(raw)
        self.root = raw.root
        self.languages: tuple[str, ...] = tuple(raw.system_languages)
        self.language_info: Mapping[str, Mapping[str, Any]] = MappingProxyType(dict(raw.languages))
        self.organizations: dict[str, Organization] = dict(raw.orgs)
        self._raw_messages = raw.messages
        self._variables_meta = dict(raw.variables)
        self._by_number = {n: o for o in raw.orgs.values() for n in o.numbers}
        self._places = {slug: list(ps) for slug, ps in raw.places.items()}
        self._all_places = [p for ps in self._places.values() for p in ps]
        self._place_by_id = {p.id: p for p in self._all_places}
        self._offices = {o.id: o for os_ in raw.offices.values() for o in os_}
        self._programmes = {slug: list(v) for slug, v in raw.programmes.items()}
        self._guides = {slug: list(v) for slug, v in raw.guides.items()}
        self.choices: Mapping[str, ChoiceList] = raw.choices
        self._keywords_by_lang: dict[str, dict[str, frozenset[str]]] = {}
        self._keywords: dict[str, frozenset[str]] = {}
        self._keywords_with_any: dict[tuple[str, str], frozenset[str]] = {}  # keywords(group, lang), memoised
        for group, per_lang in raw.keywords.items():
            self._keywords_by_lang[group] = {lang: frozenset(w.strip().lower() for w in ws) for lang, ws in per_lang.items()}
            self._keywords[group] = frozenset().union(*self._keywords_by_lang[group].values()) if per_lang else frozenset()

        # Pre-resolve every (org, key, lang, channel) -> pages, fallbacks included.
        system_keys = {k for (o, k) in raw.messages if o is None}
        self._texts: dict[tuple[str | None, str, str, str], Pages] = {}
        all_langs = tuple(dict.fromkeys([*self.languages, *raw.languages]))
        self._keys: dict[str | None, frozenset[str]] = {None: frozenset(system_keys)}
        for key in system_keys:
            for lang in all_langs:
                self._resolve(None, key, lang, (lang, FALLBACK_LANGUAGE))
        for slug, org in self.organizations.items():
            org_keys = {k for (o, k) in raw.messages if o == slug}
            self._keys[slug] = frozenset(system_keys | org_keys)
            for key in self._keys[slug]:
                for lang in all_langs:
                    self._resolve(slug, key, lang, (lang, org.default_language, FALLBACK_LANGUAGE))
        # Variables the catalog fills in by itself (callers may override them).
        self._auto: dict[tuple[str | None, str, str], dict[str, str]] = {}

    def _resolve(self, org: str | None, key: str, lang: str, chain: tuple[str, ...]) -> None:
        """An org's own text (override) wins over the system text in any language of the chain:
        it carries the org's programme lists and numbering. Then: lang -> org default -> English."""
        scopes = (org, None) if org else (None,)
        for channel in (*CHANNELS, GENERIC):
            for scope in scopes:
                per_lang = self._raw_messages.get((scope, key))
                if not per_lang:
                    continue
                found = next((p for cand in chain if cand in per_lang
                              for p in (entry_channel(per_lang[cand], channel),) if p and any(p)), None)
                if found is not None:
                    self._texts[(org, key, lang, channel)] = found
                    break

    # ---- organizations

    def org_for_number(self, number: str) -> Organization | None:
        return self._by_number.get(normalize_number(number)) if number else None

    def org(self, slug: str) -> Organization:
        return self.organizations[slug]

    # ---- texts

    def keys(self, org_slug: str | None = None) -> frozenset[str]:
        """Every message key available to ``org_slug`` (system keys plus the org's own)."""
        return self._keys[org_slug]

    def has_text(self, org_slug: str | None, key: str) -> bool:
        return key in self._keys.get(org_slug, ())

    def pages(self, org_slug: str | None, key: str, lang: str, channel: str, **vars: Any) -> list[str]:
        """All pages of a text (SMS answers longer than one segment are split into pages, each a
        complete SMS that already ends with its own "MORE" hint). ``text()`` returns the first."""
        pages = self._lookup(org_slug, key, lang, channel)
        values = self._variables(org_slug, lang, channel, vars)
        return [self._finish(p.format_map(Vars(key, values)), org_slug, lang, channel) if "{" in p else p
                for p in pages]

    def text(self, org_slug: str | None, key: str, lang: str, channel: str, **vars: Any) -> str:
        page = self._lookup(org_slug, key, lang, channel)[0]
        if "{" not in page:
            return page
        return self._finish(page.format_map(Vars(key, self._variables(org_slug, lang, channel, vars))),
                            org_slug, lang, channel)

    def _finish(self, text: str, org_slug: str | None, lang: str, channel: str) -> str:
        """SMS only: smart-encode what the variables brought in (templates are validated GSM-7), and
        in GSM-7 languages fold accents GSM-7 lacks (a place called "Tristán Narvaja", an organizer's
        "reparación") so one odd character does not turn the SMS into UCS-2 (70 instead of 160)."""
        if channel != "sms":
            return text
        return smart_encode(text, fold_accents=self.sms_is_gsm7(org_slug, lang))

    def sms_is_gsm7(self, org_slug: str | None, lang: str) -> bool:
        """True when SMS in this language must be GSM-7 (False for Devanagari)."""
        info = self.language_info.get(lang)
        if info is None:
            lang = self.organizations[org_slug].default_language if org_slug else FALLBACK_LANGUAGE
            info = self.language_info.get(lang, {})
        return info.get("sms_encoding", "GSM-7") == "GSM-7"

    def template(self, org_slug: str | None, key: str, lang: str, channel: str) -> tuple[str, ...]:
        """The unrendered pages."""
        return self._lookup(org_slug, key, lang, channel)

    def _lookup(self, org_slug: str | None, key: str, lang: str, channel: str) -> Pages:
        if org_slug is not None and org_slug not in self.organizations:
            raise KeyError(f"unknown organization {org_slug!r}")
        ch = channel if channel in CHANNELS else GENERIC
        t = self._texts.get((org_slug, key, lang, ch))
        if t is None:  # a language the content doesn't know: org default, then English
            default = self.organizations[org_slug].default_language if org_slug else FALLBACK_LANGUAGE
            t = self._texts.get((org_slug, key, default, ch)) or self._texts.get((org_slug, key, FALLBACK_LANGUAGE, ch))
        if t is None:
            raise KeyError(f"unknown message key {key!r}" + (f" for {org_slug}" if org_slug else ""))
        return t

    def _variables(self, org_slug: str | None, lang: str, channel: str, given: Mapping[str, Any]) -> dict[str, Any]:
        auto = self._auto.get((org_slug, lang, channel))
        if auto is None:
            auto = self._auto[(org_slug, lang, channel)] = self.auto_variables(org_slug, lang, channel)
        return {**auto, **given} if given else auto

    def auto_variables(self, org_slug: str | None, lang: str, channel: str) -> dict[str, str]:
        """Variables every text may use without the caller passing them: {org} (the org's short
        name), {languages} (the numbered language menu) and each option list of choices.yaml."""
        org = self.organizations.get(org_slug) if org_slug else None
        langs = org.menu_languages if org else list(self.languages)
        label_field = "label" if channel != "sms" or self.language_info.get(lang, {}).get("sms_encoding") == "UCS-2" else "label_sms"
        labels = []
        for i, code in enumerate(langs, 1):
            info = self.language_info.get(code, {})
            labels.append(f"{i} {info.get(label_field) or info.get('label') or code}")
        sep = " " if channel == "sms" else "\n"
        numbered = "{} {}" if channel == "sms" else "{}. {}"
        out = {"org": org.short_name if org else "Streetline",
               "languages": sep.join(labels) if channel == "sms" else "\n".join(l.replace(" ", ". ", 1) for l in labels)}
        for name in self.choices:  # {report_category}, {trade}, ...: the option lists of the forms
            out[name] = self.choice_text(name, lang, channel)
        for var, items in (("programmes", self._programmes.get(org_slug or "", [])), ("guides", self._guides.get(org_slug or "", []))):
            titles = [self._lookup(org_slug, it.title_key, lang, channel)[0] for it in items]
            out[var] = sep.join(numbered.format(i, t) for i, t in enumerate(titles, 1)) or "-"
        return out

    def numbered(self, titles: Iterable[str], channel: str) -> str:
        """"1 A 2 B" on SMS, "1. A\n2. B" on WhatsApp: for {options}, {programmes}, {guides}."""
        if channel == "sms":
            return " ".join(f"{i} {t}" for i, t in enumerate(titles, 1))
        return "\n".join(f"{i}. {t}" for i, t in enumerate(titles, 1))

    def choice(self, name: str) -> ChoiceList:
        """An option list of the forms (content/choices.yaml). Unknown name: KeyError."""
        return self.choices[name]

    def trades(self) -> tuple[str, ...]:
        """Workers' trades in menu order (choices.yaml `trade`): what a member row stores and what
        org.yaml, programmes and guides name; the desk filters and counts members by them."""
        return self.choices["trade"].values

    def categories(self) -> tuple[str, ...]:
        """Report categories in menu order (choices.yaml `report_category`), as stored and as the API
        and the desk show them."""
        return self.choices["report_category"].values

    def choice_text(self, name: str, lang: str, channel: str) -> str:
        """The numbered labels of a list, for {<name>} in a question."""
        return self.numbered((o.label(lang, channel) for o in self.choices[name].options), channel)

    def max_length(self, variable: str, lang: str) -> int | None:
        """How many characters of free text the engine may put in {variable} (variables.yaml
        max_length, e.g. {reason}: 40, Hindi 12), so the SMS still fits one segment."""
        limit = self._variables_meta.get(variable, {}).get("max_length")
        if isinstance(limit, dict):
            limit = limit.get(lang, limit.get("any"))
        return int(limit) if limit is not None else None

    def language_options(self, org_slug: str | None) -> list[str]:
        """Language codes in the order ``language.menu`` numbers them (1-based)."""
        org = self.organizations.get(org_slug) if org_slug else None
        return list(org.menu_languages if org else self.languages)

    # ---- keywords

    def keywords(self, group: str, lang: str | None = None) -> frozenset[str]:
        """Lower-cased words of a keyword group; all languages, or one language plus the
        language-neutral ones ("any"). Unknown group: KeyError."""
        if lang is None:
            return self._keywords[group]
        words = self._keywords_with_any.get((group, lang))
        if words is None:  # built once: a menu message asks ~130 times (bench/profile_inbound.py)
            per = self._keywords_by_lang[group]
            words = self._keywords_with_any[group, lang] = per.get(lang, frozenset()) | per.get("any", frozenset())
        return words

    def keyword_groups(self) -> list[str]:
        return sorted(self._keywords)

    def match_keyword(self, text: str, lang: str | None = None) -> str | None:
        """The keyword group a whole message (trimmed, lower-cased, trailing punctuation removed)
        belongs to, or None. Groups are tried in keywords.yaml order (stop before yes, menu first)."""
        word = text.strip().lower().rstrip("!.?¡¿ ")
        for group in self._keywords:
            if word in self.keywords(group, lang):
                return group
        return None

    # ---- gazetteer

    def places(self, org_slug: str) -> list[Place]:
        return list(self._places.get(org_slug, []))

    def all_places(self) -> list[Place]:
        return list(self._all_places)

    def place(self, place_id: str) -> Place:
        return self._place_by_id[place_id]

    def office(self, office_id: str) -> Office:
        return self._offices[office_id]

    # ---- programmes and guides

    def programmes(self, org_slug: str, city: str | None = None, trade: str | None = None) -> list[Programme]:
        """Relief programmes of an org, optionally only those for a city and/or trade."""
        return [p for p in self._programmes.get(org_slug, [])
                if (city is None or city in p.cities) and (trade is None or trade in p.trades)]

    def guides(self, org_slug: str, topic: str | None = None, city: str | None = None,
               trade: str | None = None) -> list[Guide]:
        return [g for g in self._guides.get(org_slug, [])
                if (topic is None or g.topic == topic) and (city is None or city in g.cities)
                and (trade is None or trade in g.trades)]


# --------------------------------------------------------------------------- loading


@functools.lru_cache(maxsize=8)
def _load_cached(root: str) -> Catalog:
    raw = load_raw(Path(root))
    if raw.problems:
        raise ContentError(raw.problems)
    return Catalog(raw)


def load_catalog(root: str | os.PathLike[str] | None = None) -> Catalog:
    """Load (once per root, cached) the content under ``root`` (default: $CONTENT_DIR or this
    package's folder). Raises ContentError listing structural problems; run
    ``python -m content.validate`` for the full check (translations, references, SMS budgets)."""
    path = Path(root) if root is not None else default_root()
    return _load_cached(str(path.resolve()))


load_catalog.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]
