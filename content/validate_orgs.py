"""Checks of the organizations' files and the shared lists: org.yaml (languages, numbers, trades,
demo marking), offices, places, programmes and guides (cities, trades, duplicate ids), keyword groups,
the option lists of choices.yaml, and references between files (places, offices, guides)."""
from __future__ import annotations

from collections import Counter, defaultdict

import phonenumbers

from content.raw import RawContent
from content.types import GUIDE_TOPICS, Problem, Report

CONTRACT_KEYWORD_GROUPS = ("menu", "greet", "help", "language")
# Option lists the Catalog names itself (Catalog.trades(), Catalog.categories()).
CONTRACT_CHOICE_LISTS = ("trade", "report_category")


def check_orgs(raw: RawContent, rep: Report) -> None:
    P = rep.problems
    langs = set(raw.languages)
    seen_numbers: dict[str, str] = {}
    place_ids: dict[str, str] = {}
    trades = raw.choices["trade"].values if "trade" in raw.choices else ()
    for slug, org in raw.orgs.items():
        f = raw.org_files[slug]
        for lang in org.languages:
            if lang not in langs:
                P.append(Problem(f, "languages", lang, f"unknown language {lang!r} (languages.yaml has {', '.join(raw.languages)})"))
        if org.default_language not in org.languages:
            P.append(Problem(f, "default_language", org.default_language,
                             f"default language {org.default_language!r} is not one of the org's languages {org.languages}"))
        elif org.languages and org.languages[0] != org.default_language:
            P.append(Problem(f, "languages", message="list the default language first"))
        for lang in org.menu_languages:
            if lang not in langs:
                P.append(Problem(f, "menu_languages", lang, f"unknown language {lang!r}"))
        for trade in org.trades:
            if trade not in trades:
                P.append(Problem(f, "trades", message=f"unknown trade {trade!r} (one of {', '.join(trades)}: "
                                                      "choices.yaml trade)"))
        if org.demo and ("(demo)" not in org.name or "(demo)" not in org.short_name):
            P.append(Problem(f, "name", message="demo content must say \"(demo)\" in name and short_name"))
        if not org.numbers:
            P.append(Problem(f, "numbers", message="needs at least one receiving number"))
        for field_name, numbers in (("numbers", org.numbers), ("organizers", org.organizers)):
            for n in numbers:
                try:
                    ok = phonenumbers.is_possible_number(phonenumbers.parse(n, None))
                except phonenumbers.NumberParseException:
                    ok = False
                if not n.startswith("+") or not ok:
                    P.append(Problem(f, field_name, message=f"{n!r} is not an E.164 number (+ and country code)"))
        for n in org.numbers:
            if n in seen_numbers:
                P.append(Problem(f, "numbers", message=f"{n} is also the number of {seen_numbers[n]}"))
            seen_numbers[n] = slug
        for lang in org.languages:
            if org.description and lang not in org.description:
                P.append(Problem(f, "description", lang, "missing translation"))
        for office in raw.offices.get(slug, []):
            if office.city not in org.cities:
                P.append(Problem(f, office.id, message=f"city {office.city!r} is not one of the org's cities {org.cities}"))
            for attr in ("names", "address"):
                for lang in org.languages:
                    if lang not in getattr(office, attr):
                        P.append(Problem(f, f"{office.id} {attr}", lang, "missing translation"))
        pf = f.replace("org.yaml", "places.yaml")
        for place in raw.places.get(slug, []):
            if place.id in place_ids:
                P.append(Problem(pf, place.id, message=f"duplicate place id (also in {place_ids[place.id]})"))
            place_ids[place.id] = pf
            if place.city not in org.cities:
                P.append(Problem(pf, place.id, message=f"city {place.city!r} is not one of the org's cities {org.cities}"))
            if place.lat is None or place.lon is None:
                P.append(Problem(pf, place.id, message="coordinates missing"))
            for lang in org.languages:
                if lang not in place.names:
                    P.append(Problem(pf, place.id, lang, "missing translation (names)"))
            for lang in place.names:
                if lang not in langs:
                    P.append(Problem(pf, place.id, lang, f"unknown language {lang!r}"))
        for kind, items in (("programmes", raw.programmes.get(slug, [])), ("guides", raw.guides.get(slug, []))):
            kf = f.replace("org.yaml", f"{kind}.yaml")
            ids = Counter(it.id for it in items)
            for iid, n in ids.items():
                if n > 1:
                    P.append(Problem(kf, iid, message="duplicate id"))
            for it in items:
                for city in it.cities:
                    if city not in org.cities:
                        P.append(Problem(kf, it.id, message=f"unknown city {city!r} (org cities: {org.cities})"))
                for trade in it.trades:
                    if trade not in trades or (org.trades and trade not in org.trades):
                        P.append(Problem(kf, it.id, message=f"unknown trade {trade!r} (org trades: {org.trades})"))


def check_keywords(raw: RawContent, rep: Report, langs: list[str]) -> None:
    for group in CONTRACT_KEYWORD_GROUPS:
        if group not in raw.keywords:
            rep.problems.append(Problem("keywords.yaml", group, message="keyword group missing (used by the bot)"))
    for group, per_lang in raw.keywords.items():
        for lang in per_lang:
            if lang != "any" and lang not in raw.languages:
                rep.problems.append(Problem("keywords.yaml", group, lang, f"unknown language {lang!r}"))
        if group in CONTRACT_KEYWORD_GROUPS:
            for lang in langs:
                if not per_lang.get(lang):
                    rep.problems.append(Problem("keywords.yaml", group, lang, "missing translation"))
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for group, per_lang in raw.keywords.items():
        for lang, words in per_lang.items():
            for w in words:
                if w != w.strip().lower():
                    rep.problems.append(Problem("keywords.yaml", group, lang, f"write {w!r} lower-case and trimmed"))
                owners[(lang, w.strip().lower())].append(group)
    for (lang, w), groups in sorted(owners.items()):
        if len(set(groups)) > 1:
            rep.warnings.append(Problem("keywords.yaml", "/".join(sorted(set(groups))), lang, f"{w!r} is in several groups"))


def check_choices(raw: RawContent, rep: Report, langs: list[str]) -> None:
    """Every option of every list has a label in every system language; within one list no two
    options share an answer word in a language (the worker's word would pick either)."""
    for name in CONTRACT_CHOICE_LISTS:
        if name not in raw.choices:
            rep.problems.append(Problem("choices.yaml", name, message="option list missing (the bot reads it)"))
    for name, listing in raw.choices.items():
        for option in listing.options:
            for lang in langs:
                if lang not in option.labels:
                    rep.problems.append(Problem("choices.yaml", f"{name}.{option.value}", lang, "missing label"))
        for lang in langs:
            owners: dict[str, set[str]] = defaultdict(set)
            for option in listing.options:
                for word in option.answers([lang]):
                    owners[word.casefold().strip()].add(option.value)
            for word, values in sorted(owners.items()):
                if len(values) > 1:
                    rep.problems.append(Problem("choices.yaml", name, lang,
                                                f"{word!r} answers several options: {', '.join(sorted(values))}"))


def check_refs(raw: RawContent, rep: Report) -> None:
    for file, owner, kind, target in raw.refs:
        org = file.split("/")[-2] if "/" in file else ""
        if kind == "place":
            ok = any(p.id == target for p in raw.places.get(org, []))
        elif kind == "office":
            ok = any(o.id == target for o in raw.offices.get(org, []))
        else:
            ok = any(g.id == target for g in raw.guides.get(org, []))
        if not ok:
            rep.problems.append(Problem(file, owner, message=f"unknown {kind} reference {target!r} (not in {org}'s {kind}s)"))
    for slug, guides in raw.guides.items():
        for g in guides:
            if g.topic not in GUIDE_TOPICS:
                pass  # reported by the loader

