"""Editing a poll: a draft changes in place; once sent (or answered) the change is a new version, and the
answers stay with the version they answered. The validator refuses what the page and the API refuse."""
from __future__ import annotations

import pytest

from bot.broadcasts import Invalid, polls
from tests.conftest import NAIROBI, Phone

POLL = {"name": "march", "segment": {"registered": True},
        "questions": [{"texts": {"en": "March on Friday?"}, "yes_no": True}]}


def test_edit_makes_a_version_and_answers_stay(bservices, people):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    for n in range(3):
        people.vendor(phone=f"+25477700000{n}", language="en")
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL)
    assert polls.edit_poll(bservices, pid, {**POLL, "name": "march 2"}) == 1  # a draft: in place
    polls.send_poll(bservices, pid, inline=True)
    for n, body in enumerate(["1", "no", "2"]):
        Phone(client, f"+25477700000{n}", "sms", NAIROBI).send(body)
    edited = {**POLL, "questions": [{"texts": {"en": "March on Saturday?"}, "yes_no": True}]}
    assert polls.edit_poll(bservices, pid, edited) == 2
    first, now = polls.results(bservices, pid, version=1), polls.results(bservices, pid)
    assert {o["option"]: o["count"] for o in first["questions"][0]["options"]} == {"yes": 1, "no": 2}
    assert now["version"] == 2 and now["respondents"] == 0 and now["versions"] == [1, 2]
    sent = polls.send_poll(bservices, pid, inline=True)  # the new version goes out as its own broadcast
    assert sent["version"] == 2 and sent["recipients"] == 3
    Phone(client, "+254777000001", "sms", NAIROBI).send("yes")
    assert polls.results(bservices, pid)["respondents"] == 1
    assert polls.results(bservices, pid, version=1)["respondents"] == 3


@pytest.mark.parametrize("change,field", [
    ({"questions": []}, "questions"),
    ({"questions": [{"texts": {"en": "x"}, "options": [{"labels": {"en": "only one"}}]}]}, "questions[0].options"),
    ({"questions": [{"texts": {"fr": "x"}, "yes_no": True}]}, "questions[0].texts.fr"),
    ({"questions": [{"texts": {"en": "x"}, "options": [{"value": "a", "labels": {"en": "A"}},
                                                       {"value": "a", "labels": {"en": "B"}}]}]},
     "questions[0].options[1].value"),
    ({"closes_at": "2026-12-01T10:00:00+03:00", "opens_at": "2026-12-02T10:00:00+03:00"}, "closes_at"),
    ({"closes_at": "friday"}, "closes_at"),
    ({"segment": {"markets": ["atlantis"]}}, "segment.markets"),
    ({"name": ""}, "name"),
])
def test_the_validator_names_the_field(bservices, change, field):
    with pytest.raises(Invalid) as problem:
        polls.create_poll(bservices, "nairobi-vendors", {**POLL, **change})
    assert problem.value.field == field
