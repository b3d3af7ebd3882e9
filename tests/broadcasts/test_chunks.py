"""Recipient rows made a chunk of the audience at a time (bot/broadcasts/chunks.py), with the chunk made
small so a few dozen contacts span several: send makes the first chunk and counts the rest, the
drainers make the others, nobody is written to twice or left out, and progress counts the rows not made
yet (waiting while sending, cancelled with the broadcast)."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select, text, update

from bot.broadcasts import cancel, chunks, create_broadcast, progress, send_broadcast
from bot.broadcasts.job import load_broadcast
from bot.broadcasts.sending import drain
from bot.models import Broadcast, BroadcastRecipient, Contact

TEXTS = {"en": "Gikomba market is closed on Monday.", "sw": "Soko la Gikomba limefungwa Jumatatu."}
R = BroadcastRecipient


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK", 7)


def rows(services, bid) -> Counter:
    with services.engine.connect() as conn:
        return Counter(conn.execute(select(R.contact_id).where(R.broadcast_id == bid)).scalars())


def test_send_makes_one_chunk_and_the_drainers_the_rest(bservices, people, standin, small_chunks):
    audience = {people.contact(language="sw" if i % 2 else None) for i in range(30)}
    people.contact(org="montevideo-feriantes")  # another organization's contact among the ids: not written to
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)

    assert send_broadcast(bservices, bid) == {"id": bid, "recipients": 30}
    assert sum(rows(bservices, bid).values()) == 7
    p = progress(bservices, bid)
    assert (p["total"], p["counts"]["queued"], p["done"]) == (30, 30, 0)  # 23 of them not made yet

    drain(bid, services=bservices, budget=None)
    made = rows(bservices, bid)
    assert set(made) == audience and max(made.values()) == 1
    assert Counter(m["to"] for m in standin.messages).most_common(1)[0][1] == 1 and len(standin.messages) == 30
    b = load_broadcast(bservices, bid)
    assert b.state == "done" and b.audience_complete and b.audience_through == max(audience)
    assert progress(bservices, bid)["counts"]["sent"] == 30


def test_drainers_racing_for_a_chunk_make_it_once(bservices, people, small_chunks):
    audience = {people.contact() for _ in range(60)}
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    start = threading.Barrier(4)
    made: list[int | None] = []

    def make_all():
        b = load_broadcast(bservices, bid)
        start.wait()
        while (n := chunks.make_next(bservices, b)) is not None:
            made.append(n)

    threads = [threading.Thread(target=make_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    got = rows(bservices, bid)
    assert set(got) == audience and max(got.values()) == 1
    assert sum(made) == 60 - 7 and made.count(7) >= 7  # each chunk counted by the one drainer that made it


def test_a_member_who_opts_out_after_the_send_is_not_written_to(bservices, people, standin, small_chunks):
    contacts = [people.contact() for _ in range(20)]
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    late = contacts[-1]  # in the last chunk, not made yet
    with bservices.engine.begin() as conn:
        conn.execute(update(Contact).where(Contact.id == late).values(opted_out=True))
    drain(bid, services=bservices, budget=None)
    assert set(rows(bservices, bid)) == set(contacts) - {late}
    p = progress(bservices, bid)
    assert p["state"] == "done" and p["total"] == 19 and p["counts"]["sent"] == 19


def test_cancel_counts_the_rows_never_made_as_cancelled(bservices, people, standin, small_chunks):
    for _ in range(25):
        people.contact()
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    cancel(bservices, bid)
    drain(bid, services=bservices, budget=None)  # a drainer that comes after the cancel makes nothing
    assert sum(rows(bservices, bid).values()) == 7 and standin.messages == []
    p = progress(bservices, bid)
    assert (p["total"], p["counts"]["cancelled"], p["counts"]["queued"]) == (25, 25, 0)
    assert p["reasons"] == {"cancelled: broadcast_cancelled": 25}
    with bservices.engine.connect() as conn:
        assert conn.execute(select(Broadcast.audience_through).where(Broadcast.id == bid)).scalar() < \
            conn.execute(select(Broadcast.audience_last_id).where(Broadcast.id == bid)).scalar()


def _stats(services, table: str):
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT n_mod_since_analyze, coalesce(last_analyze, last_autoanalyze)"
                                 " FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}).one()


def _until(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not (found := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_send_analyzes_the_audience_tables_when_members_were_just_imported(bservices, people):
    """Stale statistics made the planner join every contact with every member (bench/polls.py: 6.3 s
    for 5,000): the send analyzes tables changed by more than a tenth since their last ANALYZE."""
    with bservices.engine.connect() as conn:
        conn.execute(text("ANALYZE contacts"))
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
    before = _until(lambda: _stats(bservices, "contacts")[1])
    assert before is not None
    with bservices.engine.begin() as conn:  # an import: many contacts at once
        conn.execute(text(
            "INSERT INTO contacts (organization, phone, opted_out, created_at, updated_at)"
            " SELECT 'nairobi-vendors', '+2547330' || lpad(g::text, 5, '0'), false, now(), now()"
            " FROM generate_series(1, 400) g"))
        conn.execute(text("SELECT pg_stat_force_next_flush()"))  # the counters reach the view at commit
    assert _until(lambda: _stats(bservices, "contacts")[0] >= 400), "the insert never reached the statistics"
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    assert send_broadcast(bservices, bid)["recipients"] == 400
    assert _until(lambda: (_stats(bservices, "contacts")[1] or before) > before), "contacts was not analyzed"
