"""Segment counting, and the stand-in as a process (`python -m standin.twilio_api`, as `make run` starts it)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from standin.bench_twilio import free_port
from standin.client import local_twilio_client
from standin.sms import count_segments


@pytest.mark.parametrize("text, encoding, segments, units", [
    ("", "GSM-7", 1, 0),
    ("a" * 160, "GSM-7", 1, 160),
    ("a" * 161, "GSM-7", 2, 161),
    ("a" * 306, "GSM-7", 2, 306),
    ("a" * 307, "GSM-7", 3, 307),
    ("€" * 80, "GSM-7", 1, 160),
    ("[]" * 41, "GSM-7", 2, 164),
    ("Soko la Gikomba: bei ya nyanya ni KSh 50/kg", "GSM-7", 1, 43),
    ("“quoted”", "UCS-2", 1, 8),
    ("a" * 70 + "👋", "UCS-2", 2, 72),
    ("ब" * 70, "UCS-2", 1, 70),
    ("ब" * 135, "UCS-2", 3, 135),
])
def test_segments(text, encoding, segments, units):
    info = count_segments(text)
    assert (info.encoding, info.segments, info.units) == (encoding, segments, units)


@pytest.mark.slow
def test_cli_serves_and_stops_on_sigterm(receiver):
    port = free_port()
    sid, token = "AC" + "c" * 32, receiver.token
    proc = subprocess.Popen(
        [sys.executable, "-m", "standin.twilio_api", "--port", str(port), "--account-sid", sid, "--auth-token", token,
         "--rate", "400", "--callback-base", receiver.url, "--callback-delay", "0",
         "--status-callback", "https://streetline.example.org/twilio/status"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    receiver.public_base = "https://streetline.example.org"
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        client = local_twilio_client(f"http://127.0.0.1:{port}", sid, token)
        try:
            msg = client.messages.create(to="+254711000001", from_="+254709990001", body="hi")
            assert client.messages(msg.sid).fetch().body == "hi"
            assert [m.sid for m in client.messages.list(to="+254711000001")] == [msg.sid]
        finally:
            client.http_client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "3 requests, 1 messages, 0 violations" in err
    assert receiver.statuses(msg.sid)[:1] == ["queued"]
    assert all(r["valid"] for r in receiver.received)
