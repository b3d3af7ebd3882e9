"""Validate the content tree: ``python -m content.validate [ROOT] [-v]`` (make content-check).

Reports, as ``file: key [lang]: problem``, and exits 1 when there is any:
  * structural problems (bad YAML, wrong types, unknown kinds/topics/languages, duplicate ids/numbers)
  * missing translations (system messages: every system language; org texts: the org's languages)
  * unknown references (places, offices, guides, cities, trades, message keys, variables)
  * SMS variants that, rendered with the longest realistic variable values, need more than one
    segment, contain emoji, or are UCS-2 without need (a curly quote, a dash ...) or in a GSM-7 language
  * WhatsApp texts over Twilio's 1600-character limit
Warnings (printed, exit 0): keyword words shared by two groups in one language.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from content.catalog import (
    CHANNELS,
    FALLBACK_LANGUAGE,
    GUIDE_TOPICS,
    TRADES,
    Catalog,
    Problem,
    RawContent,
    default_root,
    entry_channel,
    load_raw,
    template_variables,
)
from content.sms import non_gsm7_chars, segment_info, smart_encode

CONTRACT_KEYWORD_GROUPS = ("menu", "greet", "help", "language")
AUTO_VARIABLES = ("org", "languages", "programmes", "guides")
WHATSAPP_MAX = 1600


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sms_checked: int = 0
    whatsapp_checked: int = 0
    segments: Counter = field(default_factory=Counter)  # (encoding, segments) -> count
    worst: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # lang -> (units, limit, where)

    @property
    def ok(self) -> bool:
        return not self.problems


def _is_emoji(c: str) -> bool:
    cp = ord(c)
    return cp == 0xFE0F or 0x2600 <= cp <= 0x27BF or (cp > 0xFFFF and unicodedata.category(c) == "So") \
        or (0x2190 <= cp and unicodedata.category(c) == "So")


def validate(root: Path | str | None = None) -> Report:
    root = Path(root) if root is not None else default_root()
    raw = load_raw(root)
    rep = Report(problems=list(raw.problems))
    if not raw.languages:
        return rep
    langs = raw.system_languages
    key_registry, var_registry = _registries(raw, rep)
    _check_orgs(raw, rep)
    _check_keywords(raw, rep, langs)
    _check_choices(raw, rep, langs)
    _check_refs(raw, rep)
    _check_messages(raw, rep, langs, key_registry, var_registry)
    if rep.problems and any("bad YAML" in p.message or "file missing" in p.message for p in rep.problems):
        return rep  # the catalog cannot be built faithfully; the budget check would only add noise
    try:
        catalog = Catalog(raw)
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        rep.problems.append(Problem(str(root), message=f"catalog cannot be built: {exc!r}"))
        return rep
    _check_budgets(raw, catalog, rep, var_registry, key_registry)
    return rep


# --------------------------------------------------------------------------- registries


def _registries(raw: RawContent, rep: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    from content.catalog import read_yaml

    keys: dict[str, Any] = {}
    f = raw.root / "keys.yaml"
    data = read_yaml(f, rep.problems, raw.root) if f.exists() else None
    if f.exists() and not isinstance(data, dict):
        rep.problems.append(Problem("keys.yaml", message="must map message key -> {doc, vars}"))
    for key, meta in (data or {}).items() if isinstance(data, dict) else []:
        meta = meta or {}
        if not isinstance(meta, dict) or not isinstance(meta.get("vars", []), list):
            rep.problems.append(Problem("keys.yaml", str(key), message="must be {doc: ..., vars: [...]}"))
            continue
        keys[str(key)] = meta
    for name, meta in raw.variables.items():
        src = meta.get("source")
        if src not in ("auto", "sample", "place_name", "place_options", "keys", "choice"):
            rep.problems.append(Problem("variables.yaml", name, message=f"unknown source {src!r}"))
        if src == "sample" and not isinstance(meta.get("sample"), dict):
            rep.problems.append(Problem("variables.yaml", name, message="a sample variable needs sample: {lang|any: value}"))
    return keys, raw.variables


# --------------------------------------------------------------------------- organizations


def _check_orgs(raw: RawContent, rep: Report) -> None:
    P = rep.problems
    langs = set(raw.languages)
    seen_numbers: dict[str, str] = {}
    place_ids: dict[str, str] = {}
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
            if trade not in TRADES:
                P.append(Problem(f, "trades", message=f"unknown trade {trade!r} (one of {', '.join(TRADES)})"))
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
                    if trade not in TRADES or (org.trades and trade not in org.trades):
                        P.append(Problem(kf, it.id, message=f"unknown trade {trade!r} (org trades: {org.trades})"))


def _check_keywords(raw: RawContent, rep: Report, langs: list[str]) -> None:
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


def _check_choices(raw: RawContent, rep: Report, langs: list[str]) -> None:
    """Every option of every list has a label in every system language; within one list no two
    options share an answer word in a language (the worker's word would pick either)."""
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


def _check_refs(raw: RawContent, rep: Report) -> None:
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


# --------------------------------------------------------------------------- messages


def _check_messages(raw: RawContent, rep: Report, langs: list[str], key_registry: dict[str, Any],
                    var_registry: dict[str, Any]) -> None:
    P = rep.problems
    item_keys = {f"relief.{p.id}" for ps in raw.programmes.values() for p in ps} | \
                {f"guide.{g.id}" for gs in raw.guides.values() for g in gs}
    item_keys |= {k + ".title" for k in item_keys}
    system_keys = {k for (o, k) in raw.messages if o is None}
    if key_registry:
        for key in key_registry:
            if key not in system_keys:
                P.append(Problem("messages/", key, message="key listed in keys.yaml has no system text"))
    for (org, key), per_lang in sorted(raw.messages.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        some_file = raw.sources.get((org, key, next(iter(per_lang))), "")
        if key_registry and key not in key_registry and key not in item_keys:
            P.append(Problem(some_file, key, message="unknown message key (not in keys.yaml; typo?)"))
        if org is None:
            needed = langs
        else:
            needed = raw.orgs[org].languages
        for lang in needed:
            if lang not in per_lang:
                file = f"messages/{lang}.yaml" if org is None else some_file
                P.append(Problem(_in_root(raw, file), key, lang, "missing translation"))
        for lang in per_lang:
            if lang not in raw.languages:
                P.append(Problem(raw.sources[(org, key, lang)], key, lang, f"unknown language {lang!r}"))
            elif org is not None and lang not in raw.orgs[org].languages and lang not in raw.orgs[org].menu_languages:
                P.append(Problem(raw.sources[(org, key, lang)], key, lang,
                                 f"language {lang!r} is not one of {org}'s languages (never shown)"))
        required = set((key_registry.get(key) or {}).get("vars", []))
        channels = (key_registry.get(key) or {}).get("channels") or CHANNELS
        for lang, entry in per_lang.items():
            file = raw.sources[(org, key, lang)]
            for channel in channels:
                if entry_channel(entry, channel) is None:
                    P.append(Problem(file, key, lang, f"no {channel} variant and no generic text"))
            for channel, pages in entry.items():
                if not isinstance(pages, tuple):
                    continue  # composed WhatsApp text, checked after composition
                for page in pages:
                    if not page.strip():
                        P.append(Problem(file, key, lang, f"empty {channel if channel != '*' else 'text'}"))
                        continue
                    try:
                        used = set(template_variables(page))
                    except ValueError:
                        continue  # reported by the loader
                    for v in sorted(used - required - set(AUTO_VARIABLES)):
                        hint = "" if v in var_registry else " (not in variables.yaml)"
                        P.append(Problem(file, key, lang, f"{_ch(channel)}: unknown variable {{{v}}}{hint}; "
                                                          f"this key takes {sorted(required) or 'none'}"))
                    if len(pages) == 1 or page is pages[0]:
                        for v in sorted(required - used):
                            P.append(Problem(file, key, lang, f"{_ch(channel)}: does not use {{{v}}}"))


def _ch(channel: str) -> str:
    return "text" if channel == "*" else channel


def _in_root(raw: RawContent, rel: str) -> str:
    if rel.startswith(raw.root.name + "/") or "/" in rel and rel.split("/")[0] in ("orgs",):
        return rel
    return f"{raw.root.name}/{rel}"


# --------------------------------------------------------------------------- SMS budgets


def _longest(values: list[str]) -> str:
    return max(values, key=lambda v: (segment_info(v).units, v)) if values else ""


def _samples(raw: RawContent, catalog: Catalog, var_registry: dict[str, Any], org: str | None, lang: str,
             channel: str) -> dict[str, str]:
    values: dict[str, str] = {}
    orgs = [org] if org else [o for o, v in raw.orgs.items() if lang in v.languages or lang in v.menu_languages] or list(raw.orgs)
    places = [p for o in orgs for p in raw.places.get(o, [])]
    for name, meta in var_registry.items():
        src = meta.get("source")
        if src == "sample":
            sample = meta.get("sample") or {}
            values[name] = str(sample.get(lang, sample.get("any", name)))
        elif src == "place_name":
            values[name] = _longest([p.name(lang) for p in places]) or "Market"
        elif src == "place_options":
            names = sorted((p.name(lang) for p in places), key=lambda v: -segment_info(v).units)[:3]
            values[name] = catalog.numbered(names, channel)
        elif src == "choice":
            values[name] = catalog.choice_text(name, lang, channel) if name in catalog.choices else name
        elif src == "keys":
            prefix = meta.get("prefix", "")
            texts = [catalog.text(org, k, lang, channel) for k in catalog.keys(org) if k.startswith(prefix)]
            values[name] = _longest(texts)
    if org is None:  # system texts: the longest org short name
        values["org"] = _longest([o.short_name for o in raw.orgs.values()]) or "Streetline"
    return values


def _check_budgets(raw: RawContent, catalog: Catalog, rep: Report, var_registry: dict[str, Any],
                   key_registry: dict[str, Any]) -> None:
    """Render every text of every (org, language) a worker can be in, with the longest values."""
    contexts: list[tuple[str | None, str]] = [(None, lang) for lang in catalog.languages]
    for slug, org in raw.orgs.items():
        contexts += [(slug, lang) for lang in dict.fromkeys([*org.languages, *org.menu_languages])]
    found: dict[tuple[str, str, str, str, str], tuple[int, Problem]] = {}
    for org, lang in contexts:
        samples = {ch: _samples(raw, catalog, var_registry, org, lang, ch) for ch in CHANNELS}
        for key in sorted(catalog.keys(org)):
            # Where the resolved text comes from (a fallback may be another language's text).
            chain = (lang, raw.orgs[org].default_language, FALLBACK_LANGUAGE) if org else (lang, FALLBACK_LANGUAGE)
            src = next(((o, key, l) for o in ((org, None) if org else (None,)) for l in chain
                        if (o, key, l) in raw.sources), None)
            file, src_lang = (raw.sources[src], src[2]) if src else ("?", lang)
            channels = (key_registry.get(key) or {}).get("channels") or CHANNELS
            for channel in channels:
                try:
                    templates = catalog.template(org, key, lang, channel)
                    pages = catalog.pages(org, key, lang, channel, **samples[channel])
                except (KeyError, ValueError, IndexError) as exc:
                    _keep(found, Problem(file, key, src_lang, f"{channel}: no text or cannot render: {exc}"), 0)
                    continue
                for i, (page, tmpl) in enumerate(zip(pages, templates), 1):
                    where = f"{channel}" + (f" page {i}/{len(pages)}" if len(pages) > 1 else "")
                    if channel == "whatsapp":
                        rep.whatsapp_checked += 1
                        if len(page) > WHATSAPP_MAX:
                            _keep(found, Problem(file, key, src_lang, f"{where}: {len(page)} characters, over Twilio's {WHATSAPP_MAX}"), len(page))
                        continue
                    rep.sms_checked += 1
                    for units, problem in _check_sms(rep, file, key, src_lang, where, page, tmpl, catalog.sms_is_gsm7(None, src_lang), samples[channel], org):
                        _keep(found, problem, units)
    rep.problems.extend(p for _, p in found.values())


def _keep(found: dict, problem: Problem, units: int) -> None:
    """One problem per (file, key, lang, where, kind): the worst rendering."""
    kind = problem.message.split(":", 1)[0] + ("seg" if "segments" in problem.message else problem.message[-30:])
    tag = (problem.file, problem.key, problem.lang, kind, "")
    if tag not in found or found[tag][0] < units:
        found[tag] = (units, problem)


def _word_at(text: str, i: int) -> str:
    a = i
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    b = i
    while b < len(text) and not text[b].isspace():
        b += 1
    return text[a:b].strip(".,:;!?\"'()")


def _check_sms(rep: Report, file: str, key: str, lang: str, where: str, page: str, tmpl: str, policy_gsm: bool,
               samples: dict[str, str], org: str | None):
    info = segment_info(page)
    rep.segments[(info.encoding, info.segments)] += 1
    limit = 160 if info.encoding == "GSM-7" else 70
    worst = rep.worst.get(lang)
    if worst is None or info.units / limit > worst[0] / worst[1]:
        rep.worst[lang] = (info.units, limit, f"{org or 'system'}:{key}")
    emoji = [c for c in tmpl if _is_emoji(c)]
    if emoji:
        yield 0, Problem(file, key, lang, f"{where}: emoji {''.join(emoji)!r} in an SMS variant (no emoji in SMS)")
    bad = non_gsm7_chars(tmpl)
    if bad and policy_gsm:
        desc = ", ".join(f"{c!r} (U+{ord(c):04X}) in {_word_at(tmpl, i)!r}" for i, c in bad[:3])
        if not non_gsm7_chars(smart_encode(tmpl)):
            yield 0, Problem(file, key, lang, f"{where}: needless UCS-2 (70 instead of 160 characters per SMS) because "
                                              f"of {desc}: write {smart_encode(bad[0][1])!r} instead")
        else:
            folded = smart_encode(tmpl, fold_accents=True)
            hint = (f": write {smart_encode(_word_at(tmpl, bad[0][0]), fold_accents=True)!r}, GSM-7 has no "
                    f"{bad[0][1]!r}") if not non_gsm7_chars(folded) else ""
            yield 0, Problem(file, key, lang, f"{where}: not GSM-7 because of {desc}{hint} ({lang} SMS must be GSM-7)")
    elif bad:
        looks = [(i, c) for i, c in bad if not non_gsm7_chars(smart_encode(c))]
        if looks:
            i, c = looks[0]
            yield 0, Problem(file, key, lang, f"{where}: look-alike {c!r} (U+{ord(c):04X}) in {_word_at(tmpl, i)!r}: "
                                              f"write {smart_encode(c)!r}")
    if info.segments > 1:
        used = [v for v in template_variables(tmpl) if v in samples]
        with_values = f" with longest values {', '.join(f'{v}={samples[v]!r}' for v in dict.fromkeys(used))}" if used else ""
        yield info.units, Problem(file, key, lang, f"{where}: {info.segments} SMS segments ({info.encoding}, "
                                                   f"{info.units}/{limit} units{with_values}); must fit one")


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m content.validate", description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", help="content folder (default: $CONTENT_DIR or the content package)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print warnings and statistics")
    ap.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    args = ap.parse_args(argv)
    rep = validate(args.root)
    for p in rep.problems:
        print(f"ERROR {p}", file=sys.stderr)
    if args.verbose:
        for w in rep.warnings:
            print(f"warning {w}")
    if not args.quiet:
        seg = ", ".join(f"{n} {enc} in {s} segment{'s' if s != 1 else ''}" for (enc, s), n in sorted(rep.segments.items()))
        print(f"content: {rep.sms_checked} SMS texts ({seg or 'none'}) and {rep.whatsapp_checked} WhatsApp texts checked; "
              f"{len(rep.problems)} problem(s), {len(rep.warnings)} warning(s)")
        if args.verbose:
            for lang, (units, limit, where) in sorted(rep.worst.items()):
                print(f"  longest {lang} SMS: {units}/{limit} units ({where})")
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
