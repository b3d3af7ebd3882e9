"""twilio-python's real Client, pointed at a local stand-in instead of https://api.twilio.com.

    client = local_twilio_client(tw.base_url, tw.account_sid, tw.auth_token, timeout=5)
    client.messages.create(to="+254700000001", from_="+254709990001", body="hi")
    client.http_client.close()      # closes the pooled connections (tests run with ResourceWarning = error)

Only the REST API host (api.twilio.com, with or without edge/region) is rewritten; a request for any other
Twilio host (content.twilio.com, messaging.twilio.com ...) raises instead of leaving the machine.
"""

from __future__ import annotations

import re
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API_HOST = re.compile(r"^https://api(?:\.[a-z0-9-]+)*\.twilio\.com(?=/|$)", re.IGNORECASE)
ANY_TWILIO_HOST = re.compile(r"^https?://([a-z0-9-]+\.)*twilio\.com(?=/|:|$)", re.IGNORECASE)


class LocalTwilioHttpClient(TwilioHttpClient):
    """A TwilioHttpClient whose requests for https://api.twilio.com go to `base_url` instead."""

    def __init__(self, base_url: str, timeout: float | None = 5.0, **kwargs: Any):
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url.rstrip("/")

    def rewrite(self, url: str) -> str:
        rewritten, n = TWILIO_API_HOST.subn(self.base_url, url, count=1)
        if n:
            return rewritten
        if ANY_TWILIO_HOST.match(url):
            raise ValueError(f"the local Twilio stand-in serves api.twilio.com only, not {url}")
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rewrite(url), *args, **kwargs)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def local_twilio_client(base_url: str, sid: str, token: str, timeout: float = 5.0) -> Client:
    """twilio.rest.Client(sid, token) whose HTTP goes to the stand-in at base_url (timeout in seconds)."""
    return Client(sid, token, http_client=LocalTwilioHttpClient(base_url, timeout=timeout))
