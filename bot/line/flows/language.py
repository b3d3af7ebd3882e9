"""Choosing the language the line writes in, among the organization's languages."""
from __future__ import annotations

from bot.line.flows import matching
from bot.line.flows.runner import register
from bot.line.flows.states import Choice, End, Flow, FlowContext, Option


def language_choice(ctx: FlowContext, next: str) -> Choice:
    """The organization's languages; {languages} in language.menu is the catalog's own numbering of
    these same codes. A language is also picked by its name, in its own script or in English."""
    codes = ctx.catalog.language_options(ctx.org.slug)
    info = ctx.catalog.language_info
    options = tuple(Option(code, label=info[code]["label"],
                           words=matching.words([code, info[code].get("label", ""), info[code].get("label_sms", ""),
                                                 info[code].get("name", ""), *info[code].get("words", ())]))
                    for code in codes)
    return Choice("language.menu", options, save_as="language", next=next)


@register
class LanguageFlow(Flow):
    name = "language"
    first = "choose"

    def state_choose(self, ctx: FlowContext) -> Choice:
        return language_choice(ctx, next="done")

    def state_done(self, ctx: FlowContext) -> End:
        lang = ctx.answers["language"]
        return End("language.changed", contact_changes={"language": lang}, lang=lang)
