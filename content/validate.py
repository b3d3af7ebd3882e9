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
from pathlib import Path
from typing import Any

from content.catalog import Catalog
from content.loader import default_root, load_raw
from content.raw import RawContent, read_yaml
from content.types import Problem, Report  # noqa: F401  Report: callers import it from here too
from content.validate_orgs import check_choices, check_keywords, check_orgs, check_refs
from content.validate_sms import check_budgets
from content.validate_texts import check_messages


def validate(root: Path | str | None = None) -> Report:
    root = Path(root) if root is not None else default_root()
    raw = load_raw(root)
    rep = Report(problems=list(raw.problems))
    if not raw.languages:
        return rep
    langs = raw.system_languages
    key_registry, var_registry = _registries(raw, rep)
    check_orgs(raw, rep)
    check_keywords(raw, rep, langs)
    check_choices(raw, rep, langs)
    check_refs(raw, rep)
    check_messages(raw, rep, langs, key_registry, var_registry)
    if rep.problems and any("bad YAML" in p.message or "file missing" in p.message for p in rep.problems):
        return rep  # the catalog cannot be built faithfully; the budget check would only add noise
    try:
        catalog = Catalog(raw)
    except Exception as exc:  # noqa: BLE001 - report, don't crash
        rep.problems.append(Problem(str(root), message=f"catalog cannot be built: {exc!r}"))
        return rep
    check_budgets(raw, catalog, rep, var_registry, key_registry)
    return rep


# --------------------------------------------------------------------------- registries


def _registries(raw: RawContent, rep: Report) -> tuple[dict[str, Any], dict[str, Any]]:
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
