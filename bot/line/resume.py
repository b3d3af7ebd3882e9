"""A form finished while the database was away (bot/line/deferred.py), completed on replay: once the
drainer stored the message, the form's `complete` step runs with the contact as the database knows
it, and the form's closing text (with its reference or member number) is sent to the worker."""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from bot.line import features, spool  # noqa: F401  features registers the flows a deferred form names
from bot.line.flows.runner import FLOWS
from bot.line.flows.states import FlowContext
from bot.line.store import ContactView
from bot.line.turn import Turn
from bot.messages import Outgoing
from bot.models import Contact, utcnow

log = logging.getLogger(__name__)


def contact_for(services, inbound, org: str | None):
    if not (org and inbound.phone):
        return None
    with services.db() as session:
        row = session.execute(select(Contact.id, Contact.language, Contact.opted_out)
                              .where(Contact.organization == org, Contact.phone == inbound.phone)).first()
    return ContactView(*row) if row else None


def finish(services, inbound, org_slug: str, contact, deferred: dict) -> str:
    """Run the deferred `complete` step and send the form's closing text. Returns "saved", "retry"
    (the database went away again) or "failed" (logged; the caller sets the file aside)."""
    org = services.catalog.organizations.get(org_slug)
    flow = FLOWS.get(deferred["flow"])
    if org is None or flow is None:
        log.error("deferred form %s of %s: unknown organization or flow", deferred.get("flow"), inbound.sid)
        return "failed"
    lang = deferred["lang"]
    turn = Turn(inbound, org, contact, services)
    turn.outcome.contact_changes["language"] = lang  # the form's language, whatever the contact row says
    ctx = FlowContext(answers=deferred["answers"], lang=lang, channel=inbound.channel, org=org,
                      catalog=services.catalog, contact=contact, extra=deferred.get("extra") or {})
    try:
        vars = dict(deferred.get("vars") or {})
        vars.update(getattr(flow, deferred["complete"])(ctx, turn) or {})
        if contact is not None and deferred.get("contact_changes"):
            with services.engine.begin() as conn:
                conn.execute(update(Contact).where(Contact.id == contact.id)
                             .values(**deferred["contact_changes"], updated_at=utcnow()))
    except DBAPIError as exc:
        if spool.connection_lost(exc):
            log.warning("deferred form of %s waits for the database: %s", inbound.sid, exc)
            return "retry"
        log.error("deferred form of %s refused by the database: %s", inbound.sid, exc)
        return "failed"
    except Exception:  # a bug in the form's save: keep the answers for a human, go on with the rest
        log.exception("deferred form of %s failed", inbound.sid)
        return "failed"
    if deferred.get("key"):
        body = services.catalog.text(org.slug, deferred["key"], deferred.get("key_lang") or lang, inbound.channel,
                                     **vars)
        result = services.sender.send(Outgoing(to=inbound.from_address, from_=inbound.to_address, body=body))
        if result.status == "failed":
            log.warning("closing text of deferred form %s not sent: %s", inbound.sid, result.error_message)
    return "saved"
