"""Narrative sections: the documents' own sentences that best serve a section, each cited.

Retrieval runs the section's queries; the retrieved chunks are cut into the answerer's units
(sentences, list items, lead-ins; `assistant.answering.units`) and each unit is scored by how
much of a query it and its *context* cover. In a filled-in report form the context is the
form prompt the text was written under ("Evaluation of the involvement of relevant business
sector ..."): the answer often shares no word with the section's topic while its prompt names
it exactly. The prompts themselves, instructions and field labels are never quoted.

Units from the period's own report are preferred and those of other periods' reports held
back; near-duplicates (overlapping chunks repeat text) are quoted once. An optional LLM writer
may rephrase the selected passages; it is only trusted with citations to them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import BackendError
from ..models import Chunk, CitedSentence, ProseWriter
from ..retrieval.lexical import fold, tokenize
from .models import DraftItem, Evidence, SourceBook
from .passages import Passage, Retrieve, gather, passages
from .periods import PeriodContext
from .sections import SectionSpec

MIN_RELEVANCE = 0.35  # below this a unit is about something else, however it ranks
KEEP_SHARE = 0.55  # selected units score at least this share of the best one ...
RELEVANCE_SHARE = 0.5  # ... and are at least half as relevant as the most relevant one
DUPLICATE = 0.6  # word-set Jaccard at which two units say the same thing
CONTAINED = 0.7  # ... or share of the shorter one's words found in the other (a restatement)
OWN_REPORT_BONUS = 0.15
OTHER_REPORT_PENALTY = 0.2
PRIOR_WEIGHT = 0.15
PRONOUN_PENALTY = 0.1  # "It is …" out of its paragraph does not say what "it" is
_PRONOUN_START = re.compile(r"^(It|Its|This|These|Those|They|Their|He|She|His|Her|That)\b")
LLM_FAILED = "LLM unavailable: extractive draft"
LLM_UNCITED = "The LLM reply cited none of the passages: extractive draft"


@dataclass(slots=True, kw_only=True)
class ProseResult:
    items: list[DraftItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- scoring and selection ---------------------------------------------------------------

def score(found: list[Passage], spec: SectionSpec, ctx: PeriodContext) -> None:
    """Relevance: the best query's IDF-weighted coverage by the unit with its context, and
    by the unit alone or, under a form prompt, by the prompt alone (the prompt says what the
    text answers: "the partnership aims to involve clusters" written under the business
    prompt is no summary of aims); plus the chunk's retrieval rank and the period preference."""
    idf = _local_idf([p.bag | p.context_bag for p in found])
    queries = [set(tokenize(q, query=True)) for q in spec.queries if tokenize(q, query=True)]
    for p in found:
        p.relevance = _relevance(queries, p, idf)
        doc = p.chunk.doc_id
        bonus = (OWN_REPORT_BONUS if doc in ctx.own_docs
                 else -OTHER_REPORT_PENALTY if doc in ctx.report_docs and ctx.period else 0.0)
        pronoun = PRONOUN_PENALTY if _PRONOUN_START.match(p.text) else 0.0
        p.score = p.relevance + PRIOR_WEIGHT * p.prior + bonus - pronoun


def _relevance(queries: list[set[str]], p: Passage, idf: dict[str, float]) -> float:
    """Each part is the best query's coverage; the unit's own coverage also breaks the ties
    between the sentences written under one prompt."""
    def cover(bag: frozenset[str]) -> float:
        best = 0.0
        for query in queries:
            weights = {t: idf.get(t, idf["__max__"]) for t in query}
            best = max(best, sum(w for t, w in weights.items() if t in bag) / sum(weights.values()))
        return best

    own = cover(p.bag)
    near = cover(p.bag | p.context_bag)
    return 0.4 * near + 0.4 * (cover(p.context_bag) if p.prompted else own) + 0.2 * own


def _local_idf(bags: list[frozenset[str]]) -> dict[str, float]:
    """IDF over the candidate units: words every unit shares ("partnership") weigh little."""
    n = len(bags)
    df: dict[str, int] = {}
    for bag in bags:
        for t in bag:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + n / (d + 0.5)) for t, d in df.items()}
    idf["__max__"] = math.log(1 + n / 0.5) if n else 1.0
    return idf


def select(found: list[Passage], *, limit: int, used: set[str]) -> list[Passage]:
    """The best relevant passages, no two alike and none already drafted, in reading order
    (documents by their best passage, then position in the document)."""
    ranked = sorted((p for p in found if p.relevance >= MIN_RELEVANCE),
                    key=lambda p: (-p.score, p.chunk.doc_id, p.chunk.start, p.order))
    if not ranked:
        return []
    floor = KEEP_SHARE * ranked[0].score
    relevant = RELEVANCE_SHARE * max(p.relevance for p in ranked)
    chosen: list[Passage] = []
    for p in ranked:
        if len(chosen) >= limit or p.score < floor:
            break
        if p.relevance < relevant:
            continue
        if normal(p.text) in used or any(_alike(p, c) for c in chosen):
            continue
        chosen.append(p)
    doc_rank = {}
    for p in chosen:
        doc_rank.setdefault(p.chunk.doc_id, len(doc_rank))
    return sorted(chosen, key=lambda p: (doc_rank[p.chunk.doc_id], p.chunk.start, p.order))


def _alike(a: Passage, b: Passage) -> bool:
    if not a.bag or not b.bag:
        return normal(a.text) == normal(b.text)
    overlap = len(a.bag & b.bag)
    return (overlap / len(a.bag | b.bag) >= DUPLICATE
            or overlap / min(len(a.bag), len(b.bag)) >= CONTAINED)


def normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))


# -- writing -----------------------------------------------------------------------------

def extractive_items(chosen: list[Passage], book: SourceBook) -> list[DraftItem]:
    items = []
    for p in chosen:
        evidence = tuple(dict.fromkeys(_evidence(book, p, q) for q in p.sources))
        kind = p.kind if p.kind in ("bullet", "paragraph") else "sentence"
        items.append(DraftItem(kind=kind, text=p.text,
                               refs=tuple(sorted({e.n for e in evidence})),
                               evidence=evidence))
    return items


def _evidence(book: SourceBook, p: Passage, quote: tuple[Chunk, str]) -> Evidence:
    c, text = quote
    return book.evidence(doc_id=c.doc_id, title=c.title, quote=text, page=c.page,
                         section=c.section, url=c.url)


def _cite(book: SourceBook, p: Passage) -> Evidence:
    return _evidence(book, p, (p.chunk, p.quote))


def written_items(chosen: list[Passage], book: SourceBook, writer: ProseWriter,
                  task: str) -> ProseResult:
    """The writer's sentences, each citing the passages it names; the extractive text when
    the writer fails or cites nothing it was given."""
    try:
        sentences = writer.write(task=task, passages=[p.text for p in chosen])
    except BackendError:
        return ProseResult(items=extractive_items(chosen, book), notes=[LLM_FAILED])
    kept = [(s.text.strip(), _valid_refs(s, len(chosen))) for s in sentences]
    kept = [(text, refs) for text, refs in kept if text and refs]
    if not kept:
        return ProseResult(items=extractive_items(chosen, book), notes=[LLM_UNCITED])
    items = []
    for text, refs in kept:
        evidence = tuple(dict.fromkeys(e for i in refs
                                       for e in extractive_items([chosen[i - 1]], book)[0]
                                       .evidence))
        items.append(DraftItem(kind="sentence", text=text,
                               refs=tuple(dict.fromkeys(e.n for e in evidence)),
                               evidence=evidence))
    return ProseResult(items=items)


def _valid_refs(sentence: CitedSentence, count: int) -> tuple[int, ...]:
    return tuple(dict.fromkeys(r for r in sentence.refs if 1 <= r <= count))


def writer_task(spec: SectionSpec, period_label: str) -> str:
    return (f"Draft the section '{spec.title}' of the six-monthly Thematic S3 Partnership "
            f"Monitoring Progress Report of the Mining industry partnership for {period_label}. "
            f"The section covers: {spec.description} Write two to five plain sentences using "
            f"only the numbered passages, and cite the passage numbers each sentence rests on.")


def draft_prose(spec: SectionSpec, *, retrieve: Retrieve, ctx: PeriodContext,
                book: SourceBook, used: set[str], writer: ProseWriter | None = None,
                skip: Callable[[Passage], bool] = lambda p: False,
                first: Sequence[Passage] = (),
                docs: frozenset[str] | None = None) -> ProseResult:
    """The prose part of a section: `first` (the report's own answer, kept whole and in its
    order), then the best passages of `docs` (None: any document), extractive or rewritten
    by `writer`."""
    found = [p for p in passages(gather(spec, retrieve))
             if not skip(p) and (docs is None or p.chunk.doc_id in docs)]
    score(found, spec, ctx)
    seen = set(used) | {normal(p.text) for p in first}
    chosen = [p for p in select(found, limit=spec.max_items, used=seen)
              if not any(_alike(p, f) or normal(p.text) in normal(f.text) for f in first)]
    chosen = [*first, *chosen]
    used.update(normal(p.text) for p in chosen)
    if not chosen:
        return ProseResult()
    if writer is None:
        return ProseResult(items=extractive_items(chosen, book))
    return written_items(chosen, book, writer, writer_task(spec, ctx.label()))
