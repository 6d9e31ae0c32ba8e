"""`build_draft`: one report section, or the whole report, from the memory and the documents.

The whole report is built section by section into one `SourceBook`, so citations are numbered
in order of first use across the report and listed once; a passage quoted by one section is
not quoted again by a later one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..memory.models import Period, ProjectMemory
from ..models import ProseWriter
from .models import Draft, SourceBook
from .narrative import draft_prose, normal
from .passages import Passage, Retrieve
from .periods import PeriodContext, resolve_period
from .sections import SectionSpec, report_parts, section_spec
from .tables import (
    EVENT_COLUMNS,
    TABLE_BUILDERS,
    TableContent,
    event_rows,
    outreach_events,
)


@dataclass(slots=True, kw_only=True)
class _Run:
    """What every section of one build shares."""

    memory: ProjectMemory
    retrieve: Retrieve
    ctx: PeriodContext
    writer: ProseWriter | None
    today: date
    book: SourceBook = field(default_factory=SourceBook)
    used: set[str] = field(default_factory=set)  # normalised passages already drafted


def build_draft(section: str, *, memory: ProjectMemory, retrieve: Retrieve,
                period: Period | None = None, writer: ProseWriter | None = None,
                today: date | None = None) -> Draft:
    """Draft `section` (a name of `SECTIONS`) for `period` (default: the latest reporting
    period in the memory). Raises UnknownSectionError naming the valid sections."""
    spec = section_spec(section)
    today = today or date.today()
    run = _Run(memory=memory, retrieve=retrieve, ctx=resolve_period(memory, period),
               writer=writer, today=today)
    if spec.name == "report":
        subsections = [_section(part, run) for part in report_parts()]
        draft = Draft(section=spec.name, title=spec.title, kind=spec.kind,
                      subsections=subsections)
    else:
        draft = _section(spec, run)
    draft.period = run.ctx.period
    draft.created = today
    draft.notes[:0] = list(run.ctx.notes)
    draft.citations = run.book.citations()
    return draft


def _section(spec: SectionSpec, run: _Run) -> Draft:
    draft = Draft(section=spec.name, title=spec.title, kind=spec.kind, period=run.ctx.period)
    if spec.kind == "table":
        _fill(draft, TABLE_BUILDERS[spec.name](run.memory, run.ctx, run.book, run.today))
    elif spec.name == "outreach":
        _outreach(draft, spec, run)
    else:
        prose = draft_prose(spec, retrieve=run.retrieve, ctx=run.ctx, book=run.book,
                            used=run.used, writer=run.writer)
        draft.items, draft.notes = prose.items, prose.notes
    if not draft.items:
        draft.empty = no_material(spec, run.ctx)
    return draft


def _fill(draft: Draft, content: TableContent) -> None:
    draft.columns, draft.items, draft.notes = content.columns, content.items, content.notes


def _outreach(draft: Draft, spec: SectionSpec, run: _Run) -> None:
    """Prose on publications and communication, then the period's outreach events from the
    memory; a unit that an event row already lists is not quoted again in the prose."""
    events = outreach_events(run.memory, run.ctx, run.today)
    quoted = {normal(e.source.quote) for e in events} | {normal(e.title) for e in events}

    def listed(p: Passage) -> bool:
        text = normal(p.text)
        return text in quoted or any(q and (q in text) for q in quoted if len(q) > 20)

    prose = draft_prose(spec, retrieve=run.retrieve, ctx=run.ctx, book=run.book,
                        used=run.used, writer=run.writer, skip=listed)
    table = TableContent(columns=EVENT_COLUMNS)
    event_rows(events, table, run.book)
    draft.items = prose.items + table.items
    draft.columns = EVENT_COLUMNS if table.items else ()
    draft.notes = prose.notes + table.notes


def no_material(spec: SectionSpec, ctx: PeriodContext) -> str:
    where = f" in {ctx.label()}" if ctx.period else ""
    return f"No material found in the documents for {spec.title}{where}."


__all__ = ["build_draft", "no_material"]
