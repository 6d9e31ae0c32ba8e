"""Listing helpers over the memory: the same event reported by several documents (or by
overlapping chunks) is listed once, in date order."""

from __future__ import annotations

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
