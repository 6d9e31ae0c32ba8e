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

Streaming (`answer(..., on_draft=…)`): the reply is read as the model writes it, and each time
another complete sentence passes the same verification, `on_draft` gets the answer text so far
(the verified sentences, numbered as they will be in the answer). Unverified text is never
passed on, not even for a moment; the returned `Answer` is built from the whole reply exactly
as without streaming, and replaces the draft wherever it was shown.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence


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

    def answer(self, question: str, hits: Sequence[Hit], *, id: str | None = None,
               on_draft: Callable[[str], None] | None = None) -> Answer:
        """The LLM's verified answer (else the extractive one, with a note). With `on_draft`,
        the reply is streamed and each longer verified draft is passed to it as it grows."""
        base = self.fallback.answer(question, hits, id=id)
        if not base.answered:  # retrieval could not support an answer: the LLM is not asked
            return base
        sources = base.hits[: self.max_sources]
        passages = [passage(hit) for hit in sources]
        messages = answer_messages(question, passages)
        try:
            if on_draft is None:
                reply = self._client.complete(messages)
            else:
                reply = self._streamed(messages, Drafter(passages=passages, on_draft=on_draft))
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

    def _streamed(self, messages: list[dict[str, str]], drafter: Drafter) -> str:
        reply = ""
        for piece in self._client.stream(messages):
            reply += piece
            drafter.feed(reply)
        return reply

    def _compose(self, question: str, sentences: list[CitedSentence], sources: Sequence[Hit],
                 base: Answer) -> Answer:
        text, numbers = compose_text(sentences)
        claims: dict[int, list[str]] = {}  # passage number -> the sentences citing it
        for s in sentences:
            for ref in s.refs:
                claims.setdefault(ref, []).append(s.text)
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


def compose_text(sentences: Sequence[CitedSentence]) -> tuple[str, dict[int, int]]:
    """The answer text of verified sentences, and passage number -> citation number (in order
    of first use). Adding a sentence only appends to the text: drafts grow, never change."""
    numbers: dict[int, int] = {}
    text = ""
    for prev, s in zip([None, *sentences[:-1]], sentences):
        for ref in s.refs:
            numbers.setdefault(ref, len(numbers) + 1)
        line = render(s, [numbers[r] for r in s.refs])
        if prev is None:
            text = line
        else:
            item = s.text.startswith("- ") or prev.text.startswith("- ")
            text += ("\n" if item else " ") + line
    return text, numbers


# The end of a sentence that nothing more can join: stop, space, then text that is not a
# citation marker (a marker after the stop still belongs to the sentence before it).
_SETTLED = re.compile(r"[.!?…][\"')\]]*\s+(?=[^\s\[])")


@dataclass(slots=True, kw_only=True)
class Drafter:
    """Verifies a growing reply sentence by sentence and reports the verified draft.

    Only settled text is judged: complete lines, and sentences of the last line that another
    sentence has followed. Should a later look disagree with what was reported (a sentence
    boundary that was not one), reporting stops; the final answer is built anew anyway."""

    passages: Sequence[str]
    on_draft: Callable[[str], None]
    _sentences: list[CitedSentence] = field(default_factory=list)
    _settled: int = 0  # length of the settled text last judged
    _stopped: bool = False

    def feed(self, reply: str) -> None:
        if self._stopped:
            return
        settled = settled_prefix(reply)
        if len(settled) == self._settled or not settled.strip():
            return
        self._settled = len(settled)
        sentences = ground(settled, self.passages, bullets=True)
        if sentences[: len(self._sentences)] != self._sentences:
            self._stopped = True
            return
        if len(sentences) == len(self._sentences):
            return
        self._sentences = sentences
        try:
            self.on_draft(compose_text(sentences)[0])
        except Exception:  # showing a draft is a courtesy: it must never lose the answer
            log.exception("showing the answer draft failed; the answer comes at the end")
            self._stopped = True


def settled_prefix(reply: str) -> str:
    """The part of a reply still being written that no later text can change."""
    head, newline, last = reply.rpartition("\n")
    cut = 0
    for m in _SETTLED.finditer(last):
        cut = m.end()
    return head + newline + last[:cut]


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


__all__ = ["UNAVAILABLE_NOTE", "UNVERIFIED_NOTE", "Drafter", "LLMAnswerer", "LLMWriter",
           "best_quote", "compose_text", "passage", "render", "settled_prefix"]
