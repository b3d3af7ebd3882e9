"""The reporter's answer to "Has it been fixed? 1 Yes 2 No", read like every numbered question
(bot/line/flows/matching.py): digits, words in the organization's languages, yes/no words, small
typos; anything else is not an answer and goes on to the usual routes. And the RQ job that asks."""
from __future__ import annotations

from datetime import timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry

from bot import tasks
from bot.desk import escalations, followups
from bot.line.followup_answer import read
from bot.models import utcnow
from tests.authorities.conftest import ORG, county, latest_report, worker_reports
from tests.reports.helpers import text

NAIROBI = ("sw", "en")
DAKAR, MONTEVIDEO, PUNE = ("fr", "en"), ("es", "en"), ("hi", "en")


ANSWERS = [
    ("1", NAIROBI, "yes"), ("2", NAIROBI, "no"), ("2.", NAIROBI, "no"), ("#1", NAIROBI, "yes"),
    ("Yes", NAIROBI, "yes"), ("ndiyo", NAIROBI, "yes"), ("ndyo", NAIROBI, "yes"), ("yse", NAIROBI, "yes"),
    ("imetatuliwa", NAIROBI, "yes"), ("it is fixed, thanks", NAIROBI, "yes"),
    ("no", NAIROBI, "no"), ("hapana", NAIROBI, "no"), ("hapna", NAIROBI, "no"), ("bado", NAIROBI, "no"),
    ("not fixed", NAIROBI, "no"), ("NOT FIXED!!", NAIROBI, "no"), ("nope", NAIROBI, "no"),
    ("oui", DAKAR, "yes"), ("réglé", DAKAR, "yes"), ("non", DAKAR, "no"), ("toujours pas", DAKAR, "no"),
    ("sí", MONTEVIDEO, "yes"), ("solucionado", MONTEVIDEO, "yes"), ("todavia no", MONTEVIDEO, "no"),
    ("haan", PUNE, "yes"), ("नहीं", PUNE, "no"), ("nahi hua", PUNE, "no"),
    # not answers: the line routes them as usual
    ("3", NAIROBI, None), ("is gikomba open tomorrow", NAIROBI, None), ("R-1234", NAIROBI, None),
    ("1 2 3 4", NAIROBI, None),
]


def test_words_typos_and_digits(services):
    # one test over every case (one set-up of the app, not 31): the wrong readings are listed together
    wrong = [(typed, langs, expected, got) for typed, langs, expected in ANSWERS
             if (got := read(services.catalog, langs, typed)) != expected]
    assert wrong == []


def test_a_message_that_is_not_an_answer_goes_on_and_the_question_waits(services, client, api, twilio):
    worker = worker_reports(client, "+254711600020")
    mine = latest_report(services)
    authority = county(services)
    escalations.raise_report(services, ORG, mine.reference, {"authority_id": authority.id, "method": "phone"}, "test")
    followups.check(services, now=utcnow() + timedelta(days=8))
    answered_menu = worker.send("0")
    assert answered_menu == text(services, "menu.main", "sw")
    assert worker.send("2") == text(services, "report.followup.no", "sw", ref=mine.reference)


def test_the_rq_job_runs_the_check_and_schedules_the_next(services, redis):
    queue = Queue("authorities-test", connection=redis)
    services.queue = queue
    counts = tasks.authorities_check(services)
    assert counts == {"resolved": 0, "asked": 0, "overdue": 0, "reminders": 0}
    [job_id] = ScheduledJobRegistry(queue=queue).get_job_ids()
    assert job_id.startswith("authorities-")
    again = followups.schedule(queue)  # the same hour: the same job, not a second one
    assert again.id == job_id and ScheduledJobRegistry(queue=queue).get_job_ids() == [job_id]
