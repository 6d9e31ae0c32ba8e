"""Dates and date ranges as people write them in project documents, normalised to `DateSpan`s.

Why not `dateparser.search`: it finds "dates" in "2030 targets", "FI1D7" and "30 %", and it is
slow on running text. Here small, anchored patterns find the *candidates* (a day or year must
sit next to a month word, or the numbers must form a valid d.m.yyyy / ISO date), and dateparser
supplies what it is good at: the multilingual month vocabulary (English, Spanish, Finnish,
German, ... in all their inflected forms), plus a last-resort parse of short date cells.

Conventions: spans are inclusive; a month means its first..last day, a season its three months
(winter runs into the next year), a year Jan 1..Dec 31. A date written without a year takes the
year of the closest earlier dated mention in the same text, else `default_year`; `after` /
`before` move an inferred year on / back so that a planned "May" in a report ending in June is
next May, and a past "September" in a report ending in June is last September.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from assistant.memory.models import DateSpan, Precision

_LANGUAGES = ("en", "es", "fi", "de", "pt", "fr", "it", "sv", "pl", "el")
_MONTH_KEYS = ("january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december")
# English abbreviations are common in the corpus ("3 Sept. 2020"); other languages' short forms
# ("set", "mar", "tammi") collide with ordinary words, so only their long forms are used.
_ENGLISH_SHORT = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                  "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_EXTRA = {"mai": 5, "maj": 5}  # German/French and Swedish May: short but unambiguous next to a day

_SEASONS = {
    "spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12,
    "kevät": 3, "keväällä": 3, "kesä": 6, "kesällä": 6, "syksy": 9, "syksyllä": 9, "talvi": 12,
    "talvella": 12, "frühling": 3, "frühjahr": 3, "sommer": 6, "herbst": 9,
    "primavera": 3, "verano": 6, "otoño": 9, "invierno": 12,
}
_HALVES = {"first": 1, "1st": 1, "second": 7, "2nd": 7}

_YEAR = r"(?:19|20)\d{2}"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|\.)?(?!\d)"
_TO = r"\s*(?:-|–|—|to|and|until|till|bis|y|al|a|ja|–)\s*"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date found in a text: the span and where it was written (`text[start:end]`)."""

    span: DateSpan
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Raw:
    """A candidate before year inference: months/days known, year maybe missing."""

    start: int
    end: int
    precision: Precision
    y1: int | None
    m1: int
    d1: int | None
    y2: int | None
    m2: int
    d2: int | None


@lru_cache(maxsize=1)
def month_words() -> dict[str, int]:
    """Month word -> number, from dateparser's locale data (cached: loading is slow)."""
    words: dict[str, int] = dict(_ENGLISH_SHORT) | _EXTRA
    try:
        from dateparser.languages import default_loader
    except Exception:  # pragma: no cover - dateparser is a dependency; English still works
        default_loader = None
    for lang in _LANGUAGES if default_loader else ():
        try:
            info = default_loader.get_locale(lang).info
        except Exception:
            continue
        for number, key in enumerate(_MONTH_KEYS, start=1):
            for word in info.get(key, []):
                word = word.lower().rstrip(".")
                if len(word) >= 4 and " " not in word:
                    words.setdefault(word, number)
    for number, name in enumerate(_MONTH_KEYS, start=1):
        words[name] = number
    return words


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    mon = "(?:" + "|".join(re.escape(w) for w in sorted(month_words(), key=len, reverse=True)) + r")\.?"
    season = "(?:" + "|".join(sorted(_SEASONS, key=len, reverse=True)) + ")"
    m = lambda name: f"(?P<{name}>{mon})"
    b = r"(?<![\w.])"  # no letter, digit or dot right before (FI1D7, 5.1.2, 1.2.3.2020)
    e = r"(?![\w])"
    specs = [
        (rf"{b}(?P<y1>{_YEAR})-(?P<m1>\d{{1,2}})-(?P<d1>\d{{1,2}}){e}", "iso"),
        ((rf"{b}(?P<d1>\d{{1,2}})\.(?P<m1>\d{{1,2}})\.?\s*[-–]\s*(?P<d2>\d{{1,2}})\.(?P<m2>\d{{1,2}})"
          rf"\.(?P<y1>{_YEAR}){e}"), "num_mrange"),
        (rf"{b}(?P<d1>\d{{1,2}})\.?\s*[-–]\s*(?P<d2>\d{{1,2}})\.(?P<m1>\d{{1,2}})\.(?P<y1>{_YEAR}){e}",
         "num_drange"),
        (rf"{b}(?P<d1>\d{{1,2}})([./])(?P<m1>\d{{1,2}})\2(?P<y1>{_YEAR}){e}", "num"),
        ((rf"{b}(?P<d1>{_DAY})\s*(?:de\s+)?{m('m1')}{_TO}(?P<d2>{_DAY})\s*(?:de\s+)?{m('m2')},?"
          rf"(?:\s*(?:de\s+|del\s+)?(?P<y1>{_YEAR}))?{e}"), "dm_dm"),
        ((rf"{b}(?P<d1>{_DAY})(?:{_TO}(?P<d2>{_DAY}))?\s*(?:de\s+|of\s+)?{m('m1')},?"
          rf"(?:\s*(?:de\s+|del\s+)?(?P<y1>{_YEAR}))?{e}"), "dm"),
        (rf"{b}{m('m1')}\s+(?P<d1>{_DAY})(?:\s*[-–]\s*(?P<d2>{_DAY}))?(?:,?\s+(?P<y1>{_YEAR}))?{e}",
         "md"),
        (rf"{b}{m('m1')}\s*(?:-|–|—|/|to|until|and|or)\s*{m('m2')},?\s+(?:de\s+|of\s+)?(?P<y1>{_YEAR}){e}",
         "mm_y"),
        (rf"{b}{m('m1')},?\s+(?:de\s+|of\s+)?(?P<y1>{_YEAR}){e}", "m_y"),
        (rf"{b}(?P<season>{season})\s+(?:of\s+|de\s+)?(?P<y1>{_YEAR}){e}", "season"),
        ((rf"{b}(?P<half>first|1st|second|2nd)\s+(?:half|semester|half-year)\s+(?:of\s+)?"
          rf"(?P<y1>{_YEAR}){e}"), "half"),
        (rf"{b}{m('m1')}(?:\s*(?:-|–|—|/|to|and|or)\s*{m('m2')})?{e}", "bare_month"),
        (rf"{b}(?P<y1>{_YEAR})(?:\s*[-–]\s*(?P<y2>{_YEAR}))?{e}", "bare_year"),
    ]
    return [(re.compile(p, re.IGNORECASE), kind) for p, kind in specs]


_BARE = {"bare_month", "bare_year"}


def find_dates(
    text: str,
    *,
    default_year: int | None = None,
    after: date | None = None,
    before: date | None = None,
    bare: bool = False,
) -> list[DateMention]:
    """All date mentions in `text`, in order. `bare` also accepts a lone month ("September")
    or year ("2019"): right for a Date cell, wrong for prose ("May", "2030 targets")."""
    try:
        raws = _merge_ranges(text, _candidates(text, bare))
    except Exception:  # odd input must never stop ingest
        return []
    out: list[DateMention] = []
    last_year: int | None = None
    for raw in raws:
        span = _normalise(text, raw, last_year or default_year, after, before)
        if span is None:
            continue
        if raw.y1 is not None and span.end is not None:
            last_year = span.end.year
        out.append(DateMention(span, raw.start, raw.end))
    return out


def parse_date_span(
    text: str,
    *,
    default_year: int | None = None,
    after: date | None = None,
    before: date | None = None,
) -> DateSpan | None:
    """The first date in a short text such as a table's Date cell ("12-13.2.2020",
    "October/November", "Fall 2019", "2019"). None when it holds no date; a DateSpan without
    start/end when it names a month but the year cannot be inferred."""
    if not text or not text.strip():
        return None
    found = find_dates(text, default_year=default_year, after=after, before=before, bare=True)
    if found:
        return found[0].span
    return _dateparser_fallback(text)


def _candidates(text: str, bare: bool) -> list[_Raw]:
    found: list[tuple[int, int, int, _Raw]] = []
    for order, (pattern, kind) in enumerate(_patterns()):
        if kind in _BARE and not bare:
            continue
        for match in pattern.finditer(text):
            if kind in _BARE and not _alone(text, match):
                continue
            raw = _to_raw(match, kind)
            if raw is not None:
                found.append((raw.start, -(raw.end - raw.start), order, raw))
    found.sort(key=lambda t: t[:3])
    chosen: list[_Raw] = []
    for _, _, _, raw in found:
        if not chosen or raw.start >= chosen[-1].end:
            chosen.append(raw)
    return chosen


_QUALIFIERS = frozenset(["early", "mid", "late", "end", "beginning", "start", "of", "in", "the", "by", "approx", "tbc", "tbd", "planned"])


def _alone(text: str, match: re.Match[str]) -> bool:
    """A lone month or year counts only when the cell holds nothing else ("September",
    "early 2021"), so "2030 targets" or "May we" are not dates."""
    rest = text[:match.start()] + " " + text[match.end():]
    return all(word.lower() in _QUALIFIERS for word in re.findall(r"\w+", rest))


def _to_raw(match: re.Match[str], kind: str) -> _Raw | None:
    g = match.groupdict()
    year = int(g["y1"]) if g.get("y1") else None
    start, end = match.span()
    if kind == "season":
        first = _SEASONS[g["season"].lower()]
        last = first + 2
        y2 = year + 1 if last > 12 and year else year
        return _Raw(start, end, "season", year, first, None, y2, (last - 1) % 12 + 1, None)
    if kind == "half":
        first = _HALVES[g["half"].lower()]
        return _Raw(start, end, "month", year, first, None, year, first + 5, None)
    if kind == "bare_year":
        y2 = int(g["y2"]) if g.get("y2") else year
        if year is None or y2 is None or y2 < year:
            return None
        return _Raw(start, end, "year", year, 1, None, y2, 12, None)
    m1 = _month(g.get("m1"))
    m2 = _month(g.get("m2")) or m1
    if m1 is None or m2 is None:
        return None
    d1 = _day(g.get("d1"))
    d2 = _day(g.get("d2")) or d1
    precision: Precision = "day" if d1 is not None else "month"
    return _Raw(start, end, precision, year, m1, d1, year, m2, d2)


def _month(value: str | None) -> int | None:
    if not value:
        return None
    value = value.lower().rstrip(".")
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    return month_words().get(value)


def _day(value: str | None) -> int | None:
    if not value:
        return None
    digits = re.match(r"\d+", value)
    return int(digits.group()) if digits else None


def _merge_ranges(text: str, raws: list[_Raw]) -> list[_Raw]:
    """Join "2017-12-01 to 2019-05-31" and "25 November - 3 December 2020" into one range."""
    out: list[_Raw] = []
    for raw in raws:
        prev = out[-1] if out else None
        if prev is not None and raw.start > prev.end and _is_range_gap(text[prev.end:raw.start]) \
                and prev.precision == raw.precision and prev.precision in ("day", "month"):
            y1 = prev.y1 if prev.y1 is not None else raw.y1
            if prev.y1 is None and raw.y1 is not None and (prev.m1, prev.d1 or 0) > (raw.m2, raw.d2 or 0):
                y1 = raw.y1 - 1
            out[-1] = _Raw(prev.start, raw.end, prev.precision, y1, prev.m1, prev.d1,
                           raw.y2, raw.m2, raw.d2)
            continue
        out.append(raw)
    return out


def _is_range_gap(gap: str) -> bool:
    return bool(re.fullmatch(r"\s*(?:-|–|—|to|until|till|through|bis|al|hasta)\s*", gap, re.IGNORECASE))


def _normalise(text: str, raw: _Raw, default_year: int | None, after: date | None,
               before: date | None) -> DateSpan | None:
    written = text[raw.start:raw.end]
    y1, y2 = raw.y1, raw.y2
    inferred = y1 is None
    if inferred:
        if default_year is None:
            return DateSpan(written)
        y1 = default_year
        y2 = default_year + (1 if (raw.m2, raw.d2 or 0) < (raw.m1, raw.d1 or 0) else 0)
    elif y2 is None:
        y2 = y1 + (1 if raw.precision == "season" and raw.m2 < raw.m1 else 0)
    elif raw.precision in ("day", "month") and y1 == y2 and (raw.m2, raw.d2 or 0) < (raw.m1, raw.d1 or 0):
        y1 -= 1  # "30 December - 2 January 2020": the year belongs to the end
    span = _build(written, raw, y1, y2)
    if span is None or not inferred:
        return span
    if after is not None and span.end is not None and span.end < after:
        return _build(written, raw, y1 + 1, y2 + 1) or span
    if before is not None and span.start is not None and span.start > before:
        return _build(written, raw, y1 - 1, y2 - 1) or span
    return span


def _build(written: str, raw: _Raw, y1: int, y2: int) -> DateSpan | None:
    try:
        start = date(y1, raw.m1, raw.d1 or 1)
        end = date(y2, raw.m2, raw.d2) if raw.d2 else _month_end(y2, raw.m2)
    except ValueError:
        return None
    if end < start:
        return None
    return DateSpan(written.strip(" ,;:"), start, end, raw.precision)  # "25 November," -> as said


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _dateparser_fallback(text: str) -> DateSpan | None:
    """dateparser for short cells our patterns miss ("the 3rd of March 2020"); only when a
    month word is present, since it happily reads "in progress" or "30" as dates."""
    cell = text.strip()
    if len(cell) > 40 or not any(w in month_words() for w in re.findall(r"\w+", cell.lower())):
        return None
    try:
        import dateparser

        parsed = dateparser.parse(
            cell, languages=list(_LANGUAGES),
            settings={"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY",
                      "PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False},
        )
    except Exception:
        return None
    if parsed is None:
        return None
    day = parsed.date()
    return DateSpan(cell, day, day, "day")


_PERIOD_RE = re.compile(
    r"(?:reporting\s+period|period\s+covered(?:\s+by\s+(?:the|this)\s+report)?|"
    r"(?:for|during|over|in|covering)\s+the\s+(?:reporting\s+)?period(?:\s+(?:of|from))?|"
    r"raportointijakso|periodo\s+(?:de\s+)?(?:referencia|informe)|berichtszeitraum)"
    r"\s*[:\-–]?\s*(?:from\s+)?",
    re.IGNORECASE,
)


def find_reporting_period(text: str) -> tuple[DateSpan, int, int] | None:
    """The reporting period a text declares ("Reporting period: January - June 2020", "for the
    period January–June 2020", "Period covered by the report: 2017-12-01 to 2019-05-31"), with
    the offsets of the whole phrase; None when there is none or it is a single day."""
    try:
        for match in _PERIOD_RE.finditer(text):
            rest = text[match.end():match.end() + 80]
            mentions = find_dates(rest)
            if not mentions or mentions[0].start > 2:
                continue
            span = mentions[0].span
            if span.start is None or span.end is None or span.start == span.end:
                continue
            return span, match.start(), match.end() + mentions[0].end
    except Exception:
        return None
    return None

