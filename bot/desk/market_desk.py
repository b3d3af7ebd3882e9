"""What the markets page needs beyond bot/line/live.py: dates typed in the organization's time zone, one
place's rows scoped to the org, cancelling a distribution, and telling members about a change.

Telling members reuses the SMS organizer's path: the same answers (bot/line/answers/market.status_text,
bot/line/answers/relief.distribution_text) rendered for each of the org's languages through
bot/broadcasts/announce.texts_for, and bot/broadcasts/announce.start_pending to create and start the broadcast. One change
is told once: a second click finds the broadcast the first one started."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.broadcasts import announce

from bot.line import live
from bot.line.answers import dates
from bot.broadcasts import BroadcastError, preview
from bot.models import MARKET_STATES, Broadcast, MarketStatus, PendingBroadcast, ReliefDistribution, utcnow
from bot.phones import mask, to_e164

MAX_REASON = 500
MAX_TEXT = 200
KINDS = ("market_status", "relief_distribution")


class DeskError(ValueError):
    """Input the page cannot use; the message is shown to the organizer as it is."""


class AlreadyTold(Exception):
    def __init__(self, broadcast_id: int | None):
        super().__init__(broadcast_id)
        self.broadcast_id = broadcast_id


# --------------------------------------------------------------------------- dates


def parse_local(value: str | None, org, *, label: str, end: bool = False) -> datetime | None:
    """'2026-11-30T18:00' (an <input type=datetime-local>) or '2026-11-30' in the org's time zone.
    A day alone as an end means the end of that day. Empty -> None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DeskError(f"{label}: {value[:40]!r} is not a date and time (use YYYY-MM-DD HH:MM).") from None
    if parsed.year < 2000 or parsed.year > 2100:
        raise DeskError(f"{label}: the year {parsed.year} is out of range.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dates.zone(org))
        if end and len(value) <= 10:
            parsed += timedelta(days=1)
    return parsed


def local_input(value: datetime | None, org) -> str:
    """A time as the value of an <input type=datetime-local> in the org's zone."""
    return value.astimezone(dates.zone(org)).strftime("%Y-%m-%dT%H:%M") if value else ""


def show_who(changed_by: str | None) -> str:
    """Who made a change, for a page: a phone number (an SMS organizer) is masked like any other."""
    if not changed_by:
        return ""
    if to_e164(changed_by):
        return mask(to_e164(changed_by))
    return changed_by[4:] if changed_by.startswith("web:") else changed_by  # web:<email> -> the email


# --------------------------------------------------------------------------- reads, scoped


def get_status(services, organization: str, status_id: int) -> live.StatusView | None:
    with services.db() as session:
        row = session.get(MarketStatus, status_id)
        return live.status_view(row) if row is not None and row.organization == organization else None


def get_relief(services, organization: str, relief_id: int) -> live.DistributionView | None:
    with services.db() as session:
        row = session.get(ReliefDistribution, relief_id)
        return live.distribution_view(row) if row is not None and row.organization == organization else None


def relief_cancelled(services, organization: str, relief_id: int) -> bool:
    with services.db() as session:
        row = session.get(ReliefDistribution, relief_id)
        return bool(row and row.organization == organization and row.cancelled_at)


# --------------------------------------------------------------------------- changes


def set_status(services, org, place_id: str, form: dict, changed_by: str) -> live.StatusView:
    """A status from the page's form (status, starts, ends, reason); DeskError for bad input."""
    status = (form.get("status") or "").strip()
    if status not in MARKET_STATES:
        raise DeskError(f"Status must be one of: {', '.join(MARKET_STATES)}.")
    reason = " ".join((form.get("reason") or "").split())
    if len(reason) > MAX_REASON:
        raise DeskError(f"The reason is too long (at most {MAX_REASON} characters; workers see the first 40).")
    starts = parse_local(form.get("starts"), org, label="Starts")
    ends = parse_local(form.get("ends"), org, label="Ends", end=True)
    if ends is not None and ends <= (starts or utcnow()):
        raise DeskError("Ends must come after the start." if starts else "Ends must be in the future.")
    try:
        view, _ = live.set_market_status(services, org.slug, place_id, status, changed_by=changed_by[:100],
                                         source="web", starts_at=starts, ends_at=ends, reason=reason or None)
    except live.LiveError as exc:
        raise DeskError(str(exc)) from exc
    return view


def add_relief(services, org, form: dict, changed_by: str) -> live.DistributionView:
    """A distribution from the page's form: place (an org place id) or venue (words), starts, ends,
    recipients, programme."""
    catalog = services.catalog
    place_id = (form.get("place") or "").strip() or None
    venue = " ".join((form.get("venue") or "").split())
    place = live.org_place(catalog, org.slug, place_id) if place_id else None
    if place_id and place is None:
        raise DeskError("Unknown place: pick one from the list or write the venue.")
    if place is not None and not venue:
        venue = place.name(org.default_language)
    if not venue:
        raise DeskError("Where: pick a place or write the venue.")
    recipients = " ".join((form.get("recipients") or "").split())
    if not recipients:
        raise DeskError("For whom: write who the distribution is for (e.g. fire victims at Gikomba).")
    if len(venue) > MAX_TEXT or len(recipients) > MAX_TEXT:
        raise DeskError(f"Venue and recipients take at most {MAX_TEXT} characters each.")
    starts = parse_local(form.get("starts"), org, label="Starts")
    if starts is None:
        raise DeskError("Starts: when does the distribution start?")
    ends = parse_local(form.get("ends"), org, label="Ends", end=True)
    programme = (form.get("programme") or "").strip() or None
    if programme and programme not in {p.id for p in catalog.programmes(org.slug)}:
        raise DeskError("Unknown programme: pick one from the list.")
    try:
        view, _ = live.announce_relief(services, org.slug, venue=venue, place_id=place.id if place else None,
                                       starts_at=starts, ends_at=ends, recipients=recipients,
                                       programme_id=programme, changed_by=changed_by[:100], source="web")
    except live.LiveError as exc:
        raise DeskError(str(exc)) from exc
    return view


def cancel_relief(services, organization: str, relief_id: int) -> bool:
    """Cancel the org's distribution; False when there is none (or it was cancelled already)."""
    with services.db.begin() as session:
        return bool(session.execute(
            update(ReliefDistribution)
            .where(ReliefDistribution.id == relief_id, ReliefDistribution.organization == organization,
                   ReliefDistribution.cancelled_at.is_(None))
            .values(cancelled_at=utcnow())).rowcount)


# --------------------------------------------------------------------------- telling members


@dataclass(frozen=True)
class Offer:
    """What one click would send: to whom (recipients now, and those who cannot be reached), what
    (the text per language), and whether it was sent already."""

    kind: str
    row_id: int
    place_id: str | None
    place_name: str | None
    recipients: int
    skipped: int
    skipped_reasons: dict
    texts: dict
    broadcast_id: int | None  # set when this change was told already
    state: str | None  # pending | starting | sent | failed (None: never asked)


def reader(services, org):
    """A turn as the org's members read it (SMS, default language), for the answers' texts."""
    from bot.line.turn import Turn
    from bot.messages import Inbound
    from bot.line.outcome import Outcome

    inbound = Inbound(sid="web", channel="sms", from_address="", to_address="", phone=None, to_number=None,
                      body="")
    return Turn(inbound, org, None, services, Outcome(contact_changes={"language": org.default_language}))


def texts(services, org, kind: str, view) -> dict[str, str]:
    """The announcement in each of the org's languages: the very texts the SMS command sends."""
    from bot.line.answers.market import status_text
    from bot.line.answers.relief import distribution_text

    turn = reader(services, org)
    if kind == "market_status":
        day = view.starts_at.astimezone(dates.zone(org)).date()
        return announce.texts_for(turn, lambda r: status_text(r, view.place_id, day))
    return announce.texts_for(turn, lambda r: distribution_text(r, view))


def _view(services, organization: str, kind: str, row_id: int):
    if kind == "market_status":
        return get_status(services, organization, row_id)
    if kind == "relief_distribution":
        if relief_cancelled(services, organization, row_id):
            return None
        return get_relief(services, organization, row_id)
    return None


def _link(kind: str, row_id: int):
    return (PendingBroadcast.market_status_id == row_id if kind == "market_status"
            else PendingBroadcast.relief_distribution_id == row_id)


def _told(session, organization: str, pending: PendingBroadcast | None) -> int | None:
    if pending is None:
        return None
    return session.scalar(select(Broadcast.id).where(Broadcast.organization == organization,
                                                     Broadcast.name == f"announcement {pending.id}")
                          .order_by(Broadcast.id.desc()).limit(1))


def _latest_pending(session, organization: str, kind: str, row_id: int, lock: bool = False):
    query = (select(PendingBroadcast).where(PendingBroadcast.organization == organization, _link(kind, row_id))
             .order_by(PendingBroadcast.id.desc()).limit(1))
    return session.scalars(query.with_for_update() if lock else query).first()


def offer_state(services, organization: str, kind: str, row_id: int) -> tuple[str | None, int | None]:
    """(state of the latest request to tell members about this change, its broadcast id)."""
    with services.db() as session:
        pending = _latest_pending(session, organization, kind, row_id)
        return (pending.status if pending else None), _told(session, organization, pending)


def offer(services, org, kind: str, row_id: int) -> Offer | None:
    """The offer for one change of this org (None: no such change here, or a cancelled distribution)."""
    view = _view(services, org.slug, kind, row_id)
    if view is None:
        return None
    state, broadcast_id = offer_state(services, org.slug, kind, row_id)
    body = texts(services, org, kind, view)
    try:
        counted = preview(services, organization=org.slug, segment=announce.segment_for(view.place_id), texts=body)
        recipients, reasons = counted["recipients"], counted["skipped"]
    except BroadcastError:
        recipients, reasons = 0, {}
    name = services.catalog.place(view.place_id).name(org.default_language) if view.place_id else None
    return Offer(kind, row_id, view.place_id, name, recipients, sum(reasons.values()), reasons, body,
                 broadcast_id, state)


def tell_members(services, org, kind: str, row_id: int, requested_by: str) -> tuple[str, int | None]:
    """Create and start the broadcast of one change (once). Returns (state, broadcast id);
    LookupError for a change that is not this org's; AlreadyTold when it was told already."""
    if kind not in KINDS:
        raise LookupError(kind)
    view = _view(services, org.slug, kind, row_id)
    if view is None:
        raise LookupError(row_id)
    model = MarketStatus if kind == "market_status" else ReliefDistribution
    with services.db.begin() as session:
        # The change's row is the lock: two clicks (or two organizers) cannot both start a broadcast.
        session.execute(select(model.id).where(model.id == row_id).with_for_update())
        pending = _latest_pending(session, org.slug, kind, row_id, lock=True)
        if pending is not None and pending.status in ("starting", "sent"):
            raise AlreadyTold(_told(session, org.slug, pending))
        if pending is None:
            link = {"market_status_id": row_id} if kind == "market_status" else {"relief_distribution_id": row_id}
            pending = PendingBroadcast(organization=org.slug, kind=kind, place_id=view.place_id,
                                       requested_by=requested_by[:100], created_at=utcnow(), **link)
            session.add(pending)
        pending.status = "starting"
        session.flush()
        pending_id = pending.id
    try:
        body = texts(services, org, kind, view)
        return announce.start_pending(services, org.slug, pending_id, view.place_id, body, requested_by[:100])
    except Exception:  # never leave it "starting": that would block the next try
        with services.db.begin() as session:
            session.execute(update(PendingBroadcast).where(PendingBroadcast.id == pending_id,
                                                           PendingBroadcast.status == "starting")
                            .values(status="failed"))
        raise


def waiting(services, organization: str) -> list[dict]:
    """Changes someone asked to tell members about (the markets API, a failed try) not told yet."""
    out = []
    for p in live.pending_broadcasts(services, organization):
        row_id = p.market_status_id if p.kind == "market_status" else p.relief_distribution_id
        if row_id is None or _view(services, organization, p.kind, row_id) is None:
            continue
        out.append({"id": p.id, "kind": p.kind, "row_id": row_id, "place_id": p.place_id,
                    "requested_by": show_who(p.requested_by), "created_at": p.created_at})
    return out


__all__ = ["DeskError", "AlreadyTold", "Offer", "parse_local", "local_input", "show_who", "get_status",
           "get_relief", "set_status", "add_relief", "cancel_relief", "offer", "offer_state", "tell_members",
           "texts", "waiting"]
