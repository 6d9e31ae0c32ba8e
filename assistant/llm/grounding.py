"""Checking a model's reply against the passages it was given, sentence by sentence.

What survives is what the user may see, so the rules are strict and cheap:

1. The reply is split into sentences (the chunker's splitter, so "Mr." or "e.g." do not end
   one) and list items. A citation written after the full stop ("… Kemi. [3]") belongs to the
   sentence before it.
2. Citation markers `[n]`, `[n, m]`, `[n][m]` to a passage that was not given are removed.
3. A sentence left without a valid citation is removed: for answers as for report prose, since
   an uncited sentence cannot be checked and is exactly what an injected or hallucinated
   reply looks like ("PWNED"). Removing is safer than flagging: nobody reads the flags.
4. Lexical support: a sentence must share at least `MIN_SUPPORT` (a quarter) of its content
   words (stemmed, stop-words dropped, 6-letter prefixes matching "digitalisation" with
   "digitalization") with the passages it cites, counting their titles. This catches a
   citation to an unrelated passage (a sentence about a meeting citing a page about bees), not a
   subtle paraphrase error; a quarter keeps fair paraphrases ("took part" for "attended") and
   sentences shorter than `MIN_WORDS` content words are not judged. Across languages (an English
   sentence citing a Spanish page) word overlap means little, so the check is skipped there.

Sentences come back as `CitedSentence(text, refs)`: the text without its markers, refs the
valid 1-based passage numbers in the order written. A list item is one sentence; with
`bullets=True` (the `ask` answer, which lays items out one per line) it keeps a leading "- ",
otherwise (report prose) it comes back as plain text.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Sequence

from ..retrieval.lexical import STOPWORDS_EN

from ..answering.units import split_sentences
from ..models import CitedSentence
from ..retrieval.lexical import fold, tokenize

log = logging.getLogger("assistant.llm")

MIN_SUPPORT = 0.25
MIN_WORDS = 3
PREFIX = 6

_NUMS = r"\d{1,3}(?:\s*[,;]\s*\d{1,3})*"
MARKER = re.compile(rf"\[\s*(?:(?:passages?|sources?)\s*)?({_NUMS})\s*\]", re.IGNORECASE)
_MARKERS = rf"(?:\s*\[\s*(?:(?:passages?|sources?)\s*)?{_NUMS}\s*\])+"
# "Kemi. [3] Next" / "Kemi.[3]" -> "Kemi [3]. Next": the citation joins its own sentence.
_AFTER_STOP = re.compile(rf"([.!?…]+)({_MARKERS})", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:[-*•▪–]|\d{1,2}[.)])\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?…])")
_ENGLISH = frozenset(STOPWORDS_EN)


def ground(reply: str, passages: Sequence[str], *, min_support: float = MIN_SUPPORT,
           bullets: bool = False) -> list[CitedSentence]:
    """The reply's sentences that cite given passages and share enough words with them."""
    kept: list[CitedSentence] = []
    for raw, is_item in _pieces(reply):
        sentence = _cited(raw, len(passages), item=is_item and bullets)
        if sentence is None:
            log.debug("dropped uncited sentence: %.80s", raw)
            continue
        if not _supported(sentence, passages, min_support):
            log.debug("dropped sentence its passages do not support: %.80s", raw)
            continue
        kept.append(sentence)
    return kept


def _pieces(reply: str) -> list[tuple[str, bool]]:
    """(sentence, is list item) in order; marker-only pieces join the sentence before."""
    out: list[tuple[str, bool]] = []
    for line in _AFTER_STOP.sub(r"\2\1", reply).splitlines():
        line = line.strip()
        if not line:
            continue
        item = _ITEM.match(line)
        parts = [line[item.end():]] if item else split_sentences(line) or [line]
        for part in parts:
            part = part.strip()
            if not part:
                continue
            if out and not MARKER.sub("", part).strip(" .,;:"):
                prev, prev_item = out[-1]
                out[-1] = (f"{prev} {part}", prev_item)
            else:
                out.append((part, bool(item)))
    return out


def _cited(raw: str, n_passages: int, *, item: bool) -> CitedSentence | None:
    refs: list[int] = []
    for m in MARKER.finditer(raw):
        for x in re.split(r"\s*[,;]\s*", m.group(1)):
            n = int(x)
            if 1 <= n <= n_passages and n not in refs:
                refs.append(n)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", raw).split())).strip()
    text = text.strip("*_ ").strip()  # markdown emphasis around a whole sentence
    if not refs or not re.search(r"\w", text):
        return None
    return CitedSentence(text=f"- {text}" if item else text, refs=tuple(refs))


def _supported(sentence: CitedSentence, passages: Sequence[str], min_support: float) -> bool:
    words = set(tokenize(sentence.text))
    if len(words) < MIN_WORDS:
        return True
    cited = " ".join(passages[n - 1] for n in sentence.refs)
    if _english(sentence.text) != _english(cited):
        return True
    bag = _bag(cited)
    matched = sum(1 for w in words if w in bag or (len(w) >= PREFIX and "^" + w[:PREFIX] in bag))
    return matched / len(words) >= min_support


@lru_cache(maxsize=256)
def _bag(text: str) -> frozenset[str]:
    tokens = tokenize(text)
    return frozenset(tokens) | {"^" + t[:PREFIX] for t in tokens if len(t) >= PREFIX}


def _english(text: str) -> bool:
    """English prose is about a quarter function words; Spanish, Finnish or German prose has
    almost none of the English ones. Short texts count as English (too little to tell)."""
    words = re.findall(r"[^\W\d_]+", fold(text))
    if len(words) < 8:
        return True
    return sum(w in _ENGLISH for w in words) / len(words) >= 0.1


__all__ = ["MARKER", "MIN_SUPPORT", "ground"]
