"""A local spool for inbound messages while the database is unreachable.

One JSON file per MessageSid, in one folder per contact (`<spool>/<contact key>/<sid>.json`), so a
repeated delivery is recognised without the database and a contact's spooled messages can be
stored before that contact's next live message. A file holds the message and, once answered, what
was answered and changed (and a form completion the database could not take), so a replay stores
the same history the live path would have; no reply is re-sent.

Files are written whole (temp file, fsync, then link or rename into place): a reader never sees half
a file. (The folder itself is not fsynced: at ~6 ms an fsync on a busy disk, a third one per message
costs more than the rare power cut it would cover.) `<spool>/.pending` exists while anything is spooled: the hot path's only cost is one stat.
Replaying is the drainer's job (bot/line/drainer.py, in the worker process), in batches; a live message
from a contact with spooled messages first stores that contact's own (`drainer.catch_up`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.messages import Inbound, Media
from bot.line.outcome import Outcome
from bot.line.replies import Reply

log = logging.getLogger(__name__)

MARKER = ".pending"
HEARTBEAT = ".drainer"  # touched by a running drainer (for operators: is one running?)
BAD = "bad"
# An unanswered file younger than this is a message being answered right now: not replayed yet.
IN_FLIGHT_SECONDS = 30.0
# After a connection failure, skip the database for this long (a host that times out instead of
# refusing would otherwise cost every request the connect timeout).
BREAKER_SECONDS = 0.25
_down_until: dict[str, float] = {}  # database URL -> until when it is taken for down


class Unavailable(Exception):
    """The database cannot be reached: the message goes to the spool."""


# --- what counts as an outage --------------------------------------------------------------------

_CONNECTION_STATES = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, cannot connect now


def connection_lost(exc: BaseException) -> bool:
    """True for a dropped or refused connection (or no connection to be had from the pool); False
    for errors about the statement or its data, which a retry to the same server would repeat."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    if exc.connection_invalidated:
        return True
    state = getattr(exc.orig, "sqlstate", None)
    return state is None or state.startswith("08") or state in _CONNECTION_STATES


_last_logged = [0.0, 0]  # when the last outage line was written, lines left out since


def log_outage(logger, message: str) -> None:
    """At most one line a second while the database is away (250 a second would bury the rest)."""
    now = time.monotonic()
    if now - _last_logged[0] < 1.0:
        _last_logged[1] += 1
        return
    skipped, _last_logged[:] = _last_logged[1], [now, 0]
    logger.error("%s%s", message, f" ({skipped} more like it in the last second)" if skipped else "")


def _key(engine) -> str:
    return str(engine.url)


def mark_down(engine) -> None:
    _down_until[_key(engine)] = time.monotonic() + BREAKER_SECONDS


def mark_up(engine) -> None:
    _down_until.pop(_key(engine), None)


def db_down(engine) -> bool:
    if not _down_until:  # every message asks: no URL rendered while nothing is marked down
        return False
    return time.monotonic() < _down_until.get(_key(engine), 0.0)


# --- layout --------------------------------------------------------------------------------------

def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in "-_")


def contact_key(inbound: Inbound, org: str | None) -> str:
    who = f"{org or '-'}|{inbound.phone or inbound.from_address}"
    return hashlib.sha1(who.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _path(spool_dir: Path, inbound: Inbound, org: str | None) -> Path:
    return Path(spool_dir) / contact_key(inbound, org) / f"{_safe(inbound.sid)}.json"


def has_pending(spool_dir: Path) -> bool:
    return os.path.exists(os.path.join(spool_dir, MARKER))


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def _write_temp(spool_dir: Path, record: dict) -> Path:
    tmp = Path(spool_dir) / f".tmp-{uuid.uuid4().hex}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


# --- writing -------------------------------------------------------------------------------------

def reserve(spool_dir: Path, inbound: Inbound, org: str | None, outcome=None, stored: bool = False) -> bool:
    """Write the message to the spool; False when this SID is spooled already. The file appears
    whole or not at all (link of a synced temp file, which also fails when the name exists)."""
    spool_dir = Path(spool_dir)
    spool_dir.mkdir(parents=True, exist_ok=True)
    record = {"org": org, "inbound": asdict(inbound), "outcome": _outcome_dict(outcome) if outcome else None,
              "stored": stored}
    tmp = _write_temp(spool_dir, record)
    path = _path(spool_dir, inbound, org)
    try:
        for _ in range(5):  # the drainer may remove an emptied contact folder between mkdir and link
            path.parent.mkdir(exist_ok=True)
            try:
                os.link(tmp, path)
                break
            except FileExistsError:
                return False
            except FileNotFoundError:
                continue
        else:
            raise OSError(errno.ENOENT, "spool folder keeps disappearing", str(path.parent))
    finally:
        tmp.unlink(missing_ok=True)
    _touch(spool_dir / MARKER)
    return True


def _outcome_dict(outcome) -> dict:
    return {
        "replies": [asdict(r) for r in outcome.replies],
        "contact_changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                            for k, v in outcome.contact_changes.items()},
        "deferred": getattr(outcome, "deferred", None),
    }


def complete(spool_dir: Path, inbound: Inbound, org: str | None, outcome) -> None:
    """Add what was answered to a reserved file. Idempotent: a file already replayed is left alone."""
    path = _path(spool_dir, inbound, org)
    if not path.exists():
        return
    record = {"org": org, "inbound": asdict(inbound), "outcome": _outcome_dict(outcome), "stored": False}
    tmp = _write_temp(spool_dir, record)
    try:
        os.replace(tmp, path)
    except FileNotFoundError:  # the contact folder went with a replay in between: nothing to add
        tmp.unlink(missing_ok=True)


# --- reading -------------------------------------------------------------------------------------

def _load(record: dict) -> tuple[Inbound, str | None, Outcome, dict | None]:
    data = dict(record["inbound"])
    data["media"] = tuple(Media(**m) for m in data["media"])
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    inbound = Inbound(**data)
    done = record.get("outcome") or {"replies": [], "contact_changes": {}}
    changes = {k: (datetime.fromisoformat(v) if k.endswith("_at") and v else v)
               for k, v in done["contact_changes"].items()}
    outcome = Outcome(replies=[Reply(**r) for r in done["replies"]], contact_changes=changes)
    return inbound, record["org"], outcome, done.get("deferred")


class Entry:
    """One spooled file, read."""

    def __init__(self, path: Path, record: dict):
        self.path, self.record = path, record
        self.inbound, self.org, self.outcome, self.deferred = _load(record)
        self.stored_before = bool(record.get("stored"))

    @property
    def in_flight(self) -> bool:
        if self.record.get("outcome") is not None:
            return False
        try:
            return time.time() - self.path.stat().st_mtime < IN_FLIGHT_SECONDS
        except FileNotFoundError:
            return True


def _read(path: Path, spool_dir: Path) -> Entry | None:
    try:
        return Entry(path, json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None  # replayed by someone else meanwhile
    except (OSError, ValueError, TypeError, KeyError) as exc:  # whole files only, so a damaged disk
        log.error("unreadable spool file %s, set aside: %s", path, exc)
        set_aside(spool_dir, path)
        return None


def mark_stored(entry: Entry) -> None:
    """The message is stored but its deferred form is not saved yet: the next replay, finding the
    message a duplicate, saves the form."""
    record = dict(entry.record, stored=True)
    tmp = _write_temp(entry.path.parent.parent, record)
    try:
        os.replace(tmp, entry.path)
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)


def set_aside(spool_dir: Path, path: Path) -> None:
    bad = Path(spool_dir) / BAD
    bad.mkdir(exist_ok=True)
    try:
        os.replace(path, bad / f"{path.parent.name}-{path.name}")
    except FileNotFoundError:
        pass


def _entries(folder: Path, spool_dir: Path) -> list[Entry]:
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".json")]
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries = [e for e in (_read(folder / n, spool_dir) for n in names) if e is not None]
    return sorted(entries, key=lambda e: (e.inbound.received_at, e.path.name))


def pending(spool_dir: Path) -> list[Path]:
    """Every spooled file (for operators and tests: this walks the whole spool)."""
    root = Path(spool_dir)
    if not root.exists():
        return []
    return sorted(p for p in root.glob("*/*.json") if p.parent.name != BAD)


@contextmanager
def contact_lock(folder: Path, wait: float | None):
    """flock on the contact's folder: one replayer per contact at a time. Yields False when the
    folder is gone (nothing left) or, with `wait`, when it stayed busy that long."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        deadline = time.monotonic() + (wait or 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if wait is None or time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.005)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def remove_folder_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (a new message arrived) or gone already
        pass
