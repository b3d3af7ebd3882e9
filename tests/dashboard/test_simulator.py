"""The phone simulator page: SMS and WhatsApp through the real signed webhook, photos, pushed messages
read back from the outbox and the database, and who may use and read which simulated phone."""
from __future__ import annotations

import io
import re
import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from bot.desk import simulator as sim, simulator_photos
from bot.desk.accounts import create_user
from bot.line.media import download
from bot.models import InboundMessage, OutboundMessage, Report, ReportMedia
from bot.orgs import sync_organizations
from bot.desk.report_status import change_status
from bot.services import build_services
from content.sms import segment_info
from standin.twilio_api import TwilioStandin
from tests.conftest import AUTH_TOKEN, NAIROBI
from tests.dashboard.conftest import PASSWORD, Browser

PUNE = "+912067990001"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"simulated photo " * 200
ACCOUNT = "AC" + "5" * 32


@pytest.fixture
def settings(make_settings, tmp_path):
    """The shared settings with photos kept in this test's own directory."""
    return make_settings(media_dir=tmp_path / "media")


def rows(services, model, *where):
    with services.db() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))


def page_phone(browser) -> str:
    html = browser.get("/simulator").get_data(as_text=True)
    return re.search(r'id="sim-number"[^>]*data-phone="([^"]+)"', html).group(1)


def send(browser, body="", **fields):
    return browser.fetch("POST", "/simulator/send", json={"body": body, **fields})


def poll(browser, **params):
    return browser.client.get("/simulator/messages", query_string=params, headers={"Accept": "application/json"})


def upload(browser, data: bytes, name="stall.jpg", **fields):
    form = {"channel": "whatsapp", "body": "", **fields, "photo": (io.BytesIO(data), name)}
    return browser.client.post("/simulator/send", data=form, content_type="multipart/form-data",
                               headers={"X-CSRF-Token": browser.token, "Accept": "application/json"})


def menu(services, channel="sms"):
    return services.catalog.text("nairobi-vendors", "menu.main", "en", channel,
                                 org_name=services.catalog.organizations["nairobi-vendors"].name)


# --------------------------------------------------------------------------- the page and SMS


def test_page_gives_a_test_number_in_the_orgs_country_and_lists_its_places(signed_in):
    page = signed_in.get("/simulator")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    phone = page_phone(signed_in)
    assert re.fullmatch(r"\+25470000\d{4}", phone) and sim.in_test_range(phone, NAIROBI)
    for hook in ('id="sim-mode-sms"', 'id="sim-mode-whatsapp"', 'id="sim-body"', 'id="sim-send"',
                 'id="sim-messages"', 'id="sim-place"', 'id="sim-photo"', 'value="nbo.gikomba"', NAIROBI):
        assert hook in html
    assert page_phone(signed_in) == phone  # the same phone for the whole browser session


def test_sms_hi_gets_the_menu_with_segment_info_and_is_stored_as_an_inbound(signed_in, services):
    phone = page_phone(signed_in)
    answer = send(signed_in, "hi", channel="sms")
    assert answer.status_code == 200, answer.data
    data = answer.get_json()
    [reply] = data["replies"]
    expected = menu(services)
    info = segment_info(expected)
    assert reply["body"] == expected
    assert (reply["encoding"], reply["segments"], reply["units"], reply["chars"]) == (
        info.encoding, info.segments, info.units, len(expected))
    assert "".join(reply["parts"]) == expected and len(reply["parts"]) == info.segments
    assert data["sent"]["body"] == "hi" and data["sent"]["direction"] == "out"
    [inbound] = rows(services, InboundMessage)
    assert (inbound.from_address, inbound.to_address, inbound.channel, inbound.organization, inbound.body) == (
        phone, NAIROBI, "sms", "nairobi-vendors", "hi")
    assert inbound.provider_sid == data["sent"]["key"]
    assert inbound.raw["AccountSid"] == sim.SIMULATOR_ACCOUNT
    # The reload shows the conversation so far.
    html = signed_in.get("/simulator").get_data(as_text=True)
    history = re.search(r'id="sim-history">(.*?)</script>', html, re.S).group(1)
    assert '"kind": "sent"' in history and '"kind": "reply"' in history


def test_ucs2_reply_is_counted_as_ucs2(signed_in, services):
    send(signed_in, "hi", channel="sms")
    data = send(signed_in, "5", channel="sms").get_json()  # the language menu
    for reply in data["replies"]:
        info = segment_info(reply["body"])
        assert (reply["encoding"], reply["segments"]) == (info.encoding, info.segments)


def test_the_webhook_really_checks_the_signature(signed_in, services, monkeypatch):
    """The form goes through the signed webhook: a wrong signature is refused there, and said so."""
    monkeypatch.setattr(sim, "sign", lambda settings, form, path=sim.WEBHOOK_PATH: "bad-signature")
    answer = send(signed_in, "hi")
    assert answer.status_code == 502 and "HTTP 403" in answer.get_json()["error"]
    assert rows(services, InboundMessage) == []


def test_the_organizers_session_survives_the_inner_webhook_request(signed_in):
    assert send(signed_in, "hi").status_code == 200
    assert send(signed_in, "menu").status_code == 200  # still signed in: g.account was not overwritten
    assert signed_in.get("/simulator").status_code == 200


# --------------------------------------------------------------------------- WhatsApp


def test_whatsapp_location_pin_from_the_gazetteer_and_typed(signed_in, services):
    phone = page_phone(signed_in)
    place = next(p for p in services.catalog.places("nairobi-vendors") if p.id == "nbo.gikomba")
    answer = send(signed_in, channel="whatsapp", place="nbo.gikomba", profile_name="Mama Njeri")
    assert answer.status_code == 200, answer.data
    assert answer.get_json()["sent"]["latitude"] == place.lat
    answer = send(signed_in, channel="whatsapp", latitude="-1.2901", longitude="36.8277", label="Near the bus stop")
    assert answer.status_code == 200, answer.data
    first, second = rows(services, InboundMessage)
    assert (first.channel, first.from_address, first.to_address) == ("whatsapp", f"whatsapp:{phone}",
                                                                      f"whatsapp:{NAIROBI}")
    assert (first.latitude, first.longitude, first.label, first.profile_name) == (
        place.lat, place.lon, place.name("en"), "Mama Njeri")
    assert (second.latitude, second.longitude, second.label) == (-1.2901, 36.8277, "Near the bus stop")
    assert first.raw["WaId"] == phone.lstrip("+")


def test_photo_upload_becomes_the_media_url_and_the_url_serves_the_bytes(signed_in, services, client):
    answer = upload(signed_in, JPEG, body="my stall")
    assert answer.status_code == 200, answer.data
    [inbound] = rows(services, InboundMessage)
    [media] = inbound.media
    assert media["content_type"] == "image/jpeg"
    assert media["url"].startswith(services.settings.public_base_url + "/simulator/media/")
    assert inbound.raw["NumMedia"] == "1" and inbound.body == "my stall"
    token = media["url"].rsplit("/", 1)[1]
    assert len(token) == 32
    stored = simulator_photos.find_photo(services.settings, token)[0]
    assert stored.parent == services.settings.media_dir / "simulator"
    served = client.get(f"/simulator/media/{token}")  # no session: the token is the key
    assert served.status_code == 200 and served.data == JPEG and served.mimetype == "image/jpeg"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()
    assert answer.get_json()["sent"]["media_urls"] == [f"/simulator/media/{token}"]
    assert client.get("/simulator/media/" + "A" * 32).status_code == 404
    assert client.get("/simulator/media/..%2F..%2Fetc").status_code == 404


def test_photo_and_location_are_refused_clearly(signed_in, services):
    assert "JPEG" in upload(signed_in, b"<html>not a photo</html>", name="x.jpg").get_json()["error"]
    assert upload(signed_in, JPEG, channel="sms").status_code == 400
    assert send(signed_in, channel="sms", latitude="1", longitude="2").status_code == 400
    bad = send(signed_in, channel="whatsapp", latitude="north", longitude="36.8")
    assert bad.status_code == 400 and "Latitude" in bad.get_json()["error"]
    assert send(signed_in, channel="whatsapp", latitude="95", longitude="36.8").status_code == 400
    assert send(signed_in, channel="whatsapp", place="pune.someplace").status_code == 400
    assert send(signed_in, "hi", channel="telegram").status_code == 400
    assert rows(services, InboundMessage) == []


def test_photo_over_the_size_limit_is_refused(make_settings, db, redis, tmp_path, make_user):
    services = build_services(make_settings(media_dir=tmp_path / "media", media_max_bytes=1000))
    sync_organizations(services)
    try:
        from webhooks import create_app

        browser = Browser(create_app(services=services).test_client())
        user = create_user(services, "nairobi-vendors", "small@nairobi.example.org", "Small", PASSWORD)
        browser.login(user.email)
        answer = upload(browser, JPEG)
        assert answer.status_code == 400 and "KB" in answer.get_json()["error"]
        assert not list((tmp_path / "media").rglob("*.jpg"))
    finally:
        services.close()


# --------------------------------------------------------------------------- bodies


def test_empty_and_too_long_bodies_are_400s_and_long_ones_get_the_lines_answer(signed_in, services):
    empty = send(signed_in, "   ")
    assert empty.status_code == 400 and "Type a message" in empty.get_json()["error"]
    too_long = send(signed_in, "x" * 1601)
    assert too_long.status_code == 400 and "1600" in too_long.get_json()["error"]
    assert send(signed_in, None).status_code == 400
    long_one = send(signed_in, "Habari " * 200)  # 1400 characters: the line answers (the menu's fallback)
    assert long_one.status_code == 200 and long_one.get_json()["replies"]
    weird = signed_in.client.post("/simulator/send", data="[1, 2]", content_type="application/json",
                                  headers={"X-CSRF-Token": signed_in.token})
    assert weird.status_code == 400
    assert len(rows(services, InboundMessage)) == 1


def test_send_without_the_csrf_token_is_refused(signed_in, services):
    answer = signed_in.client.post("/simulator/send", json={"body": "hi"})
    assert answer.status_code == 400
    assert signed_in.client.post("/simulator/phone").status_code == 400
    assert rows(services, InboundMessage) == []


def test_signed_out_is_sent_to_the_login(client):
    assert client.get("/simulator").status_code == 302
    assert client.post("/simulator/send", json={"body": "hi"}).status_code == 400  # no CSRF token at all
    assert client.get("/simulator/messages").status_code == 302


# --------------------------------------------------------------------------- pushed messages


def make_report(browser):
    send(browser, "police took my goods at gikomba this morning")
    send(browser, "1")
    done = send(browser, "2").get_json()
    assert done["replies"], done


def test_a_report_status_change_appears_in_the_poll_once(signed_in, services):
    phone = page_phone(signed_in)
    make_report(signed_in)
    [report] = rows(services, Report)
    first = poll(signed_in).get_json()
    assert first["messages"] == [] and first["phone"] == phone
    change = change_status(services, "nairobi-vendors", report.reference, "verified", None, actor="test")
    assert change.notified
    data = poll(signed_in, outbox=first["outbox"]).get_json()
    [pushed] = data["messages"]  # the outbox record and the OutboundMessage row are one message
    assert report.reference in pushed["body"] and pushed["kind"] == "pushed" and pushed["channel"] == "sms"
    assert pushed["segments"] >= 1 and pushed["encoding"] in ("GSM-7", "UCS-2")
    assert data["outbox"] > first["outbox"]
    again = poll(signed_in, outbox=data["outbox"]).get_json()
    assert [m["key"] for m in again["messages"]] == [pushed["key"]]  # from the database; the page dedupes by key
    assert poll(signed_in, outbox="lots").status_code == 400


def test_pushed_messages_to_other_numbers_are_not_shown(signed_in, services, phone):
    make_report(signed_in)
    other = phone("+254711000123")
    other.send("police took my goods at gikomba this morning")
    other.send("1")
    other.send("2")
    mine, theirs = rows(services, Report)
    change_status(services, "nairobi-vendors", theirs.reference, "verified", None)
    assert poll(signed_in).get_json()["messages"] == []


@pytest.fixture
def live_twilio(make_settings, db, redis, tmp_path):
    """The app served over HTTP at PUBLIC_BASE_URL, sending through the Twilio stand-in."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with TwilioStandin(ACCOUNT, AUTH_TOKEN, callback_delay=0.0) as standin:
        services = build_services(make_settings(public_base_url=url, twilio_account_sid=ACCOUNT,
                                                twilio_api_base_url=standin.base_url, twilio_http_timeout=5.0,
                                                media_dir=tmp_path / "media"))
        sync_organizations(services)
        from webhooks import create_app

        app = create_app(services=services)
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            user = create_user(services, "nairobi-vendors", "live@nairobi.example.org", "Live", PASSWORD)
            browser = Browser(app.test_client())
            browser.login(user.email)
            yield services, browser
        finally:
            server.shutdown()
            services.close()


def test_with_twilio_a_whatsapp_report_with_a_photo_downloads_and_pushes_from_the_database(live_twilio):
    services, browser = live_twilio
    send(browser, "police took my goods at gikomba this morning", channel="whatsapp")
    assert upload(browser, JPEG).status_code == 200  # the report's photo
    assert send(browser, "1", channel="whatsapp").status_code == 200
    assert send(browser, "2", channel="whatsapp").status_code == 200
    [report] = rows(services, Report)
    [media] = rows(services, ReportMedia)
    assert media.url.startswith(services.settings.public_base_url + "/simulator/media/")
    # The media download job fetches it over HTTP like a Twilio media URL (sending Basic auth).
    assert download(services, media.id) == "stored"
    [media] = rows(services, ReportMedia)
    with open(media.path, "rb") as fh:
        assert fh.read() == JPEG

    change_status(services, "nairobi-vendors", report.reference, "verified", None)
    [out] = rows(services, OutboundMessage, OutboundMessage.kind == "message")
    assert out.provider_sid.startswith("SM")
    [pushed] = poll(browser).get_json()["messages"]
    assert (pushed["key"], pushed["source"], pushed["channel"]) == (out.provider_sid, "database", "whatsapp")
    assert pushed["status"] and report.reference in pushed["body"]


# --------------------------------------------------------------------------- who reads and uses which phone


def test_a_session_reads_only_its_own_numbers(app, signed_in, organizer, services):
    mine = page_phone(signed_in)
    other = Browser(app.test_client())
    other.login(organizer.email)  # the same organizer in another browser: another phone
    theirs = page_phone(other)
    assert theirs != mine
    assert poll(other, phone=mine).status_code == 404
    assert poll(signed_in, phone=theirs).status_code == 404
    assert poll(signed_in, phone="+254711000123").status_code == 404  # a real member's number
    assert poll(signed_in, phone=mine).status_code == 200
    # A fresh phone: a new number; the previous one stays readable by this session only.
    fresh = signed_in.fetch("POST", "/simulator/phone").get_json()["phone"]
    assert fresh not in (mine, theirs) and page_phone(signed_in) == fresh
    assert poll(signed_in, phone=mine).status_code == 200
    assert send(signed_in, "hi").status_code == 200
    [inbound] = rows(services, InboundMessage)
    assert inbound.from_address == fresh


def test_numbers_in_use_are_not_handed_out_again(signed_in, services, phone, monkeypatch):
    taken = "+254700001234"
    phone(taken).send("hi")  # someone (a real phone, here) already uses the number
    picks = iter(["1234", "5678"])
    monkeypatch.setattr(sim, "_suffix", lambda: next(picks))
    assert sim.new_phone(services, NAIROBI, "owner-a") == "+254700005678"
    monkeypatch.setattr(sim, "_suffix", lambda: "5678")
    with pytest.raises(sim.NoFreeNumber):  # claimed by another browser session already
        sim.new_phone(services, NAIROBI, "owner-b")
    monkeypatch.setattr(sim, "_suffix", lambda: "0900")  # +254711000900 is an organizer, but not in range
    assert sim.new_phone(services, NAIROBI, "owner-c") == "+254700000900"


def test_other_organizations_cannot_use_nairobis_numbers(outsider, services):
    phone = page_phone(outsider)
    assert phone.startswith("+91700000")
    assert send(outsider, "hi", to=NAIROBI).status_code == 404
    assert rows(services, InboundMessage) == []
    answer = send(outsider, "hi")
    assert answer.status_code == 200
    [inbound] = rows(services, InboundMessage)
    assert (inbound.to_address, inbound.organization) == (PUNE, "pune-wastepickers")
    html = outsider.get("/simulator").get_data(as_text=True)
    assert NAIROBI not in html and "nbo.gikomba" not in html


def test_disabled_simulator_is_404(make_settings, db, redis, tmp_path):
    services = build_services(make_settings(simulator=False))
    sync_organizations(services)
    try:
        from webhooks import create_app

        app = create_app(services=services)
        assert "simulator" not in app.blueprints
        browser = Browser(app.test_client())
        user = create_user(services, "nairobi-vendors", "off@nairobi.example.org", "Off", PASSWORD)
        browser.login(user.email)
        assert browser.get("/simulator").status_code == 404
        assert browser.fetch("POST", "/simulator/send", json={"body": "hi"}).status_code == 404
        assert browser.get("/simulator/media/" + "A" * 32).status_code == 404
        assert "/simulator" not in browser.get("/").get_data(as_text=True)
    finally:
        services.close()
