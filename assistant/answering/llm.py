"""An optional answer backend: an LLM over any OpenAI-compatible chat API writes the answer.

Off unless `ASSISTANT_LLM_BASE_URL` is set; the extractive answerer stays the default, offline
path and is always run first. It re-ranks the hits and makes the calibrated answer-or-refuse
decision, so the LLM never answers what retrieval could not support, and its answer is what the
user gets whenever the LLM fails (network error, timeout, non-2xx, malformed reply) or replies
without a usable citation: the user always gets a cited answer and never uncited text.

The LLM sees the top re-ranked chunks as numbered sources and must cite them with [n]. Only
cited sources become citations, renumbered 1..m in order of first use, each quoting verbatim
the sentence(s) of its chunk that best overlap the answer text that cites it, so every claim is
traceable to the documents. Standard library HTTP only (urllib): one POST, no client library.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..models import NOT_FOUND, Answer, Hit
from ..retrieval.lexical import tokenize
from .extractive import ExtractiveAnswerer, make_citation
from .units import split_sentences, split_units

log = logging.getLogger("assistant.llm")

MAX_SOURCES = 6
REFUSAL_SOURCES = 3  # as many nearest sources as the extractive refusal lists
REPLY_NOT_FOUND = "NOT_FOUND"

SYSTEM_PROMPT = f"""\
You answer questions about project documents using ONLY the numbered sources given.
- Answer in 1-3 sentences, or a short list when the question asks for several things.
- End every sentence or list item with the number(s) of the source(s) it rests on, like [1] \
or [2][3]. Do not cite a source that does not say it.
- Use nothing but the sources: no outside knowledge, no guesses.
- If the sources do not contain the answer, reply exactly {REPLY_NOT_FOUND} and nothing else.
- Answer in the language of the question."""

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")
_FILLER = " \t.,;:—–-"  # what may stand between two marker groups that cite the same text


class _BadReply(ValueError):
    """The server answered, but not with a chat completion."""


@dataclass(slots=True, kw_only=True)
class LLMAnswerer:
    base_url: str
    model: str
    api_key: str | None
    timeout: float
    fallback: ExtractiveAnswerer
    max_sources: int = MAX_SOURCES
    _url: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._url = self.base_url.rstrip("/") + "/chat/completions"

    def answer(self, question: str, hits: Sequence[Hit], *, id: str | None = None) -> Answer:
        base = self.fallback.answer(question, hits, id=id)
        if not base.answered:  # retrieval could not support an answer: the LLM is not asked
            return base
        sources = base.hits[: self.max_sources]
        try:
            reply = self._complete(question, sources)
        except (OSError, ValueError, KeyError, IndexError, TypeError,
                http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()
            log.warning("LLM backend %s failed (%s: %s); using the extractive answer",
                        self._url, type(exc).__name__, exc)
            return base
        return self._from_reply(reply, question, sources, base)

    # -- request ----------------------------------------------------------------------------

    def _complete(self, question: str, sources: Sequence[Hit]) -> str:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_message(question, sources)},
            ],
            "temperature": 0,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self._url, data=json.dumps(body).encode("utf-8"),
                                         headers=headers, method="POST")
        # urlopen raises HTTPError (an OSError) for 4xx/5xx; 1xx/3xx leftovers are checked here.
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise _BadReply(f"HTTP {response.status}")
            data = json.loads(response.read().decode("utf-8"))
        content = data["choices"][0]["message"]["content"]
        if content is None:
            return ""
        if not isinstance(content, str):
            raise _BadReply("message content is not text")
        return content

    # -- reply ------------------------------------------------------------------------------

    def _from_reply(self, reply: str, question: str, sources: Sequence[Hit],
                    base: Answer) -> Answer:
        text = reply.strip()
        if not text or text.strip("`'\"*. \n").upper().startswith(REPLY_NOT_FOUND):
            return self._refusal(question, base)
        numbers: dict[int, int] = {}  # source index (0-based) -> new citation number
        claims: dict[int, list[str]] = {}  # source index -> the answer text that cites it
        parts: list[str] = []
        last = 0
        claim = ""
        for m in _MARKER.finditer(text):
            before = text[last:m.start()]
            if before.strip(_FILLER):
                claim = before
            cited = [int(x) - 1 for x in m.group(1).split(",")]
            valid = list(dict.fromkeys(i for i in cited if 0 <= i < len(sources)))
            for i in valid:
                numbers.setdefault(i, len(numbers) + 1)
                claims.setdefault(i, []).append(claim)
            if valid:
                parts.append(before)
                parts.append("[" + ", ".join(str(numbers[i]) for i in valid) + "]")
            else:  # a marker to a source that was not given: dropped with its leading space
                parts.append(before.rstrip(" \t"))
            last = m.end()
        parts.append(text[last:])
        if not numbers:
            log.warning("LLM reply cites no given source; using the extractive answer")
            return base
        weight = self.fallback.idf
        citations = [make_citation(n, sources[i], best_quote(sources[i].chunk.text,
                                                         sources[i].chunk.kind,
                                                         claims[i], question, weight))
                     for i, n in numbers.items()]
        return Answer(question=question, text="".join(parts).strip(), answered=True,
                      citations=citations, hits=base.hits, id=base.id,
                      confidence=base.confidence)

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


def user_message(question: str, sources: Sequence[Hit]) -> str:
    blocks = [f"{source_label(n, hit)}\n{hit.chunk.text}" for n, hit in enumerate(sources, 1)]
    return "Sources:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


def source_label(n: int, hit: Hit) -> str:
    chunk = hit.chunk
    where = " / ".join(p for p in (chunk.section, f"p. {chunk.page}" if chunk.page else "") if p)
    return f"[{n}] {chunk.title} — {where}" if where else f"[{n}] {chunk.title}"


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


__all__ = ["LLMAnswerer", "SYSTEM_PROMPT", "best_quote", "user_message"]
