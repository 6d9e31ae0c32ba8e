"""The default answerer: no model, no network. It quotes the units (sentences, list items,
table rows) of the retrieved chunks that best cover the question, with numbered citations,
and refuses plainly when nothing retrieved supports an answer.

Scoring is deliberately simple and explainable: how much of the question's IDF-weighted
vocabulary a unit (and its immediate context) contains, whether it holds the kind of thing
asked for (a date for "when", a number for "how many"), and how highly retrieval ranked its
chunk. The same coverage figure decides between answering and refusing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..models import NOT_FOUND, Answer, Citation, Hit
from ..retrieval.lexical import tokenize
from .question import QuestionProfile, has_type, profile
from .units import Unit, split_units

MAX_SENTENCES = 3
MAX_LIST_UNITS = 12
QUOTE_CHARS = 400


@dataclass(slots=True)
class Candidate:
    unit: Unit
    hit_rank: int
    hit: Hit
    own: frozenset[str]
    near: frozenset[str]
    coverage: float = 0.0
    context_coverage: float = 0.0
    typed: bool = False
    score: float = 0.0


@dataclass(slots=True)
class Thresholds:
    """Calibrated on the dev QA set (see `remix-assistant eval`); not per question."""

    min_coverage: float = 0.55
    min_typed_coverage: float = 0.45


@dataclass(slots=True)
class ExtractiveAnswerer:
    idf: Callable[[str], float]
    thresholds: Thresholds = field(default_factory=Thresholds)
    max_hits: int = 8

    def answer(self, question: str, hits: Sequence[Hit], *, id: str | None = None) -> Answer:
        prof = profile(question)
        candidates = self._candidates(prof, hits[: self.max_hits])
        if not candidates:
            return self._refusal(question, hits, [], id=id)
        best = max(candidates, key=lambda c: c.score)
        selected = self._select(prof, candidates, best)
        confidence, ok = self._decide(prof, selected)
        if not ok:
            return self._refusal(question, hits, candidates, id=id, confidence=confidence)
        return self._compose(question, selected, hits, id=id, confidence=confidence)

    # -- scoring -----------------------------------------------------------------------------

    def _weights(self, prof: QuestionProfile) -> dict[str, float]:
        return {t: self.idf(t) for t in prof.terms}

    def _candidates(self, prof: QuestionProfile, hits: Sequence[Hit]) -> list[Candidate]:
        weights = self._weights(prof)
        total = sum(weights.values()) or 1.0
        top_score = hits[0].score if hits else 1.0
        out: list[Candidate] = []
        for rank, hit in enumerate(hits):
            units = split_units(hit.chunk.text, chunk_kind=hit.chunk.kind)
            context = frozenset(tokenize(f"{hit.chunk.title} {hit.chunk.section}"))
            unit_tokens = [frozenset(tokenize(u.text)) for u in units]
            for i, unit in enumerate(units):
                own = unit_tokens[i]
                near = own | context
                if i > 0:
                    near |= unit_tokens[i - 1]
                if i + 1 < len(units):
                    near |= unit_tokens[i + 1]
                cand = Candidate(unit, rank, hit, own, near)
                cand.coverage = sum(w for t, w in weights.items() if t in own) / total
                cand.context_coverage = sum(w for t, w in weights.items() if t in near) / total
                cand.typed = prof.answer_type != "any" and has_type(unit.text, prof.answer_type)
                prior = hit.score / top_score if top_score else 0.0
                words = len(unit.text.split())
                shape = -0.1 if words < 4 and unit.kind == "sentence" else 0.0
                shape -= 0.1 if words > 80 else 0.0
                cand.score = (
                    0.5 * cand.coverage + 0.3 * cand.context_coverage + 0.2 * prior
                    + (0.15 if cand.typed else 0.0) + shape
                )
                out.append(cand)
        return out

    def _select(self, prof: QuestionProfile, candidates: list[Candidate],
                best: Candidate) -> list[Candidate]:
        weights = self._weights(prof)
        total = sum(weights.values()) or 1.0
        selected = [best]
        if prof.wants_list and best.unit.kind in ("row", "item"):
            selected += self._siblings(candidates, best)
        covered = set(best.near)
        typed = best.typed or prof.answer_type == "any"
        pool = [c for c in candidates if c not in selected]
        while len([c for c in selected if c.unit.kind == "sentence"]) < MAX_SENTENCES and pool:
            def gain(c: Candidate) -> float:
                new = sum(w for t, w in weights.items() if t in c.own and t not in covered)
                return new / total + (0.2 if c.typed and not typed else 0.0)

            nxt = max(pool, key=lambda c: (gain(c), c.score))
            if gain(nxt) < 0.15 or nxt.score < 0.6 * best.score:
                break
            selected.append(nxt)
            covered |= nxt.near
            typed = typed or nxt.typed
            pool.remove(nxt)
        return selected

    @staticmethod
    def _siblings(candidates: list[Candidate], best: Candidate) -> list[Candidate]:
        """The other rows/items of the same table or list, in order, for list questions."""
        same = sorted(
            (c for c in candidates if c.hit is best.hit and c.unit.kind == best.unit.kind
             and c is not best),
            key=lambda c: c.unit.index,
        )
        block: list[Candidate] = []
        for c in same:
            if c.coverage > 0 or c.context_coverage > 0:
                block.append(c)
        return block[: MAX_LIST_UNITS - 1]

    def _decide(self, prof: QuestionProfile, selected: list[Candidate]) -> tuple[float, bool]:
        weights = self._weights(prof)
        total = sum(weights.values()) or 1.0
        near: set[str] = set()
        for c in selected:
            near |= c.near
        coverage = sum(w for t, w in weights.items() if t in near) / total
        typed = prof.answer_type == "any" or any(c.typed for c in selected)
        th = self.thresholds
        ok = coverage >= th.min_coverage and typed
        return coverage if typed else coverage * 0.5, ok

    # -- output ------------------------------------------------------------------------------

    def _compose(self, question: str, selected: list[Candidate], hits: Sequence[Hit], *,
                 id: str | None, confidence: float) -> Answer:
        numbers: dict[int, int] = {}
        quotes: dict[int, list[str]] = {}
        parts: list[str] = []
        ordered = selected[:1] + sorted(selected[1:], key=lambda c: (c.hit_rank, c.unit.index))
        for c in ordered:
            n = numbers.setdefault(c.hit_rank, len(numbers) + 1)
            quotes.setdefault(c.hit_rank, []).append(c.unit.text)
            text = c.unit.text
            parts.append(f"- {text} [{n}]" if c.unit.kind in ("row", "item") else f"{text} [{n}]")
        listy = sum(1 for c in ordered if c.unit.kind in ("row", "item")) > 1
        body = "\n".join(parts) if listy else " ".join(parts)
        citations = [
            _citation(n, hits[rank], " … ".join(quotes[rank])) for rank, n in numbers.items()
        ]
        return Answer(question=question, text=body, answered=True, citations=citations,
                      hits=list(hits), id=id, confidence=confidence)

    def _refusal(self, question: str, hits: Sequence[Hit], candidates: list[Candidate], *,
                 id: str | None, confidence: float = 0.0) -> Answer:
        best_unit: dict[int, str] = {}
        for c in sorted(candidates, key=lambda c: -c.score):
            best_unit.setdefault(c.hit_rank, c.unit.text)
        citations = [
            _citation(i + 1, hit, best_unit.get(i, hit.chunk.text))
            for i, hit in enumerate(hits[:3])
        ]
        text = NOT_FOUND
        if citations:
            text += " The nearest sources are listed below."
        return Answer(question=question, text=text, answered=False, citations=citations,
                      hits=list(hits), id=id, confidence=confidence)


def _citation(n: int, hit: Hit, quote: str) -> Citation:
    chunk = hit.chunk
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Citation(n=n, doc_id=chunk.doc_id, title=chunk.title, quote=quote, page=chunk.page,
                    section=chunk.section, url=chunk.url)
