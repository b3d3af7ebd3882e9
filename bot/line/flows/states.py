"""Declarative conversation states. A flow's state methods return one of these; they do no I/O.
The runner (bot/line/flows/runner.py) renders them, reads the worker's answer, validates it and moves on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

from bot.line.flows import matching


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
    words: frozenset[str] = frozenset()  # normalised words that pick this option (bot.line.flows.matching)


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
    # Text that picks no option is itself the answer, saved as {"text": ...} (a place typed at a
    # list of suggested places).
    free: bool = False
    # Text of three words or more that picks no option answers another question of the form (the
    # description typed at the category list): kept under this answer key, then the list is asked again.
    text_to: str | None = None
    # The value taken after three invalid answers, so a report is never lost to the three-strike rule.
    fallback: str | None = None


@dataclass(frozen=True)
class FreeText:
    key: str
    save_as: str
    next: str | None = None
    validators: tuple[Validator, ...] = ()
    optional: bool = False  # SKIP (and translations) saves None
    vars: dict = field(default_factory=dict)
    # After three invalid answers keep what was typed and go on (a report is never lost).
    keep_after_strikes: bool = False


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
    allowed, as complete(ctx, turn, store) (to store a registration, a report, or start the next
    form); its returned dict is added to `vars`."""

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
    contact: object | None = None  # bot.line.store.ContactView
    extra: dict = field(default_factory=dict)  # read-only lookups the engine provides


class Flow:
    """A conversation: `first` names the first state; each state is a method returning a State,
    or the name of another state to go on at when there is nothing to ask (a step that only
    applies on WhatsApp, a match that needs no confirming)."""

    name: str = ""
    first: str = ""
    topic: str | None = None  # the topic that starts this flow (its own topic word is no way out)

    def state(self, name: str, ctx: FlowContext) -> State | str:
        method = getattr(self, f"state_{name}", None)
        if method is None:
            raise KeyError(f"{type(self).__name__} has no state {name!r}")
        return method(ctx)


def listed(ctx: FlowContext, name: str, key: str, save_as: str, next=None, **kw) -> Choice:
    """A question over one of content's option lists (content/choices.yaml): the numbered labels
    shown as {<name>} in the question, and every label, extra word and (for yes/no lists) yes/no
    word of the organization's languages accepted as the answer."""
    catalog, langs = ctx.catalog, answer_languages(ctx)
    listing = catalog.choice(name)
    options = []
    for option in listing.options:
        side = "yes" if option.value == listing.yes else "no" if option.value == listing.no else None
        yes_no = [catalog.keywords(side, lang) for lang in langs] if side else []
        options.append(Option(option.value, label=option.label(ctx.lang, ctx.channel),
                              words=matching.words(option.answers(langs), *yes_no)))
    return Choice(key, tuple(options), save_as=save_as, next=next,
                  vars={name: catalog.numbered([o.label for o in options], ctx.channel), **kw.pop("vars", {})}, **kw)


def answer_languages(ctx: FlowContext) -> tuple[str, ...]:
    """The languages whose words count as answers: the organization's, the worker's, and English."""
    return tuple(dict.fromkeys([ctx.lang, *ctx.org.languages, "en"]))


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
