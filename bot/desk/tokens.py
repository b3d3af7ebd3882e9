"""API tokens: one organization each, shown once at creation, stored as SHA-256 only."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from bot.models import ApiToken, utcnow

PREFIX = "stl_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(services, organization: str, name: str) -> str:
    if organization not in services.catalog.organizations:
        raise ValueError(f"unknown organization {organization!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    with services.db.begin() as session:
        session.add(ApiToken(organization=organization, name=name, token_hash=_hash(token)))
    return token


def organization_for(services, token: str) -> str | None:
    """The organization a presented token belongs to, or None (unknown or revoked)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _hash(token)
    with services.db.begin() as session:
        row = session.execute(
            select(ApiToken.id, ApiToken.organization).where(ApiToken.token_hash == digest,
                                                             ApiToken.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=utcnow()))
    return row.organization


def revoke(services, organization: str, name: str) -> int:
    with services.db.begin() as session:
        result = session.execute(update(ApiToken).where(ApiToken.organization == organization, ApiToken.name == name,
                                                        ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    return result.rowcount
