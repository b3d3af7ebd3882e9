"""The sweeper gives a broadcast its drain jobs back when every job for it was lost."""
from __future__ import annotations

from bot.broadcasts import create_broadcast, progress, send_broadcast
from bot.broadcasts import liveness, sweeper
from bot.broadcasts.sending import drain
from bot.broadcasts.drainers import queue


def _started(services, people, count=3) -> int:
    for _ in range(count):
        people.vendor(place_id="nbo.gikomba")
    bid = create_broadcast(services, "nairobi-vendors", {"markets": ["nbo.gikomba"]},
                           {"en": "Gikomba closed Monday.", "sw": "Gikomba imefungwa Jumatatu."})
    send_broadcast(services, bid, "nairobi-vendors")
    return bid


def test_a_broadcast_whose_jobs_were_lost_is_woken_once(bservices, people, standin):
    bid = _started(bservices, people)
    q = queue(bservices)
    assert len(q) == 2 and sweeper.sweep(bservices) == []  # jobs are expected: nothing to do
    bservices.redis.delete(sweeper.LOCK)

    q.empty()  # every worker died and the jobs went with them
    bservices.redis.delete(liveness.expected_key(bid))
    assert sweeper.sweep(bservices) == [bid]
    assert len(q) == 2  # drainers are back on the queue
    assert sweeper.sweep(bservices) == []  # one sweeper per period (the lock)
    bservices.redis.delete(sweeper.LOCK)
    assert sweeper.sweep(bservices) == []  # woken jobs are expected now

    assert drain(bid, services=bservices, budget=None)["stopped"] == "done"
    assert progress(bservices, bid)["counts"].get("sent", 0) + progress(bservices, bid)["counts"].get(
        "delivered", 0) == 3
    assert len({m["to"] for m in standin.messages}) == len(standin.messages) == 3


def test_a_broadcast_being_drained_is_left_alone(bservices, people, standin):
    bid = _started(bservices, people)
    queue(bservices).empty()
    bservices.redis.delete(liveness.expected_key(bid))
    liveness.mark_alive(bservices, bid)  # a drainer is working on it right now
    assert sweeper.sweep(bservices) == []
    assert len(queue(bservices)) == 0
