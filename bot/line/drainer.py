"""Drains the spool into the database in the background, in batches.

The worker process runs it (`python -m bot.cli worker`, the Procfile's worker), off the web
processes' CPU; `python -m bot.cli replay-spool` drains once by hand. One drainer works at a time
across processes (a flock), and a contact whose live message is catching up its own spooled
messages (`catch_up`, in the web process) is skipped meanwhile.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.line import resume, spool
log = logging.getLogger(__name__)

BATCH = 100


@contextmanager
def _exclusive(spool_dir: Path):
    """One drainer at a time across processes; the others skip instead of waiting."""
    Path(spool_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(spool_dir) / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Refused(Exception):
    """The database refused this entry itself (not an outage): its transaction is rolled back."""


def _store_one(conn, entry: spool.Entry):
    """Store one entry in `conn`'s transaction: on PostgreSQL two statements (the live path's
    single-statement store and finish). Returns ("stored"|"duplicate", contact); raises _Refused."""
    from bot.line.store import Duplicate, record_outcome, record_outcome_fast, store_inbound, store_inbound_fast

    fast = conn.dialect.name == "postgresql"
    try:
        store = store_inbound_fast if fast else store_inbound
        inbound_id, contact = store(conn, entry.inbound, entry.org, spooled=True)
        contact_id = contact.id if contact else None
        args = (conn, inbound_id, contact_id, entry.org, entry.inbound, entry.outcome, entry.outcome.replies)
        if not (fast and record_outcome_fast(*args)):
            record_outcome(*args)
        return "stored", contact
    except Duplicate:  # its contact touch stays: harmless, the same as a live repeat
        return "duplicate", None
    except DBAPIError as exc:
        if spool.connection_lost(exc):
            raise
        raise _Refused(str(exc)) from exc


def _one_each(services, entries: list[spool.Entry]) -> list[tuple]:
    results = []
    for entry in entries:
        try:
            with services.engine.begin() as conn:
                results.append((entry, *_store_one(conn, entry)))
        except _Refused as exc:
            log.error("spooled %s refused by the database, set aside: %s", entry.inbound.sid, exc)
            results.append((entry, "refused", None))
    return results


def _store_batch(services, entries: list[spool.Entry]) -> list[tuple] | None:
    """All entries in one transaction; when the database refuses one of them, one transaction
    each. None when the database is unreachable."""
    try:
        if services.engine.dialect.name == "sqlite":  # one writer anyway: keep transactions short
            return _one_each(services, entries)
        try:
            with services.engine.begin() as conn:
                return [(entry, *_store_one(conn, entry)) for entry in entries]
        except _Refused:
            return _one_each(services, entries)
    except (DBAPIError, PoolTimeout) as exc:
        if not spool.connection_lost(exc):
            raise
        spool.mark_down(services.engine)
        log.warning("spool replay paused, database unavailable: %s", exc)
        return None


def _settle(services, results: list[tuple]) -> int:
    """After the commit: remove stored files, set refused ones aside, save deferred forms."""
    spool_dir = Path(services.settings.spool_dir)
    stored = 0
    for entry, result, contact in results:
        if result == "refused":
            spool.set_aside(spool_dir, entry.path)
            continue
        if entry.deferred and (result == "stored" or entry.stored_before):
            if contact is None and entry.stored_before:
                contact = resume.contact_for(services, entry.inbound, entry.org)
            done = resume.finish(services, entry.inbound, entry.org, contact, entry.deferred)
            if done == "retry":
                spool.mark_stored(entry)  # the message is in; the form is tried again next pass
                continue
            if done == "failed":
                spool.mark_stored(entry)
                spool.set_aside(spool_dir, entry.path)
                continue
        stored += result == "stored"
        entry.path.unlink(missing_ok=True)
    return stored


def store_entries(services, entries: list[spool.Entry]) -> int:
    """One contact's entries, in order; raises spool.Unavailable when the database is away."""
    if not entries:
        return 0
    results = _store_batch(services, entries)
    if results is None:
        raise spool.Unavailable("database unavailable during catch-up")
    return _settle(services, results)


def _folders(spool_dir: Path) -> list[Path]:
    try:
        with os.scandir(spool_dir) as it:
            found = [Path(e.path) for e in it if e.is_dir() and e.name != spool.BAD]
    except FileNotFoundError:
        return []
    return found


def _adopt_loose_files(spool_dir: Path) -> None:
    """Spool files from before per-contact folders: move them into their contact's folder."""
    for path in Path(spool_dir).glob("*.json"):
        entry = spool._read(path, spool_dir)
        if entry is None:
            continue
        target = spool._path(spool_dir, entry.inbound, entry.org)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            path.unlink(missing_ok=True)
        else:
            os.replace(path, target)
        spool._touch(Path(spool_dir) / spool.MARKER)


def drain_once(services, batch: int = BATCH) -> tuple[int, bool]:
    """Store up to `batch` spooled messages in one transaction. Returns (stored, more to do)."""
    spool_dir = Path(services.settings.spool_dir)
    if not spool_dir.exists():
        return 0, False
    with _exclusive(spool_dir) as mine:
        if not mine:
            return 0, True
        _adopt_loose_files(spool_dir)
        folders, more, waiting = _folders(spool_dir), False, False
        with ExitStack() as stack:
            chosen: list[tuple[Path, list[spool.Entry]]] = []
            count = 0
            for folder in folders:
                if count >= batch:
                    more = True
                    break
                if not stack.enter_context(spool.contact_lock(folder, wait=None)):
                    more = True  # a live message is catching this contact up
                    continue
                entries = spool._entries(folder, spool_dir)
                ready = [e for e in entries if not e.in_flight]
                if len(ready) < len(entries):
                    waiting = True
                    ready = ready[:next(i for i, e in enumerate(entries) if e.in_flight)]  # keep the order
                chosen.append((folder, ready))
                count += len(ready)
            results = _store_batch(services, [e for _, group in chosen for e in group])
            if results is None:
                return 0, True
            stored = _settle(services, results)
            for folder, _ in chosen:
                spool.remove_folder_if_empty(folder)
        if not more and not waiting:
            _clear_marker(spool_dir)
        return stored, more or waiting


def _clear_marker(spool_dir: Path) -> None:
    """Remove the marker, then look again: a message spooled meanwhile puts it back (its writer
    links the file before touching the marker, so one of the two always sees the other)."""
    try:
        (spool_dir / spool.MARKER).unlink()
    except FileNotFoundError:
        return
    if _folders(spool_dir):
        spool._touch(spool_dir / spool.MARKER)


def heartbeat(spool_dir: Path) -> None:
    Path(spool_dir).mkdir(parents=True, exist_ok=True)
    spool._touch(Path(spool_dir) / spool.HEARTBEAT)


def heartbeat_age(spool_dir: Path) -> float | None:
    """Seconds since a drainer last showed it runs; None when none ever did."""
    try:
        return time.time() - os.stat(Path(spool_dir) / spool.HEARTBEAT).st_mtime
    except FileNotFoundError:
        return None


def run(services, stop: threading.Event, idle: float = 0.5, after_tick=None) -> None:
    """Loop until `stop`: heartbeat, drain while there is something, rest otherwise."""
    spool_dir = Path(services.settings.spool_dir)
    if any(spool_dir.glob("*.json")) or _folders(spool_dir):  # left from before a restart
        spool._touch(spool_dir / spool.MARKER)
    while not stop.is_set():
        heartbeat(spool_dir)
        pause = idle
        if spool.has_pending(spool_dir):
            try:
                began = time.monotonic()
                stored, more = drain_once(services)
                if more:
                    # Busy: rest as long as the batch took, so live traffic keeps at least half of the
                    # CPU and database while the backlog drains. Stuck (database away): wait.
                    pause = max(0.02, time.monotonic() - began) if stored else 1.0
            except Exception:  # keep draining whatever one bad batch did
                log.exception("spool drain failed")
                pause = 1.0
        if after_tick is not None:
            after_tick()
        stop.wait(pause)


# --- in the web process and the CLI ---------------------------------------------------------------

def catch_up(services, inbound, org: str | None) -> int:
    """Store this contact's spooled messages before its new one (a STOP sent during the outage
    must precede the next message). One stat when the contact has none."""
    spool_dir = Path(services.settings.spool_dir)
    folder = spool_dir / spool.contact_key(inbound, org)
    if not folder.is_dir() or spool.db_down(services.engine):
        return 0
    with spool.contact_lock(folder, wait=5.0) as mine:
        if not mine:
            return 0
        entries = spool._entries(folder, spool_dir)
        ready = next((i for i, e in enumerate(entries) if e.in_flight), len(entries))
        stored = store_entries(services, entries[:ready])  # in order, up to one still being answered
        spool.remove_folder_if_empty(folder)
    return stored


def replay(services) -> int:
    """Store everything spooled now, in this process (the CLI's replay-spool). Idempotent."""
    total = 0
    while True:
        count, more = drain_once(services)
        total += count
        if not more or count == 0:
            return total
