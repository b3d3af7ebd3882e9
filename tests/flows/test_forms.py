"""The form engine under the registration and report flows: exits, opt-out words mid-form, HELP,
"yes" as an answer, expiry, and messages from one phone arriving together."""
from __future__ import annotations

import threading
import time

from bot.models import Contact, Member, Report
from tests.conftest import Phone
from tests.reports.helpers import rows, text


def test_zero_menu_and_translated_cancel_words_leave_a_form_with_the_menu_in_the_same_reply(services, phone):
    worker = phone("+254711900001")
    for exit_word in ("0", "MENU", "menyu", "ghairi", "exit", "Menu!"):
        worker.send("4")
        assert worker.send(exit_word) == text(services, "menu.main", "en"), exit_word
    assert worker.send("2").startswith("Which market?")  # the menu's 2, not a report category
    worker.send("0")
    assert worker.send("hi") == text(services, "menu.main", "en")
    assert rows(services, Report) == []


def test_twilio_opt_out_words_are_never_answers(services, phone):
    for i, word in enumerate(("STOP", "cancel", "End", "quit", "UNSUBSCRIBE", "stopall")):
        worker = phone(f"+25471190010{i}")
        worker.send("join")
        worker.send("yes")
        assert worker.send(word) == text(services, "optout.confirm", "en"), word
        assert worker.send("Achieng") == ""  # opted out: the form is gone and nothing is answered
    assert rows(services, Member) == []
    assert all(c.opted_out for c in rows(services, Contact))
    worker = phone("+254711900100")
    assert worker.send("START") == text(services, "optin.confirm", "en")
    assert worker.send("hi") == text(services, "menu.main", "en")


def test_yes_is_an_answer_inside_a_form_and_help_keeps_the_form(services, phone):
    worker = phone("+254711900002")
    worker.send("join")
    assert worker.send("YES") == text(services, "registration.name", "en")
    assert worker.send("HELP") == text(services, "help", "en")
    assert worker.send("Adhiambo") == text(services, "registration.trade", "en")


def test_an_expired_form_ends_politely(make_settings, db, redis):
    from bot.orgs import sync_organizations
    from bot.services import build_services
    from webhooks import create_app

    services = build_services(make_settings(session_ttl=1))
    sync_organizations(services)
    worker = Phone(create_app(services=services).test_client(), "+254711900003")
    worker.send("4")
    worker.send("2")
    time.sleep(1.3)
    assert worker.send("They took everything") == text(services, "form.expired", "en")
    assert worker.send("hi") == text(services, "menu.main", "en")  # and starts afresh
    assert rows(services, Report) == []
    services.close()


def test_two_messages_from_one_phone_at_once_are_handled_one_after_the_other(app, services):
    worker = Phone(app.test_client(), "+254711900004")
    worker.send("join")
    worker.send("yes")
    replies, barrier = {}, threading.Barrier(2)

    def deliver(body):
        phone = Phone(app.test_client(), "+254711900004")
        barrier.wait()
        replies[body] = phone.send(body)

    threads = [threading.Thread(target=deliver, args=(b,)) for b in ("Kamau", "1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trade, place = text(services, "registration.trade", "en"), text(services, "registration.place", "en")
    hint = text(services, "form.too_short", "en", min=2)
    # Either the name came first (then "1" is the trade) or "1" came first (too short for a name).
    assert (replies["Kamau"], replies["1"]) in ((trade, place), (trade, replies["1"]))
    if replies["1"] != place:
        assert replies["1"].startswith(hint)


def test_a_topic_word_or_a_question_leaves_the_form_for_that_topic(services, phone, redis):
    worker = phone("+254711900201")
    worker.send("4")
    worker.send("1")
    assert worker.send("relief") != text(services, "report.where", "en")  # another topic, not the description
    session = redis.get("session:nairobi-vendors:+254711900201")
    assert session is None or b'"report"' not in session
    worker.send("0")
    worker.send("4")
    worker.send("1")
    worker.send("They pushed our tables into the road")
    worker.send("Toi")
    answer = worker.send("is gikomba open tomorrow?")  # at "when?": a question about a market
    assert "Gikomba" in answer and answer != text(services, "report.anonymous", "en")
    assert rows(services, Report) == []
    # A market word at "where?" is an answer, not a way out.
    worker.send("0")
    worker.send("4")
    worker.send("1")
    worker.send("They pushed our tables into the road")
    assert worker.send("market").startswith("Which")
