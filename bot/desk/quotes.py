"""Short anonymised quotes for evidence packs: a worker's own words, only where the worker said yes to
"May we quote your words, without your name?" (the report form's last step, Report.quote_consent).

A quote leaves the organization, so it is treated like a figure that does (bot/desk/suppression.py): it is
taken only from a group of at least K reports of the pack's filter sharing its category and place (the
pack shows the quote under that category and place and nothing narrower: no date, no reference), and
its text is cleaned before anyone sees it. Phone numbers, e-mail addresses and links become "[…]"; the
reporter's own name (as a member, as a WhatsApp profile), any capitalised word in mid-sentence that is
not one of the organization's place names, and any word beside a title (content/name_titles.yaml: "shri",
"bwana", "ji", "दीदी", for Devanagari and lower-case typing) become "[name]" (a name the line never heard
of is still a name);
then it is cut to QUOTE_MAX characters at a word. Nothing here imports Flask."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from bot.models import Contact, Member, Report
from content import name_titles

QUOTES_MAX = 5
QUOTE_MAX = 160
CANDIDATES = 200  # newest consenting reports read; enough to find 5 from different groups
MIN_WORDS = 4  # shorter words say nothing a count does not
NAME, OTHER = "[name]", "[…]"

_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().\-/]{5,}\d")
_EMAIL = re.compile(r"\S+@\S+\.\S+")
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.I)
# A word: Python's \w leaves out Devanagari's vowel signs and virama (and Latin combining accents), which
# would cut "रमेश" in pieces.
_MARKS = "\u0300-\u036f\u0900-\u097f"
_WORD = re.compile(rf"[\w{_MARKS}][\w{_MARKS}'’-]*", re.U)
_DEVANAGARI = re.compile("[\u0900-\u097f]")
_BETWEEN_TITLE = re.compile(r"\.?\s+$")  # "Dr. Kamau", "shri Ramesh": a title, then (a dot and) space
_SENTENCE_END = re.compile(r"[.!?:;\n]\s*$")


@dataclass(frozen=True)
class Quote:
    text: str
    category: str
    place_id: str | None  # None: the place was not recognised


def pick(services, org: str, where: list, k: int, *, limit: int = QUOTES_MAX) -> list[Quote]:
    """Up to `limit` quotes from reports matching `where` (bot/desk/filters.py clauses), newest first, one
    per category and place, only from (category, place) groups of at least `k` reports of the filter."""
    place_names = _place_words(services.catalog, org)
    with services.db() as session:
        groups = {(c, p) for c, p, n in session.execute(
            select(Report.category, Report.place_id, func.count()).where(*where)
            .group_by(Report.category, Report.place_id)).all() if n >= k}
        if not groups:
            return []
        rows = session.execute(
            select(Report.description, Report.category, Report.place_id, Member.name, Contact.profile_name)
            .outerjoin(Member, and_(Member.id == Report.member_id, Member.organization == org))
            .outerjoin(Contact, and_(Contact.id == Report.contact_id, Contact.organization == org))
            .where(*where, Report.quote_consent.is_(True), Report.description.is_not(None))
            .order_by(Report.created_at.desc(), Report.id.desc()).limit(CANDIDATES)).all()
    out, used = [], set()
    for description, category, place_id, member_name, profile_name in rows:
        group = (category, place_id)
        if group in used or group not in groups:
            continue
        text = clean(description, names=(member_name, profile_name), keep=place_names)
        if len(_WORD.findall(text)) < MIN_WORDS:
            continue
        used.add(group)
        out.append(Quote(text, category, place_id))
        if len(out) == limit:
            break
    return out


def clean(text: str, *, names=(), keep: frozenset[str] = frozenset()) -> str:
    """The text without phone numbers, e-mail addresses, links and names, cut short at a word."""
    text = " ".join(text.split())
    text = _EMAIL.sub(OTHER, text)
    text = _LINK.sub(OTHER, text)
    text = _PHONE.sub(OTHER, text)
    for name in names:
        for part in (name or "").split():
            if len(part) >= 2:
                text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", NAME, text, flags=re.I)
    text = _capitalised_names(text, keep)
    text = _titled_names(text, keep, name_titles.load())
    text = re.sub(rf"{re.escape(NAME)}(?:\s+{re.escape(NAME)})+", NAME, text)
    return _shorten(text, QUOTE_MAX)


def _capitalised_names(text: str, keep: frozenset[str]) -> str:
    """A capitalised word that does not start a sentence and is not a place name is taken for a name."""
    out, last = [], 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        before = text[:m.start()]
        starts_sentence = not before.strip() or bool(_SENTENCE_END.search(before))
        if word[:1].isupper() and not starts_sentence and word.casefold() not in keep and word != "I":
            out.append(text[last:m.start()] + NAME)
            last = m.end()
    return "".join(out) + text[last:]


def _titled_names(text: str, keep: frozenset[str], titles) -> str:
    """A word right after a title ("shri", "bwana", "Dr.") or right before one ("ji", "दीदी") is taken for
    a name, capital or not: Devanagari has none, and workers often type in lower case."""
    words = list(_WORD.finditer(text))
    titled = titles.before | titles.after
    names = set()
    for i, m in enumerate(words):
        word = m.group(0).casefold()
        if word in keep or word in titled or word in titles.not_names or text[m.start() - 1:m.start()] == "[":
            continue
        prev = words[i - 1] if i else None
        after_title = prev is not None and prev.group(0).casefold() in titles.before and \
            _BETWEEN_TITLE.match(text[prev.end():m.start()])
        nxt = words[i + 1] if i + 1 < len(words) else None
        before_title = nxt is not None and nxt.group(0).casefold() in titles.after and \
            not text[m.end():nxt.start()].strip()
        if after_title or before_title:
            names.add(i)
            # A second word of the name, away from the title: in Devanagari or capitalised, not a postposition.
            j = i + 1 if after_title else i - 1
            if not 0 <= j < len(words):
                continue
            near, other = words[j], words[j].group(0)
            adjacent = not text[min(m.end(), near.end()):max(m.start(), near.start())].strip()
            looks_like_name = bool(_DEVANAGARI.match(other)) or other[:1].isupper()
            if adjacent and looks_like_name and other.casefold() not in titles.not_names | keep | titled:
                names.add(j)
    out, last = [], 0
    for i in sorted(names):
        m = words[i]
        out.append(text[last:m.start()] + NAME)
        last = m.end()
    return "".join(out) + text[last:]


def _shorten(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    cut = text[:most - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
    return cut + "…"


def _place_words(catalog, org: str) -> frozenset[str]:
    """Every word of every name of the organization's places and cities, case-folded (kept in quotes)."""
    words = set()
    organization = catalog.organizations.get(org)
    for city in getattr(organization, "cities", ()) or ():
        words.update(w.casefold() for w in _WORD.findall(city))
    for place in catalog.places(org):
        for name in place.all_names():
            words.update(w.casefold() for w in _WORD.findall(name))
    return frozenset(words)
