"""The statements every menu message runs straight on the pooled psycopg connection (bot/db.HotStatement):
they do run there on a healthy database, their results are those of SQLAlchemy's own path, a failed
statement leaves a usable connection back in transaction mode, and a lost one is discarded. Inside
held_connection (one message) they share one connection, given back in transaction mode."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from bot.db import HotStatement, held_connection
from bot.line import live, members, store
from bot.line.answers import dates
from bot.models import Contact, InboundMessage, OutboundMessage


def _hot():
    return [store._hot_store("sms"), store._hot_store("whatsapp"), store._hot_finish(), members._PROFILE,
            live._UPCOMING]


def test_menu_traffic_runs_hot_and_records_everything(services, phone):
    before = [s.failures for s in _hot()]
    starts = dates.now_utc() + timedelta(days=1)
    live.announce_relief(services, "nairobi-vendors", venue="Gikomba", starts_at=starts, recipients="all",
                         changed_by="test", source="cli")
    sms, whatsapp = phone("+254711000101"), phone("+254711000102", "whatsapp")
    sms.send("hi")
    with services.db() as session:
        contact_id = session.scalars(select(Contact.id).where(Contact.phone == "+254711000101")).one()
    members.save_member(services, services.catalog.organizations["nairobi-vendors"], contact_id,
                        {"name": "Wanjiru", "city": "Nairobi", "trade": "food"}, consent_version="v1")
    for worker in (sms, whatsapp):
        relief = worker.send("1")
        assert "Gikomba" in relief  # the announced distribution, read hot
        worker.send("menu")

    assert [s.failures for s in _hot()] == before, "a hot statement fell back to SQLAlchemy"
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 5
        handled = session.scalar(select(func.count()).where(InboundMessage.handled_at.is_not(None)))
        assert handled == 5
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) >= 5
    assert members.registered_profile(services, "nairobi-vendors", contact_id) == ("Nairobi", "food", None)
    assert members.registered_profile(services, "nairobi-vendors", contact_id + 1000) is None


def test_reads_match_sqlalchemys_path(services):
    starts = dates.now_utc() + timedelta(hours=3)
    live.announce_relief(services, "pune-wastepickers", venue="Mandai", place_id="pune.mandai", starts_at=starts,
                         recipients="सभी", changed_by="test", source="cli")
    params = {"org": "pune-wastepickers", "at": dates.now_utc(), "day_ago": dates.now_utc() - timedelta(hours=24)}
    hot = live._UPCOMING.run(services.engine, dict(params), every=True)
    with services.engine.connect() as conn:
        plain = [tuple(r) for r in conn.execute(live._UPCOMING.statement, params)]
    assert hot == plain and len(hot) == 1 and hot[0][4] == starts  # the same row, time zone kept


def test_a_failed_statement_falls_back_and_leaves_the_connection_in_transactions(services):
    engine = services.engine
    orphan = HotStatement(text("INSERT INTO contacts (organization, phone, opted_out, created_at, updated_at) "
                               "VALUES ('no-such-org', '+1', false, now(), now()) RETURNING id"))
    assert orphan.run(engine, {}) is None and orphan.failures == 1  # the organization is a foreign key
    _assert_no_pooled_connection_in_autocommit(engine)


def _assert_no_pooled_connection_in_autocommit(engine):
    for _ in range(engine.pool.size() + 1):  # the pool hands them out in turn: every one of them
        with engine.connect() as conn:
            conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS probe (x int)"))
            conn.commit()
            conn.execute(text("INSERT INTO probe VALUES (1)"))
            conn.rollback()
            assert conn.execute(text("SELECT count(*) FROM probe")).scalar() == 0


def test_a_lost_connection_is_discarded_and_the_next_statement_reconnects(services, db):
    engine = services.engine
    probe = HotStatement(text("SELECT pg_backend_pid()"))
    [pid] = probe.run(engine, {})
    with db.connect() as other:  # another engine: not the pooled connection itself
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
    results = [probe.run(engine, {}) for _ in range(engine.pool.size() + 1)]
    assert None in results and probe.failures == 1  # the killed one, once
    assert results[-1] is not None and results[-1][0] != pid


def test_a_messages_statements_share_one_connection_given_back_in_transactions(services):
    engine = services.engine
    probe = HotStatement(text("SELECT pg_backend_pid()"))
    idle = engine.pool.checkedout()
    with held_connection(engine):
        pids = {probe.run(engine, {})[0] for _ in range(4)}
        assert engine.pool.checkedout() == idle + 1  # one, kept between statements
        with engine.connect() as conn:  # other work in the block: the pool as before
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() not in pids
    assert len(pids) == 1 and engine.pool.checkedout() == idle
    _assert_no_pooled_connection_in_autocommit(engine)  # the held one went back out of autocommit


def test_a_held_connection_lost_mid_message_is_replaced_for_the_next_statement(services, db):
    engine = services.engine
    probe = HotStatement(text("SELECT pg_backend_pid()"))
    idle = engine.pool.checkedout()
    with held_connection(engine):
        [pid] = probe.run(engine, {})
        with db.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        assert probe.run(engine, {}) is None and probe.failures == 1
        [again] = probe.run(engine, {})
        assert again != pid
    assert engine.pool.checkedout() == idle


def test_a_menu_message_holds_one_connection_for_its_hot_statements(services, phone):
    engine, seen = services.engine, []

    def count(*_args):
        seen.append(engine.pool.checkedout())

    from sqlalchemy import event
    event.listen(engine.pool, "checkout", count)
    try:
        worker = phone("+254711000109")
        worker.send("hi")
        seen.clear()
        worker.send("menu")
    finally:
        event.remove(engine.pool, "checkout", count)
    assert len(seen) == 1, f"pool checkouts for one menu message: {seen}"
