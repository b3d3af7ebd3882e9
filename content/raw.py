"""Reading YAML files and what was read from disk before resolution (RawContent): the loader
fills it, the validator checks it, the Catalog is built from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from content.texts import GENERIC, Entry, parse_entry, template_variables
from content.types import Guide, Office, Organization, Place, Problem, Programme

try:  # libyaml is ~10x faster; fall back to the pure-Python loader.
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


def read_yaml(path: Path, problems: list[Problem], root: Path) -> Any:
    rel = rel_path(path, root)
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=_YamlLoader)  # noqa: S506 - CSafeLoader / SafeLoader
    except FileNotFoundError:
        problems.append(Problem(rel, message="file missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.append(Problem(rel, message=f"bad YAML: {where}{getattr(exc, 'problem', None) or exc}"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, message=f"cannot read: {exc}"))
    return None


def rel_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


@dataclass
class RawContent:
    """Everything read from disk, before resolution. The validator works on this."""

    root: Path
    languages: dict[str, dict[str, Any]] = field(default_factory=dict)
    system_languages: list[str] = field(default_factory=list)
    keywords: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (org slug or None, key) -> lang -> entry; plus where it came from
    messages: dict[tuple[str | None, str], dict[str, Entry]] = field(default_factory=dict)
    sources: dict[tuple[str | None, str, str], str] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    org_files: dict[str, str] = field(default_factory=dict)
    places: dict[str, list[Place]] = field(default_factory=dict)
    offices: dict[str, list[Office]] = field(default_factory=dict)
    programmes: dict[str, list[Programme]] = field(default_factory=dict)
    guides: dict[str, list[Guide]] = field(default_factory=dict)
    choices: Mapping[str, Any] = field(default_factory=dict)  # name -> content.choices.ChoiceList
    refs: list[tuple[str, str, str, str]] = field(default_factory=list)  # (file, owner, kind, target id)
    problems: list[Problem] = field(default_factory=list)


def str_list(v: Any) -> list[str] | None:
    if isinstance(v, list) and all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in v):
        return [str(x) for x in v]
    return None


def to_float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def add_message(raw: RawContent, org: str | None, key: str, lang: str, value: Any, file: str) -> None:
    entry = parse_entry(value)
    if isinstance(entry, str):
        raw.problems.append(Problem(file, key, lang, entry))
        return
    for channel, pages in entry.items():
        for page in pages:
            try:
                template_variables(page)
            except ValueError as exc:
                raw.problems.append(Problem(file, key, lang, f"{'text' if channel == GENERIC else channel}: {exc}"))
                return
    raw.messages.setdefault((org, key), {})[lang] = entry
    raw.sources[(org, key, lang)] = file

