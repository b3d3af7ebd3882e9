"""A broadcast's recipient rows, made in chunks of its audience (by contact id) rather than in one
INSERT ... SELECT of the whole audience. At send: the organization's last contact id is kept, the first
chunk made and the rest of the audience counted, so a send to 1,000,000 members returns in seconds
(bench/broadcast_million.py); the drainers make the next chunk when the queued rows run out. A chunk is
claimed by moving audience_through forward in the transaction that inserts its rows: a second drainer's
UPDATE waits for the first to commit, then finds audience_through moved and makes nothing, so no chunk
is made twice (the (broadcast, contact) unique key stands behind it). The audience rules apply when a
chunk is made: a member who opted out after the send is not written to."""
from __future__ import annotations

from sqlalchemy import func, insert, literal, select, update

from bot.broadcasts.audience import Segment, audience
from bot.models import Broadcast, BroadcastRecipient, Contact, utcnow

R = BroadcastRecipient
CHUNK = 20_000  # contacts per chunk: ~1.5 s of INSERT on 2 cores; a smaller audience is made at send
COLUMNS = ["broadcast_id", "contact_id", "channel", "language", "to_address", "mode", "state", "reason",
           "attempts", "status_rank", "updated_at"]


def _audience(services, b: Broadcast):
    return audience(services.catalog, b.organization, Segment.from_dict(b.segment), b.texts,
                    b.template is not None, utcnow())


def start(services, b: Broadcast) -> int:
    """At send (the broadcast is 'sending'): keep the organization's last contact id, make the first chunk,
    and count the rest of the audience when the first chunk did not hold it all (a small audience is read
    once, as when every row was made at send). Returns the audience's size (skipped recipients included,
    as in the rows)."""
    with services.engine.connect() as conn:
        last = conn.execute(select(func.max(Contact.id)).where(Contact.organization == b.organization)).scalar()
    with services.engine.begin() as conn:
        conn.execute(update(Broadcast).where(Broadcast.id == b.id)
                     .values(audience_last_id=last or 0, audience_through=0))
    b.audience_last_id, b.audience_through = last or 0, 0
    size = make_next(services, b) or 0
    if not b.audience_complete:
        rest = _audience(services, b).where(Contact.id > b.audience_through).subquery()
        with services.engine.connect() as conn:
            size += conn.execute(select(func.count()).select_from(rest)).scalar()
    with services.engine.begin() as conn:
        conn.execute(update(Broadcast).where(Broadcast.id == b.id).values(audience_size=size))
    b.audience_size = size
    return size


def make_next(services, b: Broadcast) -> int | None:
    """Make the next chunk's rows. None: every chunk is made (or rows were made all at once); else how
    many rows this call made (0: another drainer made the chunk, it was empty, or the broadcast is not
    sending: the caller looks again)."""
    with services.engine.begin() as conn:
        now = conn.execute(select(Broadcast.audience_through, Broadcast.audience_last_id, Broadcast.state)
                           .where(Broadcast.id == b.id)).one_or_none()
        if now is None or now.audience_through is None or now.audience_through >= now.audience_last_id:
            return None
        if now.state != "sending":
            return 0
        low = now.audience_through
        high = conn.execute(select(Contact.id).where(Contact.organization == b.organization, Contact.id > low,
                                                     Contact.id <= now.audience_last_id)
                            .order_by(Contact.id).offset(CHUNK - 1).limit(1)).scalar()
        high = now.audience_last_id if high is None else high
        claimed = conn.execute(update(Broadcast).where(Broadcast.id == b.id, Broadcast.audience_through == low)
                               .values(audience_through=high)).rowcount
        if not claimed:
            return 0
        sub = _audience(services, b).where(Contact.id > low, Contact.id <= high).subquery()
        source = select(literal(b.id), sub.c.contact_id, sub.c.channel, sub.c.language, sub.c.to_address,
                        sub.c.mode, sub.c.state, sub.c.reason, literal(0), literal(0),
                        literal(utcnow(), R.updated_at.type))
        made = conn.execute(insert(R).from_select(COLUMNS, source)).rowcount
        if made is None or made < 0:  # psycopg does not count INSERT ... SELECT: the unique key's index does
            made = conn.execute(select(func.count()).select_from(R).where(
                R.broadcast_id == b.id, R.contact_id > low, R.contact_id <= high)).scalar()
    b.audience_through = high
    return made


def unmade(b: Broadcast, rows: int) -> int:
    """Recipients counted at send whose rows are not made yet (0 once every chunk is made)."""
    if b.audience_complete or b.audience_size is None:
        return 0
    return max(0, b.audience_size - rows)
