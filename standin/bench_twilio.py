"""Throughput of message creates against the Twilio stand-in, through twilio-python's real Client.

    python -m standin.bench_twilio                    # starts the stand-in in a subprocess (like `make run`)
    python -m standin.bench_twilio --url http://127.0.0.1:8010 --account-sid AC... --auth-token ...
    python -m standin.bench_twilio --threads 16 --messages 3000 --no-spec-check --callbacks

Prints creates per second and latency percentiles. The load generator runs in this process, the stand-in in
another one, so the two do not share a GIL.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from twilio.base.exceptions import TwilioRestException

from standin.client import local_twilio_client

ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token"


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def standin_process(port: int, extra: list[str]) -> Iterator[str]:
    cmd = [sys.executable, "-m", "standin.twilio_api", "--port", str(port), "--account-sid", ACCOUNT,
           "--auth-token", TOKEN, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "stand-in on" not in line:
            raise RuntimeError(f"stand-in did not start: {line!r}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


class _Sink(BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _Sink.lock:
            _Sink.count += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def run(url: str, sid: str, token: str, threads: int, messages: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    per_thread = messages // threads

    def worker(n: int) -> None:
        client = local_twilio_client(url, sid, token, timeout=10)
        mine, bad = [], {}
        try:
            for i in range(per_thread):
                t0 = time.perf_counter()
                try:
                    client.messages.create(to=f"+2547{n:02d}{i:06d}", from_="+254709990001",
                                           body=f"Bench message {i} from worker {n}: market opens at 6.")
                    mine.append(time.perf_counter() - t0)
                except TwilioRestException as exc:
                    bad[str(exc.code)] = bad.get(str(exc.code), 0) + 1
        finally:
            client.http_client.close()
        with lock:
            latencies.extend(mine)
            for k, v in bad.items():
                errors[k] = errors.get(k, 0) + v

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"created": len(latencies), "errors": errors, "seconds": elapsed,
            "creates_per_s": len(latencies) / elapsed, "p50_ms": pct(0.5), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin.bench_twilio")
    parser.add_argument("--url", help="an already running stand-in (default: start one)")
    parser.add_argument("--account-sid", default=ACCOUNT)
    parser.add_argument("--auth-token", default=TOKEN)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--no-spec-check", action="store_true")
    parser.add_argument("--callbacks", action="store_true", help="send status callbacks to a local sink")
    args = parser.parse_args(argv)

    if args.url:
        result = run(args.url, args.account_sid, args.auth_token, args.threads, args.messages)
    else:
        extra = ["--no-spec-check"] if args.no_spec_check else []
        sink = None
        if args.callbacks:
            sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
            threading.Thread(target=sink.serve_forever, daemon=True).start()
            extra += ["--status-callback", f"http://127.0.0.1:{sink.server_port}/status", "--callback-delay", "0"]
        try:
            with standin_process(free_port(), extra) as url:
                result = run(url, ACCOUNT, TOKEN, args.threads, args.messages)
                if sink is not None:
                    time.sleep(1.0)
                    result["callbacks_received"] = _Sink.count
        finally:
            if sink is not None:
                sink.shutdown()
                sink.server_close()
    print(f"creates: {result['created']} in {result['seconds']:.2f}s = {result['creates_per_s']:.0f}/s "
          f"(threads {args.threads}, spec check {'off' if args.no_spec_check else 'on'}, "
          f"callbacks {'on' if args.callbacks else 'off'}, cpus {os.cpu_count()})")
    print(f"latency ms: p50 {result['p50_ms']:.1f}  p95 {result['p95_ms']:.1f}  p99 {result['p99_ms']:.1f}"
          + (f"  errors {result['errors']}" if result["errors"] else "")
          + (f"  callbacks received {result['callbacks_received']}" if "callbacks_received" in result else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
