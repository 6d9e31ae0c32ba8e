"""The surface words of an index version's live chunks, for the spelling corrector.

Each segment stores its chunks' words (folded, not stemmed: see lexical.surface_words) as
inverted lists written at ingest, like its BM25 postings. A question then asks only what it
needs: whether a word is known costs one dictionary look-up per segment, whatever the size of
the index, and the counts of every word (the candidates of a correction) are summed over the
live rows with numpy on the first question that has an unknown word. Nothing reads the chunk
texts. Rows of removed or replaced files are on disk but not live, and are not counted: the
vocabulary is exactly that of the live chunks' text.
"""

from __future__ import annotations

import threading
from typing import Protocol, Sequence

import numpy as np

from .bm25 import Postings


class WordSegment(Protocol):
    """What the vocabulary needs from a segment (see segment.Segment)."""

    base: int  # the segment's first physical row in the index version

    def word_span(self, word: str) -> tuple[int, int] | None: ...
    def word_postings_of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]: ...
    def word_postings(self) -> Postings: ...


class LiveVocabulary:
    """Surface words of the live rows of a version's segments: `word in vocabulary`, and
    `counts()` (occurrences per word, in order of first appearance: segment order, then the
    order the segment first met them, which is the order of its rows)."""

    def __init__(self, *, segments: Sequence[WordSegment], alive: np.ndarray,
                 lock: threading.Lock) -> None:
        self._segments = list(segments)
        self._alive = alive  # per physical row
        self._lock = lock  # the reader's: segments' SQLite connections are shared
        self._known: dict[str, bool] = {}
        self._counts: dict[str, int] | None = None

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        known = self._known.get(word)
        if known is None:
            known = self._occurs(word)
            if len(self._known) < 100_000:
                self._known[word] = known
        return known

    def _occurs(self, word: str) -> bool:
        with self._lock:
            for seg in self._segments:
                span = seg.word_span(word)
                if span is not None:
                    rows, _ = seg.word_postings_of(*span)
                    if self._alive[seg.base + rows].any():
                        return True
        return False

    def counts(self) -> dict[str, int]:
        """Occurrences of every word in the live rows (computed once per version)."""
        with self._lock:
            if self._counts is None:
                counts: dict[str, int] = {}
                for seg in self._segments:
                    words = seg.word_postings()
                    if not len(words.terms):
                        continue
                    live = self._alive[seg.base + np.asarray(words.doc, dtype=np.int64)]
                    occurrences = np.where(live, np.asarray(words.tf, dtype=np.int64), 0)
                    per_word = np.add.reduceat(occurrences, words.start)
                    for word, n in zip(words.terms, per_word.tolist()):
                        if n:
                            counts[word] = counts.get(word, 0) + n
                self._counts = counts
            return self._counts
