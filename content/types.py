"""What the content is made of: organizations, places, offices, relief programmes, registration guides,
the problems found while loading them, and the fixed vocabularies (channels, place kinds, guide topics)."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping

CHANNELS = ("sms", "whatsapp")
PLACE_KINDS = ("market", "feria", "mandi", "dumpsite", "area")
FALLBACK_LANGUAGE = "en"


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


@dataclass
class Report:
    """What content validation found (content/validate*.py fill it)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    sms_checked: int = 0
    whatsapp_checked: int = 0
    segments: Counter = field(default_factory=Counter)  # (encoding, segments) -> count
    worst: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # lang -> (units, limit, where)

    @property
    def ok(self) -> bool:
        return not self.problems


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
    trades: list[str] = field(default_factory=list)  # values of choices.yaml `trade` (Catalog.trades())
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
    # org.yaml `public_results: true` publishes an anonymised, suppressed summary of the reports per city at
    # /results/<slug> (no sign-in; bot/desk/public_results.py). Off unless the organization says so.
    public_results: bool = False

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


def normalize_number(number: str) -> str:
    n = number.strip()
    if n.lower().startswith("whatsapp:"):
        n = n[9:]
    n = re.sub(r"[\s\-().]", "", n)
    if n.startswith("00"):
        n = "+" + n[2:]
    return n

