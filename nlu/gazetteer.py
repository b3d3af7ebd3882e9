"""Place names (markets, ferias, mandis, dumpsites, areas) -> gazetteer place ids, with fuzzy matching.

Source of truth is content/ (``load_catalog().all_places()``). When content/ is not importable (e.g. a
stripped-down deployment), the generated ``nlu/data/lookups.yml`` carries the same names as synonyms.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from nlu.entities import fold, normalize

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent
LOOKUPS = NLU_DIR / "data" / "lookups.yml"
SNAPSHOT = NLU_DIR / "gazetteer.yml"
MARKET_KINDS = {"market", "feria", "mandi", "dumpsite"}
_GENERIC = {"market", "marche", "soko", "mandi", "feria", "la", "le", "el", "de", "du", "the", "ya", "la feria",
            "dump", "dampo", "usina", "mercado", "bazaar", "bazar", "depot"}

_TOKEN = re.compile(r"[\w\u0900-\u097f]+")
_STRIP = re.compile(r"(?<= )(?:market|marche|soko la|soko|feria de|feria del|feria|mercado|mandi|dumpsite|"
                    r"decharge de|decharge|depot|dump|मंडी|बाजार|डिपो)(?= )")


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
    _names: dict[str, list[GazPlace]] = field(default_factory=dict, repr=False)
    _by_id: dict[str, GazPlace] = field(default_factory=dict, repr=False)
    _by_id_of: int | None = field(default=None, repr=False)
    _by_org: dict[str, tuple[dict[str, list[GazPlace]], list[str]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for p in self.places:
            keys = []
            for n in p.names:
                key = normalize(n)
                keys.append(key)
                bare = _STRIP.sub(" ", f" {key} ").strip()  # "wakulima market" -> "wakulima"
                keys.append(" ".join(bare.split()))
            for key in keys:
                if key and key not in _GENERIC and (len(key) > 2 or key.isascii()):
                    bucket = self._names.setdefault(key, [])
                    if p not in bucket:
                        bucket.append(p)

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

    def resolve(self, value: str, org: str | None = None, cutoff: float = 82) -> GazPlace | None:
        """Best place for an entity value (exact id, exact name, then fuzzy name)."""
        if not value:
            return None
        by_id = self.get(value)
        if by_id:
            return by_id
        key = normalize(value)
        names, keys = self._org_names(org)
        exact = names.get(key)
        if exact:
            return exact[0]
        if not names or len(key) < 4:
            return None
        best = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=cutoff)
        if best is None:
            return None
        return names[best[0]][0]

    def _org_names(self, org: str | None) -> tuple[dict[str, list[GazPlace]], list[str]]:
        """name -> the org's places with that name, and the names as a list (for rapidfuzz); built once
        per org, not on every message."""
        cached = self._by_org.get(org or "")
        if cached is None:
            allowed = {p.id for p in self.for_org(org)}
            names = {n: [p for p in ps if p.id in allowed] for n, ps in self._names.items()}
            names = {n: ps for n, ps in names.items() if ps}
            cached = self._by_org[org or ""] = (names, list(names))
        return cached

    def find(self, text: str, org: str | None = None, cutoff: float = 84) -> list[PlaceMatch]:
        """Places mentioned in free text: exact names anywhere, fuzzy on 1-3 word windows."""
        folded = fold(text)
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(folded)]
        names, keys = self._org_names(org)
        candidates: list[PlaceMatch] = []
        for size in (3, 2, 1):
            for i in range(len(tokens) - size + 1):
                start, end = tokens[i][0], tokens[i + size - 1][1]
                # == normalize(folded[start:end]): the words of the window joined by single spaces
                window = " ".join(t[2] for t in tokens[i:i + size])
                if window in _GENERIC:
                    continue
                if window in names:
                    candidates.append(PlaceMatch(names[window][0], text[start:end], start, end, 100.0))
                    continue
                if len(window) < 5:
                    continue
                best = process.extractOne(window, keys, scorer=fuzz.ratio, score_cutoff=cutoff)
                if best and abs(len(best[0]) - len(window)) <= 3:
                    candidates.append(PlaceMatch(names[best[0]][0], text[start:end], start, end, float(best[1])))
        # best first, then drop overlaps
        candidates.sort(key=lambda m: (-m.score, -(m.end - m.start)))
        chosen: list[PlaceMatch] = []
        for m in candidates:
            if all(m.end <= c.start or m.start >= c.end for c in chosen) and all(
                    c.place.id != m.place.id for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)
