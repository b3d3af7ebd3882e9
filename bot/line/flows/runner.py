"""Runs declarative flows: asks a state's question, reads the answer, validates, moves on.

The session (Redis, via bot.line.sessions) holds {flow, state, answers, invalid}. Answers given
up front (an NLU prefill) skip their questions. Exits, SKIP and the three-strikes rule live
here once, for every flow.
"""
from __future__ import annotations

from bot.line import deferred, keywords, routes
from bot.line.flows import matching
from bot.line.flows.states import (
    QUESTIONS,
    AskLocation,
    AskMedia,
    Choice,
    End,
    Flow,
    FlowContext,
    FreeText,
    Invalid,
)

MAX_INVALID = 3
# Intents that ask for information: such a question typed at a free-text step leaves the form.
QUESTION_INTENTS = frozenset({"ask_market_status", "ask_relief", "ask_registration"})
FLOWS: dict[str, Flow] = {}


def register(flow_class: type[Flow]) -> type[Flow]:
    existing = FLOWS.get(flow_class.name)
    if existing is not None and type(existing).__qualname__ != flow_class.__qualname__:
        raise ValueError(f"two flows named {flow_class.name!r}: {type(existing).__name__} and {flow_class.__name__}")
    FLOWS[flow_class.name] = flow_class()
    return flow_class


class Runner:
    def __init__(self, turn, store):
        self.turn, self.store = turn, store
        self.catalog = turn.services.catalog

    # --- entry points

    def start(self, name: str, answers: dict | None = None, extra: dict | None = None) -> None:
        session = {"flow": name, "state": FLOWS[name].first, "answers": dict(answers or {}), "invalid": 0,
                   "extra": extra or {}}
        self._advance(session, session["state"])

    def resume(self, session: dict) -> bool:
        """Handle an answer; False when the flow let go of the message (the caller routes it)."""
        flow = FLOWS.get(session.get("flow"))
        if flow is None:  # a flow that no longer exists (deploy): start afresh
            self._clear()
            self.turn.say("menu.main")
            return True
        word = keywords.normalise(self.turn.inbound.body)
        if self._is_exit(word):
            # The menu in the same reply: leaving a form never costs the worker another SMS.
            self._clear()
            self.turn.say("menu.main")
            return True
        ctx = self._ctx(session)
        state = flow.state(session["state"], ctx)
        if self._changes_topic(flow, state, word):
            self._clear()
            return False  # routed afresh by the engine
        try:
            value = self._read(state, word)
        except Invalid as problem:
            if isinstance(state, Choice) and state.leave_on_text and any(ch.isalpha() for ch in word):
                self._clear()
                leave = getattr(flow, "on_leave", None)
                return bool(leave and leave(ctx, self.turn, self.store))
            if isinstance(state, Choice) and state.text_to and len(word.split()) >= 3 \
                    and not session["answers"].get(state.text_to):
                session["answers"][state.text_to] = self.turn.inbound.text[:1000]
            self._invalid(session, state, problem)
            return True
        if isinstance(state, Choice) and state.text_to and len(word.split()) >= 4 \
                and matching.number_of(word) is None and not session["answers"].get(state.text_to):
            # "police took all my goods" at the category list: the category, and what happened too.
            session["answers"][state.text_to] = self.turn.inbound.text[:1000]
        self._save(session, state, value)
        self._advance(session, _next(state, value))
        return True

    def _changes_topic(self, flow: Flow, state, word: str) -> bool:
        """The worker left the question for another topic: a whole-message topic word ("relief",
        "permit") that answers nothing here ("market" at "where?" is an answer), or a question ("is
        toi open tomorrow?") at a free-text step that the NLU is sure asks something else."""
        if not word or matching.number_of(word) is not None:
            return False
        langs = self.turn.org.languages
        topic = next((name for group, name in routes.KEYWORDS.items()
                      if any(word in self.catalog.keywords(group, lang) for lang in langs)), None)
        if topic is not None and topic != flow.topic and not (topic == "topic.market" and isinstance(state, AskLocation)):
            if isinstance(state, Choice):
                try:
                    self._choose(state, word, skip=False)
                    return False  # also an answer to this question
                except Invalid:
                    pass
            return True
        if isinstance(state, (FreeText, AskLocation)) and self.turn.inbound.text.rstrip().endswith("?"):
            result = self.turn.services.nlu.parse(self.turn.inbound.text, org=self.turn.org.slug)
            return result.intent in QUESTION_INTENTS and result.confidence >= 0.8
        return False

    def _save(self, session: dict, state, value) -> None:
        if value is not _SKIPPED:
            session["answers"][state.save_as] = value
        elif state.save_as not in session["answers"]:
            session["answers"][state.save_as] = None
        session["invalid"] = 0

    # --- internals

    def _ctx(self, session: dict) -> FlowContext:
        t = self.turn
        return FlowContext(answers=session["answers"], lang=t.lang, channel=t.inbound.channel, org=t.org,
                           catalog=self.catalog, contact=t.contact, extra=session.get("extra") or {})

    def _words(self, group: str) -> frozenset[str]:
        try:
            return self.catalog.keywords(group)
        except KeyError:
            return frozenset()

    def _is_exit(self, word: str) -> bool:
        return word in self._words("menu") or word in self._words("cancel")

    def _advance(self, session: dict, name: str | None) -> None:
        flow = FLOWS[session["flow"]]
        while name is not None:
            session["state"] = name
            state = flow.state(name, self._ctx(session))
            if isinstance(state, str):  # nothing to ask here: go on at the named state
                name = state
                continue
            if isinstance(state, QUESTIONS) and state.save_as in session["answers"]:
                name = _next(state, session["answers"][state.save_as])  # prefilled: skip the question
                continue
            if isinstance(state, End):
                self._finish(flow, state, session)
                return
            self.store.put(self.turn.org.slug, self.turn.inbound.phone, session)
            self._ask(state)
            return
        self._clear()

    def _finish(self, flow: Flow, state: End, session: dict) -> None:
        self._clear()
        vars = dict(state.vars)
        if state.complete:
            try:
                vars.update(getattr(flow, state.complete)(self._ctx(session), self.turn, self.store) or {})
            except Exception as exc:  # the database is away: the answers go to the spool (bot/line/deferred.py)
                if not deferred.defer(self.turn, flow, state, session, exc):
                    raise
                return
        self.turn.outcome.contact_changes.update(state.contact_changes)
        if state.key:
            self.turn.say(state.key, lang=state.lang, **vars)

    def _ask(self, state, hint: tuple[str, dict] | None = None) -> None:
        vars = dict(state.vars)
        if isinstance(state, Choice):
            vars.setdefault("options", self._options(state))
        if hint is None:
            self.turn.say(state.key, **vars)
            return
        self.turn.say_either(hint, (state.key, vars))

    def _options(self, state: Choice) -> str:
        t = self.turn
        labels = [o.label if o.label is not None else
                  self.catalog.text(t.org.slug, o.label_key, t.lang, t.inbound.channel) for o in state.options]
        return self.catalog.numbered(labels, t.inbound.channel)

    def _invalid(self, session: dict, state, problem: Invalid) -> None:
        session["invalid"] = session.get("invalid", 0) + 1
        if session["invalid"] >= MAX_INVALID:
            kept = self._kept(state)
            if kept is not None:  # a form step: keep what was typed and go on
                self._save(session, state, kept)
                self._advance(session, _next(state, kept))
                return
            self._clear()
            self.turn.say("menu.fallback")
            return
        self.store.put(self.turn.org.slug, self.turn.inbound.phone, session)
        self._ask(state, hint=(problem.key, problem.vars))

    def _kept(self, state):
        """What a third invalid answer still gives the form: the typed text at a free-text or
        optional step, the fallback value of a choice that has one; None ends the form."""
        text = self.turn.inbound.text
        if isinstance(state, Choice):
            return state.fallback
        if isinstance(state, FreeText) and (state.keep_after_strikes or state.optional):
            return text[:1000] if text else _SKIPPED
        if isinstance(state, (AskLocation, AskMedia)):
            return {"text": text[:200]} if text and isinstance(state, AskLocation) else _SKIPPED
        return None

    def _clear(self) -> None:
        self.store.put(self.turn.org.slug, self.turn.inbound.phone, None)

    def _read(self, state, word: str):
        inbound = self.turn.inbound
        skip = word in self._words("skip")
        if isinstance(state, Choice):
            return self._choose(state, word, skip)
        if isinstance(state, AskLocation):
            if inbound.latitude is not None and inbound.longitude is not None:
                return {"lat": inbound.latitude, "lon": inbound.longitude,
                        "address": inbound.address, "label": inbound.label}
            if state.optional and skip:
                return _SKIPPED
            if not inbound.text:
                raise Invalid("form.location_needed")
            return {"text": inbound.text}
        if isinstance(state, AskMedia):
            if inbound.media:
                return [{"url": m.url, "content_type": m.content_type} for m in inbound.media]
            if state.optional and (skip or inbound.text):
                return _SKIPPED
            raise Invalid("form.media_needed")
        if isinstance(state, FreeText):
            if state.optional and skip:
                return _SKIPPED
            value: object = inbound.text
            if not value:
                raise Invalid("form.empty")
            for validator in state.validators:
                value = validator(value)
            return value
        raise TypeError(f"not a question: {state!r}")

    def _choose(self, state: Choice, word: str, skip: bool):
        options = state.options
        number = matching.number_of(word)
        if number is not None and 1 <= number <= len(options) and not (state.free and len(word.split()) > 1):
            return options[number - 1].value
        if state.optional and skip:
            return _SKIPPED
        candidates = [matching.Candidate(o.value, o.words | self._option_words(o)) for o in options]
        found = matching.pick(self.turn.inbound.text, candidates) if word else None
        if found is not None:
            return found
        if state.free and self.turn.inbound.text and number is None:
            return {"text": self.turn.inbound.text[:200]}
        raise Invalid("choice.invalid", max=len(options))

    def _option_words(self, option) -> frozenset[str]:
        extra = [self._words(option.keywords)] if option.keywords else []
        label = [option.label] if option.label else []
        return matching.words(label, *extra)


_SKIPPED = object()


def _next(state, value) -> str | None:
    if isinstance(state.next, dict):
        return state.next.get(value, state.next.get("*"))
    return state.next


def active(session: dict | None) -> bool:
    return bool(session and session.get("flow") in FLOWS)
