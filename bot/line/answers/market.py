"""Menu 2 / "is gikomba open tomorrow": a market's status for a date, from the organizers' live
reports. An uncertain name asks "1 Gikomba 2 Githurai"; no name asks which market (or, for a
free-text question, answers for the market the worker registered at)."""
from __future__ import annotations

from datetime import date

from bot.line import keywords, live, routes
from bot.line.answers import dates, places
from bot.line.answers.profile import profile
from bot.line.flows.runner import Runner, register
from bot.line.flows.states import Choice, End, Flow, FlowContext, FreeText, Invalid, Option
from content.sms import segment_info


def requested_day(turn, nlu, text: str) -> date:
    today = dates.local_today(turn.org)
    entity = nlu.entity("date") if nlu is not None and hasattr(nlu, "entity") else None
    if entity is not None:
        return dates.day_for(entity.value, today)
    found = dates.extract_dates(text or "")
    return dates.day_for(found[0].value, today) if found else today


def clip(text: str | None, limit: int | None) -> str:
    text = " ".join((text or "").split())
    return text[:limit].rstrip() if limit else text


def status_text(turn, place_id: str, day: date, lang: str | None = None) -> str:
    """The answer for a market on a day, in the worker's language."""
    catalog, org, lang = turn.services.catalog, turn.org, lang or turn.lang
    name = catalog.place(place_id).name(lang)
    tz = dates.zone(org)
    start, end = dates.day_bounds(day, tz)
    row = live.status_between(turn.services, org.slug, place_id, start, end)
    if row is None:
        if day == dates.local_today(org):
            return turn.text("market.answer.none", lang, market=name)
        return turn.text("market.answer.none.on", lang, market=name,
                         day=dates.show_day(catalog, org.slug, lang, turn.channel, day))
    status = turn.text(f"market.status.{row.status}", lang)
    reason = clip(row.reason, catalog.max_length("reason", lang))
    until = dates.show_until(catalog, org.slug, lang, turn.channel, row.ends_at, tz) if row.ends_at else None
    if until and reason:
        return turn.text("market.answer.full", lang, market=name, status=status, until=until, reason=reason)
    if until:
        return turn.text("market.answer.until", lang, market=name, status=status, until=until)
    if reason:
        return turn.text("market.answer.reason", lang, market=name, status=status, reason=reason)
    return turn.text("market.answer", lang, market=name, status=status)


def answer(turn, place_id: str, day: date) -> None:
    turn.say_text(status_text(turn, place_id, day))


def listed_markets(turn, first: str | None = None) -> list[str]:
    """The markets to number in "which market?": as many as fit one SMS (all on WhatsApp),
    the worker's registered market first."""
    catalog, lang, channel = turn.services.catalog, turn.lang, turn.channel
    ids = [p.id for p in places.markets(catalog, turn.org.slug)]
    if first in ids:
        ids.remove(first)
        ids.insert(0, first)
    if channel == "whatsapp":
        return ids
    for n in range(len(ids), 0, -1):
        options = catalog.numbered([catalog.place(i).name(lang) for i in ids[:n]], channel)
        if segment_info(turn.text("market.choose", options=options)).segments == 1:
            return ids[:n]
    return ids[:1]


@routes.topic("topic.market")
def market_topic(turn, store, nlu) -> None:
    text = turn.inbound.text or ""
    day = requested_day(turn, nlu, text)
    found = places.resolve(turn.services.catalog, turn.org.slug, text, nlu)
    if found.certain:
        answer(turn, found.place_id, day)
        return
    extra = {"day": day.isoformat()}
    if found.candidates:
        Runner(turn, store).start("market", answers={"place": list(found.candidates)}, extra=extra)
        return
    registered = profile(turn).place_id
    if registered and nlu is not None:  # "is the market open tomorrow?": the worker's own market
        answer(turn, registered, day)
        return
    extra["listed"] = listed_markets(turn, first=registered)
    Runner(turn, store).start("market", extra=extra)


def _place_answer(ctx: FlowContext):
    listed = list(ctx.extra.get("listed") or [])

    def check(text: str):
        found = places.pick(ctx.catalog, ctx.org.slug, text, listed)
        if found.certain:
            return found.place_id
        if found.candidates:
            return list(found.candidates)
        raise Invalid("place.unknown", place=clip(text, ctx.catalog.max_length("place", ctx.lang)))

    return check


@register
class MarketFlow(Flow):
    name = "market"
    first = "ask"

    def state_ask(self, ctx: FlowContext) -> FreeText:
        names = [ctx.catalog.place(i).name(ctx.lang) for i in ctx.extra.get("listed") or []]
        return FreeText("market.choose", save_as="place", next="pick", validators=(_place_answer(ctx),),
                        vars={"options": ctx.catalog.numbered(names, ctx.channel)})

    def state_pick(self, ctx: FlowContext):
        value = ctx.answers["place"]
        if isinstance(value, str):
            return End("", complete="answer")
        options = tuple(Option(pid, label=ctx.catalog.place(pid).name(ctx.lang)) for pid in value)
        return Choice("place.choose", options, save_as="chosen", next="done", leave_on_text=True)

    def state_done(self, ctx: FlowContext) -> End:
        return End("", complete="answer")

    def answer(self, ctx: FlowContext, turn, store=None) -> dict:
        place_id = ctx.answers.get("chosen") or ctx.answers["place"]
        answer(turn, place_id, date.fromisoformat(ctx.extra["day"]))
        return {}


routes.keyword("market", "topic.market")


@routes.before
def place_name_only(turn, store, word) -> bool:
    """A message that is only a market name, maybe with a day ("gikomba", "gikomb kesho"): its status."""
    text = turn.inbound.text or ""
    if not text or text.strip().isdigit():
        return False
    blanked = list(text)
    for start, end in dates.span_of_dates(text):
        blanked[start:end] = " " * (end - start)
    rest = "".join(blanked).split()
    if not rest or len(rest) > 3:
        return False
    catalog = turn.services.catalog
    for group in ("menu", "greet", "help", "language", "more", "yes", "no", "market", "relief", "registration"):
        if any(keywords.normalise(text) in catalog.keywords(group, lang) for lang in turn.org.languages):
            return False
    found = places.resolve_whole(catalog, turn.org.slug, " ".join(rest))
    if not found.candidates:
        return False
    market_topic(turn, store, None)
    return True
