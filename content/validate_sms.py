"""Checks of the rendered texts: every text of every (organization, language) rendered with the longest
realistic values must fit one SMS segment, be GSM-7 where the language is, carry no emoji, and (on
WhatsApp) stay within Twilio's 1600 characters."""
from __future__ import annotations

import unicodedata
from typing import Any

from content.catalog import Catalog
from content.raw import RawContent
from content.sms import non_gsm7_chars, segment_info, smart_encode
from content.texts import template_variables
from content.types import CHANNELS, FALLBACK_LANGUAGE, Problem, Report

WHATSAPP_MAX = 1600


def _is_emoji(c: str) -> bool:
    cp = ord(c)
    return cp == 0xFE0F or 0x2600 <= cp <= 0x27BF or (cp > 0xFFFF and unicodedata.category(c) == "So") \
        or (0x2190 <= cp and unicodedata.category(c) == "So")


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


def check_budgets(raw: RawContent, catalog: Catalog, rep: Report, var_registry: dict[str, Any],
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

