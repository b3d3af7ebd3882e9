"""Incident reports: category, what happened, where (gazetteer or a WhatsApp pin), when, an optional
photo or voice note (WhatsApp), anonymous or not, and last whether its words may be quoted (anonymised)
in evidence packs. A first free-text message ("police took my goods at gikomba this morning") fills what
the NLU found; the form asks only for the rest. The worker gets a reference (R-4821) and can text it
later to hear the status."""
from __future__ import annotations

from datetime import date

from bot.line import reports, routes
from bot.line.answers import dates, places
from bot.line.flows.runner import Runner, register
from bot.line.flows import matching
from bot.line.flows.states import AskLocation, AskMedia, Choice, End, Flow, FlowContext, FreeText, Invalid, Option, \
    answer_languages, listed, max_length, min_length
from nlu.dates import incident_day

def place_pick(ctx: FlowContext, answer_key: str, next_state: str) -> Choice | str:
    """After a typed place: numbered suggestions when the gazetteer match is unsure, else go on.
    The list also takes a place name typed instead of a number (matched again when it is resolved),
    and "none of these" or an unknown name keeps the text as typed."""
    answer = ctx.answers.get(answer_key) or {}
    typed = answer.get("text")
    if not typed or answer.get("place_id"):
        return next_state
    match = places.resolve_typed(ctx.catalog, ctx.org.slug, typed)
    if match.place_id or not match.candidates:
        return next_state  # matched, or kept as typed
    langs = answer_languages(ctx)
    options = tuple(Option(pid, label=ctx.catalog.place(pid).name(ctx.lang),
                           words=matching.words(ctx.catalog.place(pid).all_names()))
                    for pid in match.candidates)
    none_words = [ctx.catalog.text(ctx.org.slug, "place.other", lang, ch) for lang in langs for ch in ("sms", "whatsapp")]
    other = Option("typed", label=ctx.catalog.text(ctx.org.slug, "place.other", ctx.lang, ctx.channel),
                   words=matching.words(none_words, *(ctx.catalog.keywords("skip", lang) for lang in langs)))
    return Choice("place.choose", options + (other,), save_as=f"{answer_key}_pick", next=next_state, free=True,
                  fallback="typed")


def when_validator(ctx: FlowContext):
    def check(text: str) -> dict:
        found = incident_day(text, dates.local_today(ctx.org))  # "today" is the worker's today
        if found is None:
            raise Invalid("report.when_invalid")
        return {"date": found.isoformat(), "text": text[:100]}

    return check


@register
class ReportFlow(Flow):
    name = "report"
    first = "category"
    topic = "topic.report"

    def state_category(self, ctx: FlowContext) -> Choice:
        return listed(ctx, "report_category", "report.category", save_as="category", next="what",
                      text_to="description", fallback="other")

    def state_what(self, ctx: FlowContext) -> FreeText:
        return FreeText("report.what", save_as="description", next="where", keep_after_strikes=True,
                        validators=(min_length(3, "report.too_short"), max_length(1000)))

    def state_where(self, ctx: FlowContext) -> AskLocation:
        return AskLocation("report.where", save_as="where", next="where_pick")

    def state_where_pick(self, ctx: FlowContext):
        return place_pick(ctx, "where", "when")

    def state_when(self, ctx: FlowContext) -> FreeText:
        return FreeText("report.when", save_as="when", next="media", validators=(when_validator(ctx),),
                        optional=True)

    def state_media(self, ctx: FlowContext):
        if ctx.channel != "whatsapp":
            return "anonymous"
        return AskMedia("report.media", save_as="media", next="anonymous")

    def state_anonymous(self, ctx: FlowContext) -> Choice:
        # Unsure after three tries: anonymous, the choice that cannot expose the worker.
        return listed(ctx, "report_anonymous", "report.anonymous", save_as="anonymous", next="quote",
                      fallback="anonymous")

    def state_quote(self, ctx: FlowContext) -> Choice:
        # The last step: may a short anonymised quote appear in evidence packs? Unsure after three tries: no.
        return listed(ctx, "report_quote", "report.quote", save_as="quote", next="done", fallback="no")

    def state_done(self, ctx: FlowContext) -> End:
        return End("report.received", complete="save")

    # --- with I/O (the runner calls it once the form is complete)

    def save(self, ctx: FlowContext, turn, store=None) -> dict:
        a = ctx.answers
        place = reports.resolve_place(ctx.catalog, ctx.org.slug, a.get("where"), a.get("where_pick"))
        when = a.get("when") or {}
        if isinstance(when, str):  # kept as typed after three unreadable dates
            when = {"text": when[:100]}
        report = reports.create_report(
            turn.services, ctx.org.slug, contact_id=turn.contact.id if turn.contact else None,
            channel=ctx.channel, language=ctx.lang, category=a.get("category") or "other",
            description=a.get("description"), place=place,
            occurred_on=date.fromisoformat(when["date"]) if when.get("date") else None,
            occurred_text=when.get("text"), anonymous=a.get("anonymous") == "anonymous",
            media=a.get("media") or [], quote_consent=a.get("quote") == "yes")
        return {"ref": report.reference}


def prefill(nlu, text: str, ctx: FlowContext | None = None) -> dict:
    """Answers a first free-text message states: what the NLU found, and a category named by the
    words of content's category list ("seized", "hongo") where the NLU found none."""
    answers: dict = {}
    if nlu is None:
        return answers
    incident = nlu.entity("incident_type")
    if incident is not None:
        answers["category"] = reports.INCIDENT_CATEGORY.get(incident.value, "other")
    elif ctx is not None and nlu.intent == "report_incident":
        choice = listed(ctx, "report_category", "report.category", save_as="category")
        named = matching.pick(text, [matching.Candidate(o.value, o.words) for o in choice.options if o.value != "other"])
        if named is not None:
            answers["category"] = named
    # The message is the description only when it tells what happened; "I want to report a
    # problem" (report_request) only asks for the form.
    if nlu.intent == "report_incident" and (len(text.split()) >= 4 or (incident is not None and len(text.split()) >= 3)):
        answers["description"] = text[:1000]
    place = nlu.entity("market") or nlu.entity("place")
    if place is not None:
        answers["where"] = {"text": place.text or place.value, "place_id": place.place_id}
    when = nlu.entity("date")
    if when is not None:
        found = incident_day(when.text or when.value, dates.local_today(ctx.org) if ctx else None)
        if found is not None:
            answers["when"] = {"date": found.isoformat(), "text": (when.text or when.value)[:100]}
    return answers


def start(turn, store, answers: dict | None = None) -> None:
    Runner(turn, store).start("report", answers=answers)


@routes.topic("topic.report")
def report_topic(turn, store, nlu=None) -> None:
    ctx = FlowContext(answers={}, lang=turn.lang, channel=turn.channel, org=turn.org, catalog=turn.services.catalog)
    start(turn, store, prefill(nlu, turn.inbound.text, ctx) if nlu is not None else None)


@routes.pattern(r"R\s?-?\s?\d{3,6}")
def report_status(turn, store, match) -> None:
    services, org = turn.services, turn.org.slug
    report = reports.find_for_contact(services, org, turn.contact.id if turn.contact else None, match.group(0))
    ref = reports.normalise_reference(match.group(0))
    if report is None:
        turn.say("report.unknown", ref=ref)
        return
    state = turn.text(f"report.state.{report.status}")
    note = reports.latest_note(services, report.id)
    if note:
        turn.say("report.status.note", ref=report.reference, state=state,
                 note=reports.truncate(services.catalog, "note", turn.lang, note))
    else:
        turn.say("report.status", ref=report.reference, state=state)
