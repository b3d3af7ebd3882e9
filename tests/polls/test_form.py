"""The poll form: a live preview per language and channel with SMS segments and the audience's cost;
refusals shown on the page with the question they concern (never a 500); saving a draft; editing a sent and
answered poll makes a new version and the answers stay with theirs; sending before the opening time waits."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.broadcasts import polls
from bot.broadcasts.sending import drain
from bot.desk.accounts import create_user
from tests.conftest import NAIROBI, Phone
from tests.dashboard.conftest import PASSWORD, signed_in_as

FORM = {"name": "Market day", "q1_kind": "yes_no", "q1_text_en": "March on Friday?", "q1_text_sw": "Maandamano Ijumaa?",
        "q2_kind": "options", "q2_text_en": "Best time?", "q2_options_en": "Morning\nEvening",
        "q2_options_sw": "Asubuhi\nJioni", "q3_kind": "none", "registered": "yes", "markets": ["nbo.gikomba"]}


def test_form_preview_refusals_save_edit_and_schedule(bservices, people):
    from webhooks import create_app

    app = create_app(services=bservices)
    for n in range(3):
        people.vendor(phone=f"+25476600000{n}", language="sw" if n else "en", place_id="nbo.gikomba")
    people.vendor(phone="+254766000009", place_id="nbo.toi")  # outside the audience
    browser = signed_in_as(app, create_user(bservices, "nairobi-vendors", "o@nairobi.example.org", "O", PASSWORD,
                                            "organizer"))
    assert 'id="poll-form"' in browser.get("/polls/new").get_data(as_text=True)

    page = browser.post("/polls/new", {**FORM, "action": "preview"}).get_data(as_text=True)
    assert 'data-recipients="3"' in page and "Maandamano Ijumaa?\n1 Ndiyo\n2 Hapana" in page
    assert 'data-question="2"' in page and "Best time?\n1 Morning\n2 Evening" in page
    fragment = browser.post("/polls/preview", {**FORM, "q1_text_sw": "Maandamano Ijumaa? " + "é" * 5})
    assert fragment.status_code == 200 and "UCS-2" not in fragment.get_data(as_text=True)  # é folds to GSM-7 e
    assert 'id="poll-sms-segments">3<' in fragment.get_data(as_text=True)  # 3 SMS members, one segment each

    for change, message in [({"q1_text_en": ""}, "Question 1: Write the English text"),
                            ({"q2_options_en": "Morning", "q2_options_sw": ""}, "Question 2: Give 2 to 9 options"),
                            ({"opens_at": "tomorrow"}, "Give the opening and closing times"),
                            ({"opens_at": "2026-12-10T10:00", "closes_at": "2026-12-09T10:00"}, "must be after"),
                            ({"markets": ["atlantis"]}, "choose markets from the list"),
                            ({"q1_kind": "maybe"}, "Question 1")]:
        refused = browser.post("/polls/new", {**FORM, **change, "action": "save"})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), (change, message)
    assert polls.list_polls(bservices, "nairobi-vendors") == []

    saved = browser.post("/polls/new", {**FORM, "action": "save"})
    assert saved.status_code == 303
    pid = polls.list_polls(bservices, "nairobi-vendors")[0]["id"]
    poll = polls.get_poll(bservices, pid)
    questions = polls.current_version(bservices, poll).questions
    assert poll.state == "draft" and poll.segment["markets"] == ["nbo.gikomba"]
    assert [o["labels"] for o in questions[1]["options"]] == [{"en": "Morning", "sw": "Asubuhi"},
                                                              {"en": "Evening", "sw": "Jioni"}]
    edit_page = browser.get(f"/polls/{pid}/edit").get_data(as_text=True)
    assert "Morning\nEvening</textarea>" in edit_page and 'id="poll-new-version"' not in edit_page

    assert browser.post(f"/polls/{pid}/send").status_code == 303
    drain(polls.current_version(bservices, polls.get_poll(bservices, pid)).broadcast_id, services=bservices,
          budget=None)  # the broadcast worker's job, run here
    Phone(app.test_client(), "+254766000000", "sms", NAIROBI).send("yes")
    edit_page = browser.get(f"/polls/{pid}/edit").get_data(as_text=True)
    assert 'id="poll-new-version"' in edit_page
    assert browser.post(f"/polls/{pid}/edit", {**FORM, "q1_text_en": "March on Saturday?", "action": "save"}) \
        .status_code == 303
    assert "version 2" in browser.get(f"/polls/{pid}").get_data(as_text=True)
    assert polls.results(bservices, pid, version=1)["respondents"] == 1
    assert polls.results(bservices, pid)["respondents"] == 0

    polls.close_poll(bservices, pid, results_back=False)
    closed = browser.get(f"/polls/{pid}/edit", follow_redirects=True).get_data(as_text=True)
    assert "cannot be changed" in closed

    opens = (datetime.now(ZoneInfo("Africa/Nairobi")) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    sent = browser.post("/polls/new", {**FORM, "opens_at": opens, "action": "send", "compose_id": "x" * 20})
    again = browser.post("/polls/new", {**FORM, "opens_at": opens, "action": "send", "compose_id": "x" * 20})
    assert sent.status_code == 303 and again.headers["Location"] == sent.headers["Location"]  # one poll
    later = polls.list_polls(bservices, "nairobi-vendors")[0]
    assert later["state"] == "scheduled" and len(polls.list_polls(bservices, "nairobi-vendors")) == 2
