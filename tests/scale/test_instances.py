"""Two web instances and three broadcast workers (plus the Procfile's worker) on one PostgreSQL and one
Redis, a broadcast and inbound webhooks at the same time: bench/scale.py at a small size, as a test."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_web_instances_and_three_workers_lose_and_repeat_nothing():
    done = subprocess.run([sys.executable, "bench/scale.py", "--recipients", "600", "--rate", "100"], cwd=ROOT,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    inbound, broadcast = figures["inbound"], figures["broadcast"]
    assert all(n > 0 for n in inbound["answered"].values()) and len(inbound["answered"]) == 2, inbound
    assert inbound["errors"] == 0 and inbound["lost"] == 0 and inbound["stored"] >= sum(inbound["answered"].values())
    assert (broadcast["accepted"], broadcast["duplicates"], broadcast["lost"]) == (600, 0, 0), broadcast
    assert len(broadcast["jobs_per_worker"]) == 3, "a broadcast worker took no drain job"
    assert figures["goal_met"] is True
