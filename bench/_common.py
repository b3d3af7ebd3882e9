"""Helpers shared by the benchmarks: the servers they need, gunicorn as a subprocess, signed
Twilio requests built ahead of time, CPU accounting from /proc, and percentiles (the load generator
is bench/_load.py).

Benchmarks run as scripts (`python bench/inbound.py`); this module puts the repository root
on sys.path so they can import the app's packages.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://streetline.example.org"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*args) -> None:
    """Progress goes to stderr so that stdout ends with the JSON summary."""
    print(*args, file=sys.stderr, flush=True)


# --- numbers ---------------------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); `sorted_values` ascending."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def latency_summary(latencies_s: list[float]) -> dict:
    values = sorted(latencies_s)
    ms = lambda q: round(percentile(values, q) * 1000, 2)  # noqa: E731
    return {
        "p50_ms": ms(50),
        "p90_ms": ms(90),
        "p99_ms": ms(99),
        "max_ms": round(values[-1] * 1000, 2) if values else float("nan"),
        "mean_ms": round(sum(values) / len(values) * 1000, 2) if values else float("nan"),
    }


# --- servers ---------------------------------------------------------------------------------

def alembic_upgrade(url: str, revision: str = "heads") -> None:
    """Same as tests/conftest.py's alembic_config + command.upgrade."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, revision)


def sync_orgs(url: str) -> int:
    """Mirror content/ organizations into the database (bot.orgs.sync_organizations needs only
    `catalog` and `db` from Services, so this works even while other packages are unfinished)."""
    from types import SimpleNamespace

    from sqlalchemy.orm import sessionmaker

    from bot.db import build_engine
    from bot.orgs import sync_organizations
    from content import load_catalog

    engine = build_engine(url)
    try:
        return sync_organizations(SimpleNamespace(catalog=load_catalog(), db=sessionmaker(engine)))
    finally:
        engine.dispose()


class Stack(contextlib.ExitStack):
    """Throwaway PostgreSQL + Redis, migrated and with organizations loaded."""

    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="streetline-bench-"))
        self.callback(shutil.rmtree, self.tmp, ignore_errors=True)
        self.pg = None
        self.redis = None

    def __enter__(self) -> "Stack":
        super().__enter__()
        from localservers import PostgresServer, RedisServer

        t0 = time.monotonic()
        try:
            self.pg = self.enter_context(PostgresServer(database="streetline_bench"))
            self.redis = self.enter_context(RedisServer())
            alembic_upgrade(self.pg.url)
            sync_orgs(self.pg.url)
        except BaseException:
            self.close()  # `with` calls __exit__ only when __enter__ succeeded: stop what started
            raise
        log(f"postgres :{self.pg.port} + redis :{self.redis.port} ready, migrated, orgs synced "
            f"in {time.monotonic() - t0:.1f}s")
        return self

    @property
    def database_url(self) -> str:
        return self.pg.url

    @property
    def redis_url(self) -> str:
        return self.redis.url

    def postgres_pid(self) -> int | None:
        try:
            return int((self.pg.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def redis_pid(self) -> int | None:
        return self.redis.proc.pid if self.redis and self.redis.proc else None

    def rows(self, sql: str) -> list[tuple]:
        import psycopg

        dsn = self.pg.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            return conn.execute(sql).fetchall()

    def scalar(self, sql: str):
        import psycopg

        dsn = self.pg.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as conn:
            return conn.execute(sql).fetchone()[0]


def app_env(stack: Stack, **extra: str) -> dict:
    env = dict(os.environ)
    for name in ("RASA_URL", "RASA_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "STREETLINE_ENV",
                 "WEB_CONCURRENCY"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=stack.database_url,
        REDIS_URL=stack.redis_url,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        SPOOL_DIR=str(stack.tmp / "spool"),
        OUTBOX_PATH=str(stack.tmp / "outbox.jsonl"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    """`gunicorn 'webhooks:create_app()'` in a subprocess on a free loopback port."""

    env: dict
    app: str = "webhooks:create_app()"
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1
    extra_args: list[str] = field(default_factory=list)
    log_path: Path | None = None
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> "Gunicorn":
        from localservers import free_port

        self.port = self.port or free_port()
        self.log_path = self.log_path or Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        cmd = [sys.executable, "-m", "gunicorn", self.app,
               "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "--worker-class", self.worker_class, "--threads", str(self.threads),
               "--backlog", "2048", "--log-level", "warning", *self.extra_args]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200 and self._workers_booted():
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn not ready after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.2)
        return self

    def _workers_booted(self) -> bool:
        return len(children(self.proc.pid)) >= self.workers

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)] if self.proc else []

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        with contextlib.suppress(Exception):
            self._log.close()

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --- CPU accounting --------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """Direct and indirect children of `pid`, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_ticks(pid: int, with_reaped_children: bool = True) -> int:
    """utime + stime (+ cutime + cstime: children that exited and were waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


def tree_ticks(root: int | None) -> dict[int, int]:
    if not root:
        return {}
    pids = [root, *children(root)]
    return {pid: cpu_ticks(pid, with_reaped_children=(pid == root)) for pid in pids}


class CpuMeter:
    """CPU seconds used by named process trees between start() and stop(), as % of one core."""

    def __init__(self, roots: dict[str, int | None]):
        self.roots = roots

    def _snapshot(self) -> dict[str, dict[int, int]]:
        return {name: tree_ticks(pid) for name, pid in self.roots.items()}

    @staticmethod
    def _machine() -> tuple[int, int]:
        parts = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        values = [int(v) for v in parts]
        idle = values[3] + values[4]
        return sum(values[:8]), idle

    def start(self) -> "CpuMeter":
        self.t0 = time.perf_counter()
        self.before = self._snapshot()
        self.machine0 = self._machine()
        self.self0 = time.process_time()
        return self

    def stop(self) -> dict:
        wall = time.perf_counter() - self.t0
        after = self._snapshot()
        self_cpu = time.process_time() - self.self0
        total1, idle1 = self._machine()
        result = {}
        for name, pids in after.items():
            # Processes born during the phase count from zero; ones that died are lost unless reaped.
            ticks = sum(t - self.before[name].get(pid, 0) for pid, t in pids.items())
            result[name] = round(100.0 * ticks / CLK_TCK / wall, 1)
        result["generator"] = round(100.0 * self_cpu / wall, 1)
        total, idle = total1 - self.machine0[0], idle1 - self.machine0[1]
        result["machine_busy_pct"] = round(100.0 * (total - idle) / total, 1) if total else None
        result["cores"] = os.cpu_count()
        return result


# --- signed requests -------------------------------------------------------------------------

def sign(url: str, form: dict, token: str = AUTH_TOKEN) -> str:
    from twilio.request_validator import RequestValidator

    return RequestValidator(token).compute_signature(url, form)


def signed_post(path: str, form: dict, host: str = "127.0.0.1", token: str = AUTH_TOKEN) -> bytes:
    """One complete HTTP/1.1 request, signed the way Twilio signs: PUBLIC_BASE_URL + path."""
    body = urlencode(form).encode()
    signature = sign(PUBLIC_BASE_URL + path, form, token)
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "User-Agent: TwilioProxy/1.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {signature}\r\n"
        "\r\n"
    )
    return head.encode() + body


class CliProcesses:
    """`python -m bot.cli ...` processes (workers) started with one environment, each logging to
    /tmp/streetline-bench-<name>-<n>.log; stopped with SIGTERM, killed after `timeout` seconds."""

    def __init__(self, env: dict, name: str, timeout: float = 20.0):
        self.env, self.name, self.timeout = env, name, timeout
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []

    def start(self, *args: str) -> subprocess.Popen:
        log_file = open(f"/tmp/streetline-bench-{self.name}-{len(self.logs)}.log", "wb")
        self.logs.append(log_file)
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=self.env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(self.timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        for f in self.logs:
            f.close()
        self.logs = []


def provider_counts(base_url: str, account: str, token: str):
    """Messages per To address and their SIDs, from the Twilio stand-in's message list (pages of 1000):
    what the provider really holds, to count duplicates and losses against."""
    from collections import Counter

    from standin.client import local_twilio_client

    client = local_twilio_client(base_url, account, token, timeout=60)
    counts: Counter = Counter()
    sids = set()
    for m in client.messages.stream(page_size=1000):
        counts[m.to] += 1
        sids.add(m.sid)
    client.http_client.close()
    return counts, sids
