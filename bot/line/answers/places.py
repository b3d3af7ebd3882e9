"""Which of the organization's places a worker's message means, through the one place matcher
(nlu/places.py) over the org's gazetteer in content/: the NLU's market/place entities of the org count as
strong matches; the org's question and command words never count as a name. Pure computation on content."""
from __future__ import annotations

import functools
import re

from nlu.entities import normalize
from nlu.places import MARKET_KINDS, NOTHING, PlaceIndex, Resolution, decide

# Keyword groups whose words are never part of a place name in a question or command.
_NOT_NAMES = ("status_open", "status_closed", "status_relocated", "status_restricted", "market", "cmd_status",
              "cmd_until", "cmd_reason", "cmd_broadcast", "cmd_relief", "cmd_from", "cmd_for", "greet", "relief")

__all__ = ["MARKET_KINDS", "NOTHING", "Resolution", "markets", "pick", "resolve", "resolve_typed",
           "resolve_whole"]


@functools.lru_cache(maxsize=16)
def _index(catalog, org_slug: str) -> PlaceIndex:
    return PlaceIndex(((p.id, p.all_names()) for p in catalog.places(org_slug)), _stop_words(catalog))


@functools.lru_cache(maxsize=16)
def _stop_words(catalog) -> frozenset[str]:
    words: set[str] = set()
    for group in _NOT_NAMES:
        try:
            words |= {normalize(w) for w in catalog.keywords(group)}
        except KeyError:
            pass
    return frozenset(words)


def resolve(catalog, org_slug: str, text: str, nlu=None) -> Resolution:
    """The place a worker's message names. NLU entities of the org count as strong matches."""
    scores = _index(catalog, org_slug).scores(text or "")
    own = {p.id for p in catalog.places(org_slug)}
    for entity in (getattr(nlu, "entities", None) or ()):
        if entity.type in ("market", "place") and entity.place_id in own:
            scores[entity.place_id] = max(scores.get(entity.place_id, 0), 90.0)
    return decide(scores)


def resolve_typed(catalog, org_slug: str, typed: str) -> Resolution:
    """A place typed in a form ("where?"), read as a whole answer (nlu/places.py PlaceIndex.typed): a
    sure match, else up to three suggestions to choose from."""
    return _index(catalog, org_slug).typed(typed)


def resolve_whole(catalog, org_slug: str, text: str) -> Resolution:
    """Like `resolve`, but the whole text must be one place name (or a typo of one)."""
    return decide(_index(catalog, org_slug).whole(text))


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
