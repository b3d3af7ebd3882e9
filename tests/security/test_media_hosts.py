"""Item 1 of issue 12: report attachments are fetched only from MEDIA_ALLOWED_HOSTS, the Twilio
credentials go only there, and a redirect elsewhere is never followed with them. Real local HTTP
listeners record every request and whether it carried an Authorization header."""
from __future__ import annotations


import pytest

from bot.providers.twilio import media_fetch
from bot.line.media import download
from bot.models import ReportMedia
from bot.orgs import sync_organizations
from bot.services import build_services
from bot.settings import Settings
from localservers.media import JPEG, MediaServer
from tests.conftest import Phone
from tests.reports.helpers import rows
from webhooks import create_app

SID = "AC" + "7" * 32


@pytest.fixture
def listeners():
    made = []

    def make(redirect_to=None):
        made.append(MediaServer(default=JPEG, redirect_to=redirect_to))
        return made[-1]

    yield make
    for listener in made:
        listener.close()


@pytest.fixture
def live(make_settings, db, redis, tmp_path):
    """Services with a Twilio account (so credentials exist to leak) and the given allowed hosts."""
    built = []

    def make(allowed=(), redirects=()):
        services = build_services(make_settings(twilio_account_sid=SID, media_dir=tmp_path / "media",
                                                media_allowed_hosts=tuple(allowed),
                                                media_redirect_hosts=tuple(redirects)))
        services.queue = None  # downloads run below, in this process
        sync_organizations(services)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def report_with_photo(services, url: str) -> int:
    """A WhatsApp report with one photo, through the signed webhook; returns the media row id."""
    worker = Phone(create_app(services=services).test_client(), "+254711810001", "whatsapp")
    worker.send("police took my goods at gikomba this morning")
    worker.send("", NumMedia=1, MediaUrl0=url, MediaContentType0="image/jpeg")
    worker.send("1")
    worker.send("2")
    [media] = rows(services, ReportMedia)
    assert media.status == "pending" and media.url == url
    return media.id


def test_a_url_outside_the_allowed_hosts_is_refused_and_never_fetched(live, listeners):
    attacker = listeners()
    services = live(allowed=("api.twilio.com",))
    media_id = report_with_photo(services, attacker.url + "/ME1")
    assert download(services, media_id) == "refused"
    [media] = rows(services, ReportMedia)
    assert media.status == "refused" and "MEDIA_ALLOWED_HOSTS" in media.error and media.path is None
    assert attacker.requests == []  # not a single request, so no credentials either


def test_an_allowed_host_gets_the_credentials(live, listeners):
    twilio = listeners()
    services = live(allowed=(twilio.host,))
    media_id = report_with_photo(services, twilio.url + "/ME1")
    assert download(services, media_id) == "stored"
    assert [r["auth"].startswith("Basic ") for r in twilio.requests] == [True]


def test_a_redirect_to_the_cdn_is_followed_without_credentials(live, listeners):
    cdn = listeners()
    twilio = listeners(redirect_to=cdn.url)
    services = live(allowed=(twilio.host,), redirects=(cdn.host,))
    media_id = report_with_photo(services, twilio.url + "/ME1")
    assert download(services, media_id) == "stored"
    assert twilio.requests[0]["auth"].startswith("Basic ")
    assert cdn.requests == [{"path": "/ME1", "auth": None}]


def test_a_redirect_to_any_other_host_is_refused(live, listeners):
    attacker = listeners()
    twilio = listeners(redirect_to=attacker.url)
    services = live(allowed=(twilio.host,))
    media_id = report_with_photo(services, twilio.url + "/ME1")
    assert download(services, media_id) == "refused"
    [media] = rows(services, ReportMedia)
    assert media.status == "refused" and attacker.host in media.error
    assert attacker.requests == [] and len(twilio.requests) == 1


@pytest.mark.parametrize("url, ok", [
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", True),
    ("https://API.twilio.com./x", True),
    ("https://api.twilio.com:443/x", True),
    ("http://api.twilio.com/x", False),  # the credentials never go in clear text
    ("https://api.twilio.com:8443/x", False),
    ("https://api.twilio.com.evil.example/x", False),
    ("https://evil.example/api.twilio.com/x", False),
    ("https://user:pw@api.twilio.com/x", False),
    ("ftp://api.twilio.com/x", False),
    ("https://[::1/x", False),
    ("/relative/ME1", False),
])
def test_host_matching(url, ok):
    settings = Settings()
    if ok:
        media_fetch.check(url, settings)
    else:
        with pytest.raises(media_fetch.Refused):
            media_fetch.check(url, settings)


def test_defaults_and_the_environment():
    assert Settings.from_env({}).media_allowed_hosts == ("api.twilio.com",)
    assert "mms.twiliocdn.com" in Settings.from_env({}).media_redirect_hosts
    env = {"MEDIA_ALLOWED_HOSTS": "api.twilio.com, 127.0.0.1:8081"}
    assert Settings.from_env(env).media_allowed_hosts == ("api.twilio.com", "127.0.0.1:8081")
