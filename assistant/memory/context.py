"""What the extractors need to know about the whole document: its reporting period, its own
date (when it was posted / published) and the year to give dates written without one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.memory.dates import find_dates, find_reporting_period
from assistant.memory.models import DateSpan, ReportingPeriod
from assistant.memory.units import SourceLocator, Unit
from assistant.models import Document

_DATED_RE = re.compile(
    r"^\W*(?:posted|published|date|dated|last\s+updated|updated|issued|fecha|última\s+actualización|"
    r"julkaistu|päivitetty|veröffentlicht|stand|datum)\b", re.IGNORECASE)
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})(?:/|$)")
_YEAR_RE = re.compile(r"(?<![\w.])((?:19|20)\d{2})(?![\w])")
_HEAD_BLOCKS = 6


@dataclass(frozen=True, slots=True)
class DocContext:
    """`reference` is the date statuses are judged against: the period's end, else the
    document's own date; `default_year` fills dates written without a year."""

    period: ReportingPeriod | None
    doc_date: date | None
    default_year: int | None

    @property
    def reference(self) -> date | None:
        return self.period.end if self.period else self.doc_date


def reporting_period(doc: Document, units: list[Unit], locator: SourceLocator
                     ) -> ReportingPeriod | None:
    """The first "Reporting period: ..." (or similar) the document declares."""
    for unit in units:
        if unit.kind == "heading":
            continue
        found = find_reporting_period(unit.text)
        if found is None:
            continue
        span, _, _ = found
        source = locator.ref(unit)
        if source is not None and span.start and span.end:
            return ReportingPeriod(doc.doc_id, span.start, span.end, source)
    return None


def document_context(doc: Document, units: list[Unit], period: ReportingPeriod | None
                     ) -> DocContext:
    doc_date = _own_date(doc, units)
    if period is not None:
        year = period.end.year
    elif doc_date is not None:
        year = doc_date.year
    else:
        year = _first_year(doc)
    return DocContext(period=period, doc_date=doc_date, default_year=year)


def _own_date(doc: Document, units: list[Unit]) -> date | None:
    """A "Posted Mon, 20/05/2019" / "Date: 28 March 2019" line near the top, else a
    /2021/06/28/ date in the URL, else a full date in the title."""
    for unit in units:
        if unit.block >= _HEAD_BLOCKS:
            break
        if _DATED_RE.search(unit.text):
            day = _day_of(find_dates(unit.text))
            if day is not None:
                return day
    match = _URL_DATE_RE.search(doc.url or "")
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    return _day_of(find_dates(doc.title or ""))


def _day_of(mentions: list) -> date | None:
    for mention in mentions:
        span: DateSpan = mention.span
        if span.precision == "day" and span.start is not None:
            return span.start
    return None


def _first_year(doc: Document) -> int | None:
    """A year written in the title, the URL or the file name ("...-kemi-2017.txt")."""
    for text in (doc.title or "", doc.url or "", doc.doc_id):
        match = _YEAR_RE.search(text)
        if match:
            return int(match.group(1))
    return None
