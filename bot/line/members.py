"""Registered workers: member numbers (NRB-00042), consent, details they can update later.

A member row exists only with consent; its version and time are stored with it. Declining stores
nothing (the answers lived only in the Redis session)."""
from __future__ import annotations

import re
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from bot.db import HotStatement
from bot.models import Member, utcnow

# The consent text is content key f"consent.{CONSENT_VERSION}"; a new wording is a new key and version.
CONSENT_VERSION = "v1"
FIELDS = ("name", "trade", "city", "place_id", "place_text", "language")


def prefix(org) -> str:
    """Three letters from the org's first city: Nairobi -> NRB, Dakar -> DKR, Pune -> PUN."""
    city = re.sub(r"[^A-Za-z]", "", (org.cities[0] if org.cities else org.slug)).upper() or "MBR"
    consonants = city[0] + "".join(c for c in city[1:] if c not in "AEIOUY")
    return (consonants if len(consonants) >= 3 else city)[:3].ljust(3, "X")


class MemberProfile(NamedTuple):
    city: str | None
    trade: str | None
    place_id: str | None


def member_for_contact(services, org: str, contact_id: int | None) -> Member | None:
    if contact_id is None:
        return None
    with services.db() as session:
        return session.scalars(select(Member).where(Member.organization == org,
                                                    Member.contact_id == contact_id)).first()


_PROFILE = HotStatement(select(Member.city, Member.trade, Member.place_id)
                        .where(Member.organization == bindparam("org"), Member.contact_id == bindparam("contact_id"))
                        .limit(1))


def registered_profile(services, org: str, contact_id: int | None):
    """(city, trade, place_id) of the contact's member row, or None: one indexed read, no ORM objects
    (asked for nearly every answer about relief, markets and registration)."""
    if contact_id is None:
        return None
    rows = _PROFILE.read(services.engine, {"org": org, "contact_id": contact_id})
    return MemberProfile(*rows[0]) if rows else None


def save_member(services, org, contact_id: int, details: dict, consent_version: str | None = None) -> Member:
    """Create (with consent) or update the member of this contact; returns the row."""
    details = {k: v for k, v in details.items() if k in FIELDS}
    now = utcnow()
    for attempt in range(5):
        try:
            with services.db.begin() as session:
                member = session.scalars(select(Member).where(Member.organization == org.slug,
                                                              Member.contact_id == contact_id)
                                         .with_for_update()).first()
                if member is None:
                    if consent_version is None:
                        raise ValueError("a new member needs consent")
                    seq = (session.scalar(select(func.max(Member.seq)).where(Member.organization == org.slug))
                           or 0) + 1
                    member = Member(organization=org.slug, contact_id=contact_id, seq=seq,
                                    number=f"{prefix(org)}-{seq:05d}", consent_version=consent_version,
                                    consented_at=now, created_at=now, **details)
                    session.add(member)
                else:
                    for key, value in details.items():
                        setattr(member, key, value)
                member.updated_at = now
            return member
        except IntegrityError:  # two registrations took the same number at once: take the next
            if attempt == 4:
                raise
    raise AssertionError("unreachable")
