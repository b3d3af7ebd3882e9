"""Database outages (issue 12 items 3-5): a real PostgreSQL server of this module's own is stopped
and started during the tests; messages go through signed webhooks; the spool is drained by the same
background loop the worker process runs."""
from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text

from bot.line import drainer, spool
from bot.models import Base, Contact, InboundMessage, OutboundMessage, Report
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.worker import Background
from localservers import PostgresServer
from tests.conftest import Phone, alembic_config, replies
from webhooks import create_app

pytestmark = pytest.mark.slow


class Database:
    """This module's PostgreSQL, which the tests stop and start."""

    def __init__(self, server: PostgresServer):
        self.server, self.up = server, True

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop("fast")
        self.up = False

    def start(self) -> None:
        self.server.start()
        self.up = True

    def scalar(self, sql: str, **params):
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql), params).scalar()
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def database():
    with PostgresServer(database="streetline_outage") as server:
        command.upgrade(alembic_config(server.url), "heads")
        yield Database(server)


@pytest.fixture
def line(database, make_settings, redis, tmp_path):
    """Services and a test client on the module's database, emptied first."""
    if not database.up:
        database.start()
    engine = create_engine(database.url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables)
                          + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    services = build_services(make_settings(database_url=database.url, spool_dir=tmp_path / "spool"))
    sync_organizations(services)
    yield services, create_app(services=services).test_client()
    spool._down_until.clear()
    if not database.up:
        database.start()
    if spool.has_pending(services.settings.spool_dir):  # nothing left for a drainer to bring into the next test
        drain(services)
    services.close()


_watch = threading.local()
_hooked: list = []


@contextmanager
def folder_listings():
    """Folder listings (os.listdir, os.scandir, glob) made by this thread meanwhile, seen through
    Python's audit events."""
    if not _hooked:
        def hook(event, args):
            if event in ("os.listdir", "os.scandir", "glob.glob") and getattr(_watch, "seen", None) is not None:
                _watch.seen.append((event, str(args[0]) if args else ""))

        sys.addaudithook(hook)  # audit hooks cannot be removed: one for the whole session
        _hooked.append(hook)
    _watch.seen = []
    try:
        yield _watch.seen
    finally:
        _watch.seen = None


def drain(services, timeout: float = 20) -> None:
    """Run the worker's background loop until the spool is empty."""
    background = Background(services).start()
    deadline = time.monotonic() + timeout
    try:
        while spool.has_pending(services.settings.spool_dir) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        background.close()
    assert not spool.has_pending(services.settings.spool_dir), spool.pending(services.settings.spool_dir)


def stored(services, model, *where) -> int:
    with services.db() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def text_of(services, key, **vars) -> str:
    return services.catalog.text("nairobi-vendors", key, "en", "sms", **vars)


# --- item 3: characters PostgreSQL refuses; which errors count as an outage; whole spool files ---

def test_nul_bytes_in_a_signed_whatsapp_form_are_removed_and_the_message_stored(line):
    services, client = line
    worker = Phone(client, "+254711300001", "whatsapp")
    form = worker.form("hi\x00", WaId="254711\x00300001", ProfileName="Wan\x00jiru")
    response = worker.post(form)

    assert response.status_code == 200
    assert replies(response.get_data(as_text=True))  # answered
    with services.db() as session:
        message = session.scalar(select(InboundMessage))
        contact = session.scalar(select(Contact))
    assert message is not None and message.spooled is False and message.handled_at is not None
    assert contact.whatsapp_id == "254711300001" and contact.profile_name == "Wanjiru"
    assert "\x00" not in json.dumps(message.raw)
    assert message.raw["WaId"] == "254711\\u0000300001"  # what was sent, escaped
    assert spool.pending(services.settings.spool_dir) == []
    assert not (services.settings.spool_dir / spool.BAD).exists()


def test_only_a_dropped_or_refused_connection_counts_as_an_outage(line, database):
    services, _ = line
    from sqlalchemy.exc import DBAPIError

    def error(run) -> DBAPIError:
        with pytest.raises(DBAPIError) as caught:
            run()
        return caught.value

    engine = create_engine(database.url)
    with engine.connect() as conn:
        refused_data = error(lambda: conn.execute(text("SELECT CAST(:x AS text)"), {"x": "a\x00b"}))
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        database.scalar("SELECT pg_terminate_backend(:pid)", pid=pid)
        terminated = error(lambda: conn.execute(text("SELECT 1")))
    engine.dispose()
    database.stop()
    unreachable = create_engine(database.url)
    refused = error(lambda: unreachable.connect())
    unreachable.dispose()

    assert spool.connection_lost(refused_data) is False
    assert spool.connection_lost(terminated) is True
    assert spool.connection_lost(refused) is True


def test_concurrent_spooling_and_replay_lose_nothing_and_set_nothing_aside(line, database):
    services, client = line
    app = create_app(services=services)
    database.stop()
    results: list[tuple[str, int, list[str]]] = []
    errors: list[BaseException] = []

    def send(n: int) -> None:
        phone = Phone(app.test_client(), f"+2547113{n:02d}000")
        for i in range(30):
            try:
                form = phone.form("hi")
                response = phone.post(form)
                results.append((form["MessageSid"], response.status_code,
                                replies(response.get_data(as_text=True))))
            except BaseException as exc:  # noqa: BLE001  reported below
                errors.append(exc)
            if n == 0 and i == 10:
                database.start()  # the database comes back while messages are being spooled

    stop = threading.Event()

    def replay_all_the_time() -> None:
        while not stop.is_set():
            try:
                drainer.drain_once(services, batch=7)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

    replayer = threading.Thread(target=replay_all_the_time)
    replayer.start()
    senders = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    stop.set()
    replayer.join()
    drain(services)

    assert errors == []
    assert len(results) == 180 and all(code == 200 and texts for _, code, texts in results)
    assert stored(services, InboundMessage) == 180
    assert not (services.settings.spool_dir / spool.BAD).exists()


class SlowRasa:
    """A local Rasa stand-in whose /model/parse holds each answer until `release` is set."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.release, self.waiting = threading.Event(), threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._json({"model_file": "slow.tar.gz"})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.waiting.set()
                outer.release.wait(10)
                self._json({"intent": {"name": "greet", "confidence": 0.97}, "entities": [], "intent_ranking": []})

            def _json(self, data):
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_message_answered_across_the_restart_is_replayed_with_its_answer(database, make_settings, redis, tmp_path,
                                                                           line):
    """Spooled, then (while its answer is still being worked out) the database returns and a
    replay runs: the replay leaves the unanswered file alone, and the answer is recorded with it."""
    rasa = SlowRasa()
    services = build_services(make_settings(database_url=database.url, spool_dir=tmp_path / "spool",
                                            rasa_url=rasa.url, nlu_timeout=10.0))
    client = create_app(services=services).test_client()
    database.stop()
    worker = Phone(client, "+254711310001")
    result: dict = {}
    sender = threading.Thread(target=lambda: result.update(reply=worker.send("good morning my friends")))
    try:
        sender.start()
        assert rasa.waiting.wait(10)  # spooled, now waiting for its answer
        database.start()
        spool._down_until.clear()
        drainer.drain_once(services)  # the database is back: a replay runs meanwhile
        rasa.release.set()
        sender.join(10)
        drain(services)
    finally:
        rasa.close()
        services.close()
    line_services = line[0]
    line_services.engine.dispose()  # its pooled connections died with the restart
    with line_services.db() as session:
        message = session.scalar(select(InboundMessage))
        answers = session.scalar(select(func.count()).select_from(OutboundMessage))
    assert result["reply"]  # answered, no error on the way
    assert message.spooled and message.handled_at is not None and answers == 1


def test_spool_files_are_never_seen_half_written(line, database):
    """While messages are spooled from several threads, a reader going through the spool finds
    only whole files."""
    services, client = line
    app = create_app(services=services)
    database.stop()
    stop, seen, broken = threading.Event(), set(), []

    def read_all_the_time() -> None:
        root = services.settings.spool_dir
        while not stop.is_set():
            for path in list(root.rglob("*.json")):
                try:
                    json.loads(path.read_text(encoding="utf-8"))
                    seen.add(path.name)
                except FileNotFoundError:
                    pass
                except ValueError as exc:
                    broken.append(f"{path.name}: {exc}")

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    senders = [threading.Thread(target=lambda n=n: [Phone(app.test_client(), f"+2547113200{n:02d}").send("hi")
                                                     for _ in range(40)]) for n in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    stop.set()
    reader.join()
    assert broken == [] and len(seen) > 100


# --- item 4: recovery in the background, per-contact order ---------------------------------------

def test_after_an_outage_live_messages_do_not_wait_for_the_whole_spool(line, database):
    services, client = line
    database.stop()
    for n in range(150):
        assert Phone(client, f"+25471140{n:04d}").send("hi")
    quitter = Phone(client, "+254711499999")
    assert quitter.send("STOP") == text_of(services, "optout.confirm")
    assert len(spool.pending(services.settings.spool_dir)) == 151
    database.start()
    spool._down_until.clear()

    t0 = time.perf_counter()
    with folder_listings() as listings:
        newcomer = Phone(client, "+254711488888").send("hi")
    first = time.perf_counter() - t0
    left = len(spool.pending(services.settings.spool_dir))
    silent = quitter.send("hi")  # its STOP, spooled, is stored before this message

    assert newcomer and first < 1.0
    assert listings == []  # the hot path looked at a marker, not at the spool's contents
    assert left >= 140  # the live message did not drain the spool itself
    assert silent == ""
    drain(services)
    assert stored(services, InboundMessage) == 153
    assert stored(services, InboundMessage, InboundMessage.spooled) == 151
    with services.db() as session:
        quitter_row = session.scalar(select(Contact).where(Contact.phone == "+254711499999"))
        order = session.scalars(select(InboundMessage.body).where(InboundMessage.contact_id == quitter_row.id)
                                .order_by(InboundMessage.id)).all()
    assert quitter_row.opted_out is True and order == ["STOP", "hi"]


# --- item 5: conversations during the outage -----------------------------------------------------

def test_a_worker_who_opted_out_is_not_answered_while_the_database_is_down(line, database):
    services, client = line
    quitter, other = Phone(client, "+254711500001"), Phone(client, "+254711500002")
    quitter.send("STOP")
    other.send("hi")
    database.stop()

    assert quitter.send("hi") == ""
    assert quitter.send("HELP") == text_of(services, "help")
    assert other.send("hi") != ""
    assert other.send("START") != ""  # not opted out: START is a menu request, answered


def test_a_report_finished_during_the_outage_is_saved_when_the_database_returns(line, database):
    services, client = line
    worker = Phone(client, "+254711500003")
    worker.send("4")
    worker.send("2")
    worker.send("County askaris took my sukuma and my cart")
    worker.send("Gikomba market")
    worker.send("yesterday")
    worker.send("1")
    database.stop()

    done = worker.send("2")  # the form's last answer
    assert done == text_of(services, "form.saved_later")
    database.start()
    spool._down_until.clear()
    drain(services)

    with services.db() as session:
        report = session.scalar(select(Report))
        contact = session.scalar(select(Contact).where(Contact.phone == "+254711500003"))
    assert report is not None and report.description == "County askaris took my sukuma and my cart"
    assert report.contact_id == contact.id and report.place_id == "nbo.gikomba"
    pushed = services.sender.read(to="+254711500003")
    assert [m["body"] for m in pushed] == [text_of(services, "report.received", ref=report.reference)]
    assert stored(services, OutboundMessage) >= 6  # the replies of the form, the last one included



def test_a_spooled_message_the_database_refuses_is_set_aside_and_the_rest_stored(line):
    """An organization removed from content while its messages sat in the spool: the foreign key
    refuses them; the batch goes on one by one and keeps the file for a human."""
    from bot.messages import Inbound
    from bot.line.outcome import Outcome

    services, _ = line
    spool_dir = services.settings.spool_dir

    def spooled(n: int, org: str) -> None:
        phone = f"+25471160{n:04d}"
        inbound = Inbound(sid=f"SM{n:032x}", channel="sms", from_address=phone, to_address="+254709990001",
                          phone=phone, to_number="+254709990001", body="hi", raw={"Body": "hi"})
        assert spool.reserve(spool_dir, inbound, org)
        spool.complete(spool_dir, inbound, org, Outcome())

    for n in range(5):
        spooled(n, "nairobi-vendors" if n != 2 else "gone-org")
    assert drainer.drain_once(services) == (4, False)

    assert stored(services, InboundMessage) == 4
    assert [p.name.split("-", 1)[1] for p in (spool_dir / spool.BAD).iterdir()] == [f"SM{2:032x}.json"]
    assert spool.pending(spool_dir) == [] and not spool.has_pending(spool_dir)
