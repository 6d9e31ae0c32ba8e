"""DOCX → paragraphs and table rows in body order (python-docx).

Tables are read where they stand in the body (not appended at the end) so that a table stays
next to the paragraph that introduces it. Heading styles give headings and their levels, list
styles or numbering give list items; the first table row is taken as the header row.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from assistant.errors import LoadError
from assistant.ingest.forms import answered, is_prompt, label_value
from assistant.ingest.markup import render_row
from assistant.ingest.paras import Extracted, Para, normalise_space

_HEADING_STYLE_RE = re.compile(r"^heading\s*(\d)", re.IGNORECASE)


def _style_name(paragraph) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):  # dangling style ids in hand-made files
        return ""
    return (style.name or "") if style is not None else ""


def _is_list(paragraph, style: str) -> bool:
    if "list" in style.lower():
        return True
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _is_bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


def _paragraph_paras(paragraph) -> list[Para]:
    """One docx paragraph → Para(s); manual line breaks become separate lines."""
    text = normalise_space(paragraph.text.replace("\t", " ").replace("\x0b", "\n"))
    if not text:
        return []
    style = _style_name(paragraph)
    if match := _HEADING_STYLE_RE.match(style):
        return [Para(text.replace("\n", " "), "heading", level=int(match.group(1)), explicit=True)]
    if style.lower() == "title":
        return [Para(text.replace("\n", " "), "heading", level=1, explicit=True)]
    if _is_list(paragraph, style):
        return [Para(text.replace("\n", " "), "list_item", explicit=True)]
    lines = text.split("\n")
    bold = _is_bold(paragraph)
    return [
        Para(line, gap_before=n == 0, gap_after=n == len(lines) - 1, bold=bold and len(lines) == 1)
        for n, line in enumerate(lines)
    ]


def _row_texts(row) -> list[str]:
    """Cell texts aligned to grid columns; a merged cell counts once (later copies empty)."""
    seen: set[int] = set()
    texts = []
    for cell in row.cells:
        key = id(cell._tc)
        texts.append("" if key in seen else normalise_space(cell.text).replace("\n", " "))
        seen.add(key)
    return texts


def _unique_cells(row) -> list:
    """The row's cells, a merged cell once."""
    seen: set[int] = set()
    cells = []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _cell_paras(cell) -> list[Para]:
    """A cell's paragraphs (and nested tables) as body paragraphs."""
    from docx.table import Table

    paras: list[Para] = []
    for item in cell.iter_inner_content():
        paras.extend(_table_paras(item) if isinstance(item, Table) else _paragraph_paras(item))
    return paras


def _all_bold(cell) -> bool:
    written = [p for p in cell.paragraphs if p.text.strip()]
    return bool(written) and all(_is_bold(p) for p in written)


def _is_prompt_cell(cell) -> bool:
    text = normalise_space(cell.text)
    return bool(text) and "\n" not in text and (_all_bold(cell) or is_prompt(text))


def _form_rows(table) -> list[list] | None:
    """The rows of a prompt/answer table, or None for a data table.

    Forms written in Word put each prompt in the first column (bold, starred, "Please …" or
    ending in ':' / '?') and its answer beside it; a row may also be one merged cell holding
    "Label: value". A data table's header row is bold in every cell, and its first column
    holds values, not prompts, so it never passes."""
    rows = [[c for c in _unique_cells(row)] for row in table.rows]
    rows = [r for r in rows if any(c.text.strip() for c in r)]
    if not rows or any(len(r) > 2 for r in rows):
        return None
    for cells in rows:
        if len(cells) == 1:
            if not label_value(normalise_space(cells[0].text).replace("\n", " ")):
                return None
        elif not _is_prompt_cell(cells[0]) or _all_bold(cells[1]):
            return None
    return rows


def _form_paras(rows: list[list]) -> list[Para]:
    """Each prompt fused with its answer cell (see `forms.answered`); the answer ends with its
    cell, so nothing after the table is taken for it."""
    paras: list[Para] = []
    for cells in rows:
        if len(cells) == 1:
            paras.extend(label_value(normalise_space(cells[0].text).replace("\n", " ")))
            continue
        prompt = Para(normalise_space(cells[0].text), bold=True)
        answer = _cell_paras(cells[1])
        if not answer:
            paras.append(prompt)
            continue
        for para in answered(prompt, answer):
            para.explicit = True
            paras.append(para)
    return paras


def _table_paras(table) -> list[Para]:
    if (form := _form_rows(table)) is not None:
        return _form_paras(form)
    rows = [_row_texts(row) for row in table.rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    if len(rows) == 1 or len(rows[0]) == 1:
        return [Para("; ".join(c for c in r if c), "table_row", explicit=True) for r in rows]
    header, body = rows[0], rows[1:]
    rendered = (render_row(header, cells) for cells in body)
    return [Para(text, "table_row", explicit=True) for text in rendered if text]


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: document.xml beyond this would take gigabytes to parse (a zip bomb, or a misnamed dump).
MAX_DOCUMENT_XML_BYTES = 100_000_000
_RESAVE = "open it in Word or LibreOffice and save it as .docx"


def _package_problem(data: bytes) -> str | None:
    """Why these bytes are not a .docx package, or None if they look like one."""
    if data.startswith(_OLE2_MAGIC):
        return f"an old Word .doc (or other OLE) file, not DOCX: {_RESAVE}"
    if data.startswith(b"%PDF"):
        return "a PDF file, not DOCX: rename it to .pdf"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = {info.filename: info.file_size for info in package.infolist()}
    except (zipfile.BadZipFile, ValueError, OSError):
        return f"not a DOCX file (not a ZIP package; a renamed or damaged file?): {_RESAVE}"
    if "word/document.xml" not in names:
        return f"not a Word DOCX document (a ZIP archive without word/document.xml): {_RESAVE}"
    if names["word/document.xml"] > MAX_DOCUMENT_XML_BYTES:
        size = names["word/document.xml"] // 1_000_000
        return f"too large to read (document.xml unpacks to {size} MB): split the document"
    return None


def extract_docx(data: bytes, path: Path) -> Extracted:
    """Body paragraphs and tables in order; LoadError if the file is not a readable docx."""
    import docx
    from docx.table import Table

    if problem := _package_problem(data):
        raise LoadError(str(path), problem)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:
        raise LoadError(str(path), f"corrupt DOCX ({type(err).__name__}): {_RESAVE}") from None
    paras: list[Para] = []
    title = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            paras.extend(_table_paras(item))
            continue
        new = _paragraph_paras(item)
        if title is None and new and _style_name(item).lower() == "title":
            title = new[0].text
        paras.extend(new)
    core_title = (document.core_properties.title or "").strip()
    return Extracted(paras, title=title or core_title or None)
