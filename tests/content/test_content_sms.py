"""Segment counting (GSM-7 basic + extension, UCS-2, surrogate pairs) and smart encoding."""
import pytest

from content.sms import GSM7_EXTENSION, is_gsm7, segment_info, smart_encode, split_segments


@pytest.mark.parametrize(("text", "encoding", "segments", "units"), [
    ("", "GSM-7", 0, 0),
    ("a" * 160, "GSM-7", 1, 160),
    ("a" * 161, "GSM-7", 2, 161),
    ("a" * 306, "GSM-7", 2, 306),      # 2 x 153
    ("a" * 307, "GSM-7", 3, 307),
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!¡¿§ÄÖÑÜäöñüà", "GSM-7", 1, 42),  # basic table, 1 septet each
    ("{" * 80, "GSM-7", 1, 160),        # extension characters count 2
    ("{" * 81, "GSM-7", 2, 162),
    ("€" * 81, "GSM-7", 2, 162),
    ("a" * 159 + "[", "GSM-7", 2, 161),
    ("\f^{}\\[~]|€", "GSM-7", 1, 20),
    ("अ" * 70, "UCS-2", 1, 70),
    ("a" * 69 + "’", "UCS-2", 1, 70),  # one curly quote makes it all UCS-2
    ("अ" * 71, "UCS-2", 2, 71),
    ("अ" * 134, "UCS-2", 2, 134),      # 2 x 67
    ("अ" * 135, "UCS-2", 3, 135),
    ("😀" * 35, "UCS-2", 1, 70),        # surrogate pairs: 2 units each
    ("😀" * 36, "UCS-2", 2, 72),
    ("😀" * 67, "UCS-2", 3, 134),       # 33 pairs per 67-unit part, never split: 33+33+1
    ("{}" + "é" * 70, "GSM-7", 1, 74),  # é is GSM-7; {} count 2 each
])
def test_segment_info(text, encoding, segments, units):
    info = segment_info(text)
    assert (info.encoding, info.segments, info.units) == (encoding, segments, units)


def test_extension_table_is_the_3gpp_one():
    assert GSM7_EXTENSION == frozenset("\f^{}\\[~]|€")


def test_escape_pair_is_never_split_across_parts():
    text = "a" * 152 + "{" + "b" * 10  # the "{" needs septets 153-154: it moves to part 2
    parts = split_segments(text)
    assert [len(p) for p in parts] == [152, 11]
    assert segment_info(text).segments == 2


def test_surrogate_pair_is_never_split_across_parts():
    text = "a" * 66 + "😀" + "b" * 10
    parts = split_segments(text)
    assert parts[0] == "a" * 66 and parts[1].startswith("😀")
    assert all(sum(2 if ord(c) > 0xFFFF else 1 for c in p) <= 67 for p in parts)


def test_split_segments_single_and_empty():
    assert split_segments("hello") == ["hello"]
    assert split_segments("") == []
    assert "".join(split_segments("x" * 500)) == "x" * 500


@pytest.mark.parametrize(("raw", "expected"), [
    ("“Hello” ‘you’", "\"Hello\" 'you'"),
    ("it’s", "it's"),
    ("«oui»", "\"oui\""),
    ("9–5 — now", "9-5 - now"),
    ("wait…", "wait..."),
    ("a\u00a0b\u2009c\u202fd\u3000e", "a b c d e"),       # non-breaking and other unicode spaces
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("soft\u00adhyphen", "softhyphen"),
    ("• one", "- one"),
    ("ＡＢＣ１２３", "ABC123"),                           # full-width forms
    ("price ½", "price 1/2"),
    ("tab\tstop", "tab stop"),
])
def test_smart_encode_look_alikes(raw, expected):
    out = smart_encode(raw)
    assert out == expected
    assert is_gsm7(out)
    assert segment_info(out).encoding == "GSM-7"


def test_smart_encode_keeps_gsm7_and_other_scripts():
    assert smart_encode("Marché Tilène, ñandú? ¿Sí?") == "Marché Tilène, ñandú? ¿Sí?"  # only look-alikes
    assert smart_encode("मंडी बंद – कल") == "मंडी बंद - कल"  # Devanagari stays (UCS-2 by nature)
    assert segment_info(smart_encode("मंडी")).encoding == "UCS-2"


def test_smart_encode_fold_accents():
    assert smart_encode("inscripción Tristán Parque Rodó", fold_accents=True) == "inscripcion Tristan Parque Rodo"
    # GSM-7 has é è à ù ñ ü: they stay
    assert smart_encode("déjà où ñ ü façon être", fold_accents=True) == "déjà où ñ ü facon etre"
    assert smart_encode("मंडी", fold_accents=True) == "मंडी"
    assert smart_encode("😀", fold_accents=True) == "😀"


def test_smart_encode_is_idempotent():
    s = "“Tristán” – ½ … \u00a0ok"
    once = smart_encode(s, fold_accents=True)
    assert smart_encode(once, fold_accents=True) == once
