"""Where report attachments may be fetched from, and with what credentials.

A MediaUrl arrives in a signed form, but its value is whatever the sender's side put there: it must not
make us send the account's SID and auth token (HTTP Basic) to any host. So:

- the URL's host must be one of MEDIA_ALLOWED_HOSTS (Twilio's API host by default); only those get the
  credentials;
- redirects are followed by hand: to MEDIA_REDIRECT_HOSTS (Twilio's media CDN, whose short-lived URLs
  are signed in themselves) without credentials, anywhere else not at all;
- anything else raises Refused before a single byte leaves, with the reason to record.

The phone simulator's photos (this app's own PUBLIC_BASE_URL/simulator/media/, when SIMULATOR is on)
count as allowed: they stand in for Twilio's media URLs.

An entry is "host" (https only, default port) or "host:port" (that exact port, http or https: local
test servers).
"""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 3
TIMEOUT = (5, 30)


class Refused(ValueError):
    """The URL (or a redirect) leads outside the allowed hosts; never fetched."""


def _parts(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("only http(s) URLs with a host are fetched")
    if parts.username is not None or parts.password is not None:
        raise Refused("URLs with credentials in them are not fetched")
    return parts.scheme, parts.hostname.lower().rstrip("."), port


def where(url: str) -> str:
    """host, or host:port when the URL names a port: what an allow-list entry would say."""
    _, host, port = _parts(url)
    return f"{host}:{port}" if port is not None else host


def matches(url: str, hosts: tuple[str, ...]) -> bool:
    """True when the URL's scheme, host and port fit one entry of `hosts`."""
    scheme, host, port = _parts(url)
    for entry in hosts:
        name, _, entry_port = entry.lower().partition(":")
        if name != host:
            continue
        if entry_port:
            if port is not None and str(port) == entry_port:
                return True
        elif scheme == "https" and port in (None, 443):
            return True
    return False


def simulator_media(url: str, settings) -> bool:
    """A photo the phone simulator stored and this app serves (PUBLIC_BASE_URL/simulator/media/...)."""
    return bool(getattr(settings, "simulator", False)) and url.startswith(
        settings.public_base_url.rstrip("/") + "/simulator/media/")


def check(url: str, settings) -> None:
    """Raise Refused unless the URL may be fetched with credentials."""
    _parts(url)
    if simulator_media(url, settings):
        return
    if not matches(url, tuple(settings.media_allowed_hosts)):
        raise Refused(f"{where(url)!r} is not in MEDIA_ALLOWED_HOSTS")


def open_media(url: str, settings, timeout=TIMEOUT) -> requests.Response:
    """GET the attachment (streamed), following at most MAX_REDIRECTS redirects by the rules above.
    The caller closes the response. Raises Refused, or requests' exceptions for network trouble."""
    check(url, settings)
    credentials = ((settings.twilio_account_sid, settings.twilio_auth_token)
                   if settings.twilio_account_sid else None)
    auth = credentials
    for _ in range(MAX_REDIRECTS + 1):
        response = requests.get(url, auth=auth, stream=True, timeout=timeout, allow_redirects=False)
        if not response.is_redirect:
            return response
        location = response.headers.get("Location", "")
        response.close()
        url = urljoin(url, location)
        if matches(url, tuple(settings.media_allowed_hosts)) or simulator_media(url, settings):
            auth = credentials
        elif matches(url, tuple(settings.media_redirect_hosts)):
            auth = None
        else:
            raise Refused(f"redirect to {where(url)!r}, which is in neither MEDIA_ALLOWED_HOSTS "
                          "nor MEDIA_REDIRECT_HOSTS")
    raise Refused(f"more than {MAX_REDIRECTS} redirects")
