"""nlu/dates.py, the one date reader: the same words and numbers read as an incident's day (past) and as a
plan's day (to come), for the report form, the answers and organizer commands."""
from __future__ import annotations

from datetime import date

from nlu.dates import date_spans, day_for, incident_day, read_dates

WEDNESDAY = date(2026, 11, 25)


def days(text: str, past: bool) -> list:
    return [s.day for s in read_dates(text, WEDNESDAY, past=past)]


def test_words_mean_the_last_day_for_an_incident_and_the_next_for_a_plan():
    assert days("monday", past=True) == [date(2026, 11, 23)]
    assert days("monday", past=False) == [date(2026, 11, 30)]
    assert days("kal", past=True) == [date(2026, 11, 24)] and days("kal", past=False) == [date(2026, 11, 26)]
    assert days("kesho", past=True) == [None] and days("kesho", past=False) == [date(2026, 11, 26)]
    assert day_for("weekend", WEDNESDAY) == date(2026, 11, 28) and day_for(None, WEDNESDAY) == WEDNESDAY


def test_numbers_take_the_year_that_fits_the_tense():
    assert days("25/12", past=True) == [date(2025, 12, 25)] and days("25/12", past=False) == [date(2026, 12, 25)]
    assert days("5/1", past=False) == [date(2027, 1, 5)] and days("20/11", past=False) == [date(2026, 11, 20)]
    assert days("2026-11-20", past=False) == [date(2026, 11, 20)]  # commands read ISO dates too now
    assert days("26/11/2026", past=True) == [None] and days("31/02", past=False) == [None]
    # 29/02 of a leap year moved to the next year is no date (it used to raise in commands)
    assert [s.day for s in read_dates("29/02", date(2028, 1, 10), past=False)] == [date(2028, 2, 29)]
    assert [s.day for s in read_dates("29/02", date(2028, 12, 10), past=False)] == [None]


def test_an_incident_day_prefers_a_written_date_and_spans_cover_both():
    assert incident_day("jana 20/11", WEDNESDAY) == date(2026, 11, 20)
    assert incident_day("jana", WEDNESDAY) == date(2026, 11, 24) and incident_day("soko", WEDNESDAY) is None
    text = "closed kesho and 30/11"
    assert [text[a:b] for a, b in date_spans(text)] == ["kesho", "30/11"]
