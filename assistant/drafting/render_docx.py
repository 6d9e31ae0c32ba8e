"""A Word document for a draft (python-docx): headings, real tables with a Source column,
paragraphs with [n] markers, and a "Sources" heading with a numbered list, so coordinators
can paste sections straight into their report."""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument

from .models import Draft, DraftItem
from .render_md import markers, report_heading, source_line


def render_docx(draft: Draft) -> bytes:
    doc = Document()
    if draft.subsections:
        doc.add_heading(report_heading(draft), level=0)
        _notes(doc, draft.notes)
        for sub in draft.subsections:
            _section(doc, sub, level=1)
    else:
        _section(doc, draft, level=1)
    if draft.citations:
        doc.add_heading("Sources", level=1)
        for c in draft.citations:
            doc.add_paragraph(source_line(c), style="List Number")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _section(doc: DocxDocument, draft: Draft, *, level: int) -> None:
    doc.add_heading(draft.title, level=level)
    _notes(doc, draft.notes)
    _prose(doc, draft.prose)
    if draft.rows:
        _table(doc, draft.columns, draft.rows)
    if draft.empty:
        doc.add_paragraph().add_run(draft.empty).italic = True


def _notes(doc: DocxDocument, notes: list[str]) -> None:
    for note in notes:
        doc.add_paragraph().add_run(f"Note: {note}").italic = True


def _prose(doc: DocxDocument, items: list[DraftItem]) -> None:
    sentences: list[str] = []
    for item in items:
        if item.kind == "bullet":
            if sentences:
                doc.add_paragraph(" ".join(sentences))
                sentences = []
            doc.add_paragraph(f"{item.text} {markers(item.refs)}", style="List Bullet")
        else:
            sentences.append(f"{item.text} {markers(item.refs)}")
    if sentences:
        doc.add_paragraph(" ".join(sentences))


def _table(doc: DocxDocument, columns: tuple[str, ...], rows: list[DraftItem]) -> None:
    head = [*columns, "Source"]
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, [*row.cells, markers(row.refs)]):
            cell.text = text
    doc.add_paragraph()
