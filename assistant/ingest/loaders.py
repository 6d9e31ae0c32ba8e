"""`load_document`: one file → `Document` (readable text + structural blocks), or `LoadError`.

Every way a single file can be bad (wrong type, empty, corrupt, encrypted, not UTF-8, binary)
ends as a `LoadError` with a short reason, so an ingest run can report the file and go on.
Text files must be UTF-8: guessing a legacy encoding silently garbles names like "Västerbotten",
which then never match a question, so a cp1252 file is refused with a reason the user can act on.
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
from assistant.ingest.text_structure import scan_lines, split_header, unwrap
from assistant.models import Block, Document

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

_MAGIC = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP/Office file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "an executable",
}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _sniff_binary(data: bytes) -> str | None:
    """A reason if the bytes are clearly not text (magic number, NULs, control characters)."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return f"binary file ({what}), not text"
    head = data[:8192]
    if b"\x00" in head:
        return "binary file, not text"
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    if controls > max(8, len(head) // 50):
        return "binary file, not text"
    return None


def decode_text(data: bytes, path: Path) -> str:
    """Bytes of a text file → str: UTF-8 (BOM optional) or BOM-marked UTF-16, nothing else."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise LoadError(
                str(path), f"not UTF-16 text despite its byte-order mark ({err.reason})"
            ) from None
    if reason := _sniff_binary(data):
        raise LoadError(str(path), reason)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start]
        raise LoadError(
            str(path),
            f"not UTF-8 text (byte 0x{bad:02x} at offset {err.start}; probably cp1252/latin-1 — "
            "re-save the file as UTF-8)",
        ) from None
    if len(_CONTROL_RE.findall(text[:8192])) > 8:
        raise LoadError(str(path), "binary file, not text")
    return text


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")


def _extract_text(data: bytes, path: Path) -> Extracted:
    """.txt/.md: header lines → metadata, then markdown/plain-text conventions."""
    meta, body = split_header(_normalise_newlines(decode_text(data, path)))
    paras = unwrap(scan_lines(body))
    return Extracted(paras, title=meta.get("title"), url=meta.get("source"))


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
    except OSError as err:
        raise LoadError(str(path), f"cannot read file ({err.strerror or err})") from None


def load_document(path: Path, *, root: Path) -> Document:
    """Load one supported file; raise `LoadError(str(path), reason)` for anything unreadable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(str(path), f"unsupported file type {suffix or '(no suffix)'}")
    data = _read(path)
    if not data.strip():
        raise LoadError(str(path), "empty file")
    try:
        extracted = _EXTRACTORS[suffix](data, path)
        paras = apply_structure(extracted.paras)
        text, blocks = assemble(paras)
    except LoadError:
        raise
    except Exception as err:  # a malformed file must never abort a whole ingest run
        detail = f"{type(err).__name__}: {err}"
        detail = detail if len(detail) <= 100 else detail[:97] + "..."
        raise LoadError(str(path), f"could not parse {suffix[1:].upper()} ({detail})") from err
    if not text.strip():
        raise LoadError(str(path), "no extractable text")
    metadata = {"format": suffix[1:], **extracted.metadata}
    return Document(
        doc_id=doc_id_for(path, Path(root)),
        title=_title(extracted, blocks, path),
        text=text,
        blocks=blocks,
        url=extracted.url,
        metadata=metadata,
    )
