"""The one place matcher: which of an organization's places (markets, ferias, mandis, dumpsites, areas) a
text names. Exact names anywhere in the text, a word only one place's name has ("tristan"), then fuzzy
names on 1-3 word windows (typos like "gikomb"); dates and question/command words are never part of a
name. Used by the answers and organizer commands (bot/line/answers/places.py), the report and registration
forms (bot/line/reports.py) and the NLU's place entities (nlu/gazetteer.py). Pure computation: no bot/.

Windows are scored once (`PlaceIndex.matches`) for the answers and the NLU entities. A place typed in a
form ("where?") is stored with the report or member, so it is read as a whole answer (`PlaceIndex.typed`):
a name in it, else a weighted fuzzy score over whole names (rapidfuzz WRatio, which also scores a name
inside a longer answer), sure from `RECORD` with a clear lead, else up to three suggestions to choose from.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nlu.dates import date_spans
from nlu.entities import fold, normalize

CANDIDATE = 65  # a fuzzy score worth offering
CERTAIN = 80  # a fuzzy score worth answering without asking
RECORD = 90  # a form's whole-answer score worth storing without asking
RECORD_MARGIN = 8  # ... when the runner-up is at least this far behind
SUGGEST = 60  # a form's whole-answer score worth suggesting
MARGIN = 12  # ... when the runner-up is at least this far behind
MAX_OPTIONS = 3  # place.choose offers at most three
# Words that are never a place name by themselves (and are dropped to make a bare name).
GENERIC = frozenset({"market", "markets", "soko", "la", "le", "el", "de", "del", "du", "feria", "mercado", "marche",
                     "mandi", "मंडी", "bazaar", "bazar", "बाजार", "dumpsite", "depot", "डिपो", "dump", "dampo", "the",
                     "of", "ya", "decharge"})
MARKET_KINDS = ("market", "feria", "mandi", "dumpsite")  # the other kind is "area"
_TOKEN = re.compile(r"[\w\u0900-\u097f]+")  # the words `normalize` keeps


@dataclass(frozen=True)
class Resolution:
    """`place_id` when one place is meant with confidence; else `candidates` (best first) to ask about."""

    place_id: str | None
    candidates: tuple[str, ...] = ()

    @property
    def certain(self) -> bool:
        return self.place_id is not None


NOTHING = Resolution(None)


class PlaceIndex:
    """One organization's place names, normalised (also without "market"), and the words only one of
    its places has. `stop_words`: words (normalised) that end a name: question and command words."""

    def __init__(self, places: Iterable[tuple[str, Iterable[str]]], stop_words: Iterable[str] = ()):
        index: dict[tuple[str, str], None] = {}
        self.full: dict[str, str] = {}  # each whole name -> the first place with it (forms' answers)
        for place_id, names in places:
            for name in names:
                key = normalize(name)
                index[(key, place_id)] = None
                self.full.setdefault(key, place_id)
                bare = " ".join(w for w in key.split() if w not in GENERIC)
                if bare and bare != key and len(bare) >= 3:
                    index[(bare, place_id)] = None
        self.index = tuple(index)
        self.names = {n for n, _ in self.index}
        owners: dict[str, set[str]] = {}
        for name, pid in self.index:
            for word in name.split():
                if len(word) >= 4 and word not in GENERIC:
                    owners.setdefault(word, set()).add(pid)
        self.words = {w: next(iter(ps)) for w, ps in owners.items() if len(ps) == 1}
        self.stop = frozenset(stop_words) | GENERIC

    def scores(self, text: str) -> dict[str, float]:
        """Best score per place over 1-3 word windows of the text (dates and stop words left out)."""
        best: dict[str, float] = {}
        for _, _, pid, score in self.matches(text):
            if score > best.get(pid, 0):
                best[pid] = score
        return best

    def matches(self, text: str) -> list[tuple[int, int, str, float]]:
        """(start, end, place id, score) for every 1-3 word window of the text that names a place: an
        exact name 100, a word only that place has 90, else a fuzzy score from CANDIDATE. Offsets are
        into `text`; dates and windows that start or end with a stop word are left out."""
        folded = list(fold(text))  # same length as text
        for start, end in date_spans(text):
            folded[start:end] = " " * (end - start)
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer("".join(folded))]
        found: list[tuple[int, int, str, float]] = []
        for size in (3, 2, 1):
            for i in range(len(tokens) - size + 1):
                window_words = [t[2] for t in tokens[i:i + size]]
                if window_words[0] in self.stop or window_words[-1] in self.stop:
                    continue
                start, end = tokens[i][0], tokens[i + size - 1][1]
                window = " ".join(window_words)
                if window in self.names:
                    found += [(start, end, pid, 100.0) for n, pid in self.index if n == window]
                    continue
                if size == 1 and window in self.words:
                    found.append((start, end, self.words[window], 90.0))
                    continue
                if len(window) < 4:
                    continue
                scores: dict[str, float] = {}
                self._fuzzy(window, scores)
                found += [(start, end, pid, score) for pid, score in scores.items()]
        return found

    def whole(self, text: str) -> dict[str, float]:
        """Scores when the whole text must be one place name (or a typo of one)."""
        window = normalize(text or "")
        if not window or window in self.stop:
            return {}
        scores: dict[str, float] = {}
        for n, pid in self.index:
            if n == window:
                scores[pid] = 100.0
        if len(window) >= 4:
            self._fuzzy(window, scores)
        if window in self.words:
            pid = self.words[window]
            scores[pid] = max(scores.get(pid, 0), 90.0)
        return scores

    def typed(self, text: str) -> Resolution:
        """A place typed as a form's answer: a whole name, the one name written inside it ("soko la
        gikomba leo"), else whole names scored by WRatio: sure from RECORD with a lead of RECORD_MARGIN,
        suggestions from SUGGEST."""
        query = normalize(text or "")
        if not query:
            return NOTHING
        if query in self.full:
            return Resolution(self.full[query], ())
        contained = {pid for name, pid in self.full.items() if len(name) >= 4 and re.search(rf"\b{re.escape(name)}\b", query)}
        if len(contained) == 1:
            return Resolution(contained.pop(), ())
        scored: dict[str, float] = {}
        for name, score, _ in process.extract(query, list(self.full), scorer=fuzz.WRatio, limit=20):
            pid = self.full[name]
            scored[pid] = max(scored.get(pid, 0.0), score)
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < SUGGEST:
            return NOTHING
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= RECORD and best - runner_up >= RECORD_MARGIN:
            return Resolution(best_id, ())
        return Resolution(None, tuple(pid for pid, score in ranked[:MAX_OPTIONS] if score >= SUGGEST))

    def _fuzzy(self, window: str, best: dict[str, float]) -> None:
        for n, pid in self.index:
            if abs(len(n) - len(window)) > 3:
                continue
            score = fuzz.ratio(window, n)
            if score >= CANDIDATE and score > best.get(pid, 0):
                best[pid] = score


def decide(scores: dict[str, float], certain: float = CERTAIN) -> Resolution:
    """One exact name, or a fuzzy score of at least `certain` well ahead of the next: that place; else
    the best few to ask about."""
    if not scores:
        return NOTHING
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    exact = [pid for pid, s in ranked if s >= 100]
    if len(exact) == 1:
        return Resolution(exact[0], (exact[0],))
    if len(exact) > 1:
        return Resolution(None, tuple(exact[:MAX_OPTIONS]))
    top_id, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if top >= certain and top - runner_up >= MARGIN:
        return Resolution(top_id, (top_id,))
    return Resolution(None, tuple(pid for pid, _ in ranked[:MAX_OPTIONS]))
