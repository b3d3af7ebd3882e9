"""The polls' clock: a poll sent before its opens_at waits and goes out when it comes; at closes_at it
closes and each respondent gets the results back once (overall and their market's, in their language, one
SMS segment), through the broadcast machinery; running the close job again sends nothing more."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from bot.broadcasts import polls
from bot.broadcasts.polls import schedule
from bot.broadcasts.polls.results_back import send_results
from bot.models import Broadcast, utcnow
from content.sms import segment_info
from tests.conftest import NAIROBI, Phone

POLL = {"name": "march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def test_scheduled_open_auto_close_and_results_back_once(bservices, people, standin):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    # Six at Gikomba (enough to show its shares), two at Toi (too few: overall only), one who never answers.
    plan = [("+254755000001", "en", "nbo.gikomba", "1"), ("+254755000002", "sw", "nbo.gikomba", "ndiyo"),
            ("+254755000003", "en", "nbo.gikomba", "2"), ("+254755000004", "en", "nbo.gikomba", "yes"),
            ("+254755000005", "sw", "nbo.gikomba", "hapana"), ("+254755000006", "en", "nbo.gikomba", "1"),
            ("+254755000007", "en", "nbo.toi", "no"), ("+254755000008", "sw", "nbo.toi", "1"),
            ("+254755000009", "en", "nbo.toi", None)]
    for phone, lang, market, _ in plan:
        people.vendor(phone=phone, language=lang, place_id=market)
    start = utcnow()
    pid = polls.create_poll(bservices, "nairobi-vendors", {**POLL, "opens_at": start + timedelta(hours=1),
                                                           "closes_at": start + timedelta(hours=3)})
    sent = polls.send_poll(bservices, pid)
    assert sent["recipients"] == 0 and sent["scheduled"] and polls.get_poll(bservices, pid).state == "scheduled"
    assert schedule.tick(bservices, start, inline=True) == {"opened": 0, "closed": 0, "results": 0}
    assert not standin.messages

    assert schedule.tick(bservices, start + timedelta(minutes=61), inline=True)["opened"] == 1
    assert polls.get_poll(bservices, pid).state == "open" and len(standin.messages) == 9
    for phone, lang, _, reply in plan:
        if reply:
            assert ("Asante" if lang == "sw" else "Thank") in Phone(client, phone, "sms", NAIROBI).send(reply)
    assert polls.results(bservices, pid)["respondents"] == 8
    asked = len(standin.messages)

    counts = schedule.tick(bservices, start + timedelta(hours=3, minutes=1), inline=True)
    assert counts == {"opened": 0, "closed": 1, "results": 1}
    back = [(m.get("to") or m.get("To"), m.get("body") or m.get("Body")) for m in standin.messages[asked:]]
    by_phone = Counter(to for to, _ in back)
    assert by_phone == {phone: 1 for phone, _, _, reply in plan if reply}  # each respondent once, nobody else
    text = dict(back)
    # Gikomba: 4 yes of 6; overall 5 yes of 8; Toi too small for its own line.
    assert "Yes 62%, No 38%" in text["+254755000001"] and "Gikomba: Yes 67%, No 33%" in text["+254755000001"]
    assert "Ndiyo 62%" in text["+254755000002"] and "Gikomba" in text["+254755000002"]
    assert "Yes 62%" in text["+254755000007"] and "Toi" not in text["+254755000007"]
    assert "Ndiyo 62%" in text["+254755000008"]
    assert all(segment_info(body).segments == 1 for body in text.values())

    # The close job again, and the results job directly: nothing more is created or sent.
    with bservices.engine.connect() as conn:
        made = conn.scalar(select(func.count()).select_from(Broadcast))
    assert schedule.tick(bservices, start + timedelta(hours=3, minutes=2), inline=True) == \
        {"opened": 0, "closed": 0, "results": 0}
    send_results(bservices, pid, start + timedelta(hours=3, minutes=2), inline=True)
    with bservices.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Broadcast)) == made == 3  # poll, Gikomba, the rest
    assert len(standin.messages) == asked + 8


def test_closing_by_hand_sends_the_results_and_a_draft_tells_nobody(bservices, people, standin):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    people.vendor(phone="+254755000101", language="en")
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL)
    polls.send_poll(bservices, pid, inline=True)
    Phone(client, "+254755000101", "sms", NAIROBI).send("yes")
    polls.close_poll(bservices, pid)  # the drain jobs are queued on Redis: run the clock inline to see them
    poll = polls.get_poll(bservices, pid)
    assert poll.results_broadcasts and poll.results_sent_at is not None
    draft = polls.create_poll(bservices, "nairobi-vendors", POLL)
    polls.close_poll(bservices, draft)
    assert polls.get_poll(bservices, draft).results_sent_at is not None  # never sent: nobody to tell
    assert schedule.tick(bservices, inline=True) == {"opened": 0, "closed": 0, "results": 0}


def test_the_rq_job_ticks_and_schedules_the_next_minute(bservices, redis):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from bot import tasks

    queue = Queue("polls-test", connection=redis)
    bservices.queue = queue
    assert tasks.polls_tick(bservices) == {"opened": 0, "closed": 0, "results": 0}
    [job_id] = ScheduledJobRegistry(queue=queue).get_job_ids()
    assert job_id.startswith("polls-")
    at = utcnow()
    first, second = schedule.schedule(queue, at), schedule.schedule(queue, at)  # two workers starting
    assert first.id == second.id and ScheduledJobRegistry(queue=queue).get_job_ids().count(first.id) == 1
