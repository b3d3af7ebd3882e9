"""Authorities an organization takes its reports to: who they are, how to reach them, which categories
and places they answer for, and how many days they get to respond per category. Managed on the
Authorities page and through /api/v1/authorities; both hand their input to `parse` here (views only
translate AuthorityError into a 400). `suggest` ranks them for one report."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.models import AUTHORITY_KINDS, Authority, utcnow

NAME_MAX, OFFICE_MAX, EMAIL_MAX, PHONE_MAX = 200, 300, 200, 32
DAYS_MAX = 365
DEFAULT_DAYS = 14
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,30}$")
FIELDS = {"name", "kind", "email", "phone", "office", "categories", "places", "deadlines", "default_days", "active"}


class AuthorityError(ValueError):
    """Input that cannot be saved; the message (lower case, no full stop) says what would work."""


@dataclass(frozen=True)
class AuthorityInput:
    name: str
    kind: str
    email: str | None
    phone: str | None
    office: str | None
    categories: tuple[str, ...]
    places: tuple[str, ...]
    deadlines: dict
    default_days: int
    active: bool

    def values(self) -> dict:
        return {"name": self.name, "kind": self.kind, "email": self.email, "phone": self.phone, "office": self.office,
                "categories": list(self.categories), "places": list(self.places), "deadlines": dict(self.deadlines),
                "default_days": self.default_days, "active": self.active}


def parse(data: Mapping, catalog, org: str, *, partial: Authority | None = None, strict: bool = True) -> AuthorityInput:
    """From a JSON object (`strict`: numbers are numbers) or a page's form (`form_data`: numbers typed as
    text). With `partial` (an update), missing fields keep that authority's values."""
    if not isinstance(data, Mapping):
        raise AuthorityError('send a JSON object like {"name": "County trade licensing", "categories": ["confiscation"]}')
    unknown = set(data) - FIELDS
    if unknown:
        raise AuthorityError(f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
    old = partial.__dict__ if partial is not None else {}

    def given(name, default=None):
        return data[name] if name in data else old.get(name, default)

    name = _text(given("name"), "name", NAME_MAX, required=True)
    kind = given("kind", "other")
    if kind not in AUTHORITY_KINDS:
        raise AuthorityError(f"kind must be one of {', '.join(AUTHORITY_KINDS)}")
    email = _text(given("email"), "email", EMAIL_MAX)
    if email and not _EMAIL.match(email):
        raise AuthorityError(f"“{email[:40]}” is not an email address")
    phone = _text(given("phone"), "phone", PHONE_MAX)
    if phone and not _PHONE.match(phone):
        raise AuthorityError(f"“{phone[:40]}” is not a phone number")
    office = _text(given("office"), "office", OFFICE_MAX)
    known = catalog.categories()  # content/choices.yaml report_category
    categories = _list(given("categories", []), "categories")
    bad = [c for c in categories if c not in known]
    if bad:
        raise AuthorityError(f"unknown category “{bad[0][:40]}”; categories are among {', '.join(known)}")
    places = _list(given("places", []), "places")
    own = {p.id for p in catalog.places(org)}
    bad = [p for p in places if p not in own]
    if bad:
        raise AuthorityError(f"“{bad[0][:40]}” is not a market or area of your organization")
    default_days = _days(given("default_days", DEFAULT_DAYS), "default_days", strict)
    deadlines = given("deadlines", {})
    deadlines = {} if deadlines is None else deadlines
    if not isinstance(deadlines, Mapping):
        raise AuthorityError('deadlines maps a category to days, like {"confiscation": 7}')
    clean = {}
    for category, days in deadlines.items():
        if category not in known:
            raise AuthorityError(f"unknown category “{str(category)[:40]}” in deadlines")
        if days is None or (days == "" and not strict):
            continue
        clean[category] = _days(days, f"deadline for {category}", strict)
    active = given("active", True)
    if not isinstance(active, bool):
        raise AuthorityError("active is true or false")
    return AuthorityInput(name, kind, email, phone, office, tuple(dict.fromkeys(categories)),
                          tuple(dict.fromkeys(places)), clean, default_days, active)


def create(services, org: str, data: Mapping, *, strict: bool = True) -> Authority:
    values = parse(data, services.catalog, org, strict=strict)
    now = utcnow()
    try:
        with services.db.begin() as session:
            row = Authority(organization=org, created_at=now, updated_at=now, **values.values())
            session.add(row)
    except IntegrityError:
        raise AuthorityError(f"your organization has an authority called “{values.name[:60]}” already") from None
    return row


def update(services, org: str, authority_id: int, data: Mapping, *, strict: bool = True) -> Authority | None:
    """None for an unknown id (or another organization's)."""
    try:
        with services.db.begin() as session:
            row = _own(session, org, authority_id)
            if row is None:
                return None
            values = parse(data, services.catalog, org, partial=row, strict=strict)
            for key, value in values.values().items():
                setattr(row, key, value)
            row.updated_at = utcnow()
    except IntegrityError:
        raise AuthorityError("your organization has another authority with that name") from None
    return row


def get(services, org: str, authority_id: int) -> Authority | None:
    with services.db() as session:
        return _own(session, org, authority_id)


def listing(services, org: str, *, active_only: bool = False) -> list[Authority]:
    query = select(Authority).where(Authority.organization == org)
    if active_only:
        query = query.where(Authority.active.is_(True))
    with services.db() as session:
        return list(session.scalars(query.order_by(func.lower(Authority.name))))


def days_for(authority: Authority, category: str) -> int:
    """The authority's response deadline for this category of report, in days."""
    return int((authority.deadlines or {}).get(category) or authority.default_days or DEFAULT_DAYS)


def answers_for(authority: Authority, category: str | None, place_id: str | None) -> bool:
    return ((not authority.categories or category in authority.categories)
            and (not authority.places or place_id in authority.places))


def suggest(services, org: str, category: str | None, place_id: str | None) -> list[Authority]:
    """Active authorities that answer for this category and place, the most specific first (one that
    names the category and the place before one that answers for everything)."""
    found = [a for a in listing(services, org, active_only=True) if answers_for(a, category, place_id)]
    return sorted(found, key=lambda a: (-(bool(a.categories) + bool(a.places)), a.name.lower()))


def as_dict(a: Authority) -> dict:
    return {"id": a.id, "name": a.name, "kind": a.kind, "email": a.email, "phone": a.phone, "office": a.office,
            "categories": list(a.categories or []), "places": list(a.places or []), "deadlines": dict(a.deadlines or {}),
            "default_days": a.default_days, "active": a.active}


def form_data(form, catalog) -> dict:
    """A page's form (a werkzeug MultiDict) as the mapping `parse` reads: lists from repeated fields and
    one deadline field per category (deadline_<category>)."""
    data = {k: form.get(k) for k in ("name", "kind", "email", "phone", "office", "default_days") if k in form}
    data["categories"] = form.getlist("categories")
    data["places"] = form.getlist("places")
    data["deadlines"] = {c: form.get(f"deadline_{c}") for c in catalog.categories() if form.get(f"deadline_{c}")}
    data["active"] = form.get("active") == "on"  # an unticked box sends nothing; adding sends a hidden "on"
    return data


def _own(session, org: str, authority_id: int) -> Authority | None:
    return session.scalars(select(Authority).where(Authority.organization == org, Authority.id == authority_id)).first()


def _text(value, name: str, most: int, *, required: bool = False) -> str | None:
    if value is not None and not isinstance(value, str):
        raise AuthorityError(f"{name} must be text")
    if value and len(value) > most:
        raise AuthorityError(f"{name} is longer than {most} characters")
    value = " ".join((value or "").split()) or None
    if required and not value:
        raise AuthorityError(f"give the authority's {name}")
    if value and len(value) > most:
        raise AuthorityError(f"{name} is longer than {most} characters")
    return value


def _list(value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AuthorityError(f"{name} must be a list of strings")
    if len(value) > 200:
        raise AuthorityError(f"at most 200 {name}")
    return [v.strip() for v in value if v.strip()]


def _days(value, name: str, strict: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or (strict and not isinstance(value, int)):
        raise AuthorityError(f"{name} must be a whole number of days from 1 to {DAYS_MAX}")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:6]) <= DAYS_MAX:
        raise AuthorityError(f"{name} must be a whole number of days from 1 to {DAYS_MAX}")
    return int(text)
