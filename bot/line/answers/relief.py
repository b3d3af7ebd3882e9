"""Menu 1 (relief) and menu 3 (registration): the programmes and guides for the worker's city and
trade, as a numbered list; a digit picks one, whose answer is paged on SMS (MORE). Relief
distributions organizers announced come first."""
from __future__ import annotations

from bot.line import live, routes
from bot.line.flows import registration as membership
from bot.line.answers import dates, paging, places
from bot.line.answers.market import clip
from bot.line.answers.profile import profile
from bot.line.flows.runner import Runner, register
from bot.line.flows.states import Choice, End, Flow, FlowContext, Option


def distribution_text(turn, d) -> str:
    catalog, lang = turn.services.catalog, turn.lang
    venue = catalog.place(d.place_id).name(lang) if d.place_id else d.venue
    return turn.text("relief.distribution", venue=clip(venue, catalog.max_length("venue", lang)),
                     starts=dates.show_start(catalog, turn.org.slug, lang, turn.channel, d.starts_at,
                                             dates.zone(turn.org)),
                     recipients=clip(d.recipients, catalog.max_length("recipients", lang)))


def _distributions(turn, place_id: str | None) -> list:
    """Upcoming distributions; those at the worker's own market first; at most two."""
    found = live.upcoming_relief(turn.services, turn.org.slug)
    found.sort(key=lambda d: (d.place_id != place_id if place_id else False, d.starts_at))
    return found[:2]


@routes.topic("topic.relief")
def relief_topic(turn, store, nlu) -> None:
    me = profile(turn)
    for d in _distributions(turn, me.place_id):
        turn.say_text(distribution_text(turn, d))
    items = turn.services.catalog.programmes(turn.org.slug, city=me.city, trade=me.trade)
    if not items:
        turn.say("relief.none")
        return
    Runner(turn, store).start("relief", extra={"items": [p.id for p in items]})


@routes.topic("topic.registration")
def registration_topic(turn, store, nlu) -> None:
    me = profile(turn)
    items = turn.services.catalog.guides(turn.org.slug, city=me.city, trade=me.trade)
    if not items:
        turn.say("registration.none")
        return
    Runner(turn, store).start("registration", extra={"items": [g.id for g in items]})


class _ListFlow(Flow):
    """A numbered list of content items (programmes or guides); the chosen one's pages."""

    first = "choose"
    key = ""  # the list text (topic.relief | topic.registration)
    variable = ""  # programmes | guides
    prefix = ""  # relief | guide

    def state_choose(self, ctx: FlowContext) -> Choice:
        ids = ctx.extra["items"]
        titles = [ctx.catalog.text(ctx.org.slug, f"{self.prefix}.{i}.title", ctx.lang, ctx.channel) for i in ids]
        options = tuple(Option(i, label_key=f"{self.prefix}.{i}.title") for i in ids)
        return Choice(self.key, options, save_as="item", next="done", leave_on_text=True,
                      vars={self.variable: ctx.catalog.numbered(titles, ctx.channel)})

    def state_done(self, ctx: FlowContext) -> End:
        return End("", complete="send")

    def send(self, ctx: FlowContext, turn, store=None) -> dict:
        key = f"{self.prefix}.{ctx.answers['item']}"
        paging.send(turn, turn.services.catalog.pages(turn.org.slug, key, turn.lang, turn.channel))
        return {}

    def on_leave(self, ctx: FlowContext, turn, store) -> bool:
        """Text that picked no item; True when handled here (else the engine routes it afresh)."""
        return False


@register
class ReliefFlow(_ListFlow):
    name, key, variable, prefix = "relief", "topic.relief", "programmes", "relief"


@register
class RegistrationFlow(_ListFlow):
    name, key, variable, prefix = "registration", "topic.registration", "guides", "guide"

    def send(self, ctx: FlowContext, turn, store=None) -> dict:
        if self._joins(ctx, ctx.answers["item"]):  # "Join the association": the line's own join form
            membership.start(turn, store)
            return {}
        return super().send(ctx, turn, store)

    def on_leave(self, ctx: FlowContext, turn, store) -> bool:
        # "register" then a name ("Wanjiru Kamau"): the worker means to join; the form keeps the name.
        if any(self._joins(ctx, item) for item in ctx.extra["items"]) and looks_like_name(turn):
            membership.start(turn, store, answers={"name": turn.inbound.text.strip()[:100]})
            return True
        return False

    def _joins(self, ctx: FlowContext, item: str) -> bool:
        return any(g.id == item and g.topic == "membership" for g in ctx.catalog.guides(ctx.org.slug))


def looks_like_name(turn) -> bool:
    """One to four words of letters that are no keyword, place or question."""
    text = (turn.inbound.text or "").strip()
    tokens = text.split()
    if not 1 <= len(tokens) <= 4 or len(text) > 60:
        return False
    if not all(t.replace("'", "").replace("-", "").replace(".", "").isalpha() for t in tokens):
        return False
    catalog = turn.services.catalog
    if catalog.match_keyword(text) is not None:
        return False
    return not places.resolve_typed(catalog, turn.org.slug, text).place_id


routes.keyword("relief", "topic.relief")
routes.keyword("registration", "topic.registration")
