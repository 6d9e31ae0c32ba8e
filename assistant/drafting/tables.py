"""Table sections built from the structured project memory: regions, working areas, events.

Each row cites the memory items it was made from. The same event or region is often reported
by several documents (a planned meeting in one report, held in the next; a region listed by
every report), so rows are merged before they are listed and the merged row cites them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..memory.models import Event, ProjectMemory, Region, SourceRef, WorkingArea
from ..memory.query import group_events, representative
from ..retrieval.lexical import fold
from .models import DraftItem, SourceBook
from .periods import PeriodContext

EMPTY_CELL = "—"
REGION_COLUMNS = ("Region (country)", "NUTS code")
AREA_COLUMNS = ("Working area", "Region in charge", "Status")
EVENT_COLUMNS = ("Event", "Date", "Place")
# Titles of the partnership's outward activities (the report's "publications and other
# communication/outreach activities"), as opposed to its own meetings.
_OUTREACH = re.compile(
    r"\b(webinars?|workshops?|conferences?|presentations?|dialogues?|publications?|articles?|"
    r"newsletters?|press|videos?|exhibitions?|fairs?|forums?|seminars?|podcasts?|brochures?|"
    r"interviews?|raw ?materials? week)\b", re.IGNORECASE)


@dataclass(slots=True, kw_only=True)
class TableContent:
    columns: tuple[str, ...]
    items: list[DraftItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


TableBuilder = Callable[[ProjectMemory, PeriodContext, SourceBook, date], TableContent]


def cited_row(book: SourceBook, cells: Sequence[str], refs: Iterable[SourceRef],
              data: dict | None = None) -> DraftItem:
    numbers = tuple(dict.fromkeys(book.cite_ref(ref) for ref in refs))
    cells = tuple(c.strip() if c and c.strip() else EMPTY_CELL for c in cells)
    return DraftItem(kind="row", text=" | ".join(cells), refs=numbers, cells=cells,
                     data=data or {})


# -- regions ---------------------------------------------------------------------------------

def leading_regions(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                    today: date) -> TableContent:
    return _regions(memory, ctx, book, "leading")


def participating_regions(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                          today: date) -> TableContent:
    return _regions(memory, ctx, book, "participating")


def _regions(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
             role: str) -> TableContent:
    content = TableContent(columns=REGION_COLUMNS)
    chosen = _prefer_own(ctx, [r for r in memory.regions if r.role == role], content,
                         f"{role} regions")
    # A region named without its NUTS code takes the code another document gives it (any
    # role: a leading region is usually listed with its code among the participants).
    coded = {_key(r.name): r for r in memory.regions if r.nuts}
    for group in _region_groups(chosen):
        first = group[0]
        refs = [r.source for r in group]
        nuts = next((r.nuts for r in group if r.nuts), None)
        country = next((r.country for r in group if r.country), None)
        if nuts is None and _key(first.name) in coded:
            donor = coded[_key(first.name)]
            nuts, refs = donor.nuts, refs + [donor.source]
            country = country or donor.country
        name = f"{first.name} ({country})" if country else first.name
        content.items.append(cited_row(book, (name, nuts or ""), refs,
                                       {"name": first.name, "country": country, "nuts": nuts}))
    return content


def _region_key(region: Region) -> str:
    return f"{_key(region.name)}|{(region.nuts or '').upper()}"


def _group(items: Sequence, key: Callable) -> dict[str, list]:
    """Items with the same key together, in order of first appearance."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _region_groups(regions: Sequence[Region]) -> list[list[Region]]:
    """Regions by (name, NUTS); one named without a code joins the coded group of its name."""
    groups = _group(regions, _region_key)
    for k in [k for k in groups if k.endswith("|")]:
        twin = next((o for o in groups if o != k and o.split("|")[0] == k[:-1]), None)
        if twin is not None:
            groups[twin].extend(groups.pop(k))
    return list(groups.values())


def _key(name: str) -> str:
    return " ".join(re.findall(r"\w+", fold(name)))


def _prefer_own(ctx: PeriodContext, items: list, content: TableContent, what: str) -> list:
    """The period's own report when it lists any, since lists change between reports."""
    own = [i for i in items if i.source.doc_id in ctx.own_docs]
    if own:
        return own
    if ctx.own_docs and items:
        content.notes.append(f"The report for {ctx.label()} lists no {what}; "
                             f"listed from the other documents.")
    return items


# -- working areas ---------------------------------------------------------------------------

def working_areas(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                  today: date) -> TableContent:
    content = TableContent(columns=AREA_COLUMNS)
    chosen = _prefer_own(ctx, list(memory.working_areas), content, "working areas")
    for group in _group(chosen, lambda a: _key(a.name)).values():
        area: WorkingArea = group[0]
        lead = next((a.lead for a in group if a.lead), "")
        status = next((a.status for a in group if a.status), "")
        content.items.append(cited_row(book, (area.name, lead or "", status),
                                       [a.source for a in group]))
    return content


# -- events ----------------------------------------------------------------------------------

def past_events(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                today: date) -> TableContent:
    """The partnership's meetings held in the period; its outreach activities (webinars,
    conference presentations, ...) go to the outreach section, as in the report form."""
    content = TableContent(columns=EVENT_COLUMNS)
    held = [e for e in memory.events if is_past(e, ctx, today)]
    event_rows([e for e in held if not is_outreach(e)], content, book)
    outreach = len(group_events([e for e in held if is_outreach(e)]))
    if outreach:
        content.notes.append(f"{outreach} outreach activit{'y is' if outreach == 1 else 'ies are'}"
                             f" listed under publications and communication activities.")
    return content


def outreach_events(memory: ProjectMemory, ctx: PeriodContext, today: date) -> list[Event]:
    return [e for e in memory.events if is_past(e, ctx, today) and is_outreach(e)]


def is_outreach(event: Event) -> bool:
    return bool(_OUTREACH.search(f"{event.title} {event.notes}"))


def planned_events(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                   today: date) -> TableContent:
    content = TableContent(columns=EVENT_COLUMNS)
    chosen = [e for e in memory.events if is_planned(e, ctx, today)]
    event_rows(chosen, content, book)
    return content


def is_past(event: Event, ctx: PeriodContext, today: date) -> bool:
    """Held in the period: reported as past and dated in it (or undated in the period's own
    report), or dated wholly within it whatever its status."""
    p, span = ctx.period, event.date
    dated = span is not None and span.start is not None and span.end is not None
    if p is None:
        return event.status == "past" or (dated and span.end < today)
    if dated and p.start <= span.start and span.end <= p.end:
        return True
    if event.status != "past":
        return False
    return span.overlaps(p.start, p.end) if dated else event.source.doc_id in ctx.own_docs


def is_planned(event: Event, ctx: PeriodContext, today: date) -> bool:
    """Planned after the period: listed as planned by the period's own report, or dated in
    the next period (one period's length after its end; later plans belong to later reports,
    and events from unrelated documents years ahead are not this report's plans)."""
    p, span = ctx.period, event.date
    dated = span is not None and span.start is not None
    if p is None:
        return event.status == "planned" or (dated and span.start > today)
    if event.status == "planned" and event.source.doc_id in ctx.own_docs:
        return True
    horizon = p.end + timedelta(days=(p.end - p.start).days + 1)
    return dated and p.end < span.start <= horizon


def event_rows(events: list[Event], content: TableContent, book: SourceBook) -> None:
    groups = group_events(events)
    groups.sort(key=lambda g: _sort_key(representative(g)))
    for group in groups:
        event = representative(group)
        place = event.place or next((e.place for e in group if e.place), None)
        if not place and any(e.online for e in group):
            place = "online"
        when = event.date.text if event.date else ""
        data = {"date": event.date.iso() if event.date else None, "status": event.status,
                "docs": sorted({e.source.doc_id for e in group})}
        content.items.append(cited_row(book, (event.title, when, place or ""),
                                       [e.source for e in group], data))


def _sort_key(event: Event) -> tuple:
    start = event.date.start if event.date and event.date.start else date.max
    return (start, fold(event.title))


TABLE_BUILDERS: dict[str, TableBuilder] = {
    "leading-regions": leading_regions,
    "participating-regions": participating_regions,
    "working-areas": working_areas,
    "past-events": past_events,
    "planned-events": planned_events,
}
