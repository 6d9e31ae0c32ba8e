"""The intermediate form every loader produces, and its assembly into a `Document`.

Loaders differ in what they know: a .docx knows its headings from styles, a .txt file only has
blank lines and conventions. Each loader emits `Para`s (one line or paragraph each, with whatever
structure it knows for sure); the shared passes in `structure` add what can only be guessed
(headings, form questions); `assemble` lays them out as `Document.text` with block offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.models import Block, BlockKind

SENTENCE_END = ".!?…"
_CLOSERS = "\"'”’»)]"


@dataclass(slots=True)
class Para:
    """One line/paragraph on its way to becoming a `Block`.

    `gap_before`/`gap_after` record a paragraph break (blank line) around it, which is what
    separates a standalone heading line from a line inside running text. `explicit` marks
    structure that came from the file itself (markdown `#`, docx styles, html tags) and must not
    be second-guessed. `star` marks a form's mandatory-question marker; `bold` a wholly bold line.
    """

    text: str
    kind: BlockKind = "text"
    level: int = 0
    page: int | None = None
    gap_before: bool = True
    gap_after: bool = True
    explicit: bool = False
    bold: bool = False
    star: bool = False
    marker: str = ""  # list marker the line started with ("*", "-", "1."), if any
    question: bool = False  # a form/FAQ question (its answer is grouped by `forms`)


@dataclass(slots=True)
class Extracted:
    """What a format-specific loader hands back: paragraphs plus whatever metadata it found."""

    paras: list[Para]
    title: str | None = None
    url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def word_count(text: str) -> int:
    return len(text.split())


def ends_sentence(text: str) -> bool:
    """True if the text ends like a finished sentence (closing quotes/brackets ignored)."""
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


_WS_RE = re.compile(r"[ \t\u00a0\u200b]+")


def normalise_space(text: str) -> str:
    """Collapse runs of spaces inside each line and drop empty lines (keeps line breaks)."""
    lines = (_WS_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def assemble(paras: list[Para]) -> tuple[str, list[Block]]:
    """Lay paragraphs out as one text (blank line between paragraphs, newline between lines of
    one paragraph group) and return it with blocks whose offsets point into it."""
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for para in paras:
        if not para.text:
            continue
        if blocks:
            sep = "\n\n" if para.gap_before else "\n"
            parts.append(sep)
            pos += len(sep)
        parts.append(para.text)
        blocks.append(Block(para.kind, para.text, para.page, para.level, pos, pos + len(para.text)))
        pos += len(para.text)
    return "".join(parts), blocks
