"""Photos a simulated phone sends (bot/desk/simulator.py is the rest of the simulator): kept under
MEDIA_DIR/simulator/ under an unguessable token, and served back at MEDIA_ROUTE as Twilio would host them."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from bot.desk.simulator import SimulatorError

MEDIA_ROUTE = "/simulator/media/"  # + token; served by webhooks/dashboard/simulator.py

PHOTO_TYPES = {  # magic bytes -> (content type, extension); the upload's own claim is not trusted
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"GIF87a": ("image/gif", ".gif"),
    b"GIF89a": ("image/gif", ".gif"),
}
EXT_TYPES = {ext: ct for ct, ext in PHOTO_TYPES.values()} | {".webp": "image/webp"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def photo_type(data: bytes) -> tuple[str, str] | None:
    for magic, kind in PHOTO_TYPES.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def photo_dir(settings) -> Path:
    return Path(settings.media_dir) / "simulator"


def store_photo(settings, data: bytes) -> tuple[str, str]:
    """Keep an uploaded photo under MEDIA_DIR/simulator/ under an unguessable token.
    Returns (token, content type)."""
    if not data:
        raise SimulatorError("The photo is empty")
    limit = int(settings.media_max_bytes)
    if len(data) > limit:
        raise SimulatorError(f"The photo is {len(data) // 1024} KB; the line accepts up to {limit // 1024} KB")
    kind = photo_type(data)
    if kind is None:
        raise SimulatorError("Send a JPEG, PNG, GIF or WebP photo")
    content_type, ext = kind
    token = secrets.token_urlsafe(24)  # 32 characters, 192 bits
    folder = photo_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{token}.part"
    with open(partial, "wb") as fh:
        fh.write(data)
    os.replace(partial, folder / f"{token}{ext}")
    return token, content_type


def photo_url(settings, token: str) -> str:
    """Where Twilio would host the media: a PUBLIC_BASE_URL address the media download job can fetch
    (it sends Basic auth when an account is configured; the token alone is what grants access)."""
    return settings.public_base_url.rstrip("/") + MEDIA_ROUTE + token


def find_photo(settings, token: str) -> tuple[Path, str] | None:
    if not TOKEN.match(token or ""):
        return None
    folder = photo_dir(settings)
    for ext, content_type in EXT_TYPES.items():
        path = folder / f"{token}{ext}"
        if path.is_file():
            return path, content_type
    return None
