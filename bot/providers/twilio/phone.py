"""A phone on Twilio, for the phone simulator: the form Twilio posts for one inbound message, its
X-Twilio-Signature, and the texts of the TwiML we answer with. The organizers' simulator (bot/desk/
simulator.py) posts these through the real webhook, so a simulated message takes the path a real one takes."""
from __future__ import annotations

import uuid
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from content.sms import segment_info

WEBHOOK_PATH = "/webhooks/twilio/messages"
# AccountSid of simulated traffic when no Twilio account is configured ("SIMULATOR" spelled in hex-ish).
SIMULATOR_ACCOUNT = "AC" + "51" * 16


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def address(phone: str, channel: str) -> str:
    return f"whatsapp:{phone}" if channel == "whatsapp" else phone


def build_form(*, channel: str, phone: str, to: str, body: str, account_sid: str | None = None,
               profile_name: str | None = None, latitude: float | None = None, longitude: float | None = None,
               place_address: str | None = None, label: str | None = None,
               media: list[tuple[str, str]] = ()) -> dict:
    """The form Twilio posts for one inbound message (the fields bot/providers/twilio/form.py reads)."""
    form = {
        "MessageSid": (sid := new_sid()),
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid or SIMULATOR_ACCOUNT,
        "From": address(phone, channel),
        "To": address(to, channel),
        "Body": body,
        "NumMedia": str(len(media)),
        "NumSegments": str(max(1, segment_info(body).segments)) if channel == "sms" else "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    for n, (url, content_type) in enumerate(media):
        form[f"MediaUrl{n}"] = url
        form[f"MediaContentType{n}"] = content_type
    if channel == "whatsapp":
        form["WaId"] = phone.lstrip("+")
        if profile_name:
            form["ProfileName"] = profile_name
        if latitude is not None and longitude is not None:
            form["Latitude"] = repr(latitude)
            form["Longitude"] = repr(longitude)
            if place_address:
                form["Address"] = place_address
            if label:
                form["Label"] = label
            form["MessageType"] = "location"
        elif media:
            form["MessageType"] = "image"
        else:
            form["MessageType"] = "text"
    return form


def signed_url(settings, path: str = WEBHOOK_PATH) -> str:
    return settings.public_base_url.rstrip("/") + path


def sign(settings, form: dict, path: str = WEBHOOK_PATH) -> str:
    """X-Twilio-Signature for `form` posted to PUBLIC_BASE_URL + path, with the app's auth token."""
    return RequestValidator(settings.twilio_auth_token).compute_signature(signed_url(settings, path), form)


def parse_twiml(xml: str) -> list[str]:
    """The texts of a TwiML <Response>'s <Message> elements."""
    try:
        root = ElementTree.fromstring(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except ElementTree.ParseError:
        return []
    texts = []
    for message in root.iter("Message"):
        body = message.find("Body")
        texts.append("".join((body if body is not None else message).itertext()))
    return texts
