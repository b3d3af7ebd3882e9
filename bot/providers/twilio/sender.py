"""Twilio's Messages API through twilio-python's Client (pointed at a local stand-in of the API when
TWILIO_API_BASE_URL is set). Every message asks for status callbacks at one URL, built here once."""
from __future__ import annotations

import json
from datetime import timezone

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.messages import Outgoing, SendResult, SentMessage
from bot.providers.twilio.errors import is_retryable
from bot.settings import Settings

TWILIO_API = "https://api.twilio.com"


class LocalApiHttpClient(TwilioHttpClient):
    """Sends twilio-python's requests to another base URL (a local stand-in of the API)."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


# 429s, 5xx, connection problems and the table's refusals-for-now are worth another try; other 4xx are not.
def _retryable(exc: TwilioException) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500 or is_retryable(exc.code)
    return True


class TwilioSender:
    thread_safe = False  # twilio-python's client keeps one requests session

    def __init__(self, account_sid: str, auth_token: str, *, base_url: str | None = None, timeout: float = 10.0,
                 status_callback: str | None = None):
        http = LocalApiHttpClient(base_url, timeout) if base_url else TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http)
        self.status_callback = status_callback

    def send(self, message: Outgoing) -> SendResult:
        params = {"to": message.to, "from_": message.from_}
        if message.content_sid:
            params["content_sid"] = message.content_sid
            if message.content_variables:
                params["content_variables"] = json.dumps(message.content_variables)
        else:
            params["body"] = message.body
        if message.track_status and self.status_callback:
            params["status_callback"] = self.status_callback
        if message.media_urls:
            params["media_url"] = list(message.media_urls)
        try:
            created = self.client.messages.create(**params)
        except TwilioRestException as exc:
            return SendResult(None, "failed", exc.code, str(exc.msg), _retryable(exc))
        except (TwilioException, OSError) as exc:
            return SendResult(None, "failed", None, str(exc), True)
        return SendResult(created.sid, created.status or "queued", created.error_code, created.error_message)

    def sent_to(self, to: str, from_: str, limit: int = 100) -> list[SentMessage]:
        found = []
        for m in self.client.messages.list(to=to, from_=from_, limit=limit, page_size=min(limit, 1000)):
            created = m.date_created
            if created is not None and created.tzinfo is None:
                created = created.replace(tzinfo=timezone.utc)
            found.append(SentMessage(m.sid, created, m.body or ""))
        return found

    def close(self) -> None:
        session = getattr(self.client.http_client, "session", None)
        if session is not None:
            session.close()


def status_callback_url(settings: Settings) -> str:
    """Where Twilio reports delivery: STATUS_CALLBACK_URL, else our own webhook (webhooks/twilio.py)."""
    return settings.status_callback_url or f"{settings.public_base_url}/webhooks/twilio/status"


def build(settings: Settings) -> TwilioSender:
    return TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        base_url=settings.twilio_api_base_url,
        timeout=settings.twilio_http_timeout,
        status_callback=status_callback_url(settings),
    )
