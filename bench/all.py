"""`make bench`: every benchmark in bench/, one after another, at short sizes, each one's ratio to its
floor (measured in the same run), then one JSON line with all of them.

    .venv/bin/python bench/all.py                 # short sizes: 10-15 minutes on 2 cores
    BENCH_FULL=1 .venv/bin/python bench/all.py    # each benchmark at its own default sizes
    .venv/bin/python bench/all.py inbound nlu     # only these

A benchmark added to bench/ later runs too (with no arguments) until it gets a line in SHORT. Ratios are
read from each benchmark's last stdout line (its JSON summary): every number whose key is or holds the word "ratio",
at the top or up to two levels down. Each benchmark's own progress goes to stderr as it runs.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOT_BENCHMARKS = {"all.py", "floor_app.py"}  # this runner; the floor app inbound.py serves
# profile_*.py are profilers (where the CPU goes), not benchmarks with a floor: run them by hand.

# Short sizes: enough to measure a ratio, not enough to hog a shared 2-core machine.
SHORT: dict[str, list[str]] = {
    "inbound": ["--concurrency", "8", "--duration", "5", "--warmup", "2"],
    "nlu": ["--messages", "150", "--rounds", "1"],
    "organizer": ["--reports", "20000", "--rounds", "1"],  # at 5,000 the workbook's fixed cost rules XLSX (x9.5)
    "broadcast": ["--scale", "0.25"],  # at 0.1 (2,000 at 400/s) the ramp-up rules the rate (0.74)
    "broadcast_million": ["--contacts", "100000", "--drain-seconds", "10"],
    "outage": ["--rate", "40", "--duration", "20", "--down-at", "5", "--down-for", "5"],
    "scale": ["--recipients", "2000", "--rate", "200"],
    "evidence": ["--reports", "5000", "--runs", "2"],
}
# At every size: the skeleton (the floor plus the line's unavoidable round trips) is what says how far
# the app's own logic is from the floor.
ALWAYS: dict[str, list[str]] = {"inbound": ["--skeleton"]}
FIRST = ["inbound", "nlu", "organizer", "broadcast", "broadcast_million", "scale", "polls", "outage"]


def benchmarks() -> list[str]:
    found = {p.stem for p in HERE.glob("*.py")
             if not p.name.startswith(("_", "profile_")) and p.name not in NOT_BENCHMARKS}
    return [n for n in FIRST if n in found] + sorted(found - set(FIRST))


RATIO_KEY = re.compile(r"(^|_)ratio(_|$)")  # ratio, ratio_to_floor, cpu_ratio: not duration_s


def _is_ratio(key: str, value) -> bool:
    return bool(RATIO_KEY.search(key)) and isinstance(value, (int, float)) and not isinstance(value, bool)


def ratios(summary: dict) -> dict[str, float]:
    """Every number under a key that is or holds the word "ratio", at the top of the summary or one or
    two levels down."""
    found: dict[str, float] = {}
    for key, value in summary.items():
        if _is_ratio(key, value):
            found[key] = value
        elif isinstance(value, dict):
            for sub, inner in value.items():
                if isinstance(inner, dict):
                    found.update({f"{key}.{sub}.{k}": v for k, v in inner.items() if _is_ratio(k, v)})
                elif _is_ratio(sub, inner):
                    found[f"{key}.{sub}"] = inner
    return found


def run(name: str, full: bool) -> dict:
    args = ([] if full else SHORT.get(name, [])) + ALWAYS.get(name, [])
    cmd = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"== {name}: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    seconds = round(time.monotonic() - started, 1)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    try:
        summary = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        summary = None
    if not isinstance(summary, dict):  # a benchmark whose goal is not met may exit 1 after its summary
        return {"name": name, "args": args, "seconds": seconds, "exit": done.returncode,
                "error": f"no JSON summary (exit {done.returncode})"}
    goal = next((summary[k] for k in ("goal_met", "goals_met") if k in summary), None)
    return {"name": name, "args": args, "seconds": seconds, "exit": done.returncode, "ratios": ratios(summary),
            "goal_met": goal, "summary": summary}


def main(argv: list[str]) -> int:
    full = os.environ.get("BENCH_FULL") == "1"
    names = argv or benchmarks()
    unknown = [n for n in names if not (HERE / f"{n}.py").exists()]
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(benchmarks())})", file=sys.stderr)
        return 2
    results = [run(name, full) for name in names]
    print("\nbenchmark     seconds  goal   ratio to its floor", file=sys.stderr)
    for r in results:
        shown = "  ".join(f"{k}={v}" for k, v in r.get("ratios", {}).items()) or r.get("error") or "no ratio printed"
        goal = {True: "met", False: "NOT met", None: "-"}[r.get("goal_met")]
        print(f"{r['name']:<12} {r['seconds']:>8}  {goal:<6} {shown}", file=sys.stderr)
    print(json.dumps({"full": full, "benchmarks": [{k: v for k, v in r.items() if k != "summary"}
                                                     for r in results]}, separators=(",", ":")))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
