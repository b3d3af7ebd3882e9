"""One message text: its per-channel pages (parse_entry, entry_channel) and its {variables}
(template_variables, Vars for rendering with a clear error when a variable is missing)."""
from __future__ import annotations

import re
import string
from typing import Any, Mapping

GENERIC = "*"  # pseudo-channel: the generic text (used for channels other than sms/whatsapp)
_FORMATTER = string.Formatter()
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class Vars(dict):
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
        return {GENERIC: p}
    if isinstance(value, dict):
        unknown = set(value) - {"text", "sms", "whatsapp"}
        if unknown:
            return f"unknown field(s) {sorted(unknown)} (allowed: text, sms, whatsapp)"
        out: Entry = {}
        for field_name, channel in (("text", GENERIC), ("sms", "sms"), ("whatsapp", "whatsapp")):
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
    if GENERIC in entry:
        return entry[GENERIC]
    if channel == GENERIC:
        return entry.get("sms") or entry.get("whatsapp")
    return None

