"""Dates as written in the project documents -> DateSpan (assistant.memory.dates)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.memory.dates import find_dates, find_reporting_period, parse_date_span

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
D = date


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("12-13.2.2020", D(2020, 2, 12), D(2020, 2, 13), "day"),
        ("11.3.2020", D(2020, 3, 11), D(2020, 3, 11), "day"),
        ("25th February 2021", D(2021, 2, 25), D(2021, 2, 25), "day"),
        ("11 – 14 March 2019", D(2019, 3, 11), D(2019, 3, 14), "day"),
        ("5-6 April 2017", D(2017, 4, 5), D(2017, 4, 6), "day"),
        ("4-6.4.2017", D(2017, 4, 4), D(2017, 4, 6), "day"),
        ("30.11.-2.12.2020", D(2020, 11, 30), D(2020, 12, 2), "day"),
        ("from 24 to 26 October 2015", D(2015, 10, 24), D(2015, 10, 26), "day"),
        ("On 15 and 16 June 2021", D(2021, 6, 15), D(2021, 6, 16), "day"),
        ("25 November - 3 December 2020", D(2020, 11, 25), D(2020, 12, 3), "day"),
        ("March 28, 2019", D(2019, 3, 28), D(2019, 3, 28), "day"),
        ("Friday, 31 October, 2014", D(2014, 10, 31), D(2014, 10, 31), "day"),
        ("3 Sept. 2020", D(2020, 9, 3), D(2020, 9, 3), "day"),
        ("Mon, 20/05/2019", D(2019, 5, 20), D(2019, 5, 20), "day"),
        ("2020-02-12", D(2020, 2, 12), D(2020, 2, 12), "day"),
        ("2017-12-01 to 2019-05-31", D(2017, 12, 1), D(2019, 5, 31), "day"),
        ("Fall 2019", D(2019, 9, 1), D(2019, 11, 30), "season"),
        ("Autumn 2019", D(2019, 9, 1), D(2019, 11, 30), "season"),
        ("Spring 2020", D(2020, 3, 1), D(2020, 5, 31), "season"),
        ("Winter 2019", D(2019, 12, 1), D(2020, 2, 29), "season"),
        ("January - June 2020", D(2020, 1, 1), D(2020, 6, 30), "month"),
        ("June 2020", D(2020, 6, 1), D(2020, 6, 30), "month"),
        ("first semester of 2017", D(2017, 1, 1), D(2017, 6, 30), "month"),
        ("2019", D(2019, 1, 1), D(2019, 12, 31), "year"),
        # month words from dateparser's locale data
        ("9 de abril de 2019", D(2019, 4, 9), D(2019, 4, 9), "day"),
        ("4. huhtikuuta 2017", D(2017, 4, 4), D(2017, 4, 4), "day"),
        ("tammikuussa 2017", D(2017, 1, 1), D(2017, 1, 31), "month"),
        ("16. November 2017", D(2017, 11, 16), D(2017, 11, 16), "day"),
        ("im August 2017", D(2017, 8, 1), D(2017, 8, 31), "month"),
    ],
)
def test_written_forms_normalise(text, start, end, precision):
    span = parse_date_span(text)
    assert span is not None
    assert (span.start, span.end, span.precision) == (start, end, precision)


def test_year_is_inferred_from_the_default_year():
    span = parse_date_span("October/November", default_year=2020)
    assert (span.start, span.end, span.precision) == (D(2020, 10, 1), D(2020, 11, 30), "month")
    assert span.iso() == "2020-10/2020-11"


def test_planned_month_before_the_reference_moves_to_next_year():
    end = D(2020, 6, 30)
    assert parse_date_span("September", default_year=2020, after=end).start == D(2020, 9, 1)
    assert parse_date_span("May", default_year=2020, after=end).start == D(2021, 5, 1)


def test_past_month_after_the_reference_moves_to_last_year():
    span = parse_date_span("September", default_year=2020, before=D(2020, 6, 30))
    assert span.start == D(2019, 9, 1)


def test_month_without_any_year_keeps_the_text_only():
    span = parse_date_span("September")
    assert span is not None and span.text == "September" and span.start is None


def test_year_carries_over_within_a_text():
    found = find_dates("A workshop from 24 to 26 October 2015. The focus on 25 October was ...")
    assert [m.span.start for m in found] == [D(2015, 10, 24), D(2015, 10, 25)]


@pytest.mark.parametrize("text", [
    "the EU energy and climate targets for 2030", "Lapland (FI) FI1D7", "about 30 % of GDP",
    "call +358 40 123 4567", "version 5.1.2 of Ley 5/2019", "May we suggest", "COM(2008)699",
    "Goal 1. End poverty",
])
def test_no_dates_in_prose_false_friends(text):
    assert find_dates(text) == []


@pytest.mark.parametrize("cell", ["2030 targets", "in progress", "FI1D7", "30 %", ""])
def test_cells_that_are_not_dates(cell):
    assert parse_date_span(cell, default_year=2020) is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Reporting period: January - June 2020", D(2020, 1, 1), D(2020, 6, 30)),
        ("This covers activities for the period January–June 2020.", D(2020, 1, 1), D(2020, 6, 30)),
        ("Period covered by the report: 2017-12-01 to 2019-05-31", D(2017, 12, 1), D(2019, 5, 31)),
    ],
)
def test_reporting_period_is_found(text, start, end):
    found = find_reporting_period(text)
    assert found is not None
    span, a, b = found
    assert (span.start, span.end) == (start, end)
    assert text[a:b].endswith(span.text)


def test_reporting_period_needs_a_period_phrase():
    assert find_reporting_period("The meeting was held in January - June 2020.") is None


# --- properties ----------------------------------------------------------------------

days = st.dates(min_value=D(1950, 1, 1), max_value=D(2090, 12, 31))


@settings(max_examples=150, deadline=None)
@given(days)
def test_dotted_dates_round_trip(d):
    span = parse_date_span(f"{d.day}.{d.month}.{d.year}")
    assert (span.start, span.end, span.precision) == (d, d, "day")


@settings(max_examples=150, deadline=None)
@given(days)
def test_day_monthname_year_round_trips(d):
    span = parse_date_span(f"{d.day} {MONTHS[d.month - 1]} {d.year}")
    assert (span.start, span.end) == (d, d)


@settings(max_examples=150, deadline=None)
@given(days)
def test_iso_round_trips(d):
    span = parse_date_span(d.isoformat())
    assert (span.start, span.end) == (d, d)
    assert span.iso() == d.isoformat()


@settings(max_examples=150, deadline=None)
@given(days, st.integers(min_value=0, max_value=27))
def test_day_ranges_are_ordered(d, extra):
    last = min(d.day + extra, 28) if d.day <= 28 else d.day
    span = parse_date_span(f"{d.day}-{last}.{d.month}.{d.year}")
    assert span is not None
    assert span.start == d and span.start <= span.end


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_never_raises_and_spans_are_ordered(text):
    for mention in find_dates(text, default_year=2020):
        span = mention.span
        assert span.start is None or span.start <= span.end
        assert text[mention.start:mention.end] == span.text
    span = parse_date_span(text, default_year=2020)
    assert span is None or span.start is None or span.start <= span.end
    find_reporting_period(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["12", "3", "2020", ".", "-", " ", "March", "to", "/", "and",
                                 "Fall", "1999", "31", "FI1D7", "%", "–", "de"]), max_size=12))
def test_date_like_noise_never_raises(parts):
    text = "".join(parts)
    for mention in find_dates(text, default_year=2021, bare=True):
        assert mention.span.start is None or mention.span.start <= mention.span.end
