"""`load_document`: one file → `Document` (readable text + structural blocks), or `LoadError`.

Every way a single file can be bad (wrong type, empty, corrupt, encrypted, binary, unreadable)
ends as a `LoadError` with a one-line reason that says what to do, so an ingest run can report
the file and go on.

Text files are read as UTF-8 (BOM optional) or BOM-marked UTF-16/32; anything else is a legacy
Windows/ISO file, decoded as cp1252 (Western Europe, a superset of latin-1's letters) unless
cp1250 (Central Europe) reads it with clearly fewer stray symbols inside words. A general
detector (charset-normalizer) was tried and rejected: on short Spanish, Portuguese and French
texts it picks cp1250/cp775/cp1006 and turns "España" into "Espańa" — exactly the silent
garbling that makes a name never match a question.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from pathlib import Path

from assistant.errors import LoadError
from assistant.ingest.paras import Extracted, assemble
from assistant.ingest.structure import apply_structure
from assistant.ingest.text_structure import HeaderError, scan_lines, split_header, unwrap
from assistant.models import Block, Document

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})
_NO_TEXT = {
    ".html": "no extractable text (the page has no readable text outside scripts and menus)",
    ".htm": "no extractable text (the page has no readable text outside scripts and menus)",
}

_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP/Office file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "an executable",
}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BINARY_REASON = "binary file, not text (control bytes): check that the suffix matches the content"


def _sniff_binary(data: bytes) -> str | None:
    """A reason if the bytes are clearly not text (magic number, NULs, control characters)."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return f"binary file ({what}), not text: give it its real suffix"
    head = data[:8192]
    if b"\x00" in head:
        return (
            f"binary file, not text (NUL byte at offset {head.index(0)}): a wrong suffix, or "
            "UTF-16 saved without a byte-order mark? re-save it as UTF-8"
        )
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    if controls > max(8, len(head) // 50):
        return _BINARY_REASON
    return None


_UTF_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its LE mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Common punctuation that legitimately touches letters in a legacy-encoded text.
_TOUCHING_PUNCT = frozenset("¿¡«»“”‘’„‚–—…°€£§©®™•·'\"")


def _stray_symbols(text: str) -> int:
    """Non-letters (other than common punctuation) glued to a letter: "Bia³ystok", "£ódŸ"
    are cp1250 text read as cp1252. A well-chosen code page leaves almost none."""
    count = 0
    for i, ch in enumerate(text):
        if ch < "\x80" or ch.isalpha() or ch in _TOUCHING_PUNCT:
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        count += before.isalpha() or after.isalpha()
    return count


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """Bytes that are not UTF-8 → (text, encoding): cp1252 unless cp1250 fits clearly better."""
    sample = data[:1 << 16]
    scores: list[tuple[int, int, str]] = []
    for rank, encoding in enumerate(("cp1252", "cp1250")):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        scores.append((_stray_symbols(text), rank, encoding))
    encoding = min(scores)[2] if scores else "latin-1"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:  # an undefined byte after the sample
        return data.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """Bytes of a text file → (text, encoding name); LoadError if they are not text."""
    for bom, encoding in _UTF_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as err:
                raise LoadError(
                    str(path),
                    f"not {encoding.upper()} text despite its byte-order mark ({err.reason}); "
                    "re-save it as UTF-8",
                ) from None
    if reason := _sniff_binary(data):
        raise LoadError(str(path), reason)
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _decode_legacy(data)
    if len(_CONTROL_RE.findall(text, 0, 8192)) > 8:
        raise LoadError(str(path), _BINARY_REASON)
    return text, encoding


def decode_text(data: bytes, path: Path) -> str:
    """Bytes of a text file → str (see `decode_bytes`)."""
    return decode_bytes(data, path)[0]


def _normalise_newlines(text: str) -> str:
    """CRLF/CR → LF, form feed → paragraph break; no copy when there is nothing to change
    (a 50 MB file is otherwise copied three times)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\f", "\n\n") if "\f" in text else text


def _extract_text(data: bytes, path: Path) -> Extracted:
    """.txt/.md: header lines → metadata, then markdown/plain-text conventions."""
    text, encoding = decode_bytes(data, path)
    try:  # the same parser decides the document's visibility (ingest/access_rules.py)
        meta, body = split_header(_normalise_newlines(text))
    except HeaderError as err:
        raise LoadError(str(path), str(err)) from None
    del text
    paras = unwrap(scan_lines(body))
    extra = {} if encoding == "utf-8" else {"encoding": encoding}
    return Extracted(paras, title=meta.get("title"), url=meta.get("source"), metadata=extra)


def _extract_pdf(data: bytes, path: Path) -> Extracted:
    from assistant.ingest.pdf_loader import extract_pdf  # pypdf is only imported when needed

    return extract_pdf(data, path)


def _extract_docx(data: bytes, path: Path) -> Extracted:
    from assistant.ingest.docx_loader import extract_docx

    return extract_docx(data, path)


def _extract_html(data: bytes, path: Path) -> Extracted:
    from assistant.ingest.html_loader import extract_html

    return extract_html(data, path)


_EXTRACTORS: dict[str, Callable[[bytes, Path], Extracted]] = {
    ".txt": _extract_text,
    ".md": _extract_text,
    ".pdf": _extract_pdf,
    ".docx": _extract_docx,
    ".html": _extract_html,
    ".htm": _extract_html,
}


def _relative_to(file: Path, base: Path) -> str | None:
    try:
        return file.relative_to(base).as_posix()
    except ValueError:
        return None


def doc_id_for(path: Path, root: Path) -> str:
    """Path relative to root with posix separators (file name if it lies outside root).

    Tried on the paths as given first, so a symlinked file inside root keeps its name there."""
    rel = _relative_to(Path(os.path.abspath(path)), Path(os.path.abspath(root)))
    if rel is None:
        try:
            rel = _relative_to(path.resolve(), root.resolve())
        except (OSError, RuntimeError):  # symlink loops
            rel = None
    return rel or path.name


def _humanise(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _title(extracted: Extracted, blocks: list[Block], path: Path) -> str:
    if extracted.title and extracted.title.strip():
        return extracted.title.strip()
    heading = next((b.text for b in blocks if b.kind == "heading"), None)
    return heading or _humanise(path.stem)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise LoadError(str(path), "is a directory, not a file") from None
    except PermissionError:
        raise LoadError(
            str(path), "cannot read file (permission denied): make it readable, e.g. chmod a+r"
        ) from None
    except OSError as err:
        raise LoadError(str(path), f"cannot read file ({err.strerror or err})") from None


def one_line(text: str, limit: int = 200) -> str:
    """A reason fit for one log line: whitespace (newlines from library messages) collapsed,
    long library messages cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _empty_reason(data: bytes) -> str | None:
    if not data:
        return "empty file (0 bytes): nothing to index"
    if data.isspace():  # bytes.isspace: no copy of a large file, unlike strip()
        return "empty file (only whitespace): nothing to index"
    return None


def _extract(suffix: str, data: bytes, path: Path) -> tuple[Extracted, str, list[Block]]:
    try:
        extracted = _EXTRACTORS[suffix](data, path)
        paras = apply_structure(extracted.paras)
        text, blocks = assemble(paras)
    except LoadError:
        raise
    except Exception as err:  # a malformed file must never abort a whole ingest run
        detail = one_line(f"{type(err).__name__}: {err}", 100)
        raise LoadError(
            str(path),
            f"could not parse {suffix[1:].upper()} ({detail}); re-save or re-export the file",
        ) from err
    return extracted, text, blocks


def load_document(path: Path, *, root: Path) -> Document:
    """Load one supported file; raise `LoadError(str(path), reason)` for anything unreadable.

    The reason is always one line (see `one_line`)."""
    try:
        return _load(Path(path), Path(root))
    except LoadError as err:
        raise LoadError(err.path, one_line(err.reason) or "unreadable file") from err.__cause__


def _load(path: Path, root: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(str(path), f"unsupported file type {suffix or '(no suffix)'}")
    data = _read(path)
    if reason := _empty_reason(data):
        raise LoadError(str(path), reason)
    extracted, text, blocks = _extract(suffix, data, path)
    del data
    if not text or text.isspace():
        raise LoadError(str(path), _NO_TEXT.get(suffix, "no extractable text"))
    metadata = {"format": suffix[1:], **extracted.metadata}
    return Document(
        doc_id=doc_id_for(path, root),
        title=_title(extracted, blocks, path),
        text=text,
        blocks=blocks,
        url=extracted.url,
        metadata=metadata,
    )
