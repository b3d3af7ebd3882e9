"""POLL <question> from an organizer's number: a yes/no poll to the registered members, answered by SMS in
each member's language; the organizer's RESULTS gives the result; anyone else's POLL is not a command."""
from __future__ import annotations

from bot.broadcasts import polls
from tests.conftest import NAIROBI, Phone


def test_organizer_polls_by_sms(bservices, people, standin):
    from webhooks import create_app

    client = create_app(services=bservices).test_client()
    members = [f"+25476600000{n}" for n in range(6)]
    for n, number in enumerate(members):
        people.vendor(phone=number, language="sw" if n % 2 else "en")
    organizer = Phone(client, "+254711000900", "sms", NAIROBI)
    assert "Use: POLL" in organizer.send("POLL")
    reply = organizer.send("POLL March to City Hall on Friday?")
    assert "6 members" in reply, reply
    pid = polls.list_polls(bservices, "nairobi-vendors")[0]["id"]
    assert polls.get_poll(bservices, pid).created_by == "+254711000900"
    import time

    deadline = time.monotonic() + 20  # the RQ drain runs inline when no worker: wait for the stand-in
    while len(standin.messages) < 6 and time.monotonic() < deadline:
        from bot.broadcasts.sending import drain

        drain(polls.results(bservices, pid)["broadcast_id"], services=bservices, budget=None)
    bodies = {m["to"]: m["body"] for m in standin.messages}
    assert "1 Ndiyo\n2 Hapana" in bodies[members[1]] and "1 Yes\n2 No" in bodies[members[0]]
    for n, number in enumerate(members):
        Phone(client, number, "sms", NAIROBI).send(["1", "ndiyo", "no", "hapana", "yes", "sawa"][n])
    assert "Yes 67%, No 33%" in organizer.send("RESULTS")
    # A member's POLL is text, here an answer to nothing: the line's usual answer, no poll created.
    Phone(client, members[0], "sms", NAIROBI).send("POLL hello")
    assert len(polls.list_polls(bservices, "nairobi-vendors")) == 1
