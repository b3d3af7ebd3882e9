"""Workers' data rights by SMS/WhatsApp: FORGET (and its translations, keywords.yaml `forget`) asks
once and, on yes, erases the worker (bot/line/privacy.py) right after this very message and its reply are
recorded, so those go too; MYDATA (`mydata`) tells a worker what the organization holds about them."""
from __future__ import annotations

from bot.line import privacy, routes
from bot.line.answers import dates
from bot.line.flows.runner import Runner, register
from bot.line.flows.states import End, Flow, FlowContext, listed
from bot.models import Member, Report
from bot.line.replies import finish

MARKET_MAX = 25  # a place typed at registration, cut to fit {market}'s budget


@register
class ForgetFlow(Flow):
    name = "forget"
    first = "confirm"

    def state_confirm(self, ctx: FlowContext):
        return listed(ctx, "forget_confirm", "forget.confirm", save_as="confirm", next={"yes": "done", "no": "kept"})

    def state_kept(self, ctx: FlowContext) -> End:
        return End("forget.kept")

    def state_done(self, ctx: FlowContext) -> End:
        return End("forget.done", complete="erase")

    # --- with I/O

    def erase(self, ctx: FlowContext, turn, store=None) -> dict:
        org, contact_id = turn.org.slug, turn.contact.id
        turn.outcome.after_record.append(lambda services: privacy.erase_or_queue(services, org, contact_id))
        return {}


@routes.topic("topic.forget")
def forget_topic(turn, store, nlu=None) -> None:
    if turn.contact is None or turn.contact.id is None:  # no contact row to erase (database away)
        turn.say("error.temporary")
        return
    Runner(turn, store).start("forget")


@routes.topic("topic.mydata")
def mydata_topic(turn, store, nlu=None) -> None:
    if turn.contact is None or turn.contact.id is None:
        turn.say("error.temporary")
        return
    held = holding(turn.services, turn.org, turn.contact.id)
    if held is None:
        turn.say("mydata.contact", days=turn.org.retention_messages_days)
        return
    member, reports = held
    first = turn.text("mydata.member", number=member.number, trade_name=_trade(turn, member.trade),
                      market=_market(turn, member), language_name=_language(turn, member.language))
    then = turn.text("mydata.record", count=reports, version=member.consent_version,
                     consent_date=dates.local_day(member.consented_at, dates.zone(turn.org)).strftime("%d/%m/%Y"))
    both = finish(f"{first}\n{then}" if turn.channel == "whatsapp" else f"{first} {then}", turn.channel)
    if turn.channel == "whatsapp" or both.segments == 1:
        turn.outcome.replies.append(both)
    else:  # two messages of one segment each rather than one of two
        turn.say_text(first)
        turn.say_text(then)


def holding(services, org, contact_id: int) -> tuple[Member, int] | None:
    """The member row and how many reports the organization has from this worker; None: no member."""
    from sqlalchemy import func, or_, select

    with services.db() as session:
        member = session.scalar(select(Member).where(Member.organization == org.slug,
                                                     Member.contact_id == contact_id))
        if member is None:
            return None
        count = session.scalar(select(func.count(Report.id)).where(
            Report.organization == org.slug, or_(Report.contact_id == contact_id, Report.member_id == member.id)))
        session.expunge(member)
        return member, int(count or 0)


def _trade(turn, trade: str | None) -> str:
    for option in turn.services.catalog.choice("trade").options:
        if option.value == trade:
            return option.label(turn.lang, turn.channel)
    return trade or "-"


def _market(turn, member: Member) -> str:
    if member.place_id:
        try:
            return turn.services.catalog.place(member.place_id).name(turn.lang)
        except KeyError:
            pass
    return (member.place_text or "-")[:MARKET_MAX]


def _language(turn, code: str | None) -> str:
    info = turn.services.catalog.language_info.get(code or turn.lang, {})
    gsm = turn.channel == "sms" and info.get("sms_encoding") != "UCS-2" and \
        turn.services.catalog.language_info.get(turn.lang, {}).get("sms_encoding") != "UCS-2"
    return (info.get("label_sms") if gsm else None) or info.get("label") or code or "-"


routes.keyword("forget", "topic.forget")
routes.keyword("mydata", "topic.mydata")
