from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from localservers.ports import free_port, wait_for_port


def _bin_dir() -> Path:
    found = shutil.which("initdb")
    if found and "postgresql" in os.path.realpath(found):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql")
    return Path(candidates[0]).parent


class PostgresServer:
    """A throwaway cluster: trust auth on 127.0.0.1, fsync off. initdb refuses root, so as root
    the cluster belongs to the `postgres` user."""

    def __init__(self, port: int | None = None, database: str = "streetline"):
        self.port = port or free_port()
        self.database = database
        self.root = Path(tempfile.mkdtemp(prefix="streetline-pg-"))
        self.data = self.root / "data"
        self.bin = _bin_dir()
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init(self) -> None:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> "PostgresServer":
        if not self.data.exists():
            self.init()
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start")
        wait_for_port(self.port, 30)
        exists = self._psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % self.database)
        if "1" not in exists:
            self._psql(f'CREATE DATABASE "{self.database}"')
        return self

    def _psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                         "-tAc", sql).stdout

    def create_database(self, name: str) -> str:
        self._psql(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
