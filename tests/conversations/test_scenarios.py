"""Every scenario in scenarios/*.yaml, played through signed webhooks against the real app, PostgreSQL
and Redis, once with the in-process fallback matcher and once with the real Rasa server.

A failing scenario prints its whole dialogue (sent, replied, form state and NLU intent after each turn)
and the first expectation that failed. SCENARIO_PRINT=1 with -s prints every dialogue."""
from __future__ import annotations

import os

import pytest

from tests.conversations.dialogue import Player, load

SCENARIOS = load()
RASA = [pytest.mark.rasa, pytest.mark.timeout(400)]  # the first one waits for the server to load
CASES = [pytest.param(s, backend, id=f"{s.id}-{backend}", marks=RASA if backend == "rasa" else ())
         for backend in ("fallback", "rasa") for s in SCENARIOS if backend in s.backends]


def test_there_are_enough_scenarios():
    # The issue asks for at least 120 dialogues across the four demo organizations and five languages.
    assert len(SCENARIOS) >= 120
    assert {s.org for s in SCENARIOS} == {"nairobi-vendors", "pune-wastepickers", "dakar-vendors",
                                          "montevideo-feriantes"}
    assert {s.lang for s in SCENARIOS} == {"en", "sw", "hi", "fr", "es"}


@pytest.mark.parametrize("scenario,backend", CASES)
def test_scenario(scenario, backend, lines, scenario_media, request):
    rasa = request.getfixturevalue("rasa_server") if backend == "rasa" else None
    line = lines(backend, rasa)
    line.reset()
    transcript = Player(line, scenario, backend, scenario_media.url).play()
    if os.environ.get("SCENARIO_PRINT"):  # SCENARIO_PRINT=1 pytest -s: every dialogue, passing or not
        print("\n" + transcript.render())
    if transcript.failures:
        pytest.fail(transcript.report(), pytrace=False)
