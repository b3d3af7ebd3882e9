"""`make run`: everything on embedded defaults, one command.

Starts a Redis of its own when REDIS_URL is unset, migrates the SQLite default, loads the demo
content, then hands over to honcho for the Procfile's web, worker, broadcasts and nlu processes
(RUN_NLU=0 leaves out the Rasa server; the in-process fallback answers). Each demo organization gets its
demo history once (bot/desk/demo.py; DEMO_DATA=0 skips it; never in production).

It leaves nothing behind however it ends. SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed) all
stop honcho, which stops its processes; honcho runs in a session of its own so a closed terminal's
SIGHUP, which honcho does not handle, reaches only us. We are the child subreaper, so anything honcho
leaves orphaned (honcho killed, or crashed writing to a closed terminal) becomes our child and is
ended before Redis is stopped.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from localservers import RedisServer
from localservers.ports import wait_for_port

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_CHILD_SUBREAPER = 36


def _interrupt(signum, frame):
    for other in STOP_SIGNALS:  # a second signal must not cut the clean-up short
        signal.signal(other, signal.SIG_IGN)
    if signum == signal.SIGHUP:  # the terminal is gone: writing to it would fail mid clean-up
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    raise KeyboardInterrupt


def _become_subreaper() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: orphans go to init as usual
        pass


def _children() -> list[int]:
    """Our live child processes, from /proc (orphans adopted as subreaper included)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == me and state != "Z":
                found.append(int(entry))
    return found


def _end_children(spare: set[int], grace: float = 5.0) -> None:
    """SIGTERM every child but `spare`, SIGKILL what is left after `grace` seconds, reap them all."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [pid for pid in _children() if pid not in spare]
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while left and time.monotonic() < deadline:
            left = [pid for pid in _children() if pid not in spare]
            time.sleep(0.05)
        if not left:
            break
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def _web_up(honcho: subprocess.Popen, port: int) -> bool:
    """Wait for the web process however slow the machine is, unless honcho gives up first."""
    while honcho.poll() is None:
        try:
            wait_for_port(port, 1)
            return True
        except TimeoutError:
            continue
    return False


def _stop(honcho: subprocess.Popen) -> int:
    """honcho stops its processes on SIGTERM (SIGKILL after 5 s); its group is killed if it hangs."""
    if honcho.poll() is None:
        honcho.send_signal(signal.SIGTERM)
    try:
        return honcho.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(honcho.pid, signal.SIGKILL)
        return honcho.wait()


def main() -> int:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)
    _become_subreaper()
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    env.setdefault("PORT", "8000")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{env['PORT']}")
    env.setdefault("TWILIO_AUTH_TOKEN", "dev-auth-token")
    env.setdefault("NLU_PORT", "5005")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env['NLU_PORT']}")
    env.setdefault("RASA_TOKEN", _dev_secret("rasa-token"))
    env.setdefault("SECRET_KEY", _dev_secret("secret-key"))
    env.setdefault("STREETLINE_DEMO_PASSWORD", _dev_secret("demo-password"))
    processes = ["web", "worker", "broadcasts"] + (["nlu"] if env.get("RUN_NLU", "1") != "0" else [])
    redis = honcho = None
    try:
        if not env.get("REDIS_URL"):
            redis = RedisServer(port=int(env.get("REDIS_PORT", "6390")), directory=str(VAR / "redis"))
            redis.start()
            env["REDIS_URL"] = redis.url
            print(f"started redis on {redis.url}", flush=True)
        steps = [["migrate"], ["load-content"], ["user", "demo"]]
        if env.get("DEMO_DATA", "1") != "0" and env.get("STREETLINE_ENV") != "production":  # once per demo org
            steps.append(["demo", "load", "--all", "--if-missing"])
        for step in steps:
            subprocess.run([sys.executable, "-m", "bot.cli", *step], env=env, cwd=ROOT, check=True)
        _banner(env)
        honcho = subprocess.Popen([str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile", *processes],
                                  env=env, cwd=ROOT, start_new_session=True)
        if not _web_up(honcho, int(env["PORT"])):
            return honcho.wait()
        print(f"\nstreetline is up: http://127.0.0.1:{env['PORT']}/healthz -- in another terminal: make chat\n",
              flush=True)
        return honcho.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        if honcho is not None:
            _stop(honcho)
        _end_children(spare={redis.proc.pid} if redis and redis.proc else set())
        if redis:
            redis.stop()


def _dev_secret(name: str) -> str:
    """A local secret kept under var/ so `make chat` and restarts agree on it."""
    path = VAR / name
    if not path.exists():
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip()


def _banner(env: dict) -> None:
    print("\nstreetline on embedded defaults")
    print(f"  database   {env.get('DATABASE_URL') or 'sqlite: var/streetline.db'}")
    print(f"  redis      {env['REDIS_URL']}")
    print(f"  nlu        {env['RASA_URL']} (answers through the fallback matcher until it is ready)")
    print(f"  outbound   {'Twilio' if env.get('TWILIO_ACCOUNT_SID') else 'local outbox var/outbox.jsonl'}")
    print("  demo numbers to text with `make chat`: see README.md")
    print(f"  organizers {env['PUBLIC_BASE_URL']}/login as admin@nairobi-vendors.demo (or another demo org),")
    print(f"             password {env['STREETLINE_DEMO_PASSWORD']} (var/demo-password)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
