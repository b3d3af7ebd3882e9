"""`make run`'s launcher (tools/run.py) leaves nothing behind however it ends: started for real (Redis,
migrations, honcho with gunicorn, the rq worker and the broadcasts worker; RUN_NLU=0 leaves Rasa out), then
ended with SIGINT, SIGTERM or SIGHUP. Every process it started carries a marker in its environment, so a
survivor is found wherever it was reparented."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from localservers.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def marked(marker: str, redis_port: str) -> dict[int, str]:
    """pid -> command line of every live process whose environment carries the marker, and of our Redis
    (redis-server rewrites its title over its environment: it is found by its port)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile
            continue
        ours = marker.encode() in environ or ("redis-server" in cmdline and f":{redis_port}" in cmdline)
        if ours and state != "Z":
            found[int(entry)] = cmdline.strip()
    return found


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def base_env(tmp_path, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_", "DATABASE_", "RASA_"))}
    env.update(STREETLINE_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / name}.db",
               STREETLINE_DEMO_PASSWORD="demo password for the launcher test", PYTHONUNBUFFERED="1")
    return env


def prepared(tmp_path) -> Path:
    """A database migrated with the demo accounts, made once: each launcher gets a copy, so the three do
    not each hash passwords or migrate (the launcher still runs those steps; on a copy they are quick)."""
    env = base_env(tmp_path, "base")
    for step in (["migrate"], ["load-content"], ["user", "demo"]):
        subprocess.run([sys.executable, "-m", "bot.cli", *step], env=env, cwd=ROOT, check=True, capture_output=True)
    return tmp_path / "base.db"


def start(tmp_path, name: str, base: Path):
    marker = f"STREETLINE_RUN_TEST={uuid.uuid4().hex}"
    shutil.copy(base, tmp_path / f"{name}.db")
    env = base_env(tmp_path, name)
    env.update(dict([marker.split("=")]), PORT=str(free_port()), REDIS_PORT=str(free_port()),
               NLU_PORT=str(free_port()), RUN_NLU="0", DEMO_DATA="0", WEB_CONCURRENCY="1", WEB_THREADS="2",
               OUTBOX_PATH=str(tmp_path / f"{name}-outbox.jsonl"), SPOOL_DIR=str(tmp_path / f"{name}-spool"),
               MEDIA_DIR=str(tmp_path / f"{name}-media"))
    log = tmp_path / f"{name}.log"
    with open(log, "wb") as out:
        launcher = subprocess.Popen([sys.executable, "-m", "tools.run"], env=env, cwd=ROOT, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
    return launcher, (marker, env["REDIS_PORT"]), log


# Redis, honcho and the Procfile's web, media worker and broadcasts worker (Rasa is left out).
WANTED = ("redis-server", "honcho", "gunicorn", re.compile(r"(rq|bot\.cli) worker"), "broadcast worker")


def running(found: dict[int, str]) -> bool:
    lines = list(found.values())
    return all(any((w.search(c) if isinstance(w, re.Pattern) else w in c) for c in lines) for w in WANTED)



@pytest.mark.timeout(480)  # three launchers start side by side; slow on a busy machine
def test_launcher_ends_every_child_on_sigint_sigterm_and_sighup(tmp_path):
    """The three launchers run side by side (each on its own ports and database) to keep the test short."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    base = prepared(tmp_path)
    runs = {sig: start(tmp_path, sig.name, base) for sig in signals}
    try:
        for sig, (launcher, marker, log) in runs.items():
            def up():
                return "streetline is up" in log.read_text() and running(marked(*marker))
            try:
                wait_for(up, 300, f"{WANTED} under the {sig.name} launcher")
            except AssertionError:
                raise AssertionError(f"{sig.name} launcher: {marked(*marker)}\n{log.read_text()[-3000:]}") from None
        for sig, (launcher, _, _) in runs.items():
            launcher.send_signal(sig)
        for sig, (launcher, marker, log) in runs.items():
            assert launcher.wait(40) == 130, log.read_text()[-2000:]
            survivors = marked(*marker)
            assert not survivors, f"left behind after {sig.name}: {survivors}"
    finally:
        for launcher, marker, _ in runs.values():
            for pid in marked(*marker):
                os.kill(pid, signal.SIGKILL)
            if launcher.poll() is None:
                launcher.kill()
                launcher.wait()
