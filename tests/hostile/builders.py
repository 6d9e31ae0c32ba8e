"""Bytes of good and bad documents, built in memory with reportlab, pypdf and python-docx.

Shared by the hostile-corpus tests and the property-based tests; nothing here touches disk
except `write`.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import docx
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A text PDF: one list of lines per page."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            if line:  # an empty string is a blank line
                pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def image_only_pdf() -> bytes:
    """A PDF whose only page holds a filled rectangle: no text layer at all (like a scan)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.rect(100, 400, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def encrypted_pdf(data: bytes, *, user_password: str = "secret") -> bytes:
    """RC4 (needs no extra package to write or to detect); AES would need `cryptography`."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(paragraphs: list[str], *, heading: str | None = None) -> bytes:
    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    """A valid ZIP archive of arbitrary members (e.g. a zipped report renamed to .docx)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def prose(n_bytes: int, *, seed: int = 1, fact: str = "") -> str:
    """Generated report-like text of about n_bytes: headings, paragraphs of hard-wrapped lines
    (76 columns, so the unwrapper has work to do) and blank lines; `fact` closes the text."""
    rng = random.Random(seed)
    words = (
        "mining region partners the of and in raw materials policy meeting cooperation "
        "sustainable exploration permit community water energy lithium tailings smart "
        "specialisation action plan stakeholders"
    ).split()
    parts: list[str] = []
    size = 0
    n = 0
    while size < n_bytes:
        n += 1
        if n % 20 == 1:
            parts.append(f"Section {n}\n\n")
        sentences = (
            " ".join(rng.choice(words) for _ in range(rng.randint(6, 25))).capitalize() + "."
            for _ in range(rng.randint(3, 8))
        )
        parts.append(_wrap(" ".join(sentences), 76) + "\n\n")
        size += len(parts[-1]) + (len(parts[-2]) if n % 20 == 1 else 0)
    if fact:
        parts.append(fact + "\n")
    return "".join(parts)


def _wrap(text: str, width: int) -> str:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n".join(lines)
