"""Place names (markets, ferias, mandis, dumpsites, areas) -> gazetteer place ids, matched by the one place
matcher (nlu/places.py), for the NLU's market/place entities.

Source of truth is content/ (``load_catalog().all_places()``). When content/ is not importable (e.g. a
stripped-down deployment), the generated ``nlu/data/lookups.yml`` carries the same names as synonyms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from nlu.places import CERTAIN, MARKET_KINDS, PlaceIndex, decide

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent
LOOKUPS = NLU_DIR / "data" / "lookups.yml"
SNAPSHOT = NLU_DIR / "gazetteer.yml"


@dataclass(frozen=True)
class GazPlace:
    id: str
    kind: str  # market | feria | mandi | dumpsite | area
    city: str
    org: str
    names: tuple[str, ...]

    @property
    def entity(self) -> str:
        return "market" if self.kind in MARKET_KINDS else "place"


@dataclass(frozen=True)
class PlaceMatch:
    place: GazPlace
    text: str
    start: int
    end: int
    score: float


@dataclass
class Gazetteer:
    places: list[GazPlace]
    _by_id: dict[str, GazPlace] = field(default_factory=dict, repr=False)
    _by_id_of: int | None = field(default=None, repr=False)
    _by_org: dict[str, PlaceIndex] = field(default_factory=dict, repr=False)

    # ---- construction
    @classmethod
    def load(cls) -> "Gazetteer":
        try:
            return cls.from_content()
        except Exception as exc:  # content/ missing or broken: the generated lookups still know the names
            log.warning("gazetteer: content/ not usable (%s); using %s", exc, SNAPSHOT)
            return cls.from_lookups(LOOKUPS)

    @classmethod
    def from_content(cls, catalog=None) -> "Gazetteer":
        if catalog is None:
            from content import load_catalog

            catalog = load_catalog()
        places = []
        for p in catalog.all_places():
            names = [n for lang_names in p.names.values() for n in lang_names]
            places.append(GazPlace(p.id, p.kind, p.city, getattr(p, "org", "") or "", tuple(dict.fromkeys(names))))
        return cls(places)

    @classmethod
    def from_lookups(cls, path: Path | None = None) -> "Gazetteer":
        """From the snapshot nlu/gazetteer_sync.py writes next to the Rasa lookups."""
        import yaml

        path = path or SNAPSHOT
        if not path.exists():
            return cls([])
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        places = [GazPlace(str(d["id"]), d.get("kind", "area"), d.get("city", ""), d.get("org", ""),
                           tuple(d.get("names") or ()))
                  for d in doc.get("places") or []]
        return cls(places)

    # ---- queries
    def get(self, place_id: str) -> GazPlace | None:
        if self._by_id_of != len(self.places):  # built once (again only if places were added)
            self._by_id = {p.id: p for p in reversed(self.places)}  # the first place wins, as a scan would
            self._by_id_of = len(self.places)
        return self._by_id.get(place_id)

    def for_org(self, org: str | None) -> list[GazPlace]:
        if not org:
            return self.places
        mine = [p for p in self.places if p.org == org]
        return mine or self.places

    def resolve(self, value: str, org: str | None = None) -> GazPlace | None:
        """The place an entity value names (its id, or a whole name or a typo of one), by the one place
        matcher (nlu/places.py); None when unsure."""
        if not value:
            return None
        by_id = self.get(value)
        if by_id:
            return by_id
        found = decide(self._index(org).whole(value))
        return self.get(found.place_id) if found.place_id else None

    def _index(self, org: str | None) -> PlaceIndex:
        """The org's places (all places for an unknown org) indexed once per org, not on every message."""
        cached = self._by_org.get(org or "")
        if cached is None:
            cached = self._by_org[org or ""] = PlaceIndex((p.id, p.names) for p in self.for_org(org))
        return cached

    def find(self, text: str, org: str | None = None) -> list[PlaceMatch]:
        """Places mentioned in free text: the matcher's windows sure enough to be an entity (CERTAIN), the
        best first, without overlaps and each place once, in text order."""
        candidates = [PlaceMatch(self.get(pid), text[start:end], start, end, score)
                      for start, end, pid, score in self._index(org).matches(text) if score >= CERTAIN]
        candidates.sort(key=lambda m: (-m.score, -(m.end - m.start)))
        chosen: list[PlaceMatch] = []
        for m in candidates:
            if all(m.end <= c.start or m.start >= c.end for c in chosen) and all(
                    c.place.id != m.place.id for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)
