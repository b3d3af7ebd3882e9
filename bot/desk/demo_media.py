"""The demo history's stand-ins for what workers sent (bot/desk/demo.py): one placeholder photo and one voice
note per demo organization, attached to demo reports as the media job leaves a stored file."""
from __future__ import annotations

import struct
import wave
import zlib
from datetime import datetime
from pathlib import Path

from bot.line.media import media_dir
from bot.models import ReportMedia


def placeholders(services, slug: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """A photo and a voice note standing in for what workers sent (one file each, shared)."""
    folder = media_dir(services.settings) / f"demo-{slug}"
    folder.mkdir(parents=True, exist_ok=True)
    photo, voice = folder / "photo.png", folder / "voice.wav"
    if not photo.exists():
        photo.write_bytes(png(320, 240, (188, 196, 201)))
    if not voice.exists():
        with wave.open(str(voice), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(1)
            w.setframerate(8000)
            w.writeframes(b"\x80" * 8000)
    return (str(photo), "image/png"), (str(voice), "audio/wav")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def attach(services, report_id: int, path: str, content_type: str, at: datetime) -> None:
    """The attachment as the media job leaves it once stored (no provider URL to fetch from here)."""
    with services.db.begin() as session:
        session.add(ReportMedia(report_id=report_id, url=f"demo:{Path(path).name}", content_type=content_type,
                                status="stored", path=path, size=Path(path).stat().st_size, attempts=1,
                                created_at=at, updated_at=at))
