from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from localservers.ports import end_process, free_port, wait_for_port
from localservers.redis import redis_server_binary


class _Process:
    def __init__(self, args: list[str], port: int):
        self.args, self.port = args, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 20)

    def kill(self) -> None:
        """SIGKILL: the machine lost, no goodbye to clients or replicas."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        end_process(self.proc)
        self.proc = None


class RedisSentinelGroup:
    """A Redis primary, its replicas and Sentinels watching them (`redis-server --sentinel`, the same
    binary Debian's redis-sentinel runs), all on loopback. Fast failure detection: a primary that does
    not answer for `down_after_ms` is replaced by a replica once a quorum of Sentinels agrees."""

    def __init__(self, service: str = "streetline", replicas: int = 1, sentinels: int = 3,
                 down_after_ms: int = 1000, failover_timeout_ms: int = 4000):
        self.service = service
        self.dir = Path(tempfile.mkdtemp(prefix="streetline-sentinel-"))
        self.down_after_ms, self.failover_timeout_ms = down_after_ms, failover_timeout_ms
        binary = redis_server_binary()
        self.servers: list[_Process] = []
        for n in range(1 + replicas):
            port = free_port()
            workdir = self.dir / f"redis-{n}"
            workdir.mkdir()
            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(workdir), "--logfile", str(workdir / "redis.log")]
            if n:
                args += ["--replicaof", "127.0.0.1", str(self.servers[0].port)]
            self.servers.append(_Process(args, port))
        self.sentinels: list[_Process] = []
        self.quorum = sentinels // 2 + 1
        for n in range(sentinels):
            port = free_port()
            conf = self.dir / f"sentinel-{n}.conf"  # Sentinel rewrites its file: one each, writable
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\nlogfile {self.dir / f'sentinel-{n}.log'}\n"
                f"sentinel monitor {service} 127.0.0.1 {self.servers[0].port} {self.quorum}\n"
                f"sentinel down-after-milliseconds {service} {down_after_ms}\n"
                f"sentinel failover-timeout {service} {failover_timeout_ms}\n"
                f"sentinel parallel-syncs {service} 1\n")
            self.sentinels.append(_Process([binary, str(conf), "--sentinel"], port))

    @property
    def addresses(self) -> tuple[str, ...]:
        """REDIS_SENTINELS for the app."""
        return tuple(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def primary_port(self) -> int:
        """The primary's port as the first Sentinel that answers sees it now."""
        import redis

        for s in self.sentinels:
            if s.proc is None:
                continue
            try:
                with redis.Redis(port=s.port, socket_timeout=1) as client:
                    return int(client.sentinel_get_master_addr_by_name(self.service)[1])
            except redis.RedisError:
                continue
        raise RuntimeError("no Sentinel answers")

    def server_on(self, port: int) -> _Process:
        return next(s for s in self.servers if s.port == port)

    def wait_replicated(self, primary_port: int, replicas_wanted: int, timeout: float = 20) -> None:
        """Until `replicas_wanted` replicas have finished their sync with the primary on `primary_port`."""
        import redis

        deadline = time.monotonic() + timeout
        with redis.Redis(port=primary_port, socket_timeout=1) as primary:
            while time.monotonic() < deadline:
                replicas = [v for k, v in primary.info("replication").items() if k.startswith("slave")]
                if len(replicas) >= replicas_wanted and all(r.get("state") == "online" for r in replicas):
                    return
                time.sleep(0.1)
        raise TimeoutError("replicas did not sync")

    def wait_failover(self, old_port: int, timeout: float = 30) -> int:
        """Until the Sentinels name another primary than `old_port`; returns its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.primary_port()
            if port != old_port:
                return port
            time.sleep(0.1)
        raise TimeoutError(f"no failover from {old_port} after {timeout}s")

    def start(self) -> "RedisSentinelGroup":
        for server in self.servers:
            server.start()
        self.wait_replicated(self.servers[0].port, len(self.servers) - 1)
        for sentinel in self.sentinels:
            sentinel.start()
        return self

    def stop(self) -> None:
        for process in (*self.sentinels, *self.servers):
            process.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
