"""Settings read once from the environment into a frozen dataclass.

Nothing here connects to anything; `build_services` does that. Production mode
(STREETLINE_ENV=production) refuses to start without the secrets it needs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc


def _hosts(env: dict, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma- or space-separated list of host or host:port entries, lower-cased."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return tuple(h.strip().lower() for h in raw.replace(",", " ").split() if h.strip())


def _flag(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = f"sqlite:///{VAR / 'streetline.db'}"
    redis_url: str | None = None
    # REDIS_SENTINELS (host:port list): Redis is the primary these Sentinels name REDIS_SENTINEL_SERVICE;
    # REDIS_URL, if also set, then only gives the database number and password.
    redis_sentinels: tuple[str, ...] = ()
    redis_sentinel_service: str = "streetline"
    twilio_account_sid: str | None = None
    twilio_auth_token: str = "dev-auth-token"
    # Where twilio-python sends REST calls; a local stand-in in tests and `make run`.
    twilio_api_base_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    status_callback_url: str | None = None
    rasa_url: str | None = None
    rasa_token: str | None = None
    nlu_timeout: float = 1.5
    nlu_cache_ttl: int = 7 * 86400  # 0 turns the Redis parse cache off (benchmarks)
    content_dir: Path = ROOT / "content"
    spool_dir: Path = VAR / "spool"
    outbox_path: Path = VAR / "outbox.jsonl"
    session_ttl: int = 30 * 60
    twilio_http_timeout: float = 10.0
    redis_timeout: float = 0.5
    media_dir: Path = VAR / "media"
    media_max_bytes: int = 10 * 1024 * 1024
    # Hosts a MediaUrl may name; only these get the Twilio credentials (bot/providers/twilio/media_fetch.py).
    media_allowed_hosts: tuple[str, ...] = ("api.twilio.com",)
    # Where those may redirect (Twilio's media CDN, short-lived signed URLs): fetched without credentials.
    media_redirect_hosts: tuple[str, ...] = ("mms.twiliocdn.com", "media.twiliocdn.com",
                                             "s3-external-1.amazonaws.com")
    report_cluster_hours: float = 24.0
    proxy_fix: bool = False  # trust X-Forwarded-* from one proxy in front of the app
    # Organizers' pages
    secret_key: str = "dev-secret-key"  # signs browser sessions; SECRET_KEY is required in production
    map_tiles_url: str | None = None  # e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; none: outlines only
    map_tiles_attribution: str = ""
    handover_minutes: int = 120  # the bot stays silent this long after an organizer's last reply
    login_max_failures: int = 5  # per account, then that account is locked out
    # Per client address, more leniently: a market's shared Wi-Fi is one address for everyone on it.
    login_address_max_failures: int = 50
    login_lock_seconds: int = 900
    simulator: bool = True  # the phone simulator page (off in production unless SIMULATOR=1)
    session_cookie_secure: bool = False
    # Charts and anonymised exports show a group (one category at one market on one day) smaller than
    # this as "<K", never its count: a count of 1 or 2 there can point at one worker.
    suppress_below: int = 5

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def uses_twilio(self) -> bool:
        return bool(self.twilio_account_sid)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        mode = env.get("STREETLINE_ENV", "development")
        defaults = cls()
        settings = cls(
            env=mode,
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            redis_url=env.get("REDIS_URL") or None,
            redis_sentinels=_hosts(env, "REDIS_SENTINELS", ()),
            redis_sentinel_service=env.get("REDIS_SENTINEL_SERVICE") or defaults.redis_sentinel_service,
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or defaults.twilio_auth_token,
            twilio_api_base_url=env.get("TWILIO_API_BASE_URL") or None,
            public_base_url=(env.get("PUBLIC_BASE_URL") or defaults.public_base_url).rstrip("/"),
            status_callback_url=env.get("STATUS_CALLBACK_URL") or None,
            rasa_url=(env.get("RASA_URL") or "").rstrip("/") or None,
            rasa_token=env.get("RASA_TOKEN") or None,
            nlu_timeout=_float(env, "NLU_TIMEOUT", defaults.nlu_timeout),
            nlu_cache_ttl=int(_float(env, "NLU_CACHE_TTL", defaults.nlu_cache_ttl)),
            content_dir=Path(env.get("CONTENT_DIR") or defaults.content_dir),
            spool_dir=Path(env.get("SPOOL_DIR") or defaults.spool_dir),
            outbox_path=Path(env.get("OUTBOX_PATH") or defaults.outbox_path),
            session_ttl=int(_float(env, "SESSION_TTL", defaults.session_ttl)),
            media_dir=Path(env.get("MEDIA_DIR") or defaults.media_dir),
            media_max_bytes=int(_float(env, "MEDIA_MAX_BYTES", defaults.media_max_bytes)),
            media_allowed_hosts=_hosts(env, "MEDIA_ALLOWED_HOSTS", defaults.media_allowed_hosts),
            media_redirect_hosts=_hosts(env, "MEDIA_REDIRECT_HOSTS", defaults.media_redirect_hosts),
            report_cluster_hours=_float(env, "REPORT_CLUSTER_HOURS", defaults.report_cluster_hours),
            proxy_fix=_flag(env, "PROXY_FIX", False),
            secret_key=env.get("SECRET_KEY") or defaults.secret_key,
            map_tiles_url=env.get("MAP_TILES_URL") or None,
            map_tiles_attribution=env.get("MAP_TILES_ATTRIBUTION") or "",
            handover_minutes=int(_float(env, "HANDOVER_MINUTES", defaults.handover_minutes)),
            login_max_failures=int(_float(env, "LOGIN_MAX_FAILURES", defaults.login_max_failures)),
            login_address_max_failures=int(_float(env, "LOGIN_ADDRESS_MAX_FAILURES",
                                                  defaults.login_address_max_failures)),
            login_lock_seconds=int(_float(env, "LOGIN_LOCK_SECONDS", defaults.login_lock_seconds)),
            simulator=_flag(env, "SIMULATOR", mode != "production"),
            session_cookie_secure=_flag(env, "SESSION_COOKIE_SECURE", mode == "production"),
            suppress_below=int(_float(env, "SUPPRESS_BELOW", defaults.suppress_below)),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.suppress_below < 1:
            raise SettingsError(f"SUPPRESS_BELOW must be 1 or more (1 turns suppression off), got {self.suppress_below}")
        if not self.production:
            return
        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token != Settings.twilio_auth_token),
                ("PUBLIC_BASE_URL", self.public_base_url != Settings.public_base_url),
                ("REDIS_URL", self.redis_url or self.redis_sentinels),
                ("SECRET_KEY", self.secret_key != Settings.secret_key),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                "STREETLINE_ENV=production needs these environment variables: " + ", ".join(missing)
            )
        if self.database_url.startswith("sqlite"):
            raise SettingsError("STREETLINE_ENV=production needs DATABASE_URL pointing at PostgreSQL")
