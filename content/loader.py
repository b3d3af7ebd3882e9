"""Load the content tree from disk (``load_raw``): languages, keywords, variables, the system
messages of each language, the option lists, then each organization's folder (content/loader_org.py)."""
from __future__ import annotations

import os
from pathlib import Path

from content.choices import load_choices
from content.loader_org import load_org
from content.raw import RawContent, add_message, read_yaml, rel_path, str_list
from content.types import Problem


def default_root() -> Path:
    env = os.environ.get("CONTENT_DIR")
    return Path(env) if env else Path(__file__).resolve().parent


def load_raw(root: Path) -> RawContent:
    raw = RawContent(root=root)
    P = raw.problems

    # languages.yaml
    f = root / "languages.yaml"
    data = read_yaml(f, P, root)
    if isinstance(data, dict) and isinstance(data.get("languages"), dict):
        for code, meta in data["languages"].items():
            if not isinstance(meta, dict):
                P.append(Problem(rel_path(f, root), str(code), message="must be a mapping"))
                continue
            raw.languages[str(code)] = meta
        raw.system_languages = str_list(data.get("system_languages")) or list(raw.languages)
    elif data is not None:
        P.append(Problem(rel_path(f, root), message="needs a 'languages' mapping"))

    # keywords.yaml: group -> lang (or "any") -> [words]
    f = root / "keywords.yaml"
    data = read_yaml(f, P, root)
    if isinstance(data, dict):
        for group, per_lang in data.items():
            if isinstance(group, bool):
                P.append(Problem(rel_path(f, root), str(group), message="YAML read this group name as a boolean: quote it"))
                continue
            if not isinstance(per_lang, dict):
                P.append(Problem(rel_path(f, root), str(group), message="must map language -> list of words"))
                continue
            raw.keywords[str(group)] = {}
            for lang, words in per_lang.items():
                wl = str_list(words)
                if wl is None:
                    hint = " (YAML reads unquoted yes/no/y/n/on/off as booleans: quote them)" if isinstance(words, list) and any(isinstance(w, bool) for w in words) else ""
                    P.append(Problem(rel_path(f, root), str(group), str(lang), "must be a list of words" + hint))
                    continue
                raw.keywords[str(group)][str(lang)] = wl
    elif data is not None:
        P.append(Problem(rel_path(f, root), message="must map keyword group -> language -> words"))

    # variables.yaml (used by the validator to measure SMS with realistic longest values)
    f = root / "variables.yaml"
    if f.exists():
        data = read_yaml(f, P, root)
        if isinstance(data, dict):
            for name, meta in data.items():
                if isinstance(meta, dict):
                    raw.variables[str(name)] = meta
                else:
                    P.append(Problem(rel_path(f, root), str(name), message="must be a mapping"))

    # messages/<lang>.yaml: key -> entry
    for lang in raw.languages:
        f = root / "messages" / f"{lang}.yaml"
        if not f.exists():
            P.append(Problem(rel_path(f, root), lang=lang, message="file missing (every language needs its system messages)"))
            continue
        data = read_yaml(f, P, root)
        if data is None:
            continue
        if not isinstance(data, dict):
            P.append(Problem(rel_path(f, root), lang=lang, message="must map message key -> text"))
            continue
        for key, value in data.items():
            add_message(raw, None, str(key), lang, value, rel_path(f, root))

    # choices.yaml: the option lists of the forms
    raw.choices = load_choices(root, read_yaml, P, Problem)

    # orgs/<slug>/
    orgs_dir = root / "orgs"
    for org_dir in sorted(p for p in orgs_dir.iterdir() if p.is_dir()) if orgs_dir.is_dir() else []:
        load_org(raw, org_dir)
    return raw

