"""`make run`: everything on embedded defaults, one command.

Starts a Redis of its own when REDIS_URL is unset, migrates the SQLite default, loads the demo
content, then hands over to honcho for the Procfile's web, worker and nlu processes.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from localservers import RedisServer
from localservers.ports import wait_for_port

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # stop honcho and our Redis on `kill` too
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
    redis = None
    if not env.get("REDIS_URL"):
        redis = RedisServer(port=int(env.get("REDIS_PORT", "6390")), directory=str(VAR / "redis")).start()
        env["REDIS_URL"] = redis.url
        print(f"started redis on {redis.url}", flush=True)
    try:
        for step in (["migrate"], ["load-content"], ["user", "demo"]):
            subprocess.run([sys.executable, "-m", "bot.cli", *step], env=env, cwd=ROOT, check=True)
        _banner(env)
        honcho = subprocess.Popen([str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile",
                                   "web", "worker", "broadcasts", "nlu"], env=env, cwd=ROOT)
        try:
            wait_for_port(int(env["PORT"]), 60)
            print(f"\nstreetline is up: http://127.0.0.1:{env['PORT']}/healthz -- in another terminal: make chat\n",
                  flush=True)
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            return honcho.wait()
    finally:
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
