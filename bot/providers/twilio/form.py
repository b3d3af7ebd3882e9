"""Twilio's webhook forms: an inbound message and a status callback, checked for Twilio's shape and
turned into the provider-neutral bot.messages types."""
from __future__ import annotations

import re
import unicodedata

from bot.messages import MAX_BODY, MAX_MEDIA, BadInbound, Inbound, Media, StatusUpdate
from bot.phones import to_e164


def parse_message(form, account_sid: str | None = None) -> Inbound:
    """`form` is a MultiDict (request.form) or a plain dict of strings; `account_sid` is ours, when
    one is configured. Raises BadInbound for a form not shaped like Twilio's."""
    get = form.get
    sid = (get("MessageSid") or get("SmsMessageSid") or "").strip()
    from_address = (get("From") or "").strip()
    to_address = (get("To") or "").strip()
    if not sid or not from_address or not to_address:
        raise BadInbound("MessageSid, From and To are required")
    check_shape(form, account_sid)
    channel = "whatsapp" if from_address.lower().startswith("whatsapp:") else "sms"
    return Inbound(
        sid=sid,
        channel=channel,
        from_address=from_address[:64],
        to_address=to_address[:64],
        phone=to_e164(from_address),
        to_number=to_e164(to_address),
        body=clean_text(get("Body") or "")[:MAX_BODY],
        media=tuple(_media(form)),
        latitude=_coordinate(get("Latitude"), 90),
        longitude=_coordinate(get("Longitude"), 180),
        address=clean_text(get("Address") or "")[:500] or None,
        label=clean_text(get("Label") or "")[:500] or None,
        profile_name=clean_text(get("ProfileName") or "")[:200] or None,
        wa_id=(get("WaId") or "")[:32] or None,
        raw=_raw(form),
    )


# Twilio's own patterns (Message resource). Twilio signs url + k1v1k2v2... without separators, so a
# captured request can be re-split (e.g. "NumMedia0" moved into the MessageSid value) and keep a valid
# signature: every field whose shape we know is checked, and a form that does not fit gets a 400.
MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
MEDIA_KEY = re.compile(r"^Media(Url|ContentType)(\d+)$")
SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")


def check_sids(form, account_sid: str | None = None) -> None:
    """The message SIDs (all that are present must be well formed and the same) and the AccountSid
    (ours, when one is configured). Also used by the status callback."""
    sids = [form.get(k) for k in SID_FIELDS if form.get(k) is not None]
    for value in sids:
        if not MESSAGE_SID.match(value):
            raise BadInbound("MessageSid must be SM or MM followed by 32 lower-case hex digits")
    if len(set(sids)) > 1:
        raise BadInbound("MessageSid, SmsMessageSid and SmsSid must be the same")
    account = form.get("AccountSid")
    if account is not None and not ACCOUNT_SID.match(account):
        raise BadInbound("AccountSid must be AC followed by 32 hex digits")
    if account_sid and account != account_sid:
        raise BadInbound("AccountSid is not this line's Twilio account")


def check_shape(form, account_sid: str | None = None) -> None:
    """Raise BadInbound when the form is not shaped like a Twilio message webhook."""
    check_sids(form, account_sid)
    if hasattr(form, "lists"):
        repeated = [k for k, values in form.lists() if len(values) > 1]
        if repeated:
            raise BadInbound(f"{repeated[0]} is sent more than once")
    raw_count = form.get("NumMedia")
    if raw_count is not None and (not re.fullmatch(r"[0-9]{1,2}", raw_count) or int(raw_count) > MAX_MEDIA):
        raise BadInbound(f"NumMedia must be a whole number from 0 to {MAX_MEDIA}")
    count = int(raw_count or 0)
    indexes = {}
    for key in form.keys():
        match = MEDIA_KEY.match(key)
        if match:
            indexes.setdefault(match.group(1), set()).add(match.group(2))
    expected = {str(n) for n in range(count)}
    if indexes.get("Url", set()) != expected:
        raise BadInbound(f"NumMedia is {count} but the form has MediaUrl fields "
                         f"{sorted(indexes.get('Url', set())) or 'none'}")
    if not indexes.get("ContentType", set()) <= expected:
        raise BadInbound("a MediaContentType field has no MediaUrl")


STATUS_WORD = re.compile(r"^[a-z_-]{1,20}$")
ERROR_CODE = re.compile(r"^[0-9]{1,6}$")


def parse_status(form, account_sid: str | None = None) -> StatusUpdate:
    """A delivery status callback's fields, or BadInbound saying what does not fit."""
    for key, value in (form.items(multi=True) if hasattr(form, "lists") else form.items()):
        if "\x00" in key or "\x00" in value:
            raise BadInbound(f"{key.replace(chr(0), '?')[:40]} contains a NUL character")
    sid, status = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or ""
    if not sid or not status:
        raise BadInbound("MessageSid and MessageStatus are required")
    check_sids(form, account_sid)
    if not STATUS_WORD.match(status.strip().lower()):
        raise BadInbound("MessageStatus must be a word such as sent, delivered or failed")
    code = (form.get("ErrorCode") or "").strip()
    if code and not ERROR_CODE.match(code):
        raise BadInbound("ErrorCode must be a number of at most 6 digits")
    return StatusUpdate(sid, status.strip().lower(), code or None)


def clean_text(text: str) -> str:
    """Drop control characters (keeping newlines and tabs) and replacement debris; NFC-normalise."""
    if text.isprintable() and unicodedata.is_normalized("NFC", text):
        return text  # nearly every message: no character to look at one by one
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))


def _media(form):
    try:
        count = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    for n in range(count):
        url = form.get(f"MediaUrl{n}")
        if url:
            yield Media(url=url[:1000], content_type=(form.get(f"MediaContentType{n}") or None))


def _coordinate(raw: str | None, bound: float) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    if value is None or value != value or abs(value) > bound:
        return None
    return value


def _raw(form) -> dict:
    """The whole form, kept for audit; a key Twilio repeats keeps all its values. Kept as sent: what
    PostgreSQL cannot store (NUL, lone surrogates) is escaped when stored (bot.line.store.storable)."""
    if hasattr(form, "lists"):
        return {k: (v[0] if len(v) == 1 else list(v)) for k, v in form.lists()}
    return dict(form)
