"""The local outbox: a provider for `make run` without a Twilio account. Each message is one JSON line;
`make chat` and the phone simulator read it back."""
from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime
from pathlib import Path

from bot.messages import Outgoing, SendResult, SentMessage
from bot.models import utcnow


class OutboxSender:
    """Writes each message as one JSON line; `make chat` and the simulator read it back."""

    thread_safe = True

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> SendResult:
        sid = "OB" + uuid.uuid4().hex
        record = {
            "sid": sid,
            "to": message.to,
            "from": message.from_,
            "body": message.body,
            "media_urls": list(message.media_urls),
            "content_sid": message.content_sid,
            "at": utcnow().isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)  # one write of one line: concurrent writers do not interleave
            fh.flush()
            os.fsync(fh.fileno())
        return SendResult(sid, "sent")

    def close(self) -> None:
        pass

    def read(self, to: str | None = None) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return [r for r in rows if to is None or r["to"] == to]

    def sent_to(self, to: str, from_: str, limit: int = 100) -> list[SentMessage]:
        rows = [r for r in self.read(to=to) if r.get("from") == from_]
        return [SentMessage(r["sid"], datetime.fromisoformat(r["at"]), r["body"]) for r in reversed(rows)][:limit]
