"""Worker registration: consent first (versioned text in content), then name, trade, city, market or
area (gazetteer, with numbered suggestions when unsure), language. The worker gets a member number
(NRB-00042). A registered worker who sends the join word again can change one detail."""
from __future__ import annotations

from bot.line import members, reports, routes
from bot.line.flows.report import place_pick
from bot.line.flows.runner import Runner, register
from bot.line.flows import matching
from bot.line.flows.language import language_choice
from bot.line.flows.states import AskLocation, Choice, End, Flow, FlowContext, FreeText, Option, listed, max_length, \
    min_length

UPDATABLE = ("name", "trade", "place", "language")


@register
class RegistrationFlow(Flow):
    name = "membership"  # "registration" is the guides list (bot/line/answers/relief.py)
    first = "start"
    topic = "topic.join"

    def _then(self, ctx: FlowContext, state: str) -> str:
        return "done" if ctx.extra.get("update") else state

    def state_start(self, ctx: FlowContext) -> Choice:
        # New workers have mode="new" prefilled (skipped); members choose what to change.
        return listed(ctx, "member_update", "registration.update", save_as="mode",
                      next={"new": "consent", **{v: v for v in UPDATABLE}},
                      vars={"number": ctx.extra.get("number", "")})

    def state_consent(self, ctx: FlowContext) -> Choice:
        return listed(ctx, "consent", f"consent.{members.CONSENT_VERSION}", save_as="consent",
                      next={"yes": "name", "no": "declined"})

    def state_declined(self, ctx: FlowContext) -> End:
        return End("registration.declined")

    def state_name(self, ctx: FlowContext) -> FreeText:
        return FreeText("registration.name", save_as="name", next=self._then(ctx, "trade"),
                        validators=(min_length(2), max_length(100)))

    def state_trade(self, ctx: FlowContext) -> Choice:
        return listed(ctx, "trade", "registration.trade", save_as="trade", next=self._then(ctx, "city"))

    def state_city(self, ctx: FlowContext) -> Choice:
        options = tuple(Option(city, label=city, words=matching.words([city])) for city in ctx.org.cities)
        return Choice("registration.city", options, save_as="city", next="place")

    def state_place(self, ctx: FlowContext) -> AskLocation:
        return AskLocation("registration.place", save_as="place", next="place_pick")

    def state_place_pick(self, ctx: FlowContext):
        return place_pick(ctx, "place", self._then(ctx, "language"))

    def state_language(self, ctx: FlowContext) -> Choice:
        return language_choice(ctx, next="done")

    def state_done(self, ctx: FlowContext) -> End:
        lang = ctx.answers.get("language") or ctx.lang
        key = "registration.updated" if ctx.extra.get("update") else "registration.done"
        return End(key, complete="save", contact_changes={"language": lang}, lang=lang)

    # --- with I/O

    def save(self, ctx: FlowContext, turn, store=None) -> dict:
        a = ctx.answers
        details = {k: a[k] for k in ("name", "trade", "city", "language") if a.get(k)}
        if "place" in a:
            place = reports.resolve_place(ctx.catalog, ctx.org.slug, a.get("place"), a.get("place_pick"))
            details.update(place_id=place["place_id"], place_text=place["place_text"])
        consent = None if ctx.extra.get("update") else members.CONSENT_VERSION
        member = members.save_member(turn.services, ctx.org, turn.contact.id, details, consent_version=consent)
        return {"number": member.number}


def start(turn, store, answers: dict | None = None) -> None:
    """The join form; a registered member gets the change-details form instead. `answers` known
    already (a name typed right after the guides list) skip their questions."""
    org, catalog = turn.org, turn.services.catalog
    member = members.member_for_contact(turn.services, org.slug, turn.contact.id if turn.contact else None)
    answers = dict(answers or {})
    languages = catalog.language_options(org.slug)
    if len(languages) == 1:
        answers["language"] = languages[0]
    if member is not None:
        answers.pop("name", None)
        Runner(turn, store).start("membership", answers=answers,
                                  extra={"update": True, "number": member.number})
        return
    answers["mode"] = "new"
    if len(org.cities) == 1:
        answers["city"] = org.cities[0]
    Runner(turn, store).start("membership", answers=answers)


@routes.topic("topic.join")
def join_topic(turn, store, nlu=None) -> None:
    start(turn, store)


routes.keyword("join", "topic.join")
routes.keyword("report", "topic.report")
