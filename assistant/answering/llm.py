"""An optional answer backend: an LLM over any OpenAI-compatible chat API writes the answer.

Off unless `ASSISTANT_LLM_BASE_URL` is set; the extractive answerer stays the default, offline
path and is always run first. It re-ranks the hits and makes the calibrated answer-or-refuse
decision, so the LLM never answers what retrieval could not support, and its answer is what the
user gets whenever the LLM fails (network error, timeout, HTTP error, malformed reply) or no
sentence of its reply survives verification (`assistant.llm.grounding`): then the extractive
answer comes with a note saying so, and the user never sees uncited text.

The LLM sees the top re-ranked chunks as numbered passages (as fenced data, see
`assistant.llm.prompts`) and must cite them with [n]. Only sentences citing a given passage
that shares their words are kept; only cited passages become citations, renumbered 1..m in
order of first use, each quoting verbatim the unit(s) of its chunk that best overlap the
sentences citing it, so every claim is traceable to the documents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence


from ..errors import BackendError
from ..llm.client import ChatBackend
from ..llm.grounding import ground
from ..llm.prompts import answer_messages, is_not_found
from ..llm.writer import LLMWriter  # re-exported: the service imports it from here
from ..models import NOT_FOUND, Answer, CitedSentence, Hit
from ..retrieval.lexical import tokenize
from .extractive import ExtractiveAnswerer, make_citation
from .units import split_sentences, split_units

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger("assistant.llm")

MAX_SOURCES = 6
REFUSAL_SOURCES = 3  # as many nearest sources as the extractive refusal lists
UNAVAILABLE_NOTE = "(LLM unavailable: extractive answer.)"
UNVERIFIED_NOTE = "(LLM answer could not be verified against the sources: extractive answer.)"


@dataclass(slots=True, kw_only=True)
class LLMAnswerer(ChatBackend):
    fallback: ExtractiveAnswerer
    max_sources: int = MAX_SOURCES

    @classmethod
    def from_settings(cls, settings: Settings, *, fallback: ExtractiveAnswerer) -> LLMAnswerer:
        return cls(fallback=fallback, **cls.settings_kwargs(settings))

    def answer(self, question: str, hits: Sequence[Hit], *, id: str | None = None) -> Answer:
        base = self.fallback.answer(question, hits, id=id)
        if not base.answered:  # retrieval could not support an answer: the LLM is not asked
            return base
        sources = base.hits[: self.max_sources]
        passages = [passage(hit) for hit in sources]
        try:
            reply = self._client.complete(answer_messages(question, passages))
        except BackendError as exc:
            log.warning("LLM backend failed (%s); using the extractive answer", exc)
            return _noted(base, UNAVAILABLE_NOTE)
        if is_not_found(reply):
            return self._refusal(question, base)
        sentences = ground(reply, passages, bullets=True)
        if not sentences:
            log.warning("no sentence of the LLM reply cites a passage that supports it; "
                        "using the extractive answer")
            return _noted(base, UNVERIFIED_NOTE)
        return self._compose(question, sentences, sources, base)

    def _compose(self, question: str, sentences: list[CitedSentence], sources: Sequence[Hit],
                 base: Answer) -> Answer:
        numbers: dict[int, int] = {}  # passage number (1-based) -> citation number
        claims: dict[int, list[str]] = {}  # passage number -> the sentences citing it
        lines: list[str] = []
        for s in sentences:
            for ref in s.refs:
                numbers.setdefault(ref, len(numbers) + 1)
                claims.setdefault(ref, []).append(s.text)
            lines.append(render(s, [numbers[r] for r in s.refs]))
        text = lines[0]
        for prev, s, line in zip(sentences[:-1], sentences[1:], lines[1:], strict=True):
            item = s.text.startswith("- ") or prev.text.startswith("- ")
            text += ("\n" if item else " ") + line
        citations = [make_citation(n, sources[ref - 1],
                                   best_quote(sources[ref - 1].chunk.text,
                                              sources[ref - 1].chunk.kind, claims[ref],
                                              question, self.fallback.idf))
                     for ref, n in numbers.items()]
        return Answer(question=question, text=text, answered=True, citations=citations,
                      hits=base.hits, id=base.id, confidence=base.confidence,
                      hedged=base.hedged, signals=base.signals)

    @staticmethod
    def _refusal(question: str, base: Answer) -> Answer:
        """The extractive refusal's shape: NOT_FOUND and the nearest sources, quoting the unit
        of each that best matches the question."""
        citations = [make_citation(n, hit, best_quote(hit.chunk.text, hit.chunk.kind, [question],
                                                  question, None))
                     for n, hit in enumerate(base.hits[:REFUSAL_SOURCES], start=1)]
        text = NOT_FOUND + (" The nearest sources are listed below." if citations else "")
        return Answer(question=question, text=text, answered=False, citations=citations,
                      hits=base.hits, id=base.id, confidence=base.confidence)


def _noted(base: Answer, note: str) -> Answer:
    return Answer(question=base.question, text=f"{base.text}\n{note}", answered=base.answered,
                  citations=base.citations, hits=base.hits, id=base.id,
                  confidence=base.confidence, hedged=base.hedged, signals=base.signals)


def render(sentence: CitedSentence, numbers: Sequence[int]) -> str:
    """The sentence with its markers before the final punctuation: "… in Kemi [1][2]."."""
    marks = "".join(f"[{n}]" for n in numbers)
    text = sentence.text
    end = len(text.rstrip(".!?…"))
    return f"{text[:end]} {marks}{text[end:]}"


def passage(hit: Hit) -> str:
    """A chunk as the model sees it: 'Title — Section / p. 4' on one line, then its text."""
    chunk = hit.chunk
    where = " / ".join(p for p in (chunk.section, f"p. {chunk.page}" if chunk.page else "") if p)
    label = f"{chunk.title} — {where}" if where else chunk.title
    return f"{label}\n{chunk.text}"


def best_quote(chunk_text: str, kind: str, claims: Sequence[str], question: str,
               idf: Any) -> str:
    """Verbatim units (sentences, items, rows) of the chunk that best overlap each claim,
    in chunk order; the unit best matching the question, or the first, when none overlaps."""
    units = [u.text for u in split_units(chunk_text, chunk_kind=kind)] or [chunk_text.strip()]
    bags = [set(tokenize(u)) for u in units]
    weight = idf if idf is not None else (lambda _t: 1.0)

    def best(text: str) -> int | None:
        tokens = set(tokenize(text))
        scores = [sum(weight(t) for t in tokens & bag) for bag in bags]
        top = max(scores, default=0.0)
        return scores.index(top) if top > 0 else None

    chosen: set[int] = set()
    for claim in claims:
        for line in claim.splitlines():
            for sentence in split_sentences(line.strip()) or [line]:
                i = best(sentence)
                if i is not None:
                    chosen.add(i)
    if not chosen:
        i = best(question)
        chosen.add(i if i is not None else 0)
    return " … ".join(units[i] for i in sorted(chosen))


__all__ = ["UNAVAILABLE_NOTE", "UNVERIFIED_NOTE", "LLMAnswerer", "LLMWriter", "best_quote",
           "passage", "render"]
