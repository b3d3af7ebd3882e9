"""Database engines: PostgreSQL in production and tests, SQLite as the zero-setup default."""
from __future__ import annotations

import logging
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# `?pgbouncer=1` on DATABASE_URL: the URL goes through a pooler in transaction mode (PgBouncer < 1.21),
# where each transaction may land on another server connection. psycopg's server-side prepared
# statements would then be missing there ("prepared statement _pg3_0 does not exist"): none are made.
POOLER_FLAG = "pgbouncer"
_log = logging.getLogger(__name__)


def build_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets gunicorn workers read while one writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.close()
            dbapi_conn.create_function("local_date", 2, _local_date, deterministic=True)

        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = make_url(url)
    connect_args: dict = {"connect_timeout": 3}
    if POOLER_FLAG in parsed.query:
        if parsed.query[POOLER_FLAG] not in ("0", "false", "no", "off"):
            connect_args["prepare_threshold"] = None
        parsed = parsed.difference_update_query([POOLER_FLAG])  # not a libpq parameter
    return create_engine(
        parsed,
        pool_size=5,
        max_overflow=10,
        pool_timeout=5,
        connect_args=connect_args,
    )


def _local_date(stamp: str | None, zone: str) -> str | None:
    """SQLite has no time zones: local_date(created_at, 'Africa/Nairobi') in Python (UTC text in,
    'YYYY-MM-DD' out), the same day PostgreSQL's timezone() gives (bot/line/answers/dates.day_sql)."""
    if stamp is None:
        return None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


@lru_cache(maxsize=16)
def autocommit(engine: Engine) -> Engine | None:
    """The same pool in autocommit mode, for single-statement writes on the hot path (no BEGIN and
    COMMIT round trips); None where the dialect has no such fast path (SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _checkout(engine: Engine):
    """A pooled connection; could not connect: raised as engine.connect() would."""
    dialect = engine.dialect
    try:
        return engine.raw_connection()
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error, dialect=dialect,
                                  connection_invalidated=dialect.is_disconnect(exc, None, None)) from exc


def _give_back(pooled, lost: BaseException | None = None) -> None:
    if lost is None:
        try:
            pooled.driver_connection.autocommit = False  # the pool's other users expect transactions
        except Exception as exc:
            lost = exc
    if lost is not None:
        pooled.invalidate(lost)  # never handed out again
    pooled.close()  # back to the pool (invalidated: closed and replaced)


class _Held:
    """The connection one message's hot statements share (see `held_connection`)."""

    __slots__ = ("engine", "_pooled")

    def __init__(self, engine: Engine):
        self.engine, self._pooled = engine, None

    def connection(self):
        if self._pooled is None:
            self._pooled = _checkout(self.engine)
        return self._pooled

    def drop(self, lost: BaseException) -> None:  # lost mid-message: the next statement checks out anew
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            _give_back(pooled, lost)

    def release(self) -> None:
        pooled, self._pooled = self._pooled, None
        if pooled is not None:
            _give_back(pooled)


_held: ContextVar[_Held | None] = ContextVar("hot_connection", default=None)


@contextmanager
def held_connection(engine: Engine):
    """Every HotStatement run on `engine` inside the block shares one pooled connection, checked out
    by the first and kept in autocommit until the block ends: a message's store, reads and reply
    record then pay one pool checkout and one autocommit switch instead of one per statement
    (bench/profile_inbound.py). Other work in the block uses the pool as before: a web thread holds
    one connection more than it used to, which pool_size + max_overflow (15) covers for the
    Procfile's 4 threads per worker."""
    if engine.dialect.name != "postgresql" or _held.get() is not None:
        yield
        return
    held = _Held(engine)
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        held.release()


class HotStatement:
    """A PostgreSQL statement for the path every message takes, compiled once and run straight on a
    pooled psycopg connection in autocommit. SQLAlchemy's Connection and execute machinery cost more
    CPU than the statement itself there (bench/profile_inbound.py); the pool, its limits and its
    reconnects are still SQLAlchemy's.

    `run` gives the first row (a tuple; () when the statement returns none; with `every`, the list of
    rows), or None when the statement failed: the caller then does the same work through SQLAlchemy,
    which raises the error wrapped as the outage and retry handling expect (the statement failed as a
    whole in autocommit, so nothing is written twice). A lost connection is discarded. No connection
    to be had raises as `engine.connect()` would (DBAPIError or the pool's TimeoutError)."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dialect -> (sql, fixed, processors)
        self.failures = 0  # statements handed back to SQLAlchemy (tests: none on a healthy database)

    def _for(self, dialect):
        found = self._compiled.get(dialect)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            # Values the statement carries itself (LIMIT 1 is a bound parameter too).
            fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
            processors = {}
            for name, bind in compiled.binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            found = self._compiled[dialect] = (compiled.string, fixed, tuple(processors.items()))
        return found

    def run(self, engine: Engine, params: dict, *, every: bool = False):
        dialect = engine.dialect
        sql, fixed, processors = self._for(dialect)
        if fixed or processors:  # a copy: the caller's fallback takes the parameters as they were
            params = {**fixed, **params}
            params.update({name: process(params[name]) for name, process in processors})
        held = _held.get()
        if held is not None and held.engine is not engine:
            held = None
        pooled = held.connection() if held is not None else _checkout(engine)
        conn, result, lost = pooled.driver_connection, None, None
        try:
            if not conn.autocommit:  # fresh from the pool; a held one stays in autocommit
                conn.autocommit = True
            cursor = conn.execute(sql, params)
            if every:
                result = cursor.fetchall()
            else:
                result = (cursor.fetchone() if cursor.description else None) or ()
        except Exception as exc:
            self.failures += 1
            if conn.closed or conn.broken or dialect.is_disconnect(exc, conn, None):
                lost = exc
            else:  # the statement failed in autocommit: the connection is idle and fine
                _log.info("hot statement failed (%s), done through SQLAlchemy instead", type(exc).__name__)
        finally:
            if held is None:
                _give_back(pooled, lost)
            elif lost is not None:
                held.drop(lost)  # else it stays with the message for its next statement
        return result

    def read(self, engine: Engine, params: dict) -> list:
        """Every row of a read: hot on PostgreSQL, through SQLAlchemy on SQLite or when that failed."""
        if engine.dialect.name == "postgresql":
            rows = self.run(engine, params, every=True)
            if rows is not None:
                return rows
        with (autocommit(engine) or engine).connect() as conn:
            return [tuple(row) for row in conn.execute(self.statement, params)]
