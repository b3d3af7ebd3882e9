"""STOP, HELP and MENU keep priority over a poll; a member in the middle of a form answers the form, and
gets the question at their first message after it; an organizer's command stays a command."""
from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts import polls
from bot.models import PollAnswer
from tests.conftest import NAIROBI, Phone

POLL = {"name": "march", "segment": {},
        "questions": [{"texts": {"en": "March on Friday?", "sw": "Maandamano Ijumaa?"}, "yes_no": True}]}


def answers(services):
    with services.engine.connect() as conn:
        return {(r.contact_id, r.option, r.text) for r in conn.execute(select(PollAnswer))}


def test_priorities(bservices, people):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    numbers = ["+254744000001", "+254744000002", "+254744000003", "+254744000004"]
    ids = [people.vendor(phone=n, language="en") for n in numbers]
    in_form, menu, stop, helper = (Phone(client, n, "sms", NAIROBI) for n in numbers)
    first = in_form.send("4")  # a report form under way when the poll comes
    pid = polls.create_poll(bservices, "nairobi-vendors", POLL)
    assert polls.send_poll(bservices, pid, inline=True)["recipients"] == 4

    assert in_form.send("2") != "" and answers(bservices) == set()  # the form's answer, not the poll's
    assert first
    in_form.send("0")  # leaves the form: the menu
    again = in_form.send("hello")
    assert "March on Friday?" in again and "1 Yes" in again  # asked after the form ended
    assert "Thank you" in in_form.send("yes")
    assert answers(bservices) == {(ids[0], "yes", None)}

    assert "1" in menu.send("MENU") and len(answers(bservices)) == 1  # the menu, the poll lets go
    menu.send("1")  # now the menu's 1 (relief), not the poll
    assert len(answers(bservices)) == 1

    stop.send("STOP")
    helper.send("HELP")
    assert len(answers(bservices)) == 1
    assert "Thank you" in helper.send("nope")  # HELP did not end the poll
    assert (ids[3], "no", None) in answers(bservices)
    assert "changed" in helper.send("1")  # a change of mind right after: counted once, now yes
    assert (ids[3], "yes", None) in answers(bservices) and len(answers(bservices)) == 2
    helper.send("relief")  # something else: the poll lets go, "2" is the line's again
    helper.send("2")
    assert (ids[3], "yes", None) in answers(bservices)
