"""Listing helpers over the memory, shared by `ask`, the CLI listings, Slack and drafting: the
same event reported by several documents (or by overlapping chunks) is listed once, with all
its sources, in date order."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Callable, Hashable, Iterable, Sequence, TypeVar

from ..retrieval.lexical import fold as _fold_case_accents
from ..retrieval.lexical import tokenize
from .models import Event, SourceRef

T = TypeVar("T")
_FAR_FUTURE = date.max


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for matching names and titles."""
    return re.sub(r"[^a-z0-9]+", " ", _fold_case_accents(text)).strip()


def grouped(items: Iterable[T], key: Callable[[T], Hashable]) -> list[tuple[T, list[SourceRef]]]:
    """Items stated by several documents listed once with all their sources, first-seen order."""
    groups: dict[Hashable, tuple[T, list[SourceRef]]] = {}
    for item in items:
        groups.setdefault(key(item), (item, []))[1].append(item.source)  # type: ignore[attr-defined]
    return list(groups.values())


_PRECISION = {"day": 0, "month": 1, "season": 2, "year": 3, None: 4}


def group_events(events: Sequence[Event]) -> list[list[Event]]:
    """Groups of reports of one event: dates that meet and titles that share most words."""
    groups: list[list[Event]] = []
    for event in events:
        for group in groups:
            if any(same_event(event, other) for other in group):
                group.append(event)
                break
        else:
            groups.append([event])
    return groups


def same_event(a: Event, b: Event) -> bool:
    ta, tb = set(tokenize(a.title)), set(tokenize(b.title))
    if not ta or not tb:
        return False
    shared = len(ta & tb)
    da, db = a.date, b.date
    if da is None or da.start is None or db is None or db.start is None:
        undated_both = (da is None or da.start is None) and (db is None or db.start is None)
        return undated_both and shared / len(ta | tb) >= 0.8
    return da.overlaps(db.start, db.end) and shared / min(len(ta), len(tb)) >= 0.6


def representative(group: list[Event]) -> Event:
    """The most precisely dated report, preferring one that says the event took place."""
    return min(group, key=lambda e: (_PRECISION[e.date.precision if e.date else None],
                                     e.status != "past", not e.place))


def dedupe_events(events: Sequence[Event]) -> list[Event]:
    """Each event once (its best report), in first-seen order."""
    return [representative(group) for group in group_events(events)]


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
