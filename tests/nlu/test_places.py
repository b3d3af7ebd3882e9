"""nlu/places.py, the one place matcher: the answers, the NLU's place entities and the forms read places
through one index of the org's names."""
from __future__ import annotations

import pytest

from content import load_catalog
from nlu.gazetteer import Gazetteer
from nlu.places import CERTAIN, NOTHING, PlaceIndex, decide


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def nairobi(catalog) -> PlaceIndex:
    return PlaceIndex((p.id, p.all_names()) for p in catalog.places("nairobi-vendors"))


def test_the_nlu_and_the_answers_find_the_same_places(catalog, nairobi):
    gazetteer = Gazetteer.from_content(catalog)
    for text in ("is gikomba open tomorrow", "soko la toi liko wazi kesho?", "marikit", "githomba market"):
        found = gazetteer.find(text, org="nairobi-vendors")
        answer = decide(nairobi.scores(text))
        assert [m.place.id for m in found] == [answer.place_id], text
        assert all(m.score >= CERTAIN for m in found)
    # the span is where the name is written in the message
    [m] = gazetteer.find("Is GIKOMBA open?", org="nairobi-vendors")
    assert (m.text, m.start, m.end) == ("GIKOMBA", 3, 10)


def test_dates_and_generic_words_are_never_a_place(nairobi):
    assert nairobi.scores("the market is open kesho") == {}
    assert decide(nairobi.whole("market")) == NOTHING


def test_a_typed_answer_is_sure_or_suggests(nairobi):
    assert nairobi.typed("soko la gikomba leo").place_id == "nbo.gikomba"
    unsure = nairobi.typed("Gitura")
    assert unsure.place_id is None and unsure.candidates[0] == "nbo.githurai"
    assert nairobi.typed("") == NOTHING
