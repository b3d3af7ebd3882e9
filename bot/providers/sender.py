"""Outbound messages: one small interface, two real implementations.

TwilioSender goes through twilio-python's Client (pointed at a local stand-in of the
Messages API when TWILIO_API_BASE_URL is set); OutboxSender appends to a local JSONL
outbox, for `make run` without a Twilio account.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.models import utcnow
from bot.settings import Settings

TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class Outgoing:
    to: str  # E.164, or "whatsapp:+E164"
    from_: str
    body: str
    status_callback: str | None = None
    media_urls: tuple[str, ...] = ()
    content_sid: str | None = None
    content_variables: dict | None = None


@dataclass(frozen=True)
class SendResult:
    sid: str | None
    status: str  # provider status, or "failed"
    error_code: int | None = None
    error_message: str | None = None
    retryable: bool = False


class Sender(Protocol):
    def send(self, message: Outgoing) -> SendResult: ...

    def close(self) -> None: ...


class LocalApiHttpClient(TwilioHttpClient):
    """Sends twilio-python's requests to another base URL (a local stand-in of the API)."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


# 429s, 5xx and connection problems are worth another try; other 4xx are not.
def _retryable(exc: TwilioException) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500 or exc.code in (20429, 30001, 63018)
    return True


class TwilioSender:
    def __init__(self, account_sid: str, auth_token: str, *, base_url: str | None = None, timeout: float = 10.0):
        http = LocalApiHttpClient(base_url, timeout) if base_url else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http)

    def send(self, message: Outgoing) -> SendResult:
        params = {"to": message.to, "from_": message.from_}
        if message.content_sid:
            params["content_sid"] = message.content_sid
            if message.content_variables:
                params["content_variables"] = json.dumps(message.content_variables)
        else:
            params["body"] = message.body
        if message.status_callback:
            params["status_callback"] = message.status_callback
        if message.media_urls:
            params["media_url"] = list(message.media_urls)
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as exc:
            return SendResult(None, "failed", exc.code, str(exc.msg), _retryable(exc))
        except (TwilioException, OSError) as exc:
            return SendResult(None, "failed", None, str(exc), True)
        return SendResult(created.sid, created.status or "queued", created.error_code, created.error_message)

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


class OutboxSender:
    """Writes each message as one JSON line; `make chat` and the simulator read it back."""

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


def build_sender(settings: Settings) -> Sender:
    if settings.uses_twilio:
        return TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            base_url=settings.twilio_api_base_url,
            timeout=settings.twilio_http_timeout,
        )
    return OutboxSender(settings.outbox_path)
