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
from ..memory.nuts_check import WrittenCode, check_codes
from ..memory.nuts_table import IN_FORCE, NutsDataError, load_nuts_table
from ..memory.query import group_events, representative, same_event
from ..retrieval.lexical import fold
from .models import DraftItem, SourceBook
from .cleaning import capitalised, full_title
from .periods import PeriodContext

EMPTY_CELL = ""  # the form's blank cell: the coordinator fills it in
REGION_COLUMNS = ("Region (country)", "NUTS code")
AREA_COLUMNS = ("Working area", "Region in charge", "Involved regions", "Other actors")
EVENT_COLUMNS = ("Event", "Date", "Place", "Any other information")
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
    to_confirm: list[DraftItem] = field(default_factory=list)


TableBuilder = Callable[[ProjectMemory, PeriodContext, SourceBook, date], TableContent]


def cited_row(book: SourceBook, cells: Sequence[str], refs: Iterable[SourceRef],
              data: dict | None = None) -> DraftItem:
    evidence = tuple(dict.fromkeys(book.evidence_ref(ref) for ref in refs))
    numbers = tuple(sorted({e.n for e in evidence}))
    cells = tuple(c.strip() if c and c.strip() else EMPTY_CELL for c in cells)
    return DraftItem(kind="row", text=" | ".join(c for c in cells if c), refs=numbers,
                     cells=cells, data=data or {}, evidence=evidence)


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
    _check_codes(content)
    return content


def _check_codes(content: TableContent) -> None:
    """The rows' codes against the official NUTS classification: the cell keeps the document's
    code (the coordinator decides), each row's data carries the check, and whatever needs a
    look goes to the notes with the official code and name."""
    rows = content.items
    try:
        checks = check_codes([WrittenCode(name=r.data["name"], code=r.data["nuts"],
                                          listed_in="table") for r in rows])
    except NutsDataError as exc:
        content.notes.append(f"NUTS codes not checked: {exc}.")
        return
    for row, check in zip(rows, checks):
        row.data["nuts_check"] = check.to_json() if check else None
    found = [f for c in checks if c is not None for f in c.findings]
    if found:
        content.notes.extend(dict.fromkeys(f"NUTS {f.severity}: {f.message}" for f in found))
        content.notes.append(f"NUTS codes checked against {IN_FORCE} (in force; NUTS 2021 "
                             f"codes noted), {load_nuts_table().source}; the table keeps the "
                             f"codes as the documents write them.")


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
    """The period's own report when it lists any, since lists change between reports; else
    the report the draft starts from (the latest earlier one); else every document."""
    own = [i for i in items if i.source.doc_id in ctx.own_docs]
    if own:
        return own
    base = [i for i in items if i.source.doc_id in ctx.base_docs]
    if base:
        return base
    if ctx.own_docs and items:
        content.notes.append(f"The report for {ctx.label()} lists no {what}; "
                             f"listed from the other documents.")
    return items


# -- working areas ---------------------------------------------------------------------------

def working_areas(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                  today: date) -> TableContent:
    """The form's columns. A status written under "Region in charge" ("In progress") is no
    region: the cell is left for the coordinator and the status kept in the row's data."""
    content = TableContent(columns=AREA_COLUMNS)
    chosen = _prefer_own(ctx, list(memory.working_areas), content, "working areas")
    statuses = 0
    for group in _group(chosen, lambda a: _key(a.name)).values():
        area: WorkingArea = group[0]
        lead = next((a.lead for a in group if a.lead), "")
        status = next((a.status for a in group if a.status), "")
        statuses += bool(status and not lead)
        content.items.append(cited_row(book, (area.name, lead or "", "", ""),
                                       [a.source for a in group], {"status": status or None}))
    if statuses:
        content.notes.append(f"{statuses} working area(s) have a status (e.g. 'In progress') "
                             f"where the form asks for the region in charge: fill in the region "
                             f"in charge, involved regions and other actors.")
    return content


# -- events ----------------------------------------------------------------------------------

def past_events(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                today: date) -> TableContent:
    """The partnership's meetings held in the period; its outreach activities (webinars,
    conference presentations, ...) go to the outreach section, as in the report form.

    An event an earlier report *planned* for the period is not listed as held unless a
    document says it took place; it is put to the coordinator to confirm instead."""
    content = TableContent(columns=EVENT_COLUMNS)
    held, unconfirmed = held_groups(memory, ctx, today)
    group_rows([g for g in held if not is_outreach_group(g)], content.items, book)
    group_rows(unconfirmed, content.to_confirm, book)
    outreach = sum(1 for g in held if is_outreach_group(g))
    if outreach:
        content.notes.append(f"{outreach} outreach activit{'y is' if outreach == 1 else 'ies are'}"
                             f" listed under publications and communication activities.")
    if unconfirmed:
        content.notes.append(
            f"{len(unconfirmed)} event(s) planned for {ctx.label()} are not reported as held "
            f"by any document; confirm before listing them: "
            + "; ".join(f"{r.cells[0]} ({r.cells[1]})" for r in content.to_confirm) + ".")
    return content


def held_groups(memory: ProjectMemory, ctx: PeriodContext,
                today: date) -> tuple[list[list[Event]], list[list[Event]]]:
    """(held, planned-but-unconfirmed) groups of reports of the period's events."""
    groups = group_events([e for e in memory.events if in_period(e, ctx, today)])
    held = [g for g in groups if any(_says_held(e, today) for e in g)]
    unconfirmed = [g for g in groups if not any(_says_held(e, today) for e in g)]
    return held, unconfirmed


def outreach_groups(memory: ProjectMemory, ctx: PeriodContext, today: date) -> list[list[Event]]:
    held, _ = held_groups(memory, ctx, today)
    return [g for g in held if is_outreach_group(g)]


def outreach_events(memory: ProjectMemory, ctx: PeriodContext, today: date) -> list[Event]:
    return [e for g in outreach_groups(memory, ctx, today) for e in g]


def is_outreach(event: Event) -> bool:
    return bool(_OUTREACH.search(f"{event.title} {event.notes}"))


def is_outreach_group(group: list[Event]) -> bool:
    return any(is_outreach(e) for e in group)


def _says_held(event: Event, today: date) -> bool:
    """A document reports it as held, or dates it to a day already gone without calling it a
    plan ("22.9.2020 Partnership meeting" in a list of the autumn's meetings)."""
    if event.status == "past":
        return True
    return (event.status == "unknown" and event.date is not None
            and event.date.precision == "day" and event.date.end is not None
            and event.date.end < today)


def planned_events(memory: ProjectMemory, ctx: PeriodContext, book: SourceBook,
                   today: date) -> TableContent:
    content = TableContent(columns=EVENT_COLUMNS)
    planned = [e for e in memory.events if is_planned(e, ctx, today)]
    group_rows(group_events(with_other_reports(planned, memory.events)), content.items, book)
    return content


def with_other_reports(chosen: list[Event], events: list[Event]) -> list[Event]:
    """`chosen` and the other documents' reports of the same events (a later report giving
    the day and place of a meeting planned for "September"), so a row cites them all."""
    ids = {id(e) for e in chosen}
    return chosen + [e for e in events
                     if id(e) not in ids and any(same_event(e, c) for c in chosen)]


def in_period(event: Event, ctx: PeriodContext, today: date) -> bool:
    """Dated wholly within the period (whatever its status: a plan is checked later), or
    reported as past and dated across it (or undated in the period's own report)."""
    p, span = ctx.period, event.date
    dated = span is not None and span.start is not None and span.end is not None
    if p is None:
        return event.status == "past" or (dated and span.end < today)
    if dated and p.start <= span.start and span.end <= p.end:
        return True
    if event.status != "past":
        return False
    return span.overlaps(p.start, p.end) if dated else event.source.doc_id in ctx.own_docs


def is_past(event: Event, ctx: PeriodContext, today: date) -> bool:
    """Held in the period: dated in it and not only planned, or reported as past across it."""
    return in_period(event, ctx, today) and _says_held(event, today)


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
    group_rows(group_events(events), content.items, book)


def group_rows(groups: list[list[Event]], into: list[DraftItem], book: SourceBook) -> None:
    """One row per event, in date order, citing every document that reports it."""
    groups = sorted(groups, key=lambda g: _sort_key(representative(g)))
    for group in groups:
        event = representative(group)
        place = event.place or next((e.place for e in group if e.place), None)
        if not place and any(e.online for e in group):
            place = "online"
        when = event.date.text if event.date else ""
        info = next((e.notes for e in group if e.notes), "")
        data = {"date": event.date.iso() if event.date else None, "status": event.status,
                "docs": sorted({e.source.doc_id for e in group})}
        into.append(cited_row(book, (full_title(event), when, capitalised(place or ""), info),
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
