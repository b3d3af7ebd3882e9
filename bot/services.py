"""Everything the line talks to, built once from Settings and passed around explicitly."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import redis as redis_lib
from rq import Queue
from sqlalchemy.orm import sessionmaker

from bot.db import build_engine
from bot.messages import Sender
from bot.providers import build_sender
from bot.settings import Settings
from content import Catalog, load_catalog

log = logging.getLogger(__name__)
CLOSE_WAIT = 5.0  # seconds close() waits for connections other threads still hold


@dataclass
class Services:
    settings: Settings
    engine: object  # sqlalchemy.Engine
    db: sessionmaker
    redis: redis_lib.Redis | None
    queue: Queue | None
    catalog: Catalog
    nlu: object  # nlu.client.NluClient
    sender: Sender
    # What this process already checked once per contact ("language", "forgotten"): bounded memos.
    memo: dict = field(default_factory=lambda: {"language": {}, "forgotten": {}})

    def remember(self, memo: str, key, limit: int = 200_000) -> None:
        """Note `key` as done in one of the per-process memos; the oldest go first past `limit`."""
        done = self.memo[memo]
        done[key] = None
        while len(done) > limit:
            done.pop(next(iter(done)))

    def close(self) -> None:
        # A connection still checked out (a request or job finishing in another thread) would go back
        # to a disposed pool and stay open until the garbage collector found it: wait for it a moment.
        checked_out = getattr(self.engine.pool, "checkedout", None)
        if checked_out is not None and checked_out():
            deadline = time.monotonic() + CLOSE_WAIT
            while checked_out() and time.monotonic() < deadline:
                time.sleep(0.02)
            if checked_out():
                log.warning("closing with %d database connection(s) still in use", checked_out())
        self.engine.dispose()
        self.sender.close()
        if self.redis is not None:
            self.redis.close()
        close = getattr(self.nlu, "close", None)
        if close:
            close()


def build_redis(settings: Settings) -> redis_lib.Redis | None:
    """The one Redis client (sessions, locks, rate limits, NLU cache, RQ). With REDIS_SENTINELS it is
    Sentinel's client for the current primary: after a failover its new connections go to the replica
    Sentinel promoted, and a connection to a demoted primary (read-only) is dropped."""
    timeouts = dict(socket_timeout=settings.redis_timeout, socket_connect_timeout=settings.redis_timeout)
    if settings.redis_sentinels:
        from redis.sentinel import Sentinel

        from bot.settings import SettingsError

        url = redis_lib.connection.parse_url(settings.redis_url) if settings.redis_url else {}
        try:
            hosts = [(h.rpartition(":")[0] or h, int(h.rpartition(":")[2]) if ":" in h else 26379)
                     for h in settings.redis_sentinels]
        except ValueError as exc:
            raise SettingsError(f"REDIS_SENTINELS must be host:port entries, got {settings.redis_sentinels}") from exc
        sentinel = Sentinel(hosts, sentinel_kwargs=timeouts, **timeouts)
        return sentinel.master_for(settings.redis_sentinel_service, db=url.get("db", 0),
                                   password=url.get("password"), health_check_interval=30)
    if not settings.redis_url:
        return None
    return redis_lib.Redis.from_url(settings.redis_url, health_check_interval=30, **timeouts)


_NLU_PARTS: dict[str, tuple] = {}


def _nlu_parts(content_dir: str, catalog: Catalog):
    """The gazetteer of this catalog's places and the fallback matcher (trained in-process from
    nlu/data): made once per content directory and process, not once per services object."""
    if content_dir not in _NLU_PARTS:
        _NLU_PARTS[content_dir] = _make_nlu_parts(catalog)
    return _NLU_PARTS[content_dir]


def _make_nlu_parts(catalog: Catalog):
    from nlu.gazetteer import Gazetteer

    gazetteer = Gazetteer.from_content(catalog)
    try:
        from nlu.fallback import FallbackMatcher
    except ImportError:  # pragma: no cover - nlu package incomplete
        log.warning("nlu.fallback unavailable; free text gets the menu")
        return gazetteer, None
    return gazetteer, FallbackMatcher.load(gazetteer=gazetteer)


def build_nlu(settings: Settings, redis: redis_lib.Redis | None, catalog: Catalog):
    """The NLU client for this catalog: its places are the ones entities resolve to."""
    from nlu.client import NluClient
    from nlu.language import default_guesser

    default_guesser()  # trained now, not on a worker's first message (once per process)
    gazetteer, fallback = _nlu_parts(str(settings.content_dir), catalog)
    return NluClient(
        settings.rasa_url,
        token=settings.rasa_token,
        timeout=settings.nlu_timeout,
        redis=redis,
        cache_ttl=settings.nlu_cache_ttl,
        fallback=fallback,
        gazetteer=gazetteer,
    )


def for_command() -> Services:
    """Services for the CLI command running now: the caller's (tests pass theirs as the root click
    context's obj), else built on first use, once per command line, and closed when it ends."""
    import click

    root = click.get_current_context().find_root()
    if not isinstance(root.obj, Services):
        root.obj = build_services()
        root.call_on_close(root.obj.close)
    return root.obj


def build_services(settings: Settings | None = None, *, nlu: bool = True) -> Services:
    """The one way to build services: the web app, every CLI command, the RQ worker and the broadcast
    worker. `nlu=False` for processes that never read a worker's words (the broadcast worker)."""
    settings = settings or Settings.from_env()
    engine = build_engine(settings.database_url)
    redis = build_redis(settings)
    catalog = load_catalog(settings.content_dir)
    return Services(
        settings=settings,
        engine=engine,
        db=sessionmaker(engine, expire_on_commit=False),
        redis=redis,
        queue=Queue("default", connection=redis) if redis is not None else None,
        catalog=catalog,
        nlu=build_nlu(settings, redis, catalog) if nlu else None,
        sender=build_sender(settings),
    )
