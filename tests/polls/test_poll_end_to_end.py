"""Issue 15's test: a poll to 200 members in three languages on SMS and WhatsApp, sent through the broadcast
machinery to the Twilio stand-in, answered through signed webhooks with digits, words, typos, other text and
changed minds; the results equal a count made here from the stored inbound messages; each member counts
once; RESULTS is answered."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest
from sqlalchemy import select

from bot.broadcasts import polls
from bot.models import BroadcastRecipient, InboundMessage, PollAnswer
from bot.services import build_services
from bot.settings import ROOT
from bot.orgs import sync_organizations
from tests.broadcasts.conftest import ACCOUNT, FAST, People
from tests.conftest import NAIROBI, Phone

MARKETS = ["nbo.gikomba", "nbo.toi", "nbo.muthurwa"]
LANGS = ["en", "sw", "fr"]
# What each reply means, decided here and not by the line: the test's own count of the stored messages.
Q1 = {"1": "yes", "2": "no", "yes": "yes", "ndiyo": "yes", "oui": "yes", "non": "no", "hapana": "no",
      "nope": "no", "yse": "yes", "hapanaa": "no", "ouii": "yes", "depends on the weather": "other"}
Q2 = {"3": "evening", "1": "morning", "morning": "morning", "jioni": "evening", "matin": "morning",
      "evenin": "evening", "asubui": "morning", "afternon": "afternoon", "mchana": "afternoon",
      "only sundays": "other"}
Q1_REPLIES, Q2_REPLIES = list(Q1), list(Q2)
CHANGES = {"2": "afternoon", "evening": "evening", "matin": "morning"}  # a change of mind right after Q2


@pytest.fixture
def three_languages(tmp_path):
    """The demo content with Nairobi speaking English, Kiswahili and French (the system texts exist in all)."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("__pycache__"))
    org_yaml = content / "orgs" / "nairobi-vendors" / "org.yaml"
    text = org_yaml.read_text(encoding="utf-8")
    text = text.replace("languages: [en, sw]", "languages: [en, sw, fr]", 1)
    org_yaml.write_text(text.replace("menu_languages: [en, sw]", "menu_languages: [en, sw, fr]"), encoding="utf-8")
    return content


@pytest.fixture
def pservices(make_settings, db, redis, standin, three_languages):
    built = build_services(make_settings(twilio_account_sid=ACCOUNT, twilio_api_base_url=standin.base_url,
                                         twilio_http_timeout=5.0, content_dir=three_languages))
    built.broadcast_config = FAST
    sync_organizations(built)
    yield built
    built.close()


def poll_data():
    return {"name": "Market day action", "segment": {"registered": True},
            "questions": [
                {"texts": {"en": "Join the march to City Hall on Friday?", "sw": "Utajiunga na maandamano Ijumaa?",
                           "fr": "Marcherez-vous vendredi?"}, "yes_no": True},
                {"texts": {"en": "Best time for the meeting?", "sw": "Saa gani ya mkutano?",
                           "fr": "Quelle heure pour la réunion?"},
                 "options": [{"value": "morning", "labels": {"en": "Morning", "sw": "Asubuhi", "fr": "Matin"}},
                             {"value": "afternoon", "labels": {"en": "Afternoon", "sw": "Mchana", "fr": "Après-midi"}},
                             {"value": "evening", "labels": {"en": "Evening", "sw": "Jioni", "fr": "Soir"}}]}]}


def test_a_poll_to_200_members_counts_each_once_and_answers_results(pservices, standin):
    from webhooks import create_app

    client = create_app(services=pservices).test_client()
    people = People(pservices)
    members = []
    for i in range(200):
        channel = "whatsapp" if i % 3 == 0 else "sms"
        number = f"+2547330{i:05d}"
        people.vendor(phone=number, language=LANGS[i % 3], place_id=MARKETS[i % 5 % 3],
                      whatsapp_hours_ago=2 if channel == "whatsapp" else None)
        members.append(Phone(client, number, channel, NAIROBI))

    pid = polls.create_poll(pservices, "nairobi-vendors", poll_data(), created_by="test")
    sent = polls.send_poll(pservices, pid, inline=True)
    assert sent["recipients"] == 200
    with pservices.engine.connect() as conn:
        states = Counter(conn.scalars(select(BroadcastRecipient.state)
                                      .where(BroadcastRecipient.broadcast_id == sent["broadcast_id"])))
    assert states == {"sent": 200}
    asked = {m.get("to") or m.get("To"): m.get("body") or m.get("Body") for m in standin.messages}
    assert "Marcherez-vous" in asked[members[2].address] and "1 Oui" in asked[members[2].address], asked
    assert "Utajiunga" in asked[members[1].address] and "1 Ndiyo\n2 Hapana" in asked[members[1].address]

    for i, member in enumerate(members):
        if i % 10 == 9:
            continue  # one in ten does not answer
        reply = member.send(Q1_REPLIES[i % len(Q1_REPLIES)])
        assert ("Matin" if i % 3 == 2 else "Asubuhi" if i % 3 == 1 else "Morning") in reply, (i, reply)
        reply = member.send(Q2_REPLIES[i % len(Q2_REPLIES)])
        assert "RES" in reply or "MATOKEO" in reply, (i, reply)
        if i % 7 == 0:
            change = list(CHANGES)[i % len(CHANGES)]
            assert member.send(change)  # poll.changed

    # The count made here, from the stored inbound messages alone.
    expected = {0: Counter(), 1: Counter()}
    with pservices.engine.connect() as conn:
        for member in members:
            bodies = conn.scalars(select(InboundMessage.body).where(InboundMessage.from_address == member.address)
                                  .order_by(InboundMessage.id)).all()
            if not bodies:
                continue
            expected[0][Q1[bodies[0]]] += 1
            last = Q2[bodies[1]]
            if len(bodies) > 2:
                last = CHANGES[bodies[2]]
            expected[1][last] += 1
        rows = conn.execute(select(PollAnswer.contact_id, PollAnswer.question, PollAnswer.option,
                                   PollAnswer.inbound_message_id)).all()
    result = polls.results(pservices, pid)
    assert result["respondents"] == 180 and result["sent"] == 200
    assert result["response_rate"] == 0.9
    for q in (0, 1):
        got = {o["option"]: o["count"] for o in result["questions"][q]["options"] if o["count"]}
        assert got == dict(expected[q]), q
        assert result["questions"][q]["answers"] == 180
    # Each member once per question, each answer tied to the message it came from.
    assert len(rows) == 360 and len({(r.contact_id, r.question) for r in rows}) == 360
    assert all(r.inbound_message_id for r in rows)
    by_language = result["questions"][0]["by"]["language"]
    assert set(by_language) == {"en", "sw", "fr"} and sum(v["answers"] for v in by_language.values()) == 180
    assert set(result["questions"][0]["by"]["channel"]) == {"sms", "whatsapp"}
    assert set(result["questions"][0]["by"]["market"]) == set(MARKETS)

    # RESULTS: the overall result and the member's market's, in their language, one SMS segment.
    yes = next(o for o in result["questions"][0]["options"] if o["option"] == "yes")
    reply = members[1].send("matokeo")  # Kiswahili, SMS
    assert f"Ndiyo {round(100 * yes['share'])}%" in reply and "Toi" in reply, reply
    from content.sms import segment_info

    assert segment_info(reply).segments == 1
    assert f"Oui {round(100 * yes['share'])}%" in members[2].send("résultats")
    assert "0" in members[9].send("RESULTS")  # never answered: results.none
