"""The line behind a real PgBouncer in transaction pooling mode (Debian's package): signed webhooks from
several phones at once, a broadcast and the organizers' pages, with nothing lost and nothing spooled.
The pooler's server pool (3) is smaller than the app's, so transactions of one app connection run on
different server connections: any session state the app relied on would show here."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from bot.broadcasts import create_broadcast, progress, send_broadcast
from bot.broadcasts.sending import drain
from bot.db import build_engine
from bot.desk.accounts import create_user
from bot.models import BroadcastRecipient, InboundMessage, Report
from bot.orgs import sync_organizations
from bot.services import build_services
from tests.broadcasts.conftest import ACCOUNT, FAST, People
from tests.conftest import Phone
from tests.dashboard.conftest import PASSWORD, Browser

pytestmark = pytest.mark.slow

DATABASE = "streetline_test"


@pytest.fixture
def pooled(make_settings, pooled_url, db, redis, standin):
    built = build_services(make_settings(database_url=pooled_url, twilio_account_sid=ACCOUNT,
                                         twilio_api_base_url=standin.base_url, twilio_http_timeout=5.0))
    built.broadcast_config = FAST
    sync_organizations(built)
    yield built
    built.close()


@pytest.fixture
def standin():
    from standin.twilio_api import TwilioStandin
    from tests.conftest import AUTH_TOKEN

    with TwilioStandin(ACCOUNT, AUTH_TOKEN, callback_delay=0.0) as tw:
        yield tw


def hammer(url: str, threads: int = 6, rounds: int = 30) -> list[str]:
    """The same parameterised query from several threads; returns the errors met."""
    engine = build_engine(url)
    errors: list[str] = []

    def work() -> None:
        for i in range(rounds):
            try:
                with engine.begin() as conn:
                    conn.execute(text("SELECT :n + 1"), {"n": i}).scalar()
            except Exception as exc:
                errors.append(type(exc).__name__)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    engine.dispose()
    return errors


def test_the_flag_turns_prepared_statements_off_which_transaction_pooling_needs(pgbouncer, pooled_url):
    assert pgbouncer.show("CONFIG") and {r["key"]: r["value"] for r in pgbouncer.show("CONFIG")}[
        "pool_mode"] == "transaction"
    assert hammer(pooled_url.replace("?pgbouncer=1", "")), "psycopg's prepared statements went unnoticed"
    assert hammer(pooled_url) == []


def test_signed_webhooks_from_many_phones_at_once_are_all_stored(pooled, pgbouncer):
    from webhooks import create_app

    app = create_app(services=pooled)
    before = pgbouncer.transactions(DATABASE)
    script = ["hi", "4", "2", "County askaris took my cart", "Gikomba market", "yesterday", "no", "2", "1"]
    done: dict[int, list[str]] = {}

    def worker(n: int) -> None:
        phone = Phone(app.test_client(), f"+2547116{n:05d}")
        done[n] = [phone.send(body) for body in script]

    phones = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    [p.start() for p in phones]
    [p.join() for p in phones]

    assert len(done) == 8 and all(all(replies) for replies in done.values())
    with pooled.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(InboundMessage)).scalar() == 8 * len(script)
        references = conn.execute(select(Report.reference)).scalars().all()
    assert len(set(references)) == 8
    assert {replies[7] for replies in done.values()} == {
        pooled.catalog.text("nairobi-vendors", "report.received", "en", "sms", ref=r) for r in references}
    spool = pooled.settings.spool_dir
    assert not spool.exists() or not [f for f in spool.rglob("*") if f.is_file()]  # nothing set aside
    assert pgbouncer.transactions(DATABASE) - before >= 8 * len(script)


def test_a_broadcast_through_the_pooler_reaches_everyone_once(pooled, standin):
    people = People(pooled)
    contacts = [people.contact(language="sw" if n % 2 else None) for n in range(120)]
    bid = create_broadcast(pooled, "nairobi-vendors", {}, {"en": "Gikomba is closed.", "sw": "Gikomba imefungwa."})
    send_broadcast(pooled, bid)
    drain(bid, services=pooled, budget=None)
    with pooled.engine.connect() as conn:
        states = Counter(conn.execute(select(BroadcastRecipient.state).where(
            BroadcastRecipient.broadcast_id == bid)).scalars())
    assert states == {"sent": len(contacts)}
    assert len(standin.messages) == len(contacts) and max(Counter(m["to"] for m in standin.messages).values()) == 1
    assert progress(pooled, bid)["state"] == "done"


def test_the_organizers_pages_through_the_pooler(pooled):
    from webhooks import create_app

    app = create_app(services=pooled)
    worker = Phone(app.test_client(), "+254711700001")
    for body in ("4", "2", "County askaris took my cart", "Gikomba market", "yesterday", "no", "2"):
        worker.send(body)
    admin = create_user(pooled, "nairobi-vendors", "admin@pooled.example.org", "Admin", PASSWORD, "admin")
    browser = Browser(app.test_client())
    assert browser.login(admin.email).status_code == 302
    with pooled.engine.connect() as conn:
        [reference] = conn.execute(select(Report.reference)).scalars().all()
    for path in ("/", "/reports", f"/reports/{reference}", "/reports/map", "/reports/map.json", "/members",
                 "/markets", "/broadcasts", "/conversations", "/data", "/data/figures.json",
                 "/data/export?format=csv", "/data/export?format=xlsx"):
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert reference.encode() in browser.get("/reports").data
