"""RQ jobs. Jobs take plain ids; they build their services from the environment (Settings.from_env)
unless a test injects them."""
from __future__ import annotations

from contextlib import contextmanager

_injected = None


def use_services(services) -> None:
    """Tests: run jobs (also in an RQ SimpleWorker in this process) against these services."""
    global _injected
    _injected = services


@contextmanager
def _services(services=None):
    if services is not None or _injected is not None:
        yield services or _injected
        return
    from bot.services import build_services
    from bot.settings import Settings

    built = build_services(Settings.from_env())
    try:
        yield built
    finally:
        built.close()


def download_media(media_id: int, services=None) -> str:
    """Download one report attachment (bot.line.media.download). Raises to make RQ retry; the last
    attempt marks the row failed."""
    from rq import get_current_job

    from bot.line import media
    job = get_current_job()
    final = job is None or not job.retries_left
    with _services(services) as built:
        return media.download(built, media_id, final=final)


def forget_contact(organization: str, contact_id: int, services=None) -> dict | None:
    """FORGET's erasure when it could not run right after the reply (bot.line.privacy.erase_or_queue)."""
    from bot.line import privacy
    with _services(services) as built:
        return privacy.erase(built, organization, contact_id)
