"""Questions that ask two things at once ("Which period does the strategy cover, and which
province leads the exports?"): each part is retrieved and answered on its own, then the answers
are joined with one set of citations.

One retrieval for the whole question finds the passage for whichever part dominates the query
and quotes it; the other part's answer, often in another document, is never looked at. Split
only where a new question clearly starts (", and which ...", "and in what year ..."), so
ordinary questions with "and" in them stay whole.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from ..models import NOT_FOUND, Answer, Citation, Hit
from .extractive import HEDGE
from .followup import contextualise

_WH = (r"(?:which|what|who|whom|whose|when|where|why|how(?:\s+(?:many|much|long|often))?|"
       r"in\s+(?:which|what)|on\s+(?:which|what)|at\s+(?:which|what)|from\s+(?:which|what)|"
       r"by\s+(?:which|what)|for\s+(?:which|what)|to\s+(?:which|what)|with\s+(?:which|what)|"
       r"is|are|was|were|did|does|do|has|have|can)")
_SPLIT = re.compile(rf"(?:,\s*|;\s*|\s+)and\s+(?={_WH}\b)", re.I)
_ASKS = re.compile(r"\b(which|what|who|whom|whose|when|where|why|how)\b|^\s*(is|are|was|were|did|"
                   r"does|do|has|have|can)\b", re.I)
_MIN_WORDS = 3
_MIN_CLAUSE_WORDS = 6
_AUX = re.compile(r"\b(is|are|was|were|be|been|being|did|does|do|has|have|had|can|could|will|"
                  r"would|should|may|might|must)\b", re.I)
_VERBISH = re.compile(r"[a-z]{3,}(?:s|ed)")  # "holds", "cited": a lower-case -s / -ed word...
_DETERMINERS = {"the", "a", "an", "of", "its", "their", "his", "her", "our", "these", "those",
                "many", "several", "all", "some", "which", "what"}  # ...not after these (plurals)
_MARK = re.compile(r"\[(\d+)\]")


def split_question(question: str) -> list[str]:
    """The parts of a compound question, each a question of its own; [question] otherwise."""
    pieces = [p.strip(" ,;") for p in _SPLIT.split(question.strip())]
    if len(pieces) < 2 or any(len(p.split()) < _MIN_WORDS for p in pieces):
        return [question]
    if not (_ASKS.search(pieces[0]) and _is_clause(pieces[0])):
        # "Tell me X and which Y", "In which month and at which venue was it held?": one question
        return [question]
    parts = [p if p.endswith("?") else p + "?" for p in pieces]
    return parts


def _is_clause(piece: str) -> bool:
    """A first part that can stand as a question: long enough and with a verb of its own.
    Coordinated wh-phrases sharing one verb ("At which event, and in which city, was X
    launched?") fail this, and stay one question."""
    words = piece.split()
    if len(words) < _MIN_CLAUSE_WORDS:
        return False
    if _AUX.search(piece):
        return True
    return any(_VERBISH.fullmatch(w) and prev.casefold() not in _DETERMINERS
               for prev, w in zip(words, words[1:]))


def answer_parts(question: str, parts: Sequence[str], ask_one: Callable[[str], Answer],
                 *, id: str | None = None) -> Answer:
    """Answer each part (a later part that refers back, "which of its mines", is read with the
    first as context) and merge them: citations renumbered in order of use, identical quotes
    cited once, a sentence already given not repeated."""
    answers = [ask_one(part if i == 0 else contextualise(part, [parts[0]]))
               for i, part in enumerate(parts)]
    return merge_answers(question, parts, answers, id=id)


def merge_answers(question: str, parts: Sequence[str], answers: Sequence[Answer], *,
                  id: str | None = None) -> Answer:
    if not any(a.answered for a in answers):
        first = answers[0]
        return Answer(question=question, text=first.text, answered=False,
                      citations=first.citations, hits=_interleave([a.hits for a in answers]),
                      id=id, confidence=max(a.confidence for a in answers))
    citations: list[Citation] = []
    seen: dict[tuple[str, str], int] = {}
    texts: list[str] = []
    said: set[str] = set()
    hedged = False
    for part, answer in zip(parts, answers):
        if not answer.answered:
            texts.append(f"(Not found in the documents: “{part}”)")
            continue
        numbers: dict[int, int] = {}
        for c in answer.citations:
            key = (c.doc_id, c.quote)
            if key not in seen:
                citations.append(Citation(n=len(citations) + 1, doc_id=c.doc_id, title=c.title,
                                          quote=c.quote, page=c.page, section=c.section, url=c.url))
                seen[key] = len(citations)
            numbers[c.n] = seen[key]
        body = answer.text
        if answer.hedged or body.startswith(HEDGE):
            hedged, body = True, body.removeprefix(HEDGE).strip()
        body = _MARK.sub(lambda m: f"[{numbers.get(int(m.group(1)), int(m.group(1)))}]", body)
        fresh = [line for line in _lines(body) if _plain(line) not in said]
        said.update(_plain(line) for line in fresh)
        if fresh:
            texts.append(" ".join(fresh))
    text = "\n".join(texts)
    if hedged:
        text = f"{HEDGE}\n{text}"
    answered = [a for a in answers if a.answered]
    confidence = min(a.confidence for a in answered) * len(answered) / len(answers)
    return Answer(question=question, text=text, answered=True, citations=citations,
                  hits=_interleave([a.hits for a in answers]), id=id, confidence=confidence,
                  hedged=hedged)


def _lines(body: str) -> list[str]:
    """An answer body cut after each citation marker run: one cited statement per item."""
    return [p.strip() for p in re.split(r"(?<=\])\s+(?=[^\[])", body) if p.strip()]


def _plain(statement: str) -> str:
    return " ".join(_MARK.sub("", statement).casefold().split())


def _interleave(rankings: Sequence[Sequence[Hit]]) -> list[Hit]:
    """Hits of all parts, best of each part first, each chunk once."""
    out: list[Hit] = []
    seen: set[str] = set()
    for rank in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank].chunk.chunk_id not in seen:
                seen.add(ranking[rank].chunk.chunk_id)
                out.append(ranking[rank])
    return out


__all__ = ["NOT_FOUND", "answer_parts", "merge_answers", "split_question"]
