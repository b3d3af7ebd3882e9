"""Phone numbers: Twilio addresses to E.164, and masking for anything a person sees."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=65536)
def to_e164(address: str) -> str | None:
    """'whatsapp:+254711000001' or '+254 711 000001' -> '+254711000001'; None if not a phone number."""
    raw = address.split(":", 1)[1] if ":" in address else address
    raw = raw.strip()
    if not raw.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """'+254711000123' -> '+254 7•• ••• 123': country code, first digit and last three stay."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "•••"
    national = str(number.national_number)
    if len(national) < 7:
        return f"+{number.country_code} •••"
    shown = national[0] + "•" * (len(national) - 4) + national[-3:]
    return f"+{number.country_code} {shown[:3]} {shown[3:-3]} {shown[-3:]}"
