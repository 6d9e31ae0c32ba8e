"""`/remix events [FROM] [TO]`: date arguments and the event list as an ephemeral message.

FROM/TO are ISO days (2020-02-12) or months (2020-02: FROM means its first day, TO its last),
so `/remix events 2020-01 2020-06` is the first half of 2020. A single ``2020-01..2020-06``
argument works too (the `/remix draft` period syntax).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from assistant.memory import query
from assistant.memory.models import Event, Period, SourceRef
from assistant.slack.blocks import (
    MAX_BLOCKS,
    TEXT_LIMIT,
    Message,
    escape,
    section,
    split_text,
)

USAGE = "`/remix events [FROM] [TO]` with dates like 2020-02-12 or months like 2020-02"
_DAY = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


def parse_bound(text: str, *, end: bool) -> date:
    try:
        return query.parse_bound(text, end=end)
    except ValueError:
        raise ValueError(f"'{text}' is not a date; use {USAGE}") from None


def parse_range(args: str) -> tuple[date | None, date | None]:
    words = args.split()
    if len(words) == 1 and ".." in words[0]:
        period = Period.parse(words[0])
        return period.start, period.end
    if len(words) > 2:
        raise ValueError(f"too many arguments; use {USAGE}")
    start = parse_bound(words[0], end=False) if words else None
    end = parse_bound(words[1], end=True) if len(words) == 2 else None
    if start and end and end < start:
        raise ValueError("the end date is before the start date")
    return start, end


def source_link(src: SourceRef) -> str:
    title = escape(src.title or src.doc_id).replace("|", "¦")
    where = f" p. {src.page}" if src.page else ""
    if src.url and src.url.startswith(("http://", "https://")):
        return f"<{src.url}|{title}>{where}"
    return f"{title}{where}"


def event_line(ev: Event) -> str:
    when = ev.date.iso() if ev.date else "date unknown"
    place = ev.place or ("online" if ev.online else "")
    if ev.place and ev.online:
        place += " (online)"
    parts = [f"*{escape(when)}*", escape(ev.title)]
    if place:
        parts.append(escape(place))
    line = "• " + " — ".join(parts)
    if ev.status == "planned":
        line += " _(planned)_"
    return f"{line} — {source_link(ev.source)}"


def range_label(start: date | None, end: date | None) -> str:
    if start and end:
        return f"from {start.isoformat()} to {end.isoformat()}"
    if start:
        return f"from {start.isoformat()}"
    if end:
        return f"until {end.isoformat()}"
    return "on any date"


def events_message(events: Sequence[Event], start: date | None, end: date | None,
                   *, max_blocks: int = MAX_BLOCKS) -> Message:
    """Header + one line per event, within Block Kit limits (extra events: "…and N more")."""
    label = range_label(start, end)
    if not events:
        text = f"I found no events {label} in the project documents."
        return Message(text=text, blocks=[section(escape(text))])
    header = f"*{len(events)} event{'s' * (len(events) != 1)} {label}*"
    chunks = split_text("\n".join([header, *map(event_line, events)]), escaped=True)
    if len(chunks) > max_blocks:
        shown_lines = sum(c.count("\n") + 1 for c in chunks[: max_blocks - 1]) - 1
        more = f"…and {len(events) - shown_lines} more; narrow the dates to see them."
        chunks = chunks[: max_blocks - 1] + [more]
    text = f"{len(events)} events {label}: " + "; ".join(
        f"{e.date.iso() if e.date else '?'} {e.title}" for e in events)
    return Message(text=escape(text)[:TEXT_LIMIT], blocks=[section(c) for c in chunks])
