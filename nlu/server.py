"""Start and stop a local Rasa NLU server (for tests, evaluation and benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from nlu.train import NLU_DIR, model_path, rasa_env, venv_nlu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RasaServer:
    url: str
    token: str | None
    process: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # sanic shuts down cleanly on SIGINT
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


class RasaUnavailable(RuntimeError):
    pass


def start_rasa(model: Path | None = None, port: int | None = None, token: str | None = None,
               timeout: float = 180.0, log_path: Path | None = None) -> RasaServer:
    """Start ``rasa run --enable-api`` on 127.0.0.1 and wait until GET /status answers."""
    model = Path(model or model_path())
    rasa = venv_nlu() / "bin" / "rasa"
    if not rasa.exists():
        raise RasaUnavailable(f"{rasa} is missing: run `make nlu-env` (builds .venv-nlu)")
    if not model.exists():
        raise RasaUnavailable(f"model {model} is missing: run `make nlu-train` (config or data changed?)")
    port = port or free_port()
    log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"rasa-{port}.log"
    cmd = [str(rasa), "run", "--enable-api", "-m", str(model), "--port", str(port), "-i", "127.0.0.1"]
    if token:
        cmd += ["--auth-token", token]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=NLU_DIR, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT)
    log.close()
    server = RasaServer(f"http://127.0.0.1:{port}", token, proc, log_path)
    deadline = time.monotonic() + timeout
    params = {"token": token} if token else {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RasaUnavailable(f"rasa exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            r = requests.get(f"{server.url}/status", params=params, timeout=2)
            if r.status_code == 200 and r.json().get("model_file"):
                return server
        except requests.RequestException:
            pass
        time.sleep(1)
    server.stop()
    raise RasaUnavailable(f"rasa not ready after {timeout:.0f} s:\n{server.log_tail()}")
