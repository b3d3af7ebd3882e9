"""A large audience is streamed: send_broadcast makes every recipient row in PostgreSQL (INSERT ... SELECT)
and queues a bounded number of drain jobs, and neither it nor the preview holds the audience in Python.
The memory bound is checked against what a list of the same recipients costs, measured here too, so the
bound cannot be one that a list would also pass. bench/broadcast_million.py does the same at 1,000,000."""
from __future__ import annotations

import tracemalloc

from rq import Queue
from sqlalchemy import text

from bot.broadcasts import create_broadcast, preview, send_broadcast
from bot.broadcasts.audience import Segment, audience
from bot.broadcasts.config import config_for
from bot.models import utcnow

N = 20_000
ORG = "nairobi-vendors"
TEXTS = {"en": "Gikomba market is closed on Monday.", "sw": "Soko la Gikomba limefungwa Jumatatu."}
BOUND = 1_500_000  # bytes of Python memory at the peak of send/preview, whatever the audience size


def seed(services, n: int) -> None:
    """n contacts: a third Swahili, a third English, a third without a language (half of those are
    members with Swahili); one in 20 last wrote on WhatsApp two days ago (window closed, no template)."""
    with services.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO contacts (organization, phone, language, opted_out, created_at, updated_at,"
            " last_inbound_sms_at, last_inbound_whatsapp_at, whatsapp_id)"
            " SELECT :org, '+2547' || lpad(g::text, 8, '0'), (ARRAY['sw', 'en', NULL])[g % 3 + 1], false, now(),"
            " now(), now() - interval '3 days', CASE WHEN g % 20 = 0 THEN now() - interval '2 days' END,"
            " CASE WHEN g % 20 = 0 THEN '2547' || lpad(g::text, 8, '0') END FROM generate_series(1, :n) g"),
            {"org": ORG, "n": n})
        conn.execute(text(
            "INSERT INTO members (organization, contact_id, seq, number, name, trade, city, place_id, language,"
            " consent_version, consented_at, created_at, updated_at)"
            " SELECT organization, id, id, 'L-' || id, 'Test Member', 'vendor', 'Nairobi', 'nbo.gikomba', 'sw',"
            " 'v1', now(), now(), now() FROM contacts WHERE organization = :org AND id % 2 = 0"), {"org": ORG})
        conn.execute(text("ANALYZE contacts"))
        conn.execute(text("ANALYZE members"))


def peak_bytes(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_send_makes_every_row_once_with_bounded_jobs_and_memory(bservices):
    seed(bservices, N)
    cfg = config_for(bservices)
    warm = create_broadcast(bservices, ORG, {}, TEXTS)  # compiles the statements: caches are not the audience
    send_broadcast(bservices, warm)
    Queue(cfg.queue, connection=bservices.redis).empty()

    bid = create_broadcast(bservices, ORG, {}, TEXTS)
    sent, peak = peak_bytes(lambda: send_broadcast(bservices, bid))

    assert sent == {"id": bid, "recipients": N}
    with bservices.engine.connect() as conn:
        rows, contacts, missing = conn.execute(text(
            "SELECT count(*), count(DISTINCT contact_id),"
            " (SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM broadcast_recipients r"
            "  WHERE r.broadcast_id = :b AND r.contact_id = c.id))"
            " FROM broadcast_recipients WHERE broadcast_id = :b"), {"b": bid}).one()
        states = dict(conn.execute(text("SELECT state || ':' || coalesce(reason, ''), count(*)"
                                        " FROM broadcast_recipients WHERE broadcast_id = :b GROUP BY 1"),
                                   {"b": bid}).all())
        languages = dict(conn.execute(text(
            "SELECT r.language, count(*) FROM broadcast_recipients r JOIN contacts c ON c.id = r.contact_id"
            " WHERE r.broadcast_id = :b AND c.language IS NULL GROUP BY 1"), {"b": bid}).all())
    assert (rows, contacts, missing) == (N, N, 0)
    assert states == {"queued:": N - N // 20, "skipped:whatsapp_window_closed": N // 20}
    no_language = sum(1 for g in range(1, N + 1) if g % 3 == 2)
    assert sum(languages.values()) == no_language and 0 < languages["sw"] < no_language  # members' Swahili
    assert Queue(cfg.queue, connection=bservices.redis).count == cfg.drainers  # not one per recipient

    query = audience(bservices.catalog, ORG, Segment(), TEXTS, False, utcnow())
    with bservices.engine.connect() as conn:
        listed, list_peak = peak_bytes(lambda: conn.execute(query).all())
    assert len(listed) == N
    assert list_peak > 4 * BOUND, f"a list of {N} recipients took only {list_peak} bytes: the bound proves nothing"
    assert peak < BOUND, f"send_broadcast peaked at {peak} bytes for {N} recipients (a list of them: {list_peak})"


def test_preview_of_a_large_audience_counts_in_sql(bservices):
    seed(bservices, N)
    preview(bservices, organization=ORG, segment={}, texts=TEXTS)  # warm the statement caches
    shown, peak = peak_bytes(lambda: preview(bservices, organization=ORG, segment={}, texts=TEXTS))
    assert shown["recipients"] == N - N // 20 and shown["skipped"] == {"whatsapp_window_closed": N // 20}
    assert peak < BOUND, f"preview peaked at {peak} bytes for {N} recipients"
