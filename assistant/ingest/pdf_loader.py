"""PDF → paragraphs with page numbers (pypdf).

pypdf returns each page as lines with no paragraph breaks, so paragraphs are rebuilt from line
geometry proxies: a short line ending a sentence closes a paragraph, a short unpunctuated line
is a heading-like line of its own, a bullet starts a new item, and wrapped/hyphenated lines are
joined. Page numbers are kept on every paragraph so citations can say "p. 3".
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from assistant.errors import LoadError
from assistant.ingest.paras import SENTENCE_END, Extracted, Para, normalise_space
from assistant.ingest.pdf_tables import Table, find_tables, locate
from assistant.ingest.text_structure import line_paras

_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_ITEM_START_RE = re.compile(r"^(?:[-*•▪◦‣●–]\s|\d{1,2}[.)]\s)")
# Bullet glyphs from symbol fonts come out as control or private-use characters.
_GLYPH_BULLET_RE = re.compile(r"^[\x7f\x80-\x9f\uf000-\uf0ff\u25aa\u25cf\u25e6]\s*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\uf000-\uf0ff]")


def _short_reason(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text if len(text) <= 80 else text[:77] + "..."


_EOF_TAIL = 4096  # writers may append a little junk after the final %%EOF marker
_REEXPORT = "re-export or re-download it"


def _is_truncated(data: bytes) -> bool:
    """A PDF ends with %%EOF; without it the file was cut short (an interrupted download or
    copy), and whatever pypdf recovers from it would silently miss pages."""
    return b"%%EOF" not in data[-_EOF_TAIL:]


def _missing_dependency(err: Exception) -> bool:
    return type(err).__name__ == "DependencyError"


def _open(data: bytes, path: Path):  # -> pypdf.PdfReader
    """Open and, for owner-password-only files, decrypt; refuse what needs a user password."""
    from pypdf import PdfReader

    logger = logging.getLogger("pypdf")
    if logger.level == logging.NOTSET:  # pypdf warns on every quirk of real-world files
        logger.setLevel(logging.ERROR)
    if not data.startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        raise LoadError(str(path), "not a PDF (no %PDF header): check the file's real type")
    if _is_truncated(data):
        raise LoadError(
            str(path), f"truncated PDF (no end-of-file marker; the file was cut short): {_REEXPORT}"
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as err:
        raise LoadError(str(path), f"corrupt PDF ({_short_reason(err)}): {_REEXPORT}") from None
    if reader.is_encrypted:
        _decrypt(reader, path)
    return reader


def _decrypt(reader, path: Path) -> None:
    """Owner-password-only PDFs (print/copy restrictions) open with the empty password."""
    try:
        opened = reader.decrypt("")
    except Exception as err:
        if _missing_dependency(err):
            raise LoadError(
                str(path),
                "encrypted PDF (AES): install the 'cryptography' package to read it",
            ) from None
        opened = 0
    if not opened:
        raise LoadError(
            str(path),
            "encrypted PDF (needs a password to open): add an unprotected copy instead",
        )


def _layout_tables(page, text: str) -> list[Table]:
    """The page's tables (see `pdf_tables`); a table shows in the plain text as a run of short
    lines, so pages without a few short lines are not laid out again."""
    if sum(1 for line in text.split("\n") if 0 < len(line.split()) <= 6) < 4:
        return []
    try:
        return find_tables(page.extract_text(extraction_mode="layout") or "")
    except Exception:  # layout mode fails on odd pages that plain mode reads: no tables then
        return []


def _page_texts(reader, path: Path) -> list[tuple[str, list[Table]]]:
    try:
        pages = list(reader.pages)
        if not pages:
            raise LoadError(str(path), f"corrupt PDF (no pages): {_REEXPORT}")
        texts = [(page, page.extract_text() or "") for page in pages]
        return [(text, _layout_tables(page, text)) for page, text in texts]
    except LoadError:
        raise
    except Exception as err:
        if _missing_dependency(err):
            raise LoadError(
                str(path), f"PDF needs a missing package ({_short_reason(err)})"
            ) from None
        raise LoadError(str(path), f"corrupt PDF ({_short_reason(err)}): {_REEXPORT}") from None


def _breaks_before(prev: str, line: str, width: int) -> bool:
    """Does `line` start a new paragraph after `prev` (both from the same page)?"""
    if _ITEM_START_RE.match(line):
        return True
    tail = prev.rstrip()
    if tail[-1] in SENTENCE_END + ":" and len(tail) < 0.8 * width:
        return True
    return len(tail) < 0.6 * width and tail[-1] not in ",;-–(" and line[:1].isupper()


_SOFT_HYPHEN_RE = re.compile(r"(\w+)-$")


def _join(lines: list[str]) -> str:
    """Join wrapped lines; a trailing hyphen before a lowercase word is a soft hyphen, except
    after a short prefix ("co-financed", "re-use") where it is part of the word.

    Linear in the paragraph's length: only the tail of the text so far is inspected and the
    pieces are joined once (a page of thousands of wrapped lines was quadratic)."""
    parts = [lines[0]]
    tail = lines[0][-100:]
    for line in lines[1:]:
        prefix = _SOFT_HYPHEN_RE.search(tail)
        if prefix and prefix.group(1).isalpha() and line[:1].islower():
            if len(prefix.group(1)) > 3:
                parts[-1] = parts[-1][:-1]  # drop the soft hyphen
                tail = tail[:-1]
            piece = line
        else:
            piece = f" {line}"
        parts.append(piece)
        tail = (tail + piece)[-100:]
    return "".join(parts)


def _clean_line(line: str) -> str:
    line = _GLYPH_BULLET_RE.sub("• ", normalise_space(line))
    return normalise_space(_CONTROL_RE.sub(" ", line))


def _table_runs(tables: list[Table], lines: list[str]) -> dict[int, tuple[int, list[str]]]:
    """First line -> (end line, rendered rows) of each table found among the plain lines."""
    runs: dict[int, tuple[int, list[str]]] = {}
    for table in tables:
        span = locate(table, lines)
        if span is not None and not any(a < span[1] and span[0] < b for a, (b, _) in runs.items()):
            runs[span[0]] = (span[1], table.rendered())
    return runs


def page_paras(text: str, page: int, tables: list[Table] | None = None) -> list[Para]:
    """Paragraphs of one page's extracted text; the lines of a located table become its rows."""
    lines = [_clean_line(line) for line in text.replace("\r", "\n").split("\n")]
    runs = _table_runs(tables or [], lines)
    kept = [n for n, line in enumerate(lines) if not _PAGE_NUMBER_RE.match(line)]
    lengths = sorted(len(lines[n]) for n in kept if lines[n])
    width = max(20, lengths[int(len(lengths) * 0.9)] if lengths else 0)
    groups: list[list[str] | Para] = []
    current: list[str] = []
    n = 0
    while n < len(lines):
        line = lines[n]
        if n in runs or not line or (current and _breaks_before(current[-1], line, width)):
            if current:
                groups.append(current)
            current = []
        if n in runs:
            end, rows = runs[n]
            groups.extend(Para(row, "table_row", page=page, gap_before=not k, explicit=True)
                          for k, row in enumerate(rows))
            n = end
            continue
        if line and not _PAGE_NUMBER_RE.match(line):
            current.append(line)
        n += 1
    if current:
        groups.append(current)
    paras: list[Para] = []
    for group in groups:
        if isinstance(group, Para):
            paras.append(group)
            continue
        for para in line_paras(_join(group)):
            para.page = page
            paras.append(para)
    return paras


def _title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:
        return None
    title = str(title).strip() if title else ""
    junk = title.lower().startswith(("microsoft", "untitled", "(anonymous)")) or bool(
        re.search(r"\.(docx?|pptx?|pdf|indd|tex)$", title, re.IGNORECASE)
    )
    if not title or len(title) > 200 or junk:
        return None
    return title


def extract_pdf(data: bytes, path: Path) -> Extracted:
    """Extract a PDF page by page; LoadError for corrupt, encrypted or text-less files."""
    reader = _open(data, path)
    texts = _page_texts(reader, path)
    paras = [para for n, (text, tables) in enumerate(texts, start=1)
             for para in page_paras(text, n, tables)]
    if not any(p.text.strip() for p in paras):
        raise LoadError(
            str(path),
            "no extractable text (a scanned or image-only PDF?): run OCR on it (e.g. ocrmypdf) "
            "and add the result",
        )
    return Extracted(paras, title=_title(reader), metadata={"pages": str(len(texts))})
