"""`build_draft`: one report section, or the whole report, from the memory and the documents.

The whole report is built section by section into one `DocumentBook`, so citations are
numbered in order of first use across the report and each document is listed once; a passage
quoted by one section is not quoted again by a later one.

Where the text comes from, section by section:
- the period's own report, when there is one: the answer written under the section's prompt,
  whole and in order (`form.answers`);
- otherwise, for the stable sections (objectives, regions, working areas, SDGs, header), the
  latest earlier report's text, marked as carried over for the coordinator to review;
- then new material: passages of other documents about the period (they report an event dated
  in it) that serve the section, and the period's events from the memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..memory.models import Period, ProjectMemory
from ..models import Chunk, ProseWriter
from . import form
from .cleaning import blocks
from .form import Line
from .models import Draft, DraftItem, SourceBook
from .narrative import draft_prose, normal
from .passages import Passage, Retrieve, answer_passage
from .periods import PeriodContext, period_text, resolve_period
from .sections import SectionSpec, report_parts, section_spec
from .tables import TABLE_BUILDERS, TableContent, cited_row, group_rows, outreach_groups

K_FORM = 6  # chunks retrieved per form prompt when reading the reports back
FIELD_LABELS = {"period": "Reporting period", "partnership": "Name of the partnership",
                "start": "Start date of the partnership", "webpage": "Partnership's webpage"}
FIELD_QUERY = ("Reporting period. Please select the name of your partnership. Start date of "
               "your partnership. Partnership's webpage")


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
    _reports: dict[str, list[Line | None]] | None = None

    def reports(self) -> dict[str, list[Line | None]]:
        """The reports' text as far as retrieval finds it (every prompt is searched for)."""
        if self._reports is None:
            chunks: dict[str, Chunk] = {}
            if self.ctx.report_docs:
                queries = [FIELD_QUERY] + [s.prompt for s in report_parts() if s.prompt]
                for query in queries:
                    for hit in self.retrieve(query, K_FORM):
                        if hit.chunk.doc_id in self.ctx.report_docs:
                            chunks.setdefault(hit.chunk.chunk_id, hit.chunk)
            self._reports = form.stitch(chunks.values())
        return self._reports

    def answer(self, spec: SectionSpec) -> tuple[list[Line], bool]:
        """(the report's lines under the section's prompt, carried over from an earlier
        report?): the period's own report, else for a stable section the base report."""
        for docs, carried in ((self.ctx.own_docs, False),
                              (self.ctx.base_docs if spec.stable else frozenset(), True)):
            for doc in sorted(docs):
                lines = form.answers(self.reports().get(doc, []), report_parts()).get(spec.name)
                if lines:
                    return lines, carried and self.ctx.carried
        return [], False

    def report_lines(self, *, stable: bool) -> tuple[list[Line | None], bool]:
        """All lines of the own report, else (stable parts) of the base report."""
        for docs, carried in ((self.ctx.own_docs, False),
                              (self.ctx.base_docs if stable else frozenset(), True)):
            for doc in sorted(docs):
                if self.reports().get(doc):
                    return self.reports()[doc], carried and self.ctx.carried
        return [], False


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
        header = subsections[0]
    else:
        draft = _section(spec, run)
        header = draft if spec.name == "header" else None
    draft.period = run.ctx.period
    draft.created = today
    draft.notes[:0] = list(run.ctx.notes)
    draft.citations = run.book.citations()
    draft.partnership = _partnership(header)
    return draft


def _partnership(header: Draft | None) -> str | None:
    return next((i.cells[1] for i in (header.items if header else [])
                 if i.data.get("field") == "partnership"), None)


def _section(spec: SectionSpec, run: _Run) -> Draft:
    draft = Draft(section=spec.name, title=spec.title, kind=spec.kind, prompt=spec.prompt,
                  part=spec.part, group=spec.group, numbered=spec.numbered,
                  period=run.ctx.period)
    if spec.name == "header":
        _header(draft, run)
    elif spec.name == "sdg":
        _sdg(draft, run)
    elif spec.kind == "table":
        _fill(draft, TABLE_BUILDERS[spec.name](run.memory, run.ctx, run.book, run.today))
        if spec.stable and run.ctx.carried and draft.items and not _own_rows(draft, run):
            _carried(draft, run)
    elif spec.name == "outreach":
        _outreach(draft, spec, run)
    else:
        _narrative(draft, spec, run)
    if not draft.items:
        draft.empty = no_material(spec, run.ctx)
    return draft


def _own_rows(draft: Draft, run: _Run) -> bool:
    docs = {c.doc_id for c in run.book.citations() if c.n in {n for i in draft.items
                                                               for n in i.refs}}
    return bool(docs & run.ctx.own_docs)


def _carried(draft: Draft, run: _Run) -> None:
    base = run.ctx.base
    draft.carried_from = run.ctx.base_label()
    title = base.source.title if base else ""
    draft.notes.append(f"Carried over from {run.ctx.base_label()} ({title}): review and "
                       f"update for {run.ctx.label()}.")


def _fill(draft: Draft, content: TableContent) -> None:
    draft.columns, draft.items, draft.notes = content.columns, content.items, content.notes
    draft.to_confirm = content.to_confirm


MIN_ANSWER_WORDS = 3  # "Next report", "In progress": a placeholder, not text to hand in


def _answer_passages(spec: SectionSpec, lines: list[Line]) -> list[Passage]:
    """The report's answer as paragraphs and bullets, each quoting the lines it was made of."""
    return [answer_passage(b.text, " ".join(line.text for line in b.lines),
                           "bullet" if b.kind == "bullet" else "paragraph",
                           b.lines[0].chunk, i, spec.prompt)
            for i, b in enumerate(blocks(lines)) if len(b.text.split()) >= MIN_ANSWER_WORDS]


def _new_material_docs(run: _Run, found_answer: bool) -> frozenset[str] | None:
    """Documents other than the reports that tell about the period; the own report too when
    its answer to this prompt could not be read back."""
    ctx = run.ctx
    if ctx.period is None:
        return None
    docs = ctx.period_docs - ctx.report_docs
    return docs if found_answer else docs | ctx.own_docs


def _narrative(draft: Draft, spec: SectionSpec, run: _Run) -> None:
    lines, carried = run.answer(spec)
    first = _answer_passages(spec, lines)
    prose = draft_prose(spec, retrieve=run.retrieve, ctx=run.ctx, book=run.book,
                        used=run.used, writer=run.writer, first=first,
                        docs=_new_material_docs(run, bool(first)))
    draft.items, draft.notes = prose.items, prose.notes
    if carried and first:
        _carried(draft, run)


def _outreach(draft: Draft, spec: SectionSpec, run: _Run) -> None:
    """The own report's list of outreach activities, the period's outreach events from the
    memory that it does not list (one bullet per event, citing every report of it), then
    passages of other documents on publications and communication."""
    groups = outreach_groups(run.memory, run.ctx, run.today)
    lines, _ = run.answer(spec)
    first = _answer_passages(spec, lines)
    listed: set[int] = set()
    for p in first:
        text = normal(p.text)
        for i, group in enumerate(groups):
            if any(normal(e.source.quote) in text or normal(e.title) in text for e in group):
                listed.add(i)
                p.extra += tuple((_ref_chunk(e.source), e.source.quote) for e in group
                                 if e.source.doc_id != p.chunk.doc_id)
    rest = [g for i, g in enumerate(groups) if i not in listed]
    quoted = {normal(e.source.quote) for g in groups for e in g}

    def already(p: Passage) -> bool:
        text = normal(p.text)
        return any(q and len(q) > 20 and (q in text or text in q) for q in quoted)

    prose = draft_prose(spec, retrieve=run.retrieve, ctx=run.ctx, book=run.book,
                        used=run.used, writer=run.writer, first=first, skip=already,
                        docs=_new_material_docs(run, bool(first)))
    rows: list[DraftItem] = []
    group_rows(rest, rows, run.book)
    bullets = [DraftItem(kind="bullet", text=_event_bullet(r), refs=r.refs, data=r.data,
                         evidence=r.evidence) for r in rows]
    n_first = len(first) if run.writer is None else len(prose.items)
    draft.items = prose.items[:n_first] + bullets + prose.items[n_first:]
    draft.notes = prose.notes


def _ref_chunk(ref) -> Chunk:
    return Chunk(chunk_id=ref.chunk_id, doc_id=ref.doc_id, title=ref.title, text=ref.quote,
                 page=ref.page, section=ref.section, url=ref.url)


def _event_bullet(row: DraftItem) -> str:
    """'22.9.2020 Title, Online' as the form's outreach list writes an activity."""
    title, when, place = row.cells[0], row.cells[1], row.cells[2]
    text = f"{when} {title}".strip()
    return f"{text}, {place}" if place else text


def _header(draft: Draft, run: _Run) -> None:
    """The form's header fields: the period asked for, and the partnership's name, start
    date and webpage as its latest report gives them."""
    lines, carried = run.report_lines(stable=True)
    found = form.fields(lines)
    items: list[DraftItem] = []
    if run.ctx.period is not None:
        period = found.get("period") if not carried else None
        ev = (run.book.evidence(**_cite_args(period)),) if period else ()
        items.append(DraftItem(kind="field", text=period_text(run.ctx.period),
                               refs=tuple(e.n for e in ev), evidence=ev,
                               cells=(FIELD_LABELS["period"], period_text(run.ctx.period)),
                               data={"field": "period"}))
    for name in ("partnership", "start", "webpage"):
        line = found.get(name)
        if line is None:
            continue
        ev = run.book.evidence(**_cite_args(line))
        value = line.text
        items.append(DraftItem(kind="field", text=value, refs=(ev.n,), evidence=(ev,),
                               cells=(FIELD_LABELS[name], value), data={"field": name},
                               url=value if value.startswith(("http://", "https://")) else None))
    draft.items = items
    if carried and len(items) > 1:
        _carried(draft, run)


def _cite_args(line: Line) -> dict:
    c = line.chunk
    return {"doc_id": c.doc_id, "title": c.title, "quote": line.text, "page": c.page,
            "section": c.section, "url": c.url}


def _sdg(draft: Draft, run: _Run) -> None:
    """The 17 goals on the form's six-level scale, as the latest report answered them:
    contributions change little, but they are the partnership's judgement to confirm."""
    lines, _ = run.report_lines(stable=True)
    rows = form.sdg_rows(lines)
    draft.columns = ("Goal", *form.SDG_LEVELS)
    for row in rows:
        ev = run.book.evidence(**_cite_args(Line(row.line.text, row.line.chunk)))
        marks = tuple("X" if level == row.level else "" for level in form.SDG_LEVELS)
        draft.items.append(DraftItem(kind="row", text=f"{row.goal}: {row.level}", refs=(ev.n,),
                                     cells=(row.goal, *marks), evidence=(ev,),
                                     data={"goal": row.number, "level": row.level}))
    if rows:
        draft.carried_from = run.ctx.base_label()
        draft.notes.append(f"From {run.ctx.base_label()} — review.")


def no_material(spec: SectionSpec, ctx: PeriodContext) -> str:
    where = f" in {ctx.label()}" if ctx.period else ""
    return f"No material found in the documents for {spec.title}{where}."


__all__ = ["build_draft", "no_material", "cited_row"]
