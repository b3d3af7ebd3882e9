"""The phone simulator: try the line from the browser, as an SMS basic phone or a WhatsApp chat,
without a Twilio account. Registered only when settings.simulator is on (pages.blueprints).

Every message goes through the real webhook. The page builds the Twilio form (bot/desk/simulator.py),
signs it with RequestValidator(TWILIO_AUTH_TOKEN) for PUBLIC_BASE_URL + /webhooks/twilio/messages and
dispatches it IN-PROCESS through this app's WSGI callable (werkzeug's test Client), not over HTTP to
the app's own address:

* gunicorn's gthread workers have a handful of threads; a request that waits on an HTTP request to the
  same server holds one while asking for another, and a few simulators at once deadlock the worker.
  The app's own address is also unknown from inside (PUBLIC_BASE_URL is the proxy's, or a tunnel's).
* In-process dispatch still runs the whole path: the app's WSGI stack (ProxyFix included), the
  signature check, form parsing, storage, the engine and the TwiML answer, exactly as for Twilio.
* It runs in an empty contextvars.Context, so the inner request gets its own Flask app context (its
  own `g`, no signed-in account) instead of sharing the organizer's request's one.

Photos are kept under MEDIA_DIR/simulator/ and served at PUBLIC_BASE_URL/simulator/media/<token>
without a session (like Twilio's media URLs, the unguessable token is the key; bot/line/media.py's download
job sends Basic auth, which is ignored here). Replies come back at once from the TwiML; what the line
pushes later is polled from /simulator/messages every 2 s (outbox file and OutboundMessage rows).

A browser session has one simulated phone at a time (plus the few it had before, still readable),
kept in the signed session cookie with the watermarks its history starts from; a number that is not
one of this session's answers 404, so no one reads a real member's messages here.
"""
from __future__ import annotations

import contextvars
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, send_file, session, url_for
from werkzeug.test import Client

from bot.desk import simulator as sim, simulator_photos as photos
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.common import current_services

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

KEEP_PHONES = 5  # numbers one browser session can still read after "new phone"
POLL_MS = 2000
DEFAULT_PROFILE = "Test phone"



def _org():
    return current_services().catalog.organizations.get(g.account.organization) or abort(404)


def _state(create: bool = True) -> dict | None:
    """This browser session's simulator: {org, owner, phone, phones: {number: marks}, profile}."""
    state = session.get("simulator")
    if state and state.get("org") == g.account.organization and state.get("phone") in (state.get("phones") or {}):
        return state
    if not create:
        return None
    state = {"org": g.account.organization, "owner": sim.new_owner(), "phones": {}, "profile": DEFAULT_PROFILE}
    return _new_phone(state)


def _new_phone(state: dict) -> dict:
    services = current_services()
    org = _org()
    try:
        phone = sim.new_phone(services, org.numbers[0], state["owner"])
    except sim.NoFreeNumber as exc:
        abort(503, description=str(exc))
    phones = dict(state.get("phones") or {})
    phones[phone] = sim.watermarks(services, services.settings)
    while len(phones) > KEEP_PHONES:
        phones.pop(next(iter(phones)))
    state = {**state, "phone": phone, "phones": phones}
    session["simulator"] = state
    return state


def _bad(message: str, status: int = 400):
    return jsonify(error=message, status=status), status


def _local_media(urls: list[str]) -> list[str]:
    """Simulator photo URLs (PUBLIC_BASE_URL based) as paths on this site, for the page to show."""
    base = current_services().settings.public_base_url.rstrip("/") + photos.MEDIA_ROUTE
    return [url_for("simulator.media", token=u[len(base):]) if u.startswith(base) else u for u in urls]


def _for_page(message: dict) -> dict:
    if message.get("media_urls"):
        message = {**message, "media_urls": _local_media(message["media_urls"])}
    return message


def _places(org) -> list[dict]:
    places = [p for p in current_services().catalog.places(org.slug) if p.lat is not None and p.lon is not None]
    return [{"id": p.id, "name": p.name(org.default_language), "kind": p.kind, "city": p.city,
             "lat": p.lat, "lon": p.lon} for p in sorted(places, key=lambda p: (p.city, p.name("en")))]


@bp.get("")
@login_required
def index():
    org = _org()
    state = _state()
    services = current_services()
    phone = state["phone"]
    marks = state["phones"][phone]
    history = [_for_page(m) for m in sim.history(services, org.slug, phone, marks)]
    return render_template("dashboard/simulator/index.html", title="Phone simulator", phone=phone,
                           numbers=org.numbers, profile=state.get("profile") or DEFAULT_PROFILE,
                           places=_places(org), history=history, outbox_offset=marks.get("outbox", 0),
                           poll_ms=POLL_MS, max_body=sim.MAX_BODY,
                           max_photo_kb=int(services.settings.media_max_bytes) // 1024)


@bp.post("/phone")
@login_required
def new_phone():
    """A fresh phone: a new number, so the line meets a stranger again (no contact, no session)."""
    state = _new_phone(_state())
    marks = state["phones"][state["phone"]]
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(phone=state["phone"], outbox=marks.get("outbox", 0))
    return redirect(url_for("simulator.index"))


def _fields() -> dict:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise sim.SimulatorError("Send a JSON object")
        return {k: v for k, v in data.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    return request.form.to_dict()


@bp.post("/send")
@login_required
def send():
    """One message from the simulated phone, through the real signed webhook; answers the TwiML replies."""
    services = current_services()
    settings = services.settings
    org = _org()
    # Photos are bigger than the app-wide limit for Twilio forms.
    request.max_content_length = int(settings.media_max_bytes) + 256 * 1024
    state = _state()
    try:
        fields = _fields()
        channel = str(fields.get("channel") or "sms")
        if channel not in sim.CHANNELS:
            raise sim.SimulatorError("channel must be sms or whatsapp")
        to = str(fields.get("to") or org.numbers[0])
        if to not in org.numbers:
            abort(404)  # not one of this organization's numbers: as if it did not exist
        body = str(fields.get("body") or "")
        location = None
        if fields.get("place") or fields.get("latitude") not in (None, "") or fields.get("longitude") not in (None, ""):
            if channel != "whatsapp":
                raise sim.SimulatorError("A location pin can only be sent on WhatsApp")
            location = sim.location_of(services.catalog, org.slug, place_id=str(fields.get("place") or "") or None,
                                       latitude=fields.get("latitude"), longitude=fields.get("longitude"),
                                       label=str(fields.get("label") or ""))
        upload = None if request.is_json else request.files.get("photo")
        media = []
        if upload is not None and upload.filename:
            if channel != "whatsapp":
                raise sim.SimulatorError("Photos can only be sent on WhatsApp")
            token, content_type = photos.store_photo(settings, upload.read(int(settings.media_max_bytes) + 1))
            media.append((photos.photo_url(settings, token), content_type))
        sim.check_body(body, channel, bool(location or media))
        profile = str(fields.get("profile_name") or state.get("profile") or DEFAULT_PROFILE).strip()
        profile = profile[:sim.PROFILE_MAX] or DEFAULT_PROFILE
    except sim.SimulatorError as exc:
        return _bad(str(exc))
    if channel == "whatsapp" and profile != state.get("profile"):
        session["simulator"] = state = {**state, "profile": profile}

    form = sim.build_form(channel=channel, phone=state["phone"], to=to, body=body,
                          account_sid=settings.twilio_account_sid, profile_name=profile,
                          location=location, media=media)
    status, twiml = _dispatch(form, sim.sign(settings, form))
    if status != 200:
        return _bad(f"The webhook answered HTTP {status}; the message was not taken. "
                    "Check TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL.", 502)
    sent = {**sim.describe(body, channel), "key": form["MessageSid"], "direction": "out", "kind": "sent",
            "media_urls": _local_media([url for url, _ in media])}
    if location is not None:
        sent.update(latitude=location.latitude, longitude=location.longitude, label=location.label)
    replies = [{**sim.describe(text, channel), "key": f"{form['MessageSid']}:{n}", "direction": "in",
                "kind": "reply"} for n, text in enumerate(sim.parse_twiml(twiml))]
    return jsonify(phone=state["phone"], sent=sent, replies=replies)


def _dispatch(form: dict, signature: str) -> tuple[int, str]:
    """POST the signed form through this app's WSGI stack, in-process (see the module docstring)."""
    app = current_app._get_current_object()
    settings = current_services().settings
    public = urlsplit(settings.public_base_url)
    base_url = f"{public.scheme}://{public.netloc}"
    remote = request.remote_addr or "127.0.0.1"

    def call() -> tuple[int, str]:
        response = Client(app).post(sim.WEBHOOK_PATH, data=form, base_url=base_url,
                                    headers={"X-Twilio-Signature": signature},
                                    environ_base={"REMOTE_ADDR": remote})
        try:
            return response.status_code, response.get_data(as_text=True)
        finally:
            response.close()

    return contextvars.Context().run(call)


@bp.get("/messages")
@login_required
def messages():
    """What the line pushed to this session's phone (JSON), from outbox offset `outbox` on."""
    org = _org()
    state = _state(create=False)
    if state is None:
        abort(404)
    phone = request.args.get("phone") or state["phone"]
    marks = state["phones"].get(phone)
    if marks is None:
        abort(404)  # not a number of this browser session
    raw = request.args.get("outbox")
    try:
        offset = int(raw) if raw not in (None, "") else None
    except ValueError:
        return _bad("outbox must be a byte offset (a whole number)")
    found, next_offset = sim.pushed(current_services(), org, phone, marks, offset)
    return jsonify(phone=phone, messages=[_for_page(m) for m in found], outbox=next_offset)


@bp.get("/media/<token>")
def media(token: str):
    """A photo a simulated phone sent: public by its unguessable token, like Twilio's media URLs."""
    found = photos.find_photo(current_services().settings, token)
    if found is None:
        abort(404)
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=3600, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
