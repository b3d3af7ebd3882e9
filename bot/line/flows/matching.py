"""Reading a worker's answer to a numbered question the way people text it: the number ("2", "2.",
"#2", "option 2"), the words of an option in any of the organization's languages ("Oui", "goods
taken"), yes/no words ("ndiyo", "haan", "nope"), a sentence that contains one option's words ("yes
please", "hapana nibaki bila jina"), and small typos ("yse", "harasment"). Pure functions: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from nlu.entities import normalize

_NUMBER = re.compile(r"^(?:#|no\.?\s*|n[o°]\s*|option\s*|namba\s*|nambari\s*|numero\s*|número\s*|नंबर\s*)?(\d{1,2})\b")


@dataclass(frozen=True)
class Candidate:
    value: str
    words: frozenset[str]  # normalised labels and words that pick this option


def number_of(text: str) -> int | None:
    """The option number a reply starts with: '2', '2.', '#2', '2 yes', 'option 2'."""
    m = _NUMBER.match(text.strip().casefold())
    return int(m.group(1)) if m else None


def _typo_ok(a: str, b: str) -> bool:
    """One slip in a short word, two in a long one; never for words of two letters or fewer."""
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 2:
        return False
    limit = 1 if max(len(a), len(b)) < 7 else 2
    return OSA.distance(a, b) <= limit


def pick(text: str, candidates: list[Candidate]) -> str | None:
    """The value the text picks, or None when it picks none or is ambiguous."""
    said = normalize(text)
    if not said:
        return None
    exact = {c.value for c in candidates if said in c.words}
    if len(exact) == 1:
        return exact.pop()
    if exact:
        return None
    tokens = said.split()
    # A sentence that contains the words of exactly one option, or starts with one ("yes please").
    padded = f" {said} "
    contained = {c.value for c in candidates for w in c.words if (len(w) >= 3 or w == tokens[0]) and f" {w} " in padded}
    if len(contained) == 1:
        return contained.pop()
    first = {c.value for c in candidates if tokens[0] in c.words}
    if len(first) == 1 and not contained - first:
        return first.pop()
    if contained:
        return None
    # Typos: one word (or the whole short reply) close to one option's word.
    close = {c.value for c in candidates for w in c.words
             if _typo_ok(said, w) or (len(tokens) <= 3 and any(_typo_ok(t, w) for t in tokens if len(t) >= 4))}
    if len(close) == 1:
        return close.pop()
    if close or len(said) < 5:
        return None
    scored = sorted(((max(fuzz.ratio(said, w) for w in c.words), c.value) for c in candidates if c.words), reverse=True)
    if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 8):
        return scored[0][1]
    return None


def words(*groups) -> frozenset[str]:
    """Normalised words from several iterables of labels or keywords."""
    return frozenset(w for group in groups for raw in group if (w := normalize(raw)))
