"""Sending through the stand-in: exactly once, error codes, 429 backoff, 5xx in doubt, callbacks,
pause/cancel, and a worker that dies between the provider call and the write-back."""
from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import select, update

from bot.broadcasts import cancel, create_broadcast, pause, progress, resume, send_broadcast
from bot.broadcasts.job import Job, build_message, load_broadcast
from bot.broadcasts.process import PROCESS
from bot.broadcasts.reconcile import reconcile
from bot.broadcasts.sending import drain
from bot.broadcasts.writeback import claim
from bot.line.delivery import record_status
from bot.models import BroadcastRecipient, Contact, InvalidNumber, OutboundMessage

TEXTS = {"en": "Gikomba market is closed on Monday.", "sw": "Soko la Gikomba limefungwa Jumatatu."}
TEMPLATE = {"content_sid": "HX" + "b" * 32, "variables": {"1": "Gikomba"}}
R = BroadcastRecipient


def recipients(services, bid):
    with services.engine.connect() as conn:
        return {r.contact_id: r for r in conn.execute(select(R).where(R.broadcast_id == bid))}


def run(services, segment=None, texts=TEXTS, template=None, rate=None):
    bid = create_broadcast(services, "nairobi-vendors", segment or {}, texts, template, rate=rate)
    send_broadcast(services, bid)
    drain(bid, services=services, budget=None)
    return bid


def per_number(standin):
    return Counter(m["to"] for m in standin.messages)


def test_every_recipient_gets_one_message_in_their_language(bservices, people, standin):
    sw = [people.contact(language="sw") for _ in range(5)]
    en = [people.contact() for _ in range(5)]
    wa = people.contact(whatsapp_hours_ago=1, language="sw")
    bid = run(bservices)
    got = recipients(bservices, bid)
    assert {r.state for r in got.values()} == {"sent"}
    assert max(per_number(standin).values()) == 1 and len(standin.messages) == 11
    bodies = {m["to"]: m["body"] for m in standin.messages}
    assert bodies[got[sw[0]].to_address] == TEXTS["sw"] and bodies[got[en[0]].to_address] == TEXTS["en"]
    assert got[wa].to_address.startswith("whatsapp:") and bodies[got[wa].to_address] == TEXTS["sw"]
    assert {m["from"] for m in standin.messages} == {"+254709990001", "whatsapp:+254709990001"}
    with bservices.engine.connect() as conn:
        out = conn.execute(select(OutboundMessage).where(OutboundMessage.kind == "broadcast")).all()
    assert len(out) == 11 and {o.provider_sid for o in out} == {r.provider_sid for r in got.values()}
    p = progress(bservices, bid)
    assert p["state"] == "done" and p["counts"]["sent"] == 11 and p["percent"] == 100.0
    assert not standin.violations


def test_template_outside_the_window(bservices, people, standin):
    stale = people.contact(whatsapp_hours_ago=40)
    bid = run(bservices, template=TEMPLATE)
    r = recipients(bservices, bid)[stale]
    assert (r.mode, r.state) == ("template", "sent"), (r.state, r.reason, r.error_code, r.error_message)
    [m] = standin.messages
    assert m["content_sid"] == TEMPLATE["content_sid"] and m["body"] == ""


def test_21610_opts_out_and_21211_marks_invalid(bservices, people, standin):
    stop = people.contact(phone="+254733000001")
    bad = people.contact(phone="+254733000002")
    ok = people.contact()
    standin.fail_number("+254733000001", 21610)
    standin.fail_number("+254733000002", 21211)
    bid = run(bservices)
    got = recipients(bservices, bid)
    assert (got[stop].state, got[stop].reason, got[stop].error_code) == ("failed", "opted_out", 21610)
    assert (got[bad].state, got[bad].reason, got[bad].error_code) == ("failed", "invalid_number", 21211)
    assert got[ok].state == "sent"
    with bservices.engine.connect() as conn:
        assert conn.execute(select(Contact.opted_out).where(Contact.id == stop)).scalar() is True
        assert conn.execute(select(InvalidNumber.phone)).scalars().all() == ["+254733000002"]
    assert progress(bservices, bid)["reasons"] == {"failed: opted_out (21610)": 1, "failed: invalid_number (21211)": 1}
    # the next broadcast leaves both out
    bid2 = run(bservices)
    assert set(recipients(bservices, bid2)) == {ok}


def test_63016_sync_retries_with_the_template(bservices, people, standin):
    standin.whatsapp_window_error = "sync"
    wa = people.contact(whatsapp_hours_ago=1, phone="+254733000010")
    standin.set_whatsapp_window("+254733000010", open=False)
    bid = run(bservices, template=TEMPLATE)
    r = recipients(bservices, bid)[wa]
    assert (r.state, r.mode) == ("sent", "template")
    assert [m["content_sid"] for m in standin.messages] == [TEMPLATE["content_sid"]]


def test_63016_in_a_callback_resends_with_the_template(bservices, people, standin):
    wa = people.contact(whatsapp_hours_ago=1, phone="+254733000011")
    standin.set_whatsapp_window("+254733000011", open=False)  # async: 201 now, failed 63016 later
    bid = run(bservices, template=TEMPLATE)
    first = recipients(bservices, bid)[wa]
    assert first.mode == "text" and first.state == "sent"
    record_status(bservices, first.provider_sid, "failed", "63016")
    r = recipients(bservices, bid)[wa]
    assert (r.state, r.mode, r.earlier_sid) == ("queued", "template", first.provider_sid)
    drain(bid, services=bservices, budget=None)
    r = recipients(bservices, bid)[wa]
    assert (r.state, r.mode) == ("sent", "template") and r.provider_sid != first.provider_sid
    assert len(standin.messages) == 2


def test_63016_without_template_is_recorded(bservices, people, standin):
    wa = people.contact(whatsapp_hours_ago=1)
    bid = run(bservices)
    sid = recipients(bservices, bid)[wa].provider_sid
    record_status(bservices, sid, "failed", "63016")
    r = recipients(bservices, bid)[wa]
    assert (r.state, r.reason, r.error_code) == ("failed", "whatsapp_window_closed", 63016)


def test_429s_back_off_and_everything_arrives_once(bservices, people, standin):
    for _ in range(30):
        people.contact()
    standin.set_rate(20, burst=2)  # the provider allows less than the 30/s we are configured for
    bid = run(bservices, rate=30)
    assert {r.state for r in recipients(bservices, bid).values()} == {"sent"}
    assert max(per_number(standin).values()) == 1 and len(standin.messages) == 30
    assert sum(1 for r in standin.requests if r["status"] == 429) > 0
    assert max(r.attempts for r in recipients(bservices, bid).values()) > 1


def test_rate_limited_until_the_last_attempt_fails(bservices, people, standin):
    c = people.contact(phone="+254733000020")
    standin.fail_number("+254733000020", 20429)
    bid = run(bservices)
    r = recipients(bservices, bid)[c]
    assert (r.state, r.reason, r.attempts) == ("failed", "rate_limited", 6)


def test_5xx_after_create_is_found_not_resent(bservices, people, standin):
    a = people.contact()
    b = people.contact()
    standin.fail_next(1, 503, after_create=True)
    standin.drop_next(1, after_create=True)
    bid = run(bservices)
    got = recipients(bservices, bid)
    assert {got[a].state, got[b].state} == {"sent"}
    assert len(standin.messages) == 2 and max(per_number(standin).values()) == 1


def test_5xx_before_create_is_sent_again(bservices, people, standin):
    people.contact()
    standin.fail_next(2, 500)
    bid = run(bservices)
    assert [r.state for r in recipients(bservices, bid).values()] == ["sent"]
    assert len(standin.messages) == 1


def test_callbacks_out_of_order_and_before_the_write_back(bservices, people, standin):
    c = people.contact()
    bid = run(bservices)
    sid = recipients(bservices, bid)[c].provider_sid
    record_status(bservices, sid, "delivered")
    record_status(bservices, sid, "sent")  # late and older: ignored
    record_status(bservices, sid, "delivered")  # twice
    assert recipients(bservices, bid)[c].state == "delivered"
    record_status(bservices, sid, "read")
    assert recipients(bservices, bid)[c].state == "read"
    # a callback that arrives before the worker wrote the SID back is applied when it does
    d = people.contact()
    bid2 = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid2)
    cfg = bservices.broadcast_config
    rows = claim(bservices, bid2, 10, PROCESS.ensure(bservices, cfg).worker_id)
    row = next(r for r in rows if r.contact_id == d)
    from bot.broadcasts.job import Outcome
    from bot.broadcasts.writeback import flush

    job = Job(bservices, cfg, load_broadcast(bservices, bid2), None)
    message, body, segs, enc = build_message(job, row, "text")
    result = bservices.sender.send(message)
    record_status(bservices, result.sid, "delivered")
    flush(job, [Outcome(row, "sent", sid=result.sid, mode="text", body=body, segments=segs, encoding=enc,
                        from_address=message.from_)])
    assert recipients(bservices, bid2)[d].state == "delivered"
    with bservices.engine.connect() as conn:
        assert conn.execute(select(OutboundMessage.status).where(OutboundMessage.provider_sid == result.sid)).scalar() == "delivered"


def test_undelivered_callback_is_a_failure_with_its_code(bservices, people, standin):
    c = people.contact()
    bid = run(bservices)
    record_status(bservices, recipients(bservices, bid)[c].provider_sid, "undelivered", "30007")
    r = recipients(bservices, bid)[c]
    assert (r.state, r.error_code, r.reason) == ("failed", 30007, "filtered")  # bot.providers.delivery_reason


def test_pause_resume_and_cancel(bservices, people, standin):
    for _ in range(40):
        people.contact()
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS, rate=20, rate_unit="messages")
    send_broadcast(bservices, bid)
    worker = threading.Thread(target=drain, args=(bid,), kwargs={"services": bservices, "budget": None})
    worker.start()
    time.sleep(0.8)
    pause(bservices, bid)
    worker.join(10)
    assert not worker.is_alive()
    p = progress(bservices, bid)
    assert p["state"] == "paused" and 0 < p["counts"]["sent"] < 40 and p["counts"]["sending"] == 0
    sent_while_paused = len(standin.messages)
    time.sleep(0.3)
    assert len(standin.messages) == sent_while_paused
    resume(bservices, bid)
    worker = threading.Thread(target=drain, args=(bid,), kwargs={"services": bservices, "budget": None})
    worker.start()
    time.sleep(0.5)
    cancel(bservices, bid)
    worker.join(10)
    p = progress(bservices, bid)
    assert p["state"] == "cancelled" and p["counts"]["queued"] == 0 and p["counts"]["sending"] == 0
    assert p["counts"]["cancelled"] > 0 and p["counts"]["sent"] + p["counts"]["cancelled"] == 40
    assert len(standin.messages) == p["counts"]["sent"] and max(per_number(standin).values()) == 1


def test_crash_between_the_provider_and_the_database_is_reconciled(bservices, people, standin):
    """A worker claims 6 rows, gives 3 to the provider, and dies before writing anything back."""
    for _ in range(6):
        people.contact(language="sw")
    people.contact(whatsapp_hours_ago=1)
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)

    cfg = bservices.broadcast_config
    rows = claim(bservices, bid, 100, "dead-host:4242:deadbeef")  # no heartbeat: its owner is gone
    job = Job(bservices, cfg, load_broadcast(bservices, bid), None)
    for row in rows[:3] + rows[-1:]:
        bservices.sender.send(build_message(job, row, row.mode)[0])
    assert len(standin.messages) == 4
    assert progress(bservices, bid)["counts"]["sending"] == 7
    summary = reconcile(bservices, bid)
    assert summary == {"found": 4, "requeued": 3, "failed": 0, "unresolved": 0}
    got = recipients(bservices, bid)
    assert sum(r.state == "sent" for r in got.values()) == 4
    drain(bid, services=bservices, budget=None)
    got = recipients(bservices, bid)
    assert {r.state for r in got.values()} == {"sent"}
    assert len(standin.messages) == 7 and max(per_number(standin).values()) == 1
    assert {m["sid"] for m in standin.messages} == {r.provider_sid for r in got.values()}


def test_live_workers_rows_are_left_alone_until_the_lease_ends(bservices, people, standin):
    people.contact()
    bid = create_broadcast(bservices, "nairobi-vendors", {}, TEXTS)
    send_broadcast(bservices, bid)
    bservices.redis.set("streetline:broadcasts:alive:live-host:1:cafe", "1", px=60000)
    claim(bservices, bid, 10, "live-host:1:cafe")
    assert reconcile(bservices, bid)["requeued"] == 0
    with bservices.engine.begin() as conn:  # the lease (5 s in tests) ran out
        from datetime import timedelta

        from bot.models import utcnow
        conn.execute(update(R).where(R.broadcast_id == bid).values(claimed_at=utcnow() - timedelta(seconds=10)))
    assert reconcile(bservices, bid)["requeued"] == 1


def test_redis_token_bucket_is_shared_and_paces(bservices):
    from bot.broadcasts.ratelimit import RateLimiter

    limiters = [RateLimiter(bservices.redis) for _ in range(4)]
    taken = []

    def worker(limiter):
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if limiter.take("+254709990001", 50, 1, burst=5, deadline=end):
                taken.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 45 <= len(taken) <= 58  # 50/s for one second plus a burst of 5
    # segments cost more than one token
    assert limiters[0].try_take("+254700000000", 10, cost=3, burst=3) == 0
    assert limiters[0].try_take("+254700000000", 10, cost=3, burst=3) > 0
