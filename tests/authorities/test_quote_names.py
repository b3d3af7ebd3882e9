"""Names out of quoted reports where no capital letter gives them away: Devanagari has none, and workers
type in lower case. A word beside a title (content/name_titles.yaml: "shri", "bwana", "ji", "दीदी") is a
name; a second word of it goes too unless it is a postposition or the like; "mama yangu" (my mother) is
no name."""
from __future__ import annotations

import pytest

from bot.desk.quotes import NAME, clean
from content import name_titles

PLACES = frozenset({"gikomba", "toi", "hadapsar"})


@pytest.mark.parametrize("said, quoted", [
    ("रमेश जी ने कहा कि पुलिस ने हमारा माल ले लिया", "[name] जी ने कहा कि पुलिस ने हमारा माल ले लिया"),
    ("श्री सुनील पवार ने हमें हडपसर से भगा दिया", "श्री [name] ने हमें हडपसर से भगा दिया"),
    ("सुनील पवार जी आए और ठेला ले गए", "[name] जी आए और ठेला ले गए"),
    ("मेरी सुनीता दीदी को पुलिस ने मारा", "मेरी [name] दीदी को पुलिस ने मारा"),
    ("hawaldar ne kaha shri ramesh se baat karo", "hawaldar ne kaha shri [name] se baat karo"),
    ("sunita didi ka thela tod diya", "[name] didi ka thela tod diya"),
    ("polisi walichukua mali ya bwana juma sokoni", "polisi walichukua mali ya bwana [name] sokoni"),
    ("mama yangu alifukuzwa Gikomba jana", "mama yangu alifukuzwa Gikomba jana"),
    ("the askari took goods from mr otieno at toi", "the askari took goods from mr [name] at toi"),
    ("Dr. kamau Otieno saw it at the gate", "Dr. [name] saw it at the gate"),
])
def test_a_word_beside_a_title_is_a_name_in_any_script_and_case(said, quoted):
    assert clean(said, keep=PLACES) == quoted


def test_a_place_beside_a_title_stays_and_whole_devanagari_words_are_kept_whole():
    assert clean("bwana Gikomba market was closed", keep=PLACES) == "bwana Gikomba market was closed"
    # Python's \w alone cuts "रमेश" at its vowel sign: the name must go whole, not leave "श" behind
    assert clean("रमेश भाई का ठेला", keep=PLACES) == f"{NAME} भाई का ठेला"


def test_the_titles_are_lower_case_and_cover_every_language_of_the_line():
    import yaml

    data = yaml.safe_load(name_titles.DEFAULT.read_text(encoding="utf-8"))
    languages = set(yaml.safe_load((name_titles.DEFAULT.parent / "languages.yaml").read_text())["system_languages"])
    for side in ("before", "after"):
        assert set(data[side]) == languages, side
        for words in data[side].values():
            assert all(str(w) == str(w).casefold() for w in words or ()), words
    titles = name_titles.load()
    assert not (titles.before | titles.after) & titles.not_names
