"""Organizer SMS commands, in the organization's languages (content/keywords.yaml):

    STATUS <market> <open|closed|moved|partly> [from <day>] [until <day> [time]] [reason <text>]
    STATUS <market>                                    (the status now; anyone may ask)
    DISTRIBUTION <place> <day> [time] for <who>        (a relief distribution)
    BROADCAST STATUS ... / BROADCAST DISTRIBUTION ...  (also tell the members: a pending broadcast)

Changes are accepted only from the organization's organizer numbers (content org.yaml); anyone
else gets org.refused and nothing changes. Registered as a `before` hook (bot/line/routes.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from bot.broadcasts import announce

from bot.line import command_confirm, live, routes
from bot.line.answers import dates, places
from bot.line.answers.market import clip, status_text
from bot.line.answers.relief import distribution_text
from bot.broadcasts import once
from nlu.entities import normalize

STATES = {"status_open": "open", "status_closed": "closed", "status_relocated": "relocated",
          "status_restricted": "restricted"}


@lru_cache(maxsize=1024)
def _group_words(catalog, languages: tuple[str, ...], group: str) -> frozenset[str]:
    """A keyword group's phrases in these languages, normalised once (not per word of every message)."""
    return frozenset(normalize(w) for lang in languages for w in catalog.keywords(group, lang))


@dataclass
class Words:
    """The message as words, with keyword-group lookups in the org's languages."""

    turn: object
    tokens: list[str]

    def group_at(self, i: int, *groups: str) -> tuple[str, int] | None:
        """(group, number of words) of a keyword (1-3 words) starting at word i."""
        catalog, langs = self.turn.services.catalog, tuple(self.turn.org.languages)
        for size in (3, 2, 1):
            if i + size > len(self.tokens):
                continue
            phrase = normalize(" ".join(self.tokens[i:i + size]))
            for group in groups:
                if phrase and phrase in _group_words(catalog, langs, group):
                    return group, size
        return None

    def find(self, start: int, *groups: str) -> tuple[int, str, int] | None:
        for i in range(start, len(self.tokens)):
            hit = self.group_at(i, *groups)
            if hit:
                return i, hit[0], hit[1]
        return None

    def text(self, start: int, end: int | None = None) -> str:
        return " ".join(self.tokens[start:end]).strip()


@routes.before_all
def organizer_command(turn, store, word) -> bool:
    tokens = (turn.inbound.text or "").split()
    if not tokens:
        return False
    organizer = turn.org.is_organizer(turn.inbound.phone or "")
    if organizer and turn.org.confirm_commands:
        held = command_confirm.release(turn.services, turn.org.slug, turn.inbound.phone, turn.inbound.text.strip())
        if held is not None:  # the code came back to the real number: run the command it held
            turn.inbound = replace(turn.inbound, body=held)
            return _command(turn, held.split(), organizer)
        if _changes_something(Words(turn, tokens)):
            code = command_confirm.hold(turn.services, turn.org.slug, turn.inbound.phone, turn.inbound.text)
            if code is None:
                turn.say("error.temporary")
            else:
                turn.say("org.confirm", code=code,
                         command=clip(turn.inbound.text.strip(), turn.services.catalog.max_length("command", turn.lang)))
            return True
    return _command(turn, tokens, organizer)


def _changes_something(w: Words) -> bool:
    """A command that would change a status or a distribution or tell members (not a status query)."""
    i = 0
    hit = w.group_at(0, "cmd_broadcast")
    if hit:
        return True
    if w.group_at(i, *STATES):
        return True
    command = w.group_at(i, "cmd_status", "cmd_relief")
    if command is None:
        return False
    return command[0] == "cmd_relief" or w.find(command[1], *STATES) is not None


def _command(turn, tokens: list[str], organizer: bool) -> bool:
    w = Words(turn, tokens)
    i, broadcast = 0, False
    hit = w.group_at(0, "cmd_broadcast")
    if hit:
        broadcast, i = True, hit[1]
    verb = w.group_at(i, *STATES) if i < len(tokens) else None
    if verb is not None:  # "CLOSE Githurai until monday county cleanup", "FERMER Castors", "band Hadapsar"
        return _verb_first(turn, w, i, verb[1], broadcast, organizer)
    command = w.group_at(i, "cmd_status", "cmd_relief")
    if command is None or i + command[1] >= len(tokens):
        if organizer and command is not None:  # "STATUS" alone: an organizer gets the help
            turn.say("org.status.usage" if command[0] == "cmd_status" else "org.relief.usage")
            return True
        return False  # not a command of ours (a free BROADCAST <message> belongs to broadcasts)
    i += command[1]
    broadcast = broadcast and _first_time(turn, organizer)
    if command[0] == "cmd_status":
        status_at = w.find(i, *STATES)
        if status_at is None and not broadcast:  # "STATUS Gikomba": the status now, for anyone
            return _query(turn, w.text(i))
        if not organizer:
            turn.say("org.refused")
            return True
        _set_status(turn, w, i, status_at, broadcast)
        return True
    if not organizer:
        turn.say("org.refused")
        return True
    _announce(turn, w, i, broadcast)
    return True


def _first_time(turn, organizer: bool) -> bool:
    """The same command again within minutes (a replayed or resent SMS): saved again, members not
    told twice."""
    return not organizer or once.first_time(turn.services, turn.org.slug, turn.inbound.phone,
                                            turn.inbound.text, turn.inbound.sid)


def _verb_first(turn, w: Words, i: int, size: int, broadcast: bool, organizer: bool) -> bool:
    """<verb> <place> [until <day>] [reason] <words>: rewritten as STATUS's order (place, then the
    status word) for `_set_status`. The place runs to the first until/from/reason word or date;
    words the place cannot use are the reason."""
    rest = w.tokens[i + size:]
    end = next((k for k in range(len(rest)) if Words(turn, rest).group_at(k, "cmd_until", "cmd_from", "cmd_reason")),
               len(rest))
    spans = dates.span_of_dates(" ".join(rest[:end]))
    if spans:  # a date right after the place ("band Hadapsar kal tak")
        end = min(end, len(" ".join(rest[:end])[:min(s for s, _ in spans)].split()))
    place_end = _place_prefix(turn, rest[:end])
    if not place_end:
        if not organizer and (not rest or turn.inbound.text.rstrip().endswith("?")):
            return False  # a worker's "closed?" or "band hai kya?": a question, not a command
        turn.say("org.status.usage" if organizer else "org.refused")
        return True
    if not organizer:
        if turn.inbound.text.rstrip().endswith("?"):
            return False
        turn.say("org.refused")
        return True
    # Words between the place and the date ("CLOSE Githurai county cleanup until monday") go last,
    # where `_set_status` reads words that are no date as the reason.
    words = Words(turn, rest[:place_end] + w.tokens[i:i + size] + rest[end:] + rest[place_end:end])
    _set_status(turn, words, 0, words.find(place_end, *STATES), broadcast and _first_time(turn, organizer))
    return True


def _place_prefix(turn, tokens: list[str]) -> int:
    """How many leading words name one place: the fewest that resolve to the place the longest
    resolving prefix names, plus the words of its own names that follow ("Toi Market")."""
    hits = [(k, pid) for k in range(len(tokens), 0, -1) if (pid := _resolve(turn, " ".join(tokens[:k])))]
    if not hits:
        return 0
    place_id = hits[0][1]
    k = min(k for k, pid in hits if pid == place_id)
    own = {t for name in turn.services.catalog.place(place_id).all_names() for t in normalize(name).split()}
    while k < len(tokens) and normalize(tokens[k]) in own:
        k += 1
    return k


def _leftover(w: Words, text: str) -> str:
    """The words of a STATUS clause that are neither dates nor until/from: the organizer's reason."""
    for start, end in sorted(dates.span_of_dates(text), reverse=True):
        # A short word right before a date is its article or preposition ("hasta el viernes", "on monday").
        before = text[:start].rstrip().rsplit(" ", 1)
        if len(before) == 2 and len(before[1]) <= 3 and before[1].isalpha():
            start = len(before[0]) + 1
        elif len(before) == 1 and len(before[0]) <= 3 and before[0].isalpha():
            start = 0
        text = text[:start] + " " + text[end:]
    tokens = text.split()
    keep = [t for k, t in enumerate(tokens) if not Words(w.turn, tokens).group_at(k, "cmd_until", "cmd_from")]
    return " ".join(keep).strip(" ,;:-.")


def _resolve(turn, text: str) -> str | None:
    found = places.resolve(turn.services.catalog, turn.org.slug, text)
    return found.place_id


def _query(turn, text: str) -> bool:
    place_id = _resolve(turn, text)
    if place_id is None:
        turn.say("place.unknown", place=clip(text, turn.services.catalog.max_length("place", turn.lang)))
        return True
    turn.say_text(status_text(turn, place_id, dates.local_today(turn.org)))
    return True


def _set_status(turn, w: Words, i: int, status_at, broadcast: bool) -> None:
    if status_at is None:
        turn.say("org.status.usage")
        return
    j, group, size = status_at
    place_id = _resolve(turn, w.text(i, j))
    if place_id is None:
        turn.say("org.status.usage")
        return
    reason_at = w.find(j + size, "cmd_reason")
    clause_end = reason_at[0] if reason_at else len(w.tokens)
    reason = w.text(reason_at[0] + reason_at[2]) if reason_at else None
    clause = w.text(j + size, clause_end)
    reason = reason or _leftover(w, clause) or None
    tz, today = dates.zone(turn.org), dates.local_today(turn.org)
    whens = dates.find_whens(clause, today)
    has_from = w.find(j + size, "cmd_from") is not None and (w.find(j + size, "cmd_from")[0] < clause_end)
    has_until = w.find(j + size, "cmd_until") is not None and (w.find(j + size, "cmd_until")[0] < clause_end)
    if (has_from or has_until) and not whens:
        turn.say("org.status.usage")
        return
    starts = ends = None
    if has_from and has_until and len(whens) >= 2:
        starts, ends = whens[0].starts(tz), whens[1].ends(tz)
    elif has_from and not has_until:
        starts = whens[0].starts(tz)
    elif whens:
        ends = whens[0].ends(tz)
    try:
        view, pending = live.set_market_status(
            turn.services, turn.org.slug, place_id, STATES[group], changed_by=turn.inbound.phone, source="sms",
            starts_at=starts, ends_at=ends, reason=reason, broadcast=broadcast)
    except live.LiveError:
        turn.say("org.status.usage")
        return
    if pending:
        day = view.starts_at.astimezone(tz).date()
        texts = announce.texts_for(turn, lambda reader: status_text(reader, place_id, day))
        announce.send_pending(turn.services, turn.org.slug, pending, place_id, texts, turn.inbound.phone)
    # The reply says exactly what was saved: the status, its end and its reason.
    name = turn.services.catalog.place(place_id).name(turn.lang)
    status = [turn.text(f"market.status.{view.status}")]
    if view.ends_at:
        status.append(turn.text("org.status.until", until=dates.show_until(
            turn.services.catalog, turn.org.slug, turn.lang, turn.channel, view.ends_at, tz)))
    if reason:
        status.append(turn.text("org.status.reason", reason=clip(reason, turn.services.catalog.max_length("reason", turn.lang))))
    turn.say("org.status.queued" if pending else "org.status.saved.quiet", market=name, status=" ".join(status))


def _announce(turn, w: Words, i: int, broadcast: bool) -> None:
    catalog, tz, today = turn.services.catalog, dates.zone(turn.org), dates.local_today(turn.org)
    for_at = w.find(i, "cmd_for")
    before = w.text(i, for_at[0]) if for_at else w.text(i)
    after = w.text(for_at[0] + for_at[2]) if for_at else ""
    whens = dates.find_whens(before, today)
    if not whens or for_at is None:
        turn.say("org.relief.usage")
        return
    spans = dates.span_of_dates(before)
    venue_end = min(s for s, _ in spans)
    venue = before[:venue_end].strip(" ,;:-")
    # "... kal 10 baje mahilaon ke liye": who comes before a postposition "for"
    recipients = after or before[max(e for _, e in spans):].strip(" ,;:-")
    if not venue or not recipients:
        turn.say("org.relief.usage")
        return
    place_id = _resolve(turn, venue)
    when = whens[0]
    try:
        view, pending = live.announce_relief(
            turn.services, turn.org.slug, venue=venue, place_id=place_id, starts_at=when.starts(tz),
            recipients=recipients, changed_by=turn.inbound.phone, source="sms", broadcast=broadcast)
    except live.LiveError:
        turn.say("org.relief.usage")
        return
    if pending:
        texts = announce.texts_for(turn, lambda reader: distribution_text(reader, view))
        announce.send_pending(turn.services, turn.org.slug, pending, place_id, texts, turn.inbound.phone)
    shown = catalog.place(place_id).name(turn.lang) if place_id else venue
    turn.say("org.relief.queued" if pending else "org.relief.saved",
             venue=clip(shown, catalog.max_length("venue", turn.lang)),
             starts=dates.show_start(catalog, turn.org.slug, turn.lang, turn.channel, view.starts_at, tz))
