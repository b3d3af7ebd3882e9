"""NLU latency and throughput: fallback matcher in-process, NluClient -> Rasa, NluClient cache hits.

    .venv/bin/python bench/nlu.py --start-server [--n 300] [--threads 1,8]
    .venv/bin/python bench/nlu.py --url http://127.0.0.1:5005 --token T

Prints one line per scenario (parses/s, p50, p99 in ms) and a final JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.client import NluClient  # noqa: E402
from nlu.fallback import FallbackMatcher  # noqa: E402
from nlu.trainingdata import load_file  # noqa: E402

HELDOUT = Path(__file__).resolve().parents[1] / "nlu" / "tests_data" / "heldout.yml"


def run(name: str, fn, texts: list[str], threads: int) -> dict:
    lat: list[float] = []

    def one(t: str) -> None:
        t0 = time.perf_counter()
        fn(t)
        lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    if threads == 1:
        for t in texts:
            one(t)
    else:
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(one, texts))
    wall = time.perf_counter() - t0
    lat.sort()
    r = {"scenario": name, "threads": threads, "n": len(texts), "per_s": round(len(texts) / wall, 1),
         "p50_ms": round(statistics.median(lat), 2), "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2)}
    print(f"{name:>22} x{threads}: {r['per_s']:>7}/s  p50 {r['p50_ms']:>7} ms  p99 {r['p99_ms']:>7} ms", flush=True)
    return r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("RASA_URL"))
    ap.add_argument("--token", default=os.environ.get("RASA_TOKEN"))
    ap.add_argument("--start-server", action="store_true")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--threads", default="1,8")
    args = ap.parse_args()
    base = [e.text for e in load_file(HELDOUT)]
    texts = [f"{base[i % len(base)]} {i}" for i in range(args.n)]  # unique: no cache hits
    threads = [int(t) for t in args.threads.split(",")]
    results = []
    t0 = time.perf_counter()
    matcher = FallbackMatcher.load()
    results.append({"scenario": "fallback_load", "seconds": round(time.perf_counter() - t0, 3)})
    print(f"fallback load: {results[-1]['seconds']} s")
    for th in threads:
        results.append(run("fallback", lambda t: matcher.parse(t), texts, th))
    server = None
    try:
        url, token = args.url, args.token
        if args.start_server:
            from nlu.server import start_rasa

            t0 = time.perf_counter()
            token = token or "bench"
            server = start_rasa(token=token)
            url = server.url
            results.append({"scenario": "rasa_start", "seconds": round(time.perf_counter() - t0, 1)})
            print(f"rasa start: {results[-1]['seconds']} s")
        if url:
            import redis as redis_lib  # noqa: F401  (optional; a dict-like cache stands in)

            class DictCache(dict):
                def get(self, k):  # noqa: D401
                    return super().get(k)

                def set(self, k, v, ex=None):
                    self[k] = v

            for th in threads:
                client = NluClient(url, token=token, timeout=5, fallback=matcher, pool_size=max(8, th))
                results.append(run("rasa (no cache)", lambda t: client.parse(t), texts, th))
                client.close()
            cached = NluClient(url, token=token, timeout=5, fallback=matcher, redis=DictCache())
            for t in texts:
                cached.parse(t)
            results.append(run("rasa (cache hits)", lambda t: cached.parse(t), texts, 1))
            cached.close()
            if server is not None:
                results.append({"scenario": "rasa_rss_mb", "value": round(server.rss_mb() or 0, 1)})
                print(f"rasa RSS: {results[-1]['value']} MB")
    finally:
        if server is not None:
            server.stop()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
