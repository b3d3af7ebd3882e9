"""Checks of the message texts: every key registered in keys.yaml, every translation present, every
channel covered, and each text using exactly the variables its key takes."""
from __future__ import annotations

from typing import Any

from content.raw import RawContent
from content.texts import entry_channel, template_variables
from content.types import CHANNELS, Problem, Report

AUTO_VARIABLES = ("org", "languages", "programmes", "guides")


def check_messages(raw: RawContent, rep: Report, langs: list[str], key_registry: dict[str, Any],
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

