"""A Word document for a draft, laid out as the report form (python-docx).

A4 pages with a page number in the footer; the header fields; "I. Management report" and
"II. Progress report" with the form's headings and prompts; the form's tables with their own
columns, numbered rows, widths fitted to their content and header rows that repeat on every
page; [n] markers in superscript after each sentence and in each row's first cell; a sources
list naming each document once, with real links. The document's title and author are the
report's and the partnership's.

The review copy (the default) puts the passage behind each sentence or row in a Word comment
beside it, and the notes for the coordinator (period chosen, text carried over, events to
confirm) in comments on the headings they concern; `review=False` writes the clean copy with no
comments. Either way no note is written in the report's body.

`template` fills a coordinator's own .docx (its styles, header, footer, page setup): the
report goes where a paragraph reads `{{report}}` (else at the end), and `{{title}}`,
`{{partnership}}` and `{{period}}` are replaced wherever they stand, headers and footers too.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from ..models import Citation
from . import docx_parts as parts
from .citing import Evidence
from .models import Draft, DraftItem
from .periods import period_text
from .render_md import markers
from .sections import REPORT_TITLE

COMMENT_AUTHOR = "remix-assistant"
COMMENT_INITIALS = "RA"
PLACEHOLDER = "{{report}}"


def render_docx(draft: Draft, *, review: bool = True,
                template: str | Path | bytes | None = None) -> bytes:
    """The draft as .docx bytes: a review copy with comments, or (`review=False`) clean."""
    if isinstance(template, bytes):
        template = io.BytesIO(template)
    doc = Document(template) if template is not None else Document()
    writer = _Writer(doc, draft, review=review)
    anchor = _placeholder(doc) if template is not None else None
    before = set(doc.element.body.iterchildren())  # the elements, so lxml keeps their proxies
    if template is None:
        parts.a4(doc.sections[0])
        parts.page_number_footer(doc.sections[0])
    writer.write()
    if anchor is not None:
        new = [el for el in doc.element.body.iterchildren()
               if el not in before and not el.tag.endswith("}sectPr")]
        for el in new:
            anchor._p.addprevious(el)
        anchor._p.getparent().remove(anchor._p)
    _replace_fields(doc, writer.fields())
    _properties(doc, draft)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def document_title(draft: Draft) -> str:
    bits = [REPORT_TITLE if draft.subsections else draft.title]
    if draft.partnership:
        bits.append(draft.partnership)
    if draft.period:
        bits.append(period_text(draft.period))
    return " — ".join(bits)


def _author(draft: Draft) -> str:
    name = draft.partnership
    if not name:
        return "Thematic S3 Partnership"
    return name if "partnership" in name.lower() else f"{name} partnership"


def _properties(doc: DocxDocument, draft: Draft) -> None:
    props = doc.core_properties
    props.title = document_title(draft)
    props.author = props.last_modified_by = _author(draft)
    props.subject = period_text(draft.period) if draft.period else ""
    props.comments = "Draft: every sentence and row cites its source; review before handing in."
    props.keywords = "S3 partnership monitoring report"
    props.revision = 1


class _Writer:
    def __init__(self, doc: DocxDocument, draft: Draft, *, review: bool) -> None:
        self.doc, self.draft, self.review = doc, draft, review
        self.width = parts.text_width(doc.sections[-1])
        self.bullet = parts.style(doc, "List Bullet")
        self.numbered = parts.style(doc, "List Number")
        self.grid = parts.style(doc, "Table Grid", WD_STYLE_TYPE.TABLE)
        self.title_style = parts.style(doc, "Title")

    def fields(self) -> dict[str, str]:
        return {"{{title}}": document_title(self.draft),
                "{{partnership}}": self.draft.partnership or "",
                "{{period}}": period_text(self.draft.period) if self.draft.period else ""}

    # -- structure -----------------------------------------------------------------------

    def write(self) -> None:
        draft = self.draft
        if draft.subsections:
            title = self._heading(REPORT_TITLE, 0)
            self._comment(title.runs, _notes_text(list(draft.notes)))
            part = group = None
            for sub in draft.subsections:
                if sub.part == "header":
                    self._section(sub, None)
                    continue
                if sub.part and sub.part != part:
                    self._heading(sub.part, 1)
                    part, group = sub.part, None
                if sub.group and sub.group != group:
                    self._heading(sub.group, 2)
                    group = sub.group
                self._section(sub, (sub.prompt or sub.title, 3 if sub.group else 2))
        else:
            self._section(draft, (draft.title, 1))
        self._sources(draft.citations)

    def _heading(self, text: str, level: int) -> Paragraph:
        if level == 0 and self.title_style is None:
            level = 1
        try:
            return self.doc.add_heading(text, level=level)
        except KeyError:  # a template without heading styles
            paragraph = self.doc.add_paragraph()
            paragraph.add_run(text).bold = True
            return paragraph

    def _section(self, draft: Draft, heading: tuple[str, int] | None) -> None:
        """Heading, content, and the section's notes in a comment on its heading."""
        notes = list(draft.notes)
        confirm = [f"To confirm: {' | '.join(c for c in i.cells if c)} {markers(i.refs)}"
                   for i in draft.to_confirm]  # with their sources' numbers
        anchor = None
        if heading is not None:
            anchor = self._heading(*heading)
        if draft.kind == "fields":
            first = self._fields(draft.items)
            anchor = anchor or first
        self._prose([i for i in draft.prose if i.kind != "field"])
        if draft.rows:
            self._table(draft)
        if draft.empty:
            empty = self.doc.add_paragraph()
            empty.add_run(draft.empty).italic = True
            anchor = anchor or empty
        if anchor is not None and anchor.runs:
            self._comment(anchor.runs, _notes_text(notes + confirm))

    def _fields(self, items: list[DraftItem]) -> Paragraph | None:
        first = None
        for item in items:
            label, value = item.cells
            head = self.doc.add_paragraph()
            head.add_run(label).bold = True
            first = first or head
            paragraph = self.doc.add_paragraph()
            if item.url:
                parts.hyperlink(paragraph, item.url, value)
                runs = [self._markers(paragraph, item.refs)]
            else:
                runs = [paragraph.add_run(value), self._markers(paragraph, item.refs)]
            self._evidence([r for r in runs if r is not None], item.evidence)
        return first

    def _prose(self, items: list[DraftItem]) -> None:
        paragraph: Paragraph | None = None
        for item in items:
            if item.kind == "bullet":
                paragraph = None
                target = self.doc.add_paragraph(style=self.bullet)
                self._item(target, item)
            elif item.kind == "paragraph" or paragraph is None:
                paragraph = self.doc.add_paragraph()
                self._item(paragraph, item)
                paragraph = None if item.kind == "paragraph" else paragraph
            else:  # extractive sentences read on in one paragraph
                paragraph.add_run(" ")
                self._item(paragraph, item)

    def _item(self, paragraph: Paragraph, item: DraftItem) -> None:
        runs = [paragraph.add_run(item.text), self._markers(paragraph, item.refs)]
        self._evidence([r for r in runs if r is not None], item.evidence)

    def _markers(self, paragraph: Paragraph, refs: tuple[int, ...]) -> Run | None:
        return parts.superscript(paragraph, markers(refs)) if refs else None

    def _table(self, draft: Draft) -> None:
        head = (["#"] if draft.numbered else []) + list(draft.columns)
        table = self.doc.add_table(rows=1, cols=len(head))
        if self.grid:
            table.style = self.grid
        for cell, text in zip(table.rows[0].cells, head):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        parts.repeat_header(table.rows[0])
        for n, row in enumerate(draft.rows, 1):
            cells = table.add_row().cells
            values = ([str(n)] if draft.numbered else []) + list(row.cells)
            first = 1 if draft.numbered else 0
            for i, (cell, text) in enumerate(zip(cells, values)):
                if i != first:
                    cell.text = text
                    continue
                paragraph = cell.paragraphs[0]
                runs = [paragraph.add_run(text), self._markers(paragraph, row.refs)]
                self._evidence([r for r in runs if r is not None], row.evidence)
        parts.column_widths(table, parts.weights(draft.columns, [r.cells for r in draft.rows]),
                            self.width, numbered=draft.numbered)
        self.doc.add_paragraph()

    def _sources(self, citations: list[Citation]) -> None:
        if not citations:
            return
        self._heading("Sources", 1)
        for c in citations:
            paragraph = self.doc.add_paragraph(style=self.numbered)
            if self.numbered is None:
                paragraph.add_run(f"{c.n}. ")
            paragraph.add_run(f"{c.label()}. " if c.url else c.label())
            if c.url:
                parts.hyperlink(paragraph, c.url)

    # -- comments --------------------------------------------------------------------------

    def _evidence(self, runs: list[Run], evidence: tuple[Evidence, ...]) -> None:
        lines = [f"[{e.n}] “{e.quote}”" + (f" — {e.where}" if e.where else "")
                 for e in evidence if e.quote]
        self._comment(runs, lines)

    def _comment(self, runs: list[Run], lines: list[str]) -> None:
        if not self.review or not lines or not runs:
            return
        comment = self.doc.add_comment(runs, text=lines[0], author=COMMENT_AUTHOR,
                                       initials=COMMENT_INITIALS)
        for line in lines[1:]:
            comment.add_paragraph(line)


def _notes_text(notes: list[str]) -> list[str]:
    return [f"Note: {n}" for n in dict.fromkeys(notes)]


def _placeholder(doc: DocxDocument) -> Paragraph | None:
    return next((p for p in doc.paragraphs if p.text.strip() == PLACEHOLDER), None)


def _replace_fields(doc: DocxDocument, fields: dict[str, str]) -> None:
    """Placeholders in body, header and footer paragraphs (and their tables): replaced in the
    run that holds them, else in the paragraph's first run (its formatting kept)."""
    for paragraph in _all_paragraphs(doc):
        if "{{" not in paragraph.text:
            continue
        for key, value in fields.items():
            if key not in paragraph.text:
                continue
            for run in paragraph.runs:
                if key in run.text:
                    run.text = run.text.replace(key, value)
            if key in paragraph.text and paragraph.runs:  # split across runs by Word
                text = paragraph.text.replace(key, value)
                for run in paragraph.runs[1:]:
                    run.text = ""
                paragraph.runs[0].text = text


def _all_paragraphs(doc: DocxDocument):
    containers = [doc]
    for section in doc.sections:
        containers += [section.header, section.footer, section.first_page_header,
                       section.first_page_footer]
    for container in containers:
        yield from container.paragraphs
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    yield from cell.paragraphs
