"""Load the YAML content tree into an immutable, dict-backed Catalog.

Loading parses every file once; ``load_catalog()`` caches the result per root. All text lookups are
pre-resolved at load time (language and channel fallbacks included), so ``Catalog.text`` is one dict
lookup plus ``str.format_map``.
"""
from __future__ import annotations

import functools
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from content.choices import ChoiceList, load_choices
from content.sms import smart_encode

try:  # libyaml is ~10x faster; fall back to the pure-Python loader.
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader

__all__ = [
    "CHANNELS",
    "Catalog",
    "ContentError",
    "Guide",
    "Office",
    "Organization",
    "Place",
    "Problem",
    "Programme",
    "load_catalog",
    "default_root",
    "PLACE_KINDS",
]

CHANNELS = ("sms", "whatsapp")
PLACE_KINDS = ("market", "feria", "mandi", "dumpsite", "area")
FALLBACK_LANGUAGE = "en"
_GENERIC = "*"  # pseudo-channel: the generic text (used for channels other than sms/whatsapp)
_FORMATTER = string.Formatter()
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    file: str
    key: str = ""
    lang: str = ""
    message: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.key:
            where += f": {self.key}"
        if self.lang:
            where += f" [{self.lang}]"
        return f"{where}: {self.message}"


class ContentError(Exception):
    """Broken content. ``problems`` lists every (file, key, lang, message) found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  ... and {len(self.problems) - 50} more" if len(self.problems) > 50 else ""
        super().__init__(f"{len(self.problems)} content problem(s):\n{lines}{more}")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Organization:
    slug: str
    name: str
    numbers: list[str]
    cities: list[str]
    languages: list[str]
    default_language: str
    organizers: list[str]
    demo: bool
    # Beyond docs/contracts.md:
    short_name: str = ""  # fits an SMS; rendered as {org}
    menu_languages: list[str] = field(default_factory=list)  # offered by language.menu, in order
    trades: list[str] = field(default_factory=list)  # vendor | waste-picker
    description: Mapping[str, str] = field(default_factory=dict)  # per language
    # Organizer SMS commands that change what workers are told wait for a one-time code sent back to
    # the organizer's number: caller ID can be spoofed, the reply to the real number cannot be read.
    confirm_commands: bool = False
    # An IANA zone name (checked against zoneinfo at load): what "today" and a report's day mean.
    timezone: str = "UTC"
    # How long message bodies (of non-members and finished conversations) and report media are kept:
    # org.yaml `retention: {messages_days: 90, media_days: 180}` (bot/desk/retention.py purges daily).
    retention_messages_days: int = 90
    retention_media_days: int = 180

    def is_organizer(self, number: str) -> bool:
        return normalize_number(number) in self.organizers


@dataclass(frozen=True)
class Place:
    id: str
    kind: str  # market | feria | mandi | dumpsite | area
    city: str
    names: dict[str, list[str]]  # lang -> names; the first one is the display name
    lat: float | None
    lon: float | None
    # Beyond docs/contracts.md:
    org: str = ""
    # Optional boundary for maps: ((lat, lon), ...) with at least 3 corners; None draws a circle.
    outline: tuple[tuple[float, float], ...] | None = None

    def name(self, lang: str) -> str:
        """Display name in ``lang`` (falls back to any language's first name)."""
        names = self.names.get(lang) or self.names.get(FALLBACK_LANGUAGE) or next(iter(self.names.values()), [self.id])
        return names[0]

    def all_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for names in self.names.values():
            for n in names:
                seen.setdefault(n, None)
        return list(seen)


@dataclass(frozen=True)
class Office:
    id: str
    org: str
    city: str
    names: dict[str, str]
    address: dict[str, str]
    hours: dict[str, str]
    lat: float | None
    lon: float | None

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get(FALLBACK_LANGUAGE) or next(iter(self.names.values()), self.id)


@dataclass(frozen=True)
class Programme:
    """A relief programme. Its texts are the message keys ``relief.<id>`` (the answer, paged on SMS)
    and ``relief.<id>.title`` (one line, for lists)."""

    id: str
    org: str
    cities: list[str]
    trades: list[str]
    places: list[str]
    offices: list[str]
    guide: str | None

    @property
    def key(self) -> str:
        return f"relief.{self.id}"

    @property
    def title_key(self) -> str:
        return f"relief.{self.id}.title"


@dataclass(frozen=True)
class Guide:
    """A registration guide (topic: vendor-licence | waste-picker-id | relief-registration | membership).
    Texts: ``guide.<id>`` (paged on SMS) and ``guide.<id>.title``."""

    id: str
    org: str
    topic: str
    cities: list[str]
    trades: list[str]
    offices: list[str]

    @property
    def key(self) -> str:
        return f"guide.{self.id}"

    @property
    def title_key(self) -> str:
        return f"guide.{self.id}.title"


GUIDE_TOPICS = ("vendor-licence", "waste-picker-id", "relief-registration", "membership")
TRADES = ("vendor", "waste-picker")


def normalize_number(number: str) -> str:
    n = number.strip()
    if n.lower().startswith("whatsapp:"):
        n = n[9:]
    n = re.sub(r"[\s\-().]", "", n)
    if n.startswith("00"):
        n = "+" + n[2:]
    return n


# --------------------------------------------------------------------------- templates


class _Vars(dict):
    def __init__(self, key: str, values: Mapping[str, Any]):
        super().__init__(values)
        self._key = key

    def __missing__(self, name: str) -> Any:
        raise KeyError(f"message {self._key!r} needs variable {{{name}}}")


def template_variables(template: str) -> list[str]:
    """Variable names used by a template, in order. Raises ValueError on malformed braces."""
    names = []
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"bad placeholder: {exc} (write a literal brace as {{{{ or }}}})") from None
    for _literal, name, spec, conv in parsed:
        if name is None:
            continue
        if not _IDENT.match(name) or spec or conv:
            raise ValueError(f"bad placeholder {{{name}{'!' + conv if conv else ''}{':' + spec if spec else ''}}}"
                             " (use plain {lower_case_name})")
        names.append(name)
    return names


# --------------------------------------------------------------------------- YAML reading


def read_yaml(path: Path, problems: list[Problem], root: Path) -> Any:
    rel = _rel(path, root)
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


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


Pages = tuple[str, ...]
Entry = dict[str, Pages]  # channel ("sms" | "whatsapp" | "*") -> pages


def parse_entry(value: Any) -> Entry | str:
    """A message value -> {channel: pages}; returns an error string when malformed.

    Forms: ``"text"`` | ``{text: .., sms: .., whatsapp: ..}`` where each is a string or a list of
    page strings. ``text`` is the generic variant; sms/whatsapp override it on their channel.
    """
    def pages(v: Any) -> Pages | None:
        if isinstance(v, str):
            return (v.rstrip("\n"),)
        if isinstance(v, list) and v and all(isinstance(p, str) for p in v):
            return tuple(p.rstrip("\n") for p in v)
        return None

    if isinstance(value, (str, list)):
        p = pages(value)
        if p is None:
            return "must be a string, a list of page strings, or a mapping of text/sms/whatsapp"
        return {_GENERIC: p}
    if isinstance(value, dict):
        unknown = set(value) - {"text", "sms", "whatsapp"}
        if unknown:
            return f"unknown field(s) {sorted(unknown)} (allowed: text, sms, whatsapp)"
        out: Entry = {}
        for field_name, channel in (("text", _GENERIC), ("sms", "sms"), ("whatsapp", "whatsapp")):
            if field_name in value:
                p = pages(value[field_name])
                if p is None:
                    return f"{field_name}: must be a string or a non-empty list of strings"
                out[channel] = p
        if not out:
            return "needs a generic 'text' or 'sms' and 'whatsapp' variants"
        return out
    return "must be a string or a mapping of text/sms/whatsapp"


def entry_channel(entry: Entry, channel: str) -> Pages | None:
    """The pages for a channel: its own variant, else the generic text; for other channels (the
    generic pseudo-channel) the generic text, else the SMS variant. None: no text for that channel."""
    if channel in entry:
        return entry[channel]
    if _GENERIC in entry:
        return entry[_GENERIC]
    if channel == _GENERIC:
        return entry.get("sms") or entry.get("whatsapp")
    return None


# --------------------------------------------------------------------------- raw load


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


def _str_list(v: Any) -> list[str] | None:
    if isinstance(v, list) and all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in v):
        return [str(x) for x in v]
    return None


def _float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


def _outline(v: Any) -> tuple[tuple[tuple[float, float], ...] | None, str | None]:
    """A place's optional `outline`: a list of at least 3 [lat, lon] corners (the ring closes itself)."""
    if v is None:
        return None, None
    if not isinstance(v, list) or len(v) < 3:
        return None, "outline must be a list of at least 3 [lat, lon] corners"
    corners = []
    for corner in v:
        if not isinstance(corner, list) or len(corner) != 2:
            return None, "each outline corner must be [lat, lon]"
        lat, lon = _float(corner[0]), _float(corner[1])
        if lat is None or lon is None:
            return None, "outline corners must be numbers"
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None, "outline corner out of range"
        corners.append((lat, lon))
    return tuple(corners), None


def load_raw(root: Path) -> RawContent:
    raw = RawContent(root=root)
    P = raw.problems

    # languages.yaml
    f = root / "languages.yaml"
    data = read_yaml(f, P, root)
    if isinstance(data, dict) and isinstance(data.get("languages"), dict):
        for code, meta in data["languages"].items():
            if not isinstance(meta, dict):
                P.append(Problem(_rel(f, root), str(code), message="must be a mapping"))
                continue
            raw.languages[str(code)] = meta
        raw.system_languages = _str_list(data.get("system_languages")) or list(raw.languages)
    elif data is not None:
        P.append(Problem(_rel(f, root), message="needs a 'languages' mapping"))

    # keywords.yaml: group -> lang (or "any") -> [words]
    f = root / "keywords.yaml"
    data = read_yaml(f, P, root)
    if isinstance(data, dict):
        for group, per_lang in data.items():
            if isinstance(group, bool):
                P.append(Problem(_rel(f, root), str(group), message="YAML read this group name as a boolean: quote it"))
                continue
            if not isinstance(per_lang, dict):
                P.append(Problem(_rel(f, root), str(group), message="must map language -> list of words"))
                continue
            raw.keywords[str(group)] = {}
            for lang, words in per_lang.items():
                wl = _str_list(words)
                if wl is None:
                    hint = " (YAML reads unquoted yes/no/y/n/on/off as booleans: quote them)" if isinstance(words, list) and any(isinstance(w, bool) for w in words) else ""
                    P.append(Problem(_rel(f, root), str(group), str(lang), "must be a list of words" + hint))
                    continue
                raw.keywords[str(group)][str(lang)] = wl
    elif data is not None:
        P.append(Problem(_rel(f, root), message="must map keyword group -> language -> words"))

    # variables.yaml (used by the validator to measure SMS with realistic longest values)
    f = root / "variables.yaml"
    if f.exists():
        data = read_yaml(f, P, root)
        if isinstance(data, dict):
            for name, meta in data.items():
                if isinstance(meta, dict):
                    raw.variables[str(name)] = meta
                else:
                    P.append(Problem(_rel(f, root), str(name), message="must be a mapping"))

    # messages/<lang>.yaml: key -> entry
    for lang in raw.languages:
        f = root / "messages" / f"{lang}.yaml"
        if not f.exists():
            P.append(Problem(_rel(f, root), lang=lang, message="file missing (every language needs its system messages)"))
            continue
        data = read_yaml(f, P, root)
        if data is None:
            continue
        if not isinstance(data, dict):
            P.append(Problem(_rel(f, root), lang=lang, message="must map message key -> text"))
            continue
        for key, value in data.items():
            _add_message(raw, None, str(key), lang, value, _rel(f, root))

    # choices.yaml: the option lists of the forms
    raw.choices = load_choices(root, read_yaml, P, Problem)

    # orgs/<slug>/
    orgs_dir = root / "orgs"
    for org_dir in sorted(p for p in orgs_dir.iterdir() if p.is_dir()) if orgs_dir.is_dir() else []:
        _load_org(raw, org_dir)
    return raw


def _add_message(raw: RawContent, org: str | None, key: str, lang: str, value: Any, file: str) -> None:
    entry = parse_entry(value)
    if isinstance(entry, str):
        raw.problems.append(Problem(file, key, lang, entry))
        return
    for channel, pages in entry.items():
        for page in pages:
            try:
                template_variables(page)
            except ValueError as exc:
                raw.problems.append(Problem(file, key, lang, f"{'text' if channel == _GENERIC else channel}: {exc}"))
                return
    raw.messages.setdefault((org, key), {})[lang] = entry
    raw.sources[(org, key, lang)] = file


def _names(v: Any) -> dict[str, list[str]] | None:
    if not isinstance(v, dict):
        return None
    out = {}
    for lang, names in v.items():
        if isinstance(names, str):
            names = [names]
        nl = _str_list(names)
        if not nl:
            return None
        out[str(lang)] = nl
    return out


def _lang_str(v: Any) -> dict[str, str] | None:
    if v is None:
        return {}
    if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
        return {str(k): x for k, x in v.items()}
    return None


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: "../x" or ""; OSError: "Africa"
        return False
    return True


def _load_org(raw: RawContent, org_dir: Path) -> None:
    root, P = raw.root, raw.problems
    f = org_dir / "org.yaml"
    rel = _rel(f, root)
    data = read_yaml(f, P, root)
    if not isinstance(data, dict):
        if data is not None:
            P.append(Problem(rel, message="must be a mapping"))
        return
    slug = data.get("slug", org_dir.name)
    if slug != org_dir.name:
        P.append(Problem(rel, "slug", message=f"slug {slug!r} must equal its folder name {org_dir.name!r}"))
    bad = []
    lists = {}
    for name in ("numbers", "cities", "languages", "organizers"):
        lists[name] = _str_list(data.get(name))
        if lists[name] is None:
            bad.append(name)
    for name in ("name", "default_language"):
        if not isinstance(data.get(name), str) or not data.get(name):
            bad.append(name)
    if not isinstance(data.get("demo", False), bool):
        bad.append("demo")
    tz_name = data.get("timezone")
    if not isinstance(tz_name, str) or not _is_zone(tz_name):
        P.append(Problem(rel, "timezone", message=f"must be an IANA time zone like Africa/Nairobi, not {tz_name!r}"))
        tz_name = "UTC"
    retention = data.get("retention") or {}
    days = {}
    for name, default in (("messages_days", 90), ("media_days", 180)):
        value = retention.get(name, default) if isinstance(retention, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            P.append(Problem(rel, f"retention.{name}", message="must be a whole number of days, at least 1"))
            value = default
        days[name] = value
    if bad:
        for name in bad:
            P.append(Problem(rel, name, message="missing or of the wrong type"))
        return
    menu_languages = _str_list(data.get("menu_languages", lists["languages"])) or lists["languages"]
    trades = _str_list(data.get("trades", [])) or []
    description = _lang_str(data.get("description"))
    if description is None:
        P.append(Problem(rel, "description", message="must map language -> text"))
        description = {}
    org = Organization(
        slug=slug,
        name=data["name"],
        numbers=[normalize_number(n) for n in lists["numbers"]],
        cities=lists["cities"],
        languages=lists["languages"],
        default_language=data["default_language"],
        organizers=[normalize_number(n) for n in lists["organizers"]],
        demo=data.get("demo", False),
        short_name=str(data.get("short_name") or data["name"]),
        menu_languages=menu_languages,
        trades=trades,
        confirm_commands=data.get("confirm_commands", False) is True,
        description=MappingProxyType(description),
        timezone=tz_name,
        retention_messages_days=days["messages_days"],
        retention_media_days=days["media_days"],
    )
    raw.orgs[slug] = org
    raw.org_files[slug] = rel

    # offices (inside org.yaml)
    offices = []
    for i, o in enumerate(data.get("offices") or []):
        oid = o.get("id") if isinstance(o, dict) else None
        key = f"offices[{i}]" + (f" {oid}" if oid else "")
        if not isinstance(o, dict) or not isinstance(oid, str):
            P.append(Problem(rel, key, message="an office needs an id"))
            continue
        names, address, hours = _lang_str(o.get("names")), _lang_str(o.get("address")), _lang_str(o.get("hours"))
        if not names or address is None or hours is None or not isinstance(o.get("city"), str):
            P.append(Problem(rel, key, message="an office needs city, names/address/hours per language"))
            continue
        offices.append(Office(oid, slug, o["city"], names, address, hours, _float(o.get("lat")), _float(o.get("lon"))))
    raw.offices[slug] = offices

    # places.yaml
    f = org_dir / "places.yaml"
    rel_p = _rel(f, root)
    places: list[Place] = []
    pdata = read_yaml(f, P, root) if f.exists() else {"places": []}
    for i, p in enumerate((pdata or {}).get("places") or [] if isinstance(pdata, dict) else []):
        pid = p.get("id") if isinstance(p, dict) else None
        key = f"places[{i}]" + (f" {pid}" if pid else "")
        if not isinstance(p, dict) or not isinstance(pid, str):
            P.append(Problem(rel_p, key, message="a place needs an id"))
            continue
        names = _names(p.get("names"))
        lat, lon = _float(p.get("lat")), _float(p.get("lon"))
        problems = []
        if not names:
            problems.append("names must map language -> non-empty list of names")
        if p.get("kind") not in PLACE_KINDS:
            problems.append(f"kind {p.get('kind')!r} is not one of {', '.join(PLACE_KINDS)}")
        if not isinstance(p.get("city"), str):
            problems.append("city missing")
        if (p.get("lat") is not None and lat is None) or (p.get("lon") is not None and lon is None):
            problems.append("lat/lon must be numbers")
        if lat is not None and not -90 <= lat <= 90 or lon is not None and not -180 <= lon <= 180:
            problems.append("lat/lon out of range")
        outline, outline_problem = _outline(p.get("outline"))
        if outline_problem:
            problems.append(outline_problem)
        if problems:
            for m in problems:
                P.append(Problem(rel_p, key, message=m))
            continue
        places.append(Place(pid, p["kind"], p["city"], names, lat, lon, slug, outline))  # type: ignore[arg-type]
    raw.places[slug] = places

    # programmes.yaml / guides.yaml
    for fname, kind in (("programmes.yaml", "programme"), ("guides.yaml", "guide")):
        f = org_dir / fname
        if not f.exists():
            raw.programmes.setdefault(slug, []) if kind == "programme" else raw.guides.setdefault(slug, [])
            continue
        _load_items(raw, org, f, kind)

    # messages.yaml: org-specific texts/overrides, key -> lang -> entry
    f = org_dir / "messages.yaml"
    if f.exists():
        data = read_yaml(f, P, root)
        rel_m = _rel(f, root)
        if isinstance(data, dict):
            for key, per_lang in data.items():
                if not isinstance(per_lang, dict):
                    P.append(Problem(rel_m, str(key), message="must map language -> text"))
                    continue
                for lang, value in per_lang.items():
                    _add_message(raw, slug, str(key), str(lang), value, rel_m)
        elif data is not None:
            P.append(Problem(rel_m, message="must map key -> language -> text"))


_RELIEF_FIELDS = ("title", "who", "what", "where", "when", "how")
_GUIDE_FIELDS = ("title", "steps", "documents", "fees")


def _load_items(raw: RawContent, org: Organization, f: Path, kind: str) -> None:
    root, P = raw.root, raw.problems
    rel = _rel(f, root)
    data = read_yaml(f, P, root)
    listname = "programmes" if kind == "programme" else "guides"
    items = data.get(listname) if isinstance(data, dict) else None
    if data is not None and not isinstance(items, list):
        P.append(Problem(rel, message=f"needs a '{listname}' list"))
    out: list[Any] = []
    for i, it in enumerate(items or []):
        iid = it.get("id") if isinstance(it, dict) else None
        key = f"{listname}[{i}]" + (f" {iid}" if iid else "")
        if not isinstance(it, dict) or not isinstance(iid, str):
            P.append(Problem(rel, key, message=f"a {kind} needs an id"))
            continue
        cities, trades = _str_list(it.get("cities", org.cities)), _str_list(it.get("trades", org.trades))
        offices = _str_list(it.get("offices", []))
        texts = it.get("texts")
        if cities is None or trades is None or offices is None or not isinstance(texts, dict):
            P.append(Problem(rel, iid, message="cities/trades/offices must be lists and texts a language mapping"))
            continue
        for o in offices:
            raw.refs.append((rel, iid, "office", o))
        if kind == "programme":
            places = _str_list(it.get("places", [])) or []
            guide = it.get("guide")
            for p in places:
                raw.refs.append((rel, iid, "place", p))
            if guide is not None:
                raw.refs.append((rel, iid, "guide", str(guide)))
            out.append(Programme(iid, org.slug, cities, trades, places, offices, guide))
            base = f"relief.{iid}"
        else:
            topic = it.get("topic")
            if topic not in GUIDE_TOPICS:
                P.append(Problem(rel, iid, message=f"topic {topic!r} is not one of {', '.join(GUIDE_TOPICS)}"))
            out.append(Guide(iid, org.slug, str(topic), cities, trades, offices))
            base = f"guide.{iid}"
        for lang, t in texts.items():
            lang = str(lang)
            if not isinstance(t, dict):
                P.append(Problem(rel, iid, lang, "texts must be a mapping"))
                continue
            fields = _RELIEF_FIELDS if kind == "programme" else _GUIDE_FIELDS
            missing = [n for n in fields if not t.get(n)]
            if missing:
                P.append(Problem(rel, iid, lang, f"missing field(s): {', '.join(missing)}"))
                continue
            wrong = [n for n in fields if n != "title" and not (
                isinstance(t[n], str) if n not in ("steps", "documents") else _str_list(t[n]))]
            if wrong:
                P.append(Problem(rel, iid, lang, f"field(s) {', '.join(wrong)}: steps/documents are lists of "
                                                 "strings, the others strings"))
                continue
            if "sms" not in t:
                P.append(Problem(rel, iid, lang, "missing 'sms' (the SMS answer: a string or a list of pages)"))
                continue
            _add_message(raw, org.slug, f"{base}.title", lang, t["title"], rel)
            if t.get("whatsapp"):
                _add_message(raw, org.slug, base, lang, {"sms": t["sms"], "whatsapp": t["whatsapp"]}, rel)
                continue
            sms = parse_entry(t["sms"])
            if isinstance(sms, str):
                P.append(Problem(rel, f"{base} sms", lang, sms))
                continue
            composed = _ItemText(kind, t, it)
            composed.lang = lang
            raw.messages.setdefault((org.slug, base), {})[lang] = {"sms": sms[_GENERIC], "whatsapp": composed}  # type: ignore[dict-item]
            raw.sources[(org.slug, base, lang)] = rel
    if kind == "programme":
        raw.programmes[org.slug] = out
    else:
        raw.guides[org.slug] = out


class _ItemText:
    """A WhatsApp text composed from a programme's / guide's fields and the system template
    ``relief.detail`` / ``guide.detail`` once every file is loaded."""

    def __init__(self, kind: str, fields: dict[str, Any], item: dict[str, Any]):
        self.kind, self.fields, self.item, self.lang = kind, fields, item, ""


# --------------------------------------------------------------------------- resolution


def _compose(raw: RawContent, org: Organization, item: _ItemText) -> Pages:
    lang = item.lang
    tkey = "relief.detail" if item.kind == "programme" else "guide.detail"
    tmpl_entry = raw.messages.get((None, tkey), {})
    tmpl_entry = tmpl_entry.get(lang) or tmpl_entry.get(org.default_language) or tmpl_entry.get(FALLBACK_LANGUAGE)
    f = item.fields
    esc = lambda s: str(s).replace("{", "{{").replace("}", "}}")  # noqa: E731 - values are literal text
    offices = [o for o in raw.offices.get(org.slug, []) if o.id in (item.item.get("offices") or [])]
    office_lines = "\n".join(
        f"- {o.name(lang)}: {o.address.get(lang) or next(iter(o.address.values()), '')}"
        + (f" ({o.hours.get(lang)})" if o.hours.get(lang) else "")
        for o in offices
    )
    title = f.get("title")
    if isinstance(title, dict):
        title = title.get("whatsapp") or title.get("text") or title.get("sms") or ""
    values = {n: esc(f[n]) for n in ("who", "what", "where", "when", "how") if n in f}
    values["title"] = esc(title)
    if item.kind == "guide":
        values["steps"] = esc("\n".join(f"{i}. {s}" for i, s in enumerate(f.get("steps") or [], 1)))
        values["documents"] = esc("\n".join(f"- {d}" for d in f.get("documents") or []))
        values["fees"] = esc(f.get("fees", ""))
    values["offices"] = esc(office_lines or "-")
    if not tmpl_entry:
        return ("\n".join(str(v) for v in values.values()),)
    tmpl_pages = entry_channel(tmpl_entry, "whatsapp")
    if not tmpl_pages:
        return ("\n".join(str(v) for v in values.values()),)
    return (tmpl_pages[0].format_map(_Vars(tkey, values)),)


def _resolve_items(raw: RawContent) -> None:
    for (org_slug, key), per_lang in raw.messages.items():
        for lang, entry in per_lang.items():
            wa = entry.get("whatsapp")
            if isinstance(wa, _ItemText):
                entry["whatsapp"] = _compose(raw, raw.orgs[org_slug], wa)  # type: ignore[index]


# --------------------------------------------------------------------------- the catalog


class Catalog:
    """Immutable view of the content. Build with :func:`load_catalog`."""

    def __init__(self, raw: RawContent):
        _resolve_items(raw)
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
        for channel in (*CHANNELS, _GENERIC):
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
        return [self._finish(p.format_map(_Vars(key, values)), org_slug, lang, channel) if "{" in p else p
                for p in pages]

    def text(self, org_slug: str | None, key: str, lang: str, channel: str, **vars: Any) -> str:
        page = self._lookup(org_slug, key, lang, channel)[0]
        if "{" not in page:
            return page
        return self._finish(page.format_map(_Vars(key, self._variables(org_slug, lang, channel, vars))),
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
        ch = channel if channel in CHANNELS else _GENERIC
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
        per = self._keywords_by_lang[group]
        return per.get(lang, frozenset()) | per.get("any", frozenset())

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


def default_root() -> Path:
    env = os.environ.get("CONTENT_DIR")
    return Path(env) if env else Path(__file__).resolve().parent


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
