"""`chunk_document`: blocks → retrieval chunks that keep their context.

Design, in the order the rules matter for answer quality:
* a table row, or a question with its answer, is never split: half of "Event: …; Date: …" or
  an answer without its question cannot answer anything;
* every table chunk starts with the table's caption/heading line, so rows stay near their
  context even when a long table spans several chunks;
* prose is packed sentence by sentence into ~min_words..max_words chunks, with a few trailing
  sentences repeated at the start of the next chunk of the same section (overlap), so a fact
  stated across a boundary is still retrievable;
* each chunk carries its heading path; sections are not merged once a chunk is half-full, but
  tiny sections are merged rather than producing fragments.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from assistant.ingest.sentences import sentence_spans, word_windows
from assistant.models import Block, Chunk, Document

_MAX_CAPTION_WORDS = 60
_MERGE_SLACK = 1.1  # a tiny tail may make the previous chunk this much longer than max_words


@dataclass(frozen=True, slots=True)
class _Heading:
    level: int
    text: str
    block: Block


@dataclass(slots=True)
class _Unit:
    """A piece that is never split further: one sentence, heading, qa block or table row."""

    text: str
    start: int
    end: int
    page: int | None
    words: int
    kind: str  # "heading" | "text" | "qa" | "row"
    path: tuple[str, ...]

    @classmethod
    def of(cls, block: Block, kind: str, path: tuple[str, ...]) -> _Unit:
        return cls(
            block.text, block.start, block.end, block.page, len(block.text.split()), kind, path
        )


@dataclass(slots=True)
class _Params:
    max_words: int
    min_words: int
    overlap_words: int


class _Builder:
    """Accumulates units into chunks and emits them (see module docstring for the rules)."""

    def __init__(self, doc: Document, params: _Params) -> None:
        self.doc = doc
        self.p = params
        self.chunks: list[Chunk] = []
        self.units: list[_Unit] = []
        self.fresh = 0  # units added since the last flush (the rest is overlap)
        self.last_units: list[_Unit] | None = None  # units of the last chunk, if mergeable

    @property
    def words(self) -> int:
        return sum(u.words for u in self.units)

    def add(self, unit: _Unit, rest: int = 0) -> None:
        """Append a unit, first closing the chunk if it would overflow or if closing now
        splits the rest of the section into two balanced chunks (`rest` = words still to come
        in this section, this unit included) instead of a full chunk and a tiny tail."""
        if self.fresh and _new_page(self.units[-1], unit):
            self.flush()  # a chunk cites one page: a PDF page break always ends it
        elif self.fresh and self._should_close(unit, rest):
            same_section = unit.kind == "text" and unit.path == self.units[-1].path
            self.flush(carry_for=unit if same_section else None)
        self.units.append(unit)
        self.fresh += 1

    def _should_close(self, unit: _Unit, rest: int) -> bool:
        words, p = self.words, self.p
        if words + unit.words > p.max_words:
            return True
        if words < p.min_words or words + rest <= p.max_words:
            return False
        return rest + p.overlap_words <= p.max_words and words >= rest

    def section_break(self) -> None:
        """A new section starts: close the chunk if it is already substantial."""
        if not self.fresh:
            self.units = []  # pending overlap belongs to the previous section
        elif self.words >= self.p.min_words / 2:
            self.flush()

    def flush(self, carry_for: _Unit | None = None, *, final: bool = False) -> None:
        """Emit the pending chunk; optionally keep trailing sentences as overlap for carry_for.

        A chunk of nothing but headings is dropped (the headings live on in `section`), unless
        it is all the document has."""
        fresh = self.units[len(self.units) - self.fresh :]
        only_document_text = final and bool(fresh) and not self.chunks
        if not any(u.kind != "heading" for u in fresh) and not only_document_text:
            self.units, self.fresh = [], 0
            return
        done = self.units
        self._emit(done)
        self.units = self._overlap(done, carry_for) if carry_for else []
        self.fresh = 0

    def _overlap(self, done: list[_Unit], nxt: _Unit) -> list[_Unit]:
        budget = min(self.p.overlap_words, self.p.max_words - nxt.words)
        carried: list[_Unit] = []
        for unit in reversed(done):
            if unit.kind != "text" or unit.path != nxt.path or unit.words > budget:
                break
            carried.insert(0, unit)
            budget -= unit.words
        return carried

    def emit_table(self, caption: _Unit | None, rows: list[_Unit]) -> None:
        """Rows grouped into chunks of <= max_words, each led by the caption line."""
        self.flush()
        head = [caption] if caption else []
        group: list[_Unit] = list(head)
        for row in rows:
            if (
                any(u.kind == "row" for u in group)
                and sum(u.words for u in group) + row.words > self.p.max_words
            ):
                self._emit(group, mergeable=False)
                group = list(head)
            group.append(row)
        if any(u.kind == "row" for u in group):
            self._emit(group, mergeable=False)

    def _emit(self, units: list[_Unit], *, mergeable: bool = True) -> None:
        prev = self.last_units
        if mergeable and prev is not None and self._should_merge(prev, units):
            spans = {(u.start, u.end) for u in prev}
            merged = prev + [u for u in units if (u.start, u.end) not in spans]
            self.chunks[-1] = self._chunk(merged, len(self.chunks) - 1)
            self.last_units = merged
            return
        self.chunks.append(self._chunk(units, len(self.chunks)))
        self.last_units = units if mergeable else None

    def _should_merge(self, prev: list[_Unit], units: list[_Unit]) -> bool:
        """Fold a tiny chunk into the previous one of the same top-level section."""
        spans = {(u.start, u.end) for u in prev}
        new_words = sum(u.words for u in units if (u.start, u.end) not in spans)
        if new_words >= self.p.min_words / 2 or not units or not prev:
            return False
        if _top(prev[-1].path) != _top(units[-1].path) or _new_page(prev[-1], units[0]):
            return False
        return sum(u.words for u in prev) + new_words <= self.p.max_words * _MERGE_SLACK

    def _chunk(self, units: list[_Unit], ordinal: int) -> Chunk:
        doc = self.doc
        return Chunk(
            chunk_id=f"{doc.doc_id}#{ordinal}",
            doc_id=doc.doc_id,
            title=doc.title,
            text=_join(doc.text, units),
            section=" > ".join(_section(units)),
            page=units[0].page,
            start=min(u.start for u in units),
            end=max(u.end for u in units),
            url=doc.url,
            kind=_kind(units),
        )


def _new_page(before: _Unit, after: _Unit) -> bool:
    return before.page is not None and after.page is not None and before.page != after.page


def _top(path: tuple[str, ...]) -> str:
    return path[0] if path else ""


def _join(text: str, units: list[_Unit]) -> str:
    """Unit texts joined by a space inside a paragraph line, by a newline elsewhere."""
    parts = [units[0].text]
    for prev, unit in pairwise(units):
        gap = text[prev.end : unit.start] if prev.end <= unit.start else "\n"
        parts.append(" " if gap and not gap.strip() and "\n" not in gap else "\n")
        parts.append(unit.text)
    return "".join(parts)


def _section(all_units: list[_Unit]) -> tuple[str, ...]:
    """Common heading path of the content units, or else the path holding most words.

    Headings are left out when there is content: a chunk opening with "I. Report" then
    "Summary" and its text is about "I. Report > Summary"."""
    units = [u for u in all_units if u.kind != "heading"] or all_units
    common = units[0].path
    for unit in units[1:]:
        n = 0
        while n < min(len(common), len(unit.path)) and common[n] == unit.path[n]:
            n += 1
        common = common[:n]
    if common:
        return common
    weight: dict[tuple[str, ...], int] = {}
    for unit in units:
        weight[unit.path] = weight.get(unit.path, 0) + unit.words
    return max(weight, key=lambda path: weight[path]) if weight else ()


def _kind(units: list[_Unit]) -> str:
    if any(u.kind == "row" for u in units):
        return "table"
    content = [u for u in units if u.kind != "heading"]
    qa_words = sum(u.words for u in content if u.kind == "qa")
    return "qa" if content and qa_words * 2 >= sum(u.words for u in content) else "text"


def _set_path(path: list[_Heading], level: int, text: str, block: Block | None = None) -> bool:
    """Drop headings at `level` or deeper, push the new one; True if the path changed."""
    before = [h.text for h in path]
    while path and path[-1].level >= level:
        path.pop()
    if block is not None:
        path.append(_Heading(level, text, block))
    return [h.text for h in path] != before


def _sentence_units(block: Block, path: tuple[str, ...], max_words: int) -> list[_Unit]:
    """A prose block as sentence units; a sentence longer than max_words is cut by words."""
    units = []
    for start, end in sentence_spans(block.text, block.start):
        local = block.text[start - block.start : end - block.start]
        spans = [(start, end)]
        if len(local.split()) > max_words:
            spans = word_windows(block.text, start - block.start, end - block.start, max_words)
            spans = [(a + block.start, b + block.start) for a, b in spans]
        for a, b in spans:
            piece = block.text[a - block.start : b - block.start]
            units.append(_Unit(piece, a, b, block.page, len(piece.split()), "text", path))
    return units


def _is_caption(blocks: list[Block], i: int) -> bool:
    """A short paragraph directly above a table introduces it: it travels with the table."""
    block = blocks[i]
    return (
        block.kind == "text"
        and i + 1 < len(blocks)
        and blocks[i + 1].kind == "table_row"
        and len(block.text.split()) <= _MAX_CAPTION_WORDS
    )


def _lead_in(block: Block, names: tuple[str, ...]) -> _Unit | None:
    """The last sentence of a long paragraph when it introduces the table ("… of X:")."""
    spans = sentence_spans(block.text, block.start)
    if not spans:
        return None
    start, end = spans[-1]
    text = block.text[start - block.start : end - block.start]
    if not text.endswith(":") or len(text.split()) > _MAX_CAPTION_WORDS:
        return None
    return _Unit(text, start, end, block.page, len(text.split()), "text", names)


def _caption(blocks: list[Block], i: int, path: list[_Heading]) -> _Unit | None:
    """The line that leads each chunk of the table starting at block i."""
    names = tuple(h.text for h in path)
    if i > 0 and (blocks[i - 1].kind == "heading" or _is_caption(blocks, i - 1)):
        return _Unit.of(
            blocks[i - 1], "heading" if blocks[i - 1].kind == "heading" else "text", names
        )
    if i > 0 and blocks[i - 1].kind == "text" and (lead := _lead_in(blocks[i - 1], names)):
        return lead
    if path:
        return _Unit.of(path[-1].block, "heading", names)
    return None


def _validate(max_words: int, min_words: int, overlap_words: int) -> None:
    if max_words < 1 or min_words < 0 or overlap_words < 0:
        raise ValueError("max_words must be >= 1; min_words and overlap_words >= 0")
    if min_words > max_words or overlap_words >= max_words:
        raise ValueError("need min_words <= max_words and overlap_words < max_words")


def chunk_document(
    doc: Document, *, max_words: int = 300, min_words: int = 150, overlap_words: int = 40
) -> list[Chunk]:
    """Split a loaded document into chunks (see module docstring)."""
    _validate(max_words, min_words, overlap_words)
    blocks = doc.blocks or (
        [Block("text", doc.text, None, 0, 0, len(doc.text))] if doc.text.strip() else []
    )
    builder = _Builder(doc, _Params(max_words, min_words, overlap_words))
    path: list[_Heading] = []
    after = _run_words_after(blocks)
    i = 0
    while i < len(blocks):
        i = _step(blocks, i, path, builder, after)
    builder.flush(final=True)
    return builder.chunks


def _run_words_after(blocks: list[Block]) -> list[int]:
    """For each block, the prose/qa words after it up to the end of its run (next heading,
    table, caption or section-changing question), for balanced splitting."""
    after = [0] * len(blocks)
    total = 0
    for i in range(len(blocks) - 1, -1, -1):
        after[i] = total
        block = blocks[i]
        breaks = block.kind in ("heading", "table_row") or (block.kind == "qa" and block.level)
        if breaks or _is_caption(blocks, i):
            total = 0 if block.kind != "qa" else len(block.text.split())
        else:
            total += len(block.text.split())
    return after


def _step(
    blocks: list[Block], i: int, path: list[_Heading], builder: _Builder, after: list[int]
) -> int:
    """Feed block i (or the whole table starting at i) to the builder; return the next index."""
    block = blocks[i]
    names = tuple(h.text for h in path)
    if block.kind == "heading":
        _set_path(path, max(block.level, 1), block.text, block)
        builder.section_break()
        if i + 1 >= len(blocks) or blocks[i + 1].kind != "table_row":
            builder.add(_Unit.of(block, "heading", tuple(h.text for h in path)))
        return i + 1
    if block.kind == "table_row":
        end = i
        while end < len(blocks) and blocks[end].kind == "table_row":
            end += 1
        rows = [_Unit.of(b, "row", names) for b in blocks[i:end]]
        builder.emit_table(_caption(blocks, i, path), rows)
        return end
    if block.kind == "qa":
        if block.level and _set_path(path, block.level, block.text):
            builder.section_break()
        unit = _Unit.of(block, "qa", tuple(h.text for h in path))
        builder.add(unit, unit.words + after[i])
        return i + 1
    if not _is_caption(blocks, i):
        units = _sentence_units(block, names, builder.p.max_words)
        rest = sum(u.words for u in units) + after[i]
        for unit in units:
            builder.add(unit, rest)
            rest -= unit.words
    return i + 1
