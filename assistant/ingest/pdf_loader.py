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
from assistant.ingest.text_structure import line_paras

_PAGE_NUMBER_RE = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_ITEM_START_RE = re.compile(r"^(?:[-*•▪◦‣●–]\s|\d{1,2}[.)]\s)")
# Bullet glyphs from symbol fonts come out as control or private-use characters.
_GLYPH_BULLET_RE = re.compile(r"^[\x7f\x80-\x9f\uf000-\uf0ff\u25aa\u25cf\u25e6]\s*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\uf000-\uf0ff]")


def _short_reason(err: Exception) -> str:
    text = str(err).strip() or type(err).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _open(data: bytes, path: Path):  # -> pypdf.PdfReader
    """Open and, for owner-password-only files, decrypt; refuse what needs a user password."""
    from pypdf import PdfReader

    logger = logging.getLogger("pypdf")
    if logger.level == logging.NOTSET:  # pypdf warns on every quirk of real-world files
        logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as err:
        raise LoadError(str(path), f"corrupt PDF ({_short_reason(err)})") from None
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception:
            opened = 0
        if not opened:
            raise LoadError(str(path), "encrypted PDF")
    return reader


def _page_texts(reader, path: Path) -> list[str]:
    try:
        pages = list(reader.pages)
        if not pages:
            raise LoadError(str(path), "corrupt PDF (no pages)")
        return [page.extract_text() or "" for page in pages]
    except LoadError:
        raise
    except Exception as err:
        raise LoadError(str(path), f"corrupt PDF ({_short_reason(err)})") from None


def _breaks_before(prev: str, line: str, width: int) -> bool:
    """Does `line` start a new paragraph after `prev` (both from the same page)?"""
    if _ITEM_START_RE.match(line):
        return True
    tail = prev.rstrip()
    if tail[-1] in SENTENCE_END + ":" and len(tail) < 0.8 * width:
        return True
    return len(tail) < 0.6 * width and tail[-1] not in ",;-–(" and line[:1].isupper()


def _join(lines: list[str]) -> str:
    """Join wrapped lines; a trailing hyphen before a lowercase word is a soft hyphen, except
    after a short prefix ("co-financed", "re-use") where it is part of the word."""
    text = lines[0]
    for line in lines[1:]:
        prefix = re.search(r"(\w+)-$", text)
        if prefix and prefix.group(1).isalpha() and line[:1].islower():
            text = (text if len(prefix.group(1)) <= 3 else text[:-1]) + line
        else:
            text = f"{text} {line}"
    return text


def _clean_line(line: str) -> str:
    line = _GLYPH_BULLET_RE.sub("• ", normalise_space(line))
    return normalise_space(_CONTROL_RE.sub(" ", line))


def page_paras(text: str, page: int) -> list[Para]:
    """Paragraphs of one page's extracted text."""
    lines = [_clean_line(line) for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if not _PAGE_NUMBER_RE.match(line)]
    lengths = sorted(len(line) for line in lines if line)
    width = max(20, lengths[int(len(lengths) * 0.9)] if lengths else 0)
    groups: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if not line or (current and _breaks_before(current[-1], line, width)):
            if current:
                groups.append(current)
            current = []
        if line:
            current.append(line)
    if current:
        groups.append(current)
    paras: list[Para] = []
    for group in groups:
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
    paras = [para for n, text in enumerate(texts, start=1) for para in page_paras(text, n)]
    if not any(p.text.strip() for p in paras):
        raise LoadError(str(path), "no extractable text (scanned PDF?)")
    return Extracted(paras, title=_title(reader), metadata={"pages": str(len(texts))})
