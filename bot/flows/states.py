"""Declarative conversation states. A flow's state methods return one of these; they do no I/O.
The runner (bot/flows/runner.py) renders them, reads the worker's answer, validates it and moves on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union


class Invalid(ValueError):
    """Raised by a validator with the content key of the hint to show before re-asking."""

    def __init__(self, key: str, **vars):
        super().__init__(key)
        self.key, self.vars = key, vars


Validator = Callable[[str], object]  # returns the cleaned value or raises Invalid


@dataclass(frozen=True)
class Option:
    value: str
    label_key: str | None = None  # content key of the label, or
    label: str | None = None  # an already-rendered label (a place name, a language name)
    keywords: str | None = None  # a keyword group that also picks this option ("yes", "no")


@dataclass(frozen=True)
class Choice:
    """A numbered question; `{options}` in the text is '1 A 2 B' on SMS, one per line on WhatsApp."""

    key: str
    options: tuple[Option, ...]
    save_as: str
    next: str | dict[str, str] | None = None  # a state, or a state per chosen value
    vars: dict = field(default_factory=dict)
    optional: bool = False
    # A list offered as an answer (programmes, places), not a form: text that picks no option is
    # a new question and leaves the flow instead of counting as an invalid answer.
    leave_on_text: bool = False


@dataclass(frozen=True)
class FreeText:
    key: str
    save_as: str
    next: str | None = None
    validators: tuple[Validator, ...] = ()
    optional: bool = False  # SKIP (and translations) saves None
    vars: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AskLocation:
    """A WhatsApp location pin, or a place typed as text (kept as typed if nothing matches)."""

    key: str
    save_as: str
    next: str | None = None
    optional: bool = False
    vars: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AskMedia:
    """A photo or voice note (WhatsApp); text answers are accepted as a caption-less skip."""

    key: str
    save_as: str
    next: str | None = None
    optional: bool = True
    vars: dict = field(default_factory=dict)


@dataclass(frozen=True)
class End:
    """The flow is over. `complete` names a method of the flow that the runner calls with I/O
    allowed (to store a registration, a report); its returned dict is added to `vars`."""

    key: str
    vars: dict = field(default_factory=dict)
    contact_changes: dict = field(default_factory=dict)
    complete: str | None = None
    lang: str | None = None  # reply in this language (a language just chosen)


State = Union[Choice, FreeText, AskLocation, AskMedia, End]
QUESTIONS = (Choice, FreeText, AskLocation, AskMedia)


@dataclass
class FlowContext:
    """What a state may read: earlier answers and who is asking. No clients, no sessions."""

    answers: dict
    lang: str
    channel: str
    org: object  # content.Organization
    catalog: object  # content.Catalog
    contact: object | None = None  # bot.store.ContactView
    extra: dict = field(default_factory=dict)  # read-only lookups the engine provides


class Flow:
    """A conversation: `first` names the first state; each state is a method returning a State,
    or the name of another state to go on at when there is nothing to ask (a step that only
    applies on WhatsApp, a match that needs no confirming)."""

    name: str = ""
    first: str = ""

    def state(self, name: str, ctx: FlowContext) -> State | str:
        method = getattr(self, f"state_{name}", None)
        if method is None:
            raise KeyError(f"{type(self).__name__} has no state {name!r}")
        return method(ctx)


# --- validator factories


def min_length(n: int, key: str = "form.too_short"):
    def check(text: str) -> str:
        if len(text.strip()) < n:
            raise Invalid(key, min=n)
        return text.strip()

    return check


def max_length(n: int, key: str = "form.too_long"):
    def check(text: str) -> str:
        if len(text) > n:
            raise Invalid(key, max=n)
        return text

    return check
