"""Listing helpers over the memory: the same event reported by several documents (or by
overlapping chunks) is listed once, in date order."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import Callable, Hashable, Iterable, TypeVar

from .models import Event, SourceRef

T = TypeVar("T")
_FAR_FUTURE = date.max


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for matching names and titles."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]+", " ", "".join(c for c in text if not unicodedata.combining(c))).strip()


def grouped(items: Iterable[T], key: Callable[[T], Hashable]) -> list[tuple[T, list[SourceRef]]]:
    """Items stated by several documents listed once with all their sources, first-seen order."""
    groups: dict[Hashable, tuple[T, list[SourceRef]]] = {}
    for item in items:
        groups.setdefault(key(item), (item, []))[1].append(item.source)  # type: ignore[attr-defined]
    return list(groups.values())


def event_key(event: Event) -> tuple[str, str]:
    """Same normalised date and same folded title = the same event."""
    when = event.date.iso() if event.date is not None else ""
    return when, fold(event.title)


def dedupe_events(events: list[Event]) -> list[Event]:
    """First occurrence of each event, but a row with a place beats one without."""
    best: dict[tuple[str, str], Event] = {}
    for event in events:
        key = event_key(event)
        kept = best.get(key)
        if kept is None or (kept.place is None and event.place is not None):
            best[key] = event
    return list(best.values())


def event_sort_key(event: Event) -> tuple[date, date, str]:
    start = event.date.start if event.date and event.date.start else _FAR_FUTURE
    end = event.date.end if event.date and event.date.end else _FAR_FUTURE
    return start, end, fold(event.title)


def parse_bound(text: str, *, end: bool) -> date:
    """A range bound as people type it: '2020-03-11', '2020-03', '2020', 'March 2020',
    'spring 2020' -> its first day (or, for `end`, its last). ValueError when it is no date."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if m := re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?", text):
        year, month = int(m.group(1)), int(m.group(2) or (12 if end else 1))
        if 1 <= month <= 12:
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
    from .dates import parse_date_span  # dateparser is loaded only when needed

    span = parse_date_span(text)
    if span is None or span.start is None or span.end is None:
        raise ValueError(f"'{text}' is not a date (try 2020-03-11, 2020-03 or 2020)")
    return span.end if end else span.start
