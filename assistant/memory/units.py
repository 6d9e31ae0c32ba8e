"""The document as extraction units (table rows, form lines, sentences) and the chunk each one
is cited from.

Why sentences and lines, not blocks: long text blocks are split over several chunks, and a
citation's quote must appear in the chunk it names; a sentence or row always lies in one chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.ingest.sentences import sentence_spans
from assistant.memory.models import SourceRef
from assistant.models import Block, Chunk, Document

QUOTE_CHARS = 300


@dataclass(frozen=True, slots=True)
class Unit:
    """One row, line or sentence with its document offsets and reading context.

    `block` is the index of the block it came from; `lead` is the text block (or form question)
    that introduces it, e.g. "Please provide information regarding planned future meetings";
    `headings` is the heading path above it; `first` says it starts its block."""

    kind: str
    text: str
    start: int
    end: int
    block: int
    lead: str = ""
    headings: tuple[str, ...] = ()
    first: bool = True

    @property
    def context(self) -> str:
        """Lead and headings: where a table sits says what its rows are (past / planned...)."""
        return " / ".join((*self.headings, self.lead))


def iter_units(doc: Document) -> Iterator[Unit]:
    """Table rows and headings whole, form answers line by line, prose sentence by sentence."""
    headings: list[tuple[int, str]] = []
    lead = ""
    for index, block in enumerate(doc.blocks):
        if block.kind == "heading":
            headings = [(lvl, txt) for lvl, txt in headings if lvl < (block.level or 1)]
            headings.append((block.level or 1, block.text))
            lead = ""
            yield Unit("heading", block.text, block.start, block.end, index)
            continue
        path = tuple(text for _, text in headings)
        if block.kind == "table_row":
            yield Unit("table_row", block.text, block.start, block.end, index, lead, path)
            continue
        if block.kind == "qa":
            yield from _lines(block, index, path)
            lead = block.text.split("\n", 1)[0]  # a table right under a form answer answers it
            continue
        yield from _sentences(block, index, lead, path)
        if block.kind == "text":
            lead = block.text


def _lines(block: Block, index: int, path: tuple[str, ...]) -> Iterator[Unit]:
    """A form answer: the question is the lead of every line under it. A bulleted answer line
    ("- 30.6.2020 Clusters …") is a list item, read as one wherever the list stands."""
    lines = block.text.split("\n")
    question = lines[0]
    offset = block.start
    for number, line in enumerate(lines):
        if number and line.startswith("- ") and line[2:].strip():
            item = offset + 2
            for n, (a, b) in enumerate(sentence_spans(line[2:])):
                yield Unit("list_item", line[2 + a:2 + b], item + a, item + b, index, question,
                           path, n == 0)
        elif line.strip():
            yield Unit("qa", line, offset, offset + len(line), index, question, path, number == 0)
        offset += len(line) + 1


def _sentences(block: Block, index: int, lead: str, path: tuple[str, ...]) -> Iterator[Unit]:
    for number, (a, b) in enumerate(sentence_spans(block.text)):
        yield Unit(block.kind, block.text[a:b], block.start + a, block.start + b, index, lead,
                   path, number == 0)


class SourceLocator:
    """Finds the chunk that holds a unit and builds its `SourceRef`."""

    def __init__(self, *, doc: Document, chunks: list[Chunk]) -> None:
        self._doc = doc
        self._chunks = sorted(chunks, key=lambda c: (c.start, c.end))

    def ref(self, unit: Unit, quote: str | None = None) -> SourceRef | None:
        """The first chunk that spans the unit and contains its quote; None when no chunk
        does (the item is then dropped: an uncitable item is worse than a missing one)."""
        text = trim_quote(quote if quote is not None else unit.text)
        if not text:
            return None
        chunk = self._find(unit.start, unit.end, text)
        if chunk is None:
            return None
        return SourceRef(chunk_id=chunk.chunk_id, doc_id=self._doc.doc_id, title=self._doc.title,
                         quote=text, page=chunk.page, section=chunk.section, url=self._doc.url)

    def _find(self, start: int, end: int, text: str) -> Chunk | None:
        spanning = [c for c in self._chunks if c.start <= start and end <= c.end]
        overlapping = [c for c in self._chunks if c.start < end and start < c.end]
        for group in (spanning, overlapping, self._chunks):
            for chunk in group:
                if text in chunk.text:
                    return chunk
        return None


def trim_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary (no ellipsis, so the quote stays a
    verbatim substring of the chunk)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:–-")


def squash(text: str) -> str:
    """Whitespace collapsed, for keys and titles."""
    return re.sub(r"\s+", " ", text).strip()
