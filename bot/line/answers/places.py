"""Which of the organization's places a message means: the NLU's market/place entities, exact
names anywhere in the text, then fuzzy names (typos like "gikomb"). Pure computation on content."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from nlu.entities import normalize
from bot.line.answers.dates import span_of_dates

MARKET_KINDS = ("market", "feria", "mandi", "dumpsite")
CANDIDATE = 65  # a fuzzy score worth offering
CERTAIN = 80  # a fuzzy score worth answering without asking
MARGIN = 12  # ... when the runner-up is at least this far behind
MAX_OPTIONS = 3  # place.choose offers at most three
_GENERIC = {"market", "markets", "soko", "la", "le", "el", "de", "del", "du", "feria", "mercado", "marche", "mandi",
            "मंडी", "bazaar", "बाजार", "dumpsite", "depot", "dump", "the", "of", "ya", "decharge"}
# Keyword groups whose words are never part of a place name in a question or command.
_NOT_NAMES = ("status_open", "status_closed", "status_relocated", "status_restricted", "market", "cmd_status",
              "cmd_until", "cmd_reason", "cmd_broadcast", "cmd_relief", "cmd_from", "cmd_for", "greet", "relief")


@dataclass(frozen=True)
class Resolution:
    """`place_id` when one place is meant with confidence; else `candidates` (best first) to ask about."""

    place_id: str | None
    candidates: tuple[str, ...] = ()

    @property
    def certain(self) -> bool:
        return self.place_id is not None


NOTHING = Resolution(None)


@functools.lru_cache(maxsize=16)
def _index(catalog, org_slug: str) -> tuple[tuple[str, str], ...]:
    """(normalised name, place id) for every name of every org place, also without "market"."""
    out: dict[tuple[str, str], None] = {}
    for place in catalog.places(org_slug):
        for name in place.all_names():
            key = normalize(name)
            out[(key, place.id)] = None
            bare = " ".join(w for w in key.split() if w not in _GENERIC)
            if bare and bare != key and len(bare) >= 3:
                out[(bare, place.id)] = None
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _words(catalog, org_slug: str) -> dict[str, str]:
    """A word of a name that only one place has ("tristan" of "Tristan Narvaja") -> that place."""
    owners: dict[str, set[str]] = {}
    for name, pid in _index(catalog, org_slug):
        for word in name.split():
            if len(word) >= 4 and word not in _GENERIC:
                owners.setdefault(word, set()).add(pid)
    return {w: next(iter(ps)) for w, ps in owners.items() if len(ps) == 1}


@functools.lru_cache(maxsize=16)
def _stop_words(catalog) -> frozenset[str]:
    words: set[str] = set()
    for group in _NOT_NAMES:
        try:
            words |= {normalize(w) for w in catalog.keywords(group)}
        except KeyError:
            pass
    return frozenset(words | _GENERIC)


def _scores(catalog, org_slug: str, text: str) -> dict[str, float]:
    """Best score per place over 1-3 word windows of the text (dates and keywords left out)."""
    blanked = list(text)
    for start, end in span_of_dates(text):
        blanked[start:end] = " " * (end - start)
    words = normalize("".join(blanked)).split()
    stop = _stop_words(catalog)
    index = _index(catalog, org_slug)
    names = {n for n, _ in index}
    best: dict[str, float] = {}
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            window_words = words[i:i + size]
            if window_words[0] in stop or window_words[-1] in stop:
                continue
            window = " ".join(window_words)
            if window in names:
                for n, pid in index:
                    if n == window:
                        best[pid] = 100.0
                continue
            if size == 1 and window in _words(catalog, org_slug):
                pid = _words(catalog, org_slug)[window]
                best[pid] = max(best.get(pid, 0), 90.0)
                continue
            if len(window) < 4:
                continue
            for n, pid in index:
                if abs(len(n) - len(window)) > 3:
                    continue
                score = fuzz.ratio(window, n)
                if score >= CANDIDATE and score > best.get(pid, 0):
                    best[pid] = score
    return best


def resolve(catalog, org_slug: str, text: str, nlu=None) -> Resolution:
    """The place a worker's message names. NLU entities of the org count as strong matches."""
    scores = _scores(catalog, org_slug, text or "")
    own = {p.id for p in catalog.places(org_slug)}
    for entity in (getattr(nlu, "entities", None) or ()):
        if entity.type in ("market", "place") and entity.place_id in own:
            scores[entity.place_id] = max(scores.get(entity.place_id, 0), 90.0)
    return decide(scores)


def resolve_whole(catalog, org_slug: str, text: str) -> Resolution:
    """Like `resolve`, but the whole text must be one place name (or a typo of one)."""
    window = normalize(text or "")
    if not window or window in _stop_words(catalog):
        return NOTHING
    scores: dict[str, float] = {}
    for n, pid in _index(catalog, org_slug):
        if n == window:
            scores[pid] = 100.0
        elif len(window) >= 4 and abs(len(n) - len(window)) <= 3:
            score = fuzz.ratio(window, n)
            if score >= CANDIDATE and score > scores.get(pid, 0):
                scores[pid] = score
    if window in _words(catalog, org_slug):
        pid = _words(catalog, org_slug)[window]
        scores[pid] = max(scores.get(pid, 0), 90.0)
    return decide(scores)


def decide(scores: dict[str, float]) -> Resolution:
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
    if top >= CERTAIN and top - runner_up >= MARGIN:
        return Resolution(top_id, (top_id,))
    return Resolution(None, tuple(pid for pid, _ in ranked[:MAX_OPTIONS]))


def markets(catalog, org_slug: str) -> list:
    """The org's markets (feria, mandi, dumpsite too) in gazetteer order: the list offered when
    the worker names none."""
    return [p for p in catalog.places(org_slug) if p.kind in MARKET_KINDS]


_DIGITS = re.compile(r"^\s*(\d{1,2})\s*$")


def pick(catalog, org_slug: str, text: str, listed: list[str]) -> Resolution:
    """An answer to "which market?": a number of the list shown, or a (misspelt) name."""
    m = _DIGITS.match(text or "")
    if m:
        n = int(m.group(1))
        return Resolution(listed[n - 1], (listed[n - 1],)) if 1 <= n <= len(listed) else NOTHING
    return resolve(catalog, org_slug, text)
