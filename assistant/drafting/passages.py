"""The passages a narrative section can quote: the units of the retrieved chunks, each with
the context it was written under, form text left out.

Units are the answerer's (`assistant.answering.units`: sentences, list items, lead-ins), so a
draft quotes the same pieces an answer would. Two things are added for report forms: a
form prompt ("Evaluation of the involvement of relevant business sector ...") is not quoted
but remembered as the context of the text under it, even across a chunk boundary; and a
lead-in ("The aims of the partnership are:") is quoted with its list as one sentence, since
its items ("to strengthen ...") do not read alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..answering.units import split_units
from ..models import Chunk, Hit
from ..retrieval.lexical import tokenize
from .boilerplate import answer_part, is_label, too_short
from .sections import SectionSpec

Retrieve = Callable[[str, int], list[Hit]]

K_PER_QUERY = 8
RRF_K = 10
LIST_ITEMS = 6
MAX_WORDS = 120  # a draft sentence longer than this is a pasted block, not a sentence
_FINAL = re.compile(r"[.!?…]['\"”’)]*$")  # a list item that is a whole sentence reads as one


@dataclass(frozen=True, slots=True)
class _Context:
    text: str = ""
    prompted: bool = False  # a form prompt (it says what the text under it answers)


@dataclass(slots=True, kw_only=True)
class Passage:
    """A unit (or a lead-in with its list) that could go into the draft, with its source."""

    text: str  # as drafted
    quote: str  # verbatim from the chunk
    kind: str  # "sentence" | "bullet"
    chunk: Chunk
    order: int  # position of the unit within its chunk
    context: str = ""  # the form prompt, lead-in or heading it was written under
    prompted: bool = False  # the context is a form prompt: it says what the text answers
    bag: frozenset[str] = frozenset()
    context_bag: frozenset[str] = frozenset()
    prior: float = 0.0
    relevance: float = 0.0
    score: float = 0.0
    extra: tuple[tuple[Chunk, str], ...] = ()  # other reports of the same thing (cited too)

    @property
    def sources(self) -> tuple[tuple[Chunk, str], ...]:
        """(chunk, verbatim quote) of every place this passage is cited from."""
        return ((self.chunk, self.quote), *self.extra)


def gather(spec: SectionSpec, retrieve: Retrieve) -> list[tuple[Chunk, float]]:
    """The chunks the section's queries retrieve, fused by reciprocal rank, best first."""
    fused: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for query in spec.queries:
        for rank, hit in enumerate(retrieve(query, K_PER_QUERY)):
            key = hit.chunk.chunk_id
            chunks.setdefault(key, hit.chunk)
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    top = max(fused.values(), default=1.0)
    ranked = sorted(fused, key=lambda k: -fused[k])
    return [(chunks[k], fused[k] / top) for k in ranked]


def passages(chunks: Sequence[tuple[Chunk, float]]) -> list[Passage]:
    """Every quotable unit of the chunks. A form prompt at the end of one chunk is still the
    context of the text that opens the next chunk of the same document."""
    out: list[Passage] = []
    carried: dict[str, tuple[int, _Context]] = {}  # doc -> (end offset, last context)
    for chunk, prior in sorted(chunks, key=lambda cp: (cp[0].doc_id, cp[0].start)):
        end, context = carried.get(chunk.doc_id, (-1, _Context()))
        found, last = _chunk_passages(chunk, context if end >= chunk.start else _Context())
        for p in found:
            p.prior = prior
        out.extend(found)
        carried[chunk.doc_id] = (chunk.end, last)
    return out


def _chunk_passages(chunk: Chunk, label: _Context) -> tuple[list[Passage], _Context]:
    units = split_units(chunk.text, chunk_kind=chunk.kind)
    headings = tuple(h.strip() for h in chunk.section.split(">"))
    grouped = {u.index for u in units if u.lead is not None and units[u.lead].kind == "lead"}
    out: list[Passage] = []
    for unit in units:
        text = unit.text.strip()
        if unit.kind == "row" or unit.index in grouped and not is_label(units[unit.lead].text,
                                                                        headings=headings):
            continue
        qa = answer_part(text)
        if qa is not None:
            if not too_short(qa[1]):
                out.append(_passage(qa[1], qa[1], "sentence", chunk, unit.index,
                                    _Context(qa[0], True)))
            continue
        if unit.kind == "lead" and not is_label(text, headings=headings):
            items = [u.text for u in units if u.lead == unit.index][:LIST_ITEMS]
            passage = _list_passage(text, items, chunk, unit.index, label) if items else None
            if passage is not None and len(passage.text.split()) <= MAX_WORDS:
                out.append(passage)
            continue
        if is_label(text, headings=headings):  # a heading is context, not a prompt
            label = _Context(text, prompted=is_label(text))
            continue
        if too_short(text) or len(text.split()) > MAX_WORDS:
            continue
        kind = "sentence" if unit.kind == "sentence" or _FINAL.search(text) else "bullet"
        out.append(_passage(text, text, kind, chunk, unit.index, label))
    return out, label


def answer_passage(text: str, quote: str, kind: str, chunk: Chunk, order: int,
                   prompt: str) -> Passage:
    """A passage of a report's answer to a form prompt (already chosen: no scoring)."""
    return _passage(text, quote, kind, chunk, order, _Context(prompt, True))


def _passage(text: str, quote: str, kind: str, chunk: Chunk, order: int,
             context: _Context) -> Passage:
    where = context.text or chunk.section
    return Passage(text=text, quote=quote, kind=kind, chunk=chunk, order=order, context=where,
                   prompted=context.prompted, bag=frozenset(tokenize(text)),
                   context_bag=frozenset(tokenize(where)))


def _list_passage(lead: str, items: list[str], chunk: Chunk, order: int,
                  label: _Context) -> Passage:
    """A lead-in and its list as one sentence: "The aims of the partnership are: a; b; c."."""
    body = "; ".join(i.rstrip(" ;,.") for i in items)
    text = f"{lead} {body}."
    quote = " … ".join([lead, *items])
    return _passage(text, quote, "sentence", chunk, order, label)
