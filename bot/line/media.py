"""Attachments of reports: downloaded from Twilio (HTTP Basic auth: account SID + auth token, sent
only to MEDIA_ALLOWED_HOSTS, see bot/providers/twilio/media_fetch.py; any other URL is "refused", never fetched) into
MEDIA_DIR by an RQ job, with size and type limits. A failed download is retried by RQ with backoff and
never blocks the conversation; when Redis is down the row stays "pending" and
`python -m bot.cli media-pending` runs it later."""
from __future__ import annotations

import logging
import mimetypes
import os
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import and_, or_, select

from bot.providers import media as media_fetch
from bot.models import Report, ReportMedia, utcnow

log = logging.getLogger(__name__)

ALLOWED = ("image/", "audio/", "video/mp4", "application/pdf")
RETRY_INTERVALS = (10, 60, 300)  # seconds between RQ retries
CHUNK = 64 * 1024
EXTENSIONS = {"image/jpeg": ".jpg", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "video/mp4": ".mp4",
              "application/pdf": ".pdf", "image/png": ".png", "image/webp": ".webp", "audio/amr": ".amr"}


class TemporaryFailure(RuntimeError):
    """Worth another try (5xx, 429, connection problems): the job raises it so RQ retries."""


def media_dir(settings) -> Path:
    return Path(settings.media_dir)


def max_bytes(settings) -> int:
    return int(settings.media_max_bytes)


def allowed(content_type: str | None) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    return any(ct == a or (a.endswith("/") and ct.startswith(a)) for a in ALLOWED)


def enqueue_downloads(services, media_ids: list[int]) -> int:
    """Queue one job per attachment; without a queue they stay pending. Returns how many were queued."""
    queued = 0
    for media_id in media_ids:
        if _enqueue(services, media_id):
            queued += 1
    return queued


def _enqueue(services, media_id: int) -> bool:
    from redis.exceptions import RedisError
    from rq import Retry

    if services.queue is None:
        return False
    try:
        services.queue.enqueue("bot.tasks.download_media", media_id, retry=Retry(max=len(RETRY_INTERVALS),
                               interval=list(RETRY_INTERVALS)), job_timeout=120, failure_ttl=7 * 24 * 3600)
    except (RedisError, OSError) as exc:
        log.warning("media %s stays pending, queue unavailable: %s", media_id, exc)
        return False
    _set(services, media_id, status="queued")
    return True


def _set(services, media_id: int, **values) -> None:
    with services.db.begin() as session:
        row = session.get(ReportMedia, media_id)
        if row is not None:
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = utcnow()


def download(services, media_id: int, final: bool = True) -> str:
    """Fetch one attachment. Returns the row's new status; raises TemporaryFailure to be retried
    (the row then says "queued" with the error, or "failed" when `final`)."""
    settings = services.settings
    with services.db() as session:
        row = session.get(ReportMedia, media_id)
        if row is None:
            return "missing"
        if row.status == "stored":
            return "stored"
        report = session.get(Report, row.report_id)
        url, declared, org, ref, attempts = row.url, row.content_type, report.organization, report.reference, row.attempts
    if declared and not allowed(declared):
        _set(services, media_id, status="rejected", error=f"type {declared} not accepted", attempts=attempts + 1)
        return "rejected"
    try:
        media_fetch.check(url, settings)  # before anything leaves: never credentials to another host
    except media_fetch.Refused as exc:
        log.warning("media %s refused: %s", media_id, exc)
        _set(services, media_id, status="refused", error=str(exc)[:500], attempts=attempts + 1)
        return "refused"
    limit = max_bytes(settings)
    target_dir = media_dir(settings) / org / ref
    try:
        with media_fetch.open_media(url, settings) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise TemporaryFailure(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                _set(services, media_id, status="failed", error=f"HTTP {response.status_code}",
                     attempts=attempts + 1)
                return "failed"
            content_type = (response.headers.get("Content-Type") or declared or "").split(";")[0].strip().lower()
            if not allowed(content_type):
                _set(services, media_id, status="rejected", error=f"type {content_type} not accepted",
                     attempts=attempts + 1)
                return "rejected"
            length = response.headers.get("Content-Length")
            if length and length.isascii() and length.isdigit() and int(length) > limit:
                _set(services, media_id, status="rejected", error=f"{length} bytes is over {limit}",
                     attempts=attempts + 1)
                return "rejected"
            target_dir.mkdir(parents=True, exist_ok=True)
            ext = EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
            path = target_dir / f"{media_id}{ext}"
            partial = path.with_suffix(path.suffix + ".part")
            size = 0
            with open(partial, "wb") as fh:
                for chunk in response.iter_content(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        break
                    fh.write(chunk)
            if size > limit:
                partial.unlink(missing_ok=True)
                _set(services, media_id, status="rejected", error=f"over {limit} bytes", attempts=attempts + 1)
                return "rejected"
            os.replace(partial, path)
    except media_fetch.Refused as exc:  # a redirect that leads elsewhere
        log.warning("media %s refused: %s", media_id, exc)
        _set(services, media_id, status="refused", error=str(exc)[:500], attempts=attempts + 1)
        return "refused"
    except (requests.RequestException, OSError, TemporaryFailure) as exc:
        _set(services, media_id, status="failed" if final else "queued", error=str(exc)[:500],
             attempts=attempts + 1)
        raise TemporaryFailure(str(exc)) from exc
    _set(services, media_id, status="stored", path=str(path), size=size, content_type=content_type,
         error=None, attempts=attempts + 1)
    return "stored"


# A "queued" row untouched this long lost its job (Redis went away with it). Longer than the last
# retry interval plus the job timeout, so a job still waiting for its retry is not doubled.
STALE_QUEUED = timedelta(minutes=10)


def pending_ids(services, include_failed: bool = False, stale_after: timedelta = STALE_QUEUED) -> list[int]:
    """Rows to download: pending ones, queued ones whose job is lost, and failed ones if asked."""
    states = ("pending", "failed") if include_failed else ("pending",)
    lost = and_(ReportMedia.status == "queued", ReportMedia.updated_at < utcnow() - stale_after)
    with services.db() as session:
        return list(session.scalars(select(ReportMedia.id).where(or_(ReportMedia.status.in_(states), lost))
                                    .order_by(ReportMedia.id)))


def run_pending(services, include_failed: bool = False) -> dict:
    """Download pending attachments now, in this process (the CLI's media-pending)."""
    counts: dict[str, int] = {}
    for media_id in pending_ids(services, include_failed):
        try:
            status = download(services, media_id, final=True)
        except TemporaryFailure:
            status = "failed"
        counts[status] = counts.get(status, 0) + 1
    return counts
