"""A local spool for inbound messages while the database is unreachable.

One JSON file per MessageSid, created with O_EXCL so a repeated delivery is recognised even
without the database. The file holds the message and, once answered, what was answered and
changed, so a replay stores the same history the live path would have (no reply is re-sent).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.inbound import Inbound, Media
from bot.outcome import Outcome
from bot.replies import Reply

log = logging.getLogger(__name__)
_last_mtime: dict[str, float] = {}


def _path(spool_dir: Path, sid: str) -> Path:
    safe = "".join(ch for ch in sid if ch.isalnum() or ch in "-_")
    return Path(spool_dir) / f"{safe}.json"


def _write_atomic(path: Path, record: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def reserve(spool_dir: Path, inbound: Inbound, org: str | None) -> bool:
    """Write the message to the spool; False when this SID is already spooled."""
    Path(spool_dir).mkdir(parents=True, exist_ok=True)
    path = _path(spool_dir, inbound.sid)
    record = {"org": org, "inbound": asdict(inbound), "outcome": None}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def complete(spool_dir: Path, sid: str, outcome) -> None:
    path = _path(spool_dir, sid)
    record = json.loads(path.read_text(encoding="utf-8"))
    record["outcome"] = {
        "replies": [asdict(r) for r in outcome.replies],
        "contact_changes": {k: (v.isoformat() if isinstance(v, datetime) else v)
                            for k, v in outcome.contact_changes.items()},
    }
    _write_atomic(path, record)


def pending(spool_dir: Path) -> list[Path]:
    try:
        return sorted(Path(spool_dir).glob("*.json"), key=lambda p: p.stat().st_mtime)
    except FileNotFoundError:
        return []


@contextmanager
def _exclusive(spool_dir: Path):
    """One replayer at a time across gunicorn workers; others skip instead of waiting."""
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


def _load(record: dict) -> tuple[Inbound, str | None, Outcome]:
    data = dict(record["inbound"])
    data["media"] = tuple(Media(**m) for m in data["media"])
    data["received_at"] = datetime.fromisoformat(data["received_at"])
    inbound = Inbound(**data)
    done = record.get("outcome") or {"replies": [], "contact_changes": {}}
    changes = {k: (datetime.fromisoformat(v) if k.endswith("_at") and v else v)
               for k, v in done["contact_changes"].items()}
    return inbound, record["org"], Outcome(replies=[Reply(**r) for r in done["replies"]], contact_changes=changes)


def replay(services) -> int:
    """Move spooled messages into the database; returns how many were stored. Idempotent."""
    from bot.store import Duplicate, record_outcome, store_inbound

    spool_dir = services.settings.spool_dir
    stored = 0
    with _exclusive(spool_dir) as mine:
        if not mine:
            return 0
        for path in pending(spool_dir):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:  # half-written by a crash: keep it for a human
                log.error("unreadable spool file %s: %s", path, exc)
                path.rename(path.with_suffix(".bad"))
                continue
            inbound, org, outcome = _load(record)
            try:
                with services.engine.begin() as conn:
                    inbound_id, contact = store_inbound(conn, inbound, org, spooled=True)
                    record_outcome(conn, inbound_id, contact.id if contact else None, org, inbound,
                                   outcome, outcome.replies)
                stored += 1
            except Duplicate:
                pass
            except (OperationalError, InterfaceError) as exc:
                log.warning("spool replay stopped, database still unavailable: %s", exc)
                return stored
            except DBAPIError as exc:  # this record itself is refused: set it aside, go on
                log.error("spooled %s refused by the database, kept as .bad: %s", path.name, exc)
                path.rename(path.with_suffix(".bad"))
                continue
            path.unlink()
    return stored


def replay_if_pending(services) -> int:
    """Cheap on the hot path: a stat of the spool folder, a replay only when it changed."""
    spool_dir = str(services.settings.spool_dir)
    try:
        mtime = os.stat(spool_dir).st_mtime
    except FileNotFoundError:
        return 0
    if _last_mtime.get(spool_dir) == mtime:
        return 0
    count = replay(services)
    if not pending(services.settings.spool_dir):
        _last_mtime[spool_dir] = os.stat(spool_dir).st_mtime
    return count
