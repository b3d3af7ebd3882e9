"""Organizer accounts: argon2id password hashes, sign-in with lock-out after repeated failures, and the
audit log of who touched personal data. Nothing here imports Flask; webhooks/dashboard/ calls it."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.models import AuditEvent, User, utcnow

log = logging.getLogger(__name__)

ROLES = ("organizer", "admin")
MIN_PASSWORD = 10
# argon2id with the library's defaults (64 MiB, 3 passes): memory-hard, ~50 ms per check here.
_hasher = PasswordHasher()
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("streetline-no-such-user")


class AccountError(ValueError):
    """A clear reason an account cannot be created or changed."""


@dataclass(frozen=True)
class Account:
    """What a signed-in page needs to know about its organizer (no password hash)."""

    id: int
    organization: str
    email: str
    name: str
    role: str
    language: str | None = None  # chosen for the pages; None: the organization's first language
    generation: int = 0  # users.session_generation: a session signed in under another one is over

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _account(user: User) -> Account:
    return Account(user.id, user.organization, user.email, user.name, user.role, user.language,
                   generation=user.session_generation or 0)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(services, organization: str, email: str, name: str, password: str, role: str = "organizer") -> Account:
    email = normalise_email(email)
    if organization not in services.catalog.organizations:
        raise AccountError(f"unknown organization {organization!r}")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email or len(email) > 200:
        raise AccountError("an email address is needed to sign in")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    user = User(organization=organization, email=email, name=(name or email).strip()[:100], role=role,
                password_hash=_hasher.hash(password))
    try:
        with services.db.begin() as session:
            session.add(user)
            session.flush()
            return _account(user)
    except IntegrityError as exc:
        raise AccountError(f"an account for {email} already exists") from exc


def set_password(services, email: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with services.db.begin() as session:
        done = session.execute(update(User).where(User.email == normalise_email(email))
                               .values(password_hash=_hasher.hash(password),
                                       session_generation=User.session_generation + 1)).rowcount
    if not done:
        raise AccountError(f"no account for {email}")


def end_sessions(services, user_id: int) -> None:
    """Every browser session of this account ends (sign-out, here or on another device)."""
    with services.db.begin() as session:
        session.execute(update(User).where(User.id == user_id)
                        .values(session_generation=User.session_generation + 1))


def disable_user(services, email: str) -> None:
    """The account can no longer sign in, and its open sessions end at once."""
    with services.db.begin() as session:
        done = session.execute(update(User).where(User.email == normalise_email(email))
                               .values(disabled_at=utcnow(),
                                       session_generation=User.session_generation + 1)).rowcount
    if not done:
        raise AccountError(f"no account for {email}")


def set_language(services, user_id: int, language: str | None) -> None:
    """The language this organizer reads the pages in (the caller checks it is one the pages have)."""
    with services.db.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(language=language))


def get_account(services, user_id: int) -> Account | None:
    with services.db() as session:
        user = session.get(User, user_id)
        return _account(user) if user is not None and user.disabled_at is None else None


def list_accounts(services, organization: str) -> list[Account]:
    with services.db() as session:
        rows = session.scalars(select(User).where(User.organization == organization).order_by(User.email))
        return [_account(u) for u in rows]


# --------------------------------------------------------------------------- throttling


class _LocalCounter:
    """Failure counts when Redis is unreachable: per process, but never no limit at all."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, ttl: int) -> int:
        with self._lock:
            count, until = self._counts.get(key, (0, 0.0))
            if until < time.monotonic():
                count = 0
            self._counts[key] = (count + 1, time.monotonic() + ttl)
            return count + 1

    def get(self, key: str) -> int:
        with self._lock:
            count, until = self._counts.get(key, (0, 0.0))
            return count if until >= time.monotonic() else 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)


_local = _LocalCounter()


class Throttle:
    """Failed sign-ins counted per account and per client address. LOGIN_MAX_FAILURES for one account
    locks that account; the address limit (LOGIN_ADDRESS_MAX_FAILURES) is far higher, so one person's
    typos behind a market's shared NAT do not lock everyone else there out, while guessing across many
    accounts from one address is still stopped. A lock lasts until `login_lock_seconds` pass without
    another failure. The address is request.remote_addr: X-Forwarded-For counts only behind PROXY_FIX."""

    def __init__(self, services):
        self.redis = services.redis
        self.limit = services.settings.login_max_failures
        self.address_limit = services.settings.login_address_max_failures
        self.ttl = services.settings.login_lock_seconds

    @staticmethod
    def keys(email: str, address: str) -> tuple[str, str]:
        return f"login:fail:acct:{normalise_email(email)}", f"login:fail:addr:{address}"

    def _get(self, key: str) -> int:
        if self.redis is not None:
            try:
                return int(self.redis.get(key) or 0)
            except RedisError:
                log.warning("redis unreachable: counting sign-in failures in this process")
        return _local.get(key)

    def locked(self, email: str, address: str) -> bool:
        account, client = self.keys(email, address)
        return self._get(account) >= self.limit or self._get(client) >= self.address_limit

    def failed(self, email: str, address: str) -> None:
        for key in self.keys(email, address):
            if self.redis is not None:
                try:
                    pipe = self.redis.pipeline()
                    pipe.incr(key)
                    pipe.expire(key, self.ttl)
                    pipe.execute()
                    continue
                except RedisError:
                    pass
            _local.incr(key, self.ttl)

    def succeeded(self, email: str) -> None:
        key = self.keys(email, "")[0]
        if self.redis is not None:
            try:
                self.redis.delete(key)
            except RedisError:
                pass
        _local.delete(key)


class Locked(Exception):
    """Too many failed sign-ins for this account or address."""


def authenticate(services, email: str, password: str, address: str) -> Account | None:
    """The account for a correct email and password, None otherwise; raises Locked while throttled
    (checked before the password, so a locked account cannot be guessed at)."""
    email = normalise_email(email)
    throttle = Throttle(services)
    if throttle.locked(email, address):
        raise Locked()
    with services.db() as session:
        user = session.scalars(select(User).where(User.email == email)).first()
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or user.disabled_at is not None:
        throttle.failed(email, address)
        return None
    throttle.succeeded(email)
    with services.db.begin() as session:
        if _hasher.check_needs_rehash(user.password_hash):
            session.execute(update(User).where(User.id == user.id).values(password_hash=_hasher.hash(password)))
        session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    audit(services, user.organization, user.id, "login", None, {"address": address})
    return _account(user)


# --------------------------------------------------------------------------- audit log


def audit(services, organization: str, user_id: int | None, action: str, target: str | None = None,
          detail: dict | None = None) -> None:
    with services.db.begin() as session:
        session.add(AuditEvent(organization=organization, user_id=user_id, action=action, target=target,
                               detail=detail or {}))


def audit_log(services, organization: str, *, action: str | None = None, limit: int = 100) -> list[dict]:
    with services.db() as session:
        query = (select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.user_id)
                 .where(AuditEvent.organization == organization))
        if action:
            query = query.where(AuditEvent.action == action)
        rows = session.execute(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
        return [{"at": e.at, "action": e.action, "target": e.target, "detail": e.detail, "by": email}
                for e, email in rows]
