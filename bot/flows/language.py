"""Choosing the language the line writes in, among the organization's languages."""
from __future__ import annotations

from bot.flows.runner import register
from bot.flows.states import Choice, End, Flow, FlowContext, Option


@register
class LanguageFlow(Flow):
    name = "language"
    first = "choose"

    def state_choose(self, ctx: FlowContext) -> Choice:
        # {languages} in language.menu is the catalog's own numbering of these same codes.
        codes = ctx.catalog.language_options(ctx.org.slug)
        options = tuple(Option(code, label=ctx.catalog.language_info[code]["label"]) for code in codes)
        return Choice("language.menu", options, save_as="language", next="done")

    def state_done(self, ctx: FlowContext) -> End:
        lang = ctx.answers["language"]
        return End("language.changed", contact_changes={"language": lang}, lang=lang)
