from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from localservers.ports import end_process, free_port, wait_for_port


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if not found:
        raise RuntimeError("pgbouncer not found: apt-get install pgbouncer (scripts/system-deps.sh)")
    return found


class PgBouncerServer:
    """A real PgBouncer in transaction pooling mode in front of one PostgreSQL (trust auth on 127.0.0.1):
    every transaction may run on a different server connection, as in production behind a pooler.
    PgBouncer refuses root, so as root it switches to the `postgres` user (-u)."""

    def __init__(self, pg_host: str, pg_port: int, port: int | None = None, pool_size: int = 10,
                 user: str = "postgres"):
        self.pg_host, self.pg_port, self.user = pg_host, pg_port, user
        self.port = port or free_port()
        self.pool_size = pool_size
        self.root = Path(tempfile.mkdtemp(prefix="streetline-pgbouncer-"))
        self.proc: subprocess.Popen | None = None
        self.as_root = os.geteuid() == 0

    def url(self, database: str) -> str:
        """The app's DATABASE_URL through this pooler (the flag turns psycopg's prepared statements off)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}?pgbouncer=1"

    def _write_config(self) -> Path:
        (self.root / "users.txt").write_text(f'"{self.user}" ""\n')
        ini = self.root / "pgbouncer.ini"
        ini.write_text(f"""[databases]
* = host={self.pg_host} port={self.pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.root / 'users.txt'}
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 1000
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
admin_users = {self.user}
logfile = {self.root / 'pgbouncer.log'}
""")
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            for path in self.root.iterdir():
                shutil.chown(path, "postgres", "postgres")
        return ini

    def start(self) -> "PgBouncerServer":
        cmd = [pgbouncer_binary(), *(["-u", "postgres"] if self.as_root else []), str(self._write_config())]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, 20)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"pgbouncer did not start: {self.log_tail()}") from None
        return self

    def show(self, what: str) -> list[dict]:
        """A `SHOW <what>` of PgBouncer's admin console (STATS, POOLS, CONFIG...) as dicts."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="pgbouncer",
                             autocommit=True) as conn:
            cur = conn.execute(f"SHOW {what}")
            names = [d.name for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def transactions(self, database: str) -> int:
        """Transactions PgBouncer has carried to `database` since it started."""
        return sum(int(row["total_xact_count"]) for row in self.show("STATS") if row["database"] == database)

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join((self.root / "pgbouncer.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        end_process(self.proc, signal.SIGINT)  # SIGINT: close connections and exit at once
        self.proc = None
        time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
