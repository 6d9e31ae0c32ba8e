"""BM25 over index segments: per-segment postings, corpus-wide statistics at query time.

Each segment stores, for its own chunks, an inverted list per term (chunk row, term count)
and the token count of every chunk. The statistics BM25 needs across the whole index — the
number of live chunks, their average length and each query term's document frequency — are
taken at query time over the live rows of every segment, so a ranking over several segments
(with removed chunks still on disk) is the ranking a single index of the live chunks gives.
That is what lets an ingest write only the postings of what changed.

The scoring is bm25s's Lucene variant (k1 = 1.2, b = 0.75): idf = ln(1 + (N - df + 0.5) /
(df + 0.5)), tf part = tf / (tf + k1 (1 - b + b dl / avgdl)); a repeated query token counts
each time, as in bm25s (tests check the scores against bm25s built from scratch).
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Protocol, Sequence

import numpy as np

from .lexical import tokenize

K1 = 1.2
B = 0.75


@dataclass(frozen=True, slots=True)
class Postings:
    """One segment's inverted lists: `terms[i]` owns `doc[start[i]:start[i]+count[i]]`."""

    terms: list[str]
    start: np.ndarray  # int64, per term
    count: np.ndarray  # int64, per term
    doc: np.ndarray  # int32, segment-local chunk row, per posting
    tf: np.ndarray  # float32, per posting
    doclen: np.ndarray  # int32, tokens per chunk

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]]) -> "Postings":
        """Postings of chunks given as token lists (one list per chunk, in row order)."""
        builder = PostingsBuilder()
        for tokens in token_lists:
            builder.add(tokens)
        return builder.build()

    @classmethod
    def merge(cls, parts: Sequence[tuple["Postings", np.ndarray]]) -> "Postings":
        """The postings of the rows kept (boolean mask per part) of several segments, renumbered
        in order — numpy work only, nothing is tokenised again."""
        vocab: dict[str, int] = {}
        term_ids, docs, tfs, lengths = [], [], [], []
        offset = 0
        for postings, keep in parts:
            remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in postings.terms),
                                dtype=np.int64, count=len(postings.terms))
            new_row = np.cumsum(keep, dtype=np.int64) - 1 + offset
            per_posting = np.repeat(remap, postings.count)
            order = np.repeat(postings.start, postings.count) + _ranks(postings.count)
            doc = np.asarray(postings.doc)[order]
            tf = np.asarray(postings.tf)[order]
            live = keep[doc]
            term_ids.append(per_posting[live])
            docs.append(new_row[doc[live]])
            tfs.append(tf[live])
            lengths.append(np.asarray(postings.doclen)[keep])
            offset += int(keep.sum())
        return cls._from_pairs(list(vocab), _cat(term_ids, np.int64), _cat(docs, np.int64),
                               _cat(tfs, np.float32), _cat(lengths, np.int32))

    @classmethod
    def _from_pairs(cls, vocab: list[str], term_ids: np.ndarray, docs: np.ndarray,
                    weights: np.ndarray, doclen: np.ndarray) -> "Postings":
        """Group (term, doc, weight) triples into inverted lists; terms without a posting
        (all their rows removed by a merge) are dropped."""
        n_docs = max(len(doclen), 1)
        key = term_ids * n_docs + docs
        unique, inverse = np.unique(key, return_inverse=True)
        tf = np.bincount(inverse, weights=weights).astype(np.float32)
        term_of = unique // n_docs
        counts = np.bincount(term_of, minlength=len(vocab)).astype(np.int64)
        present = np.flatnonzero(counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return cls([vocab[i] for i in present], starts[present], counts[present],
                   (unique % n_docs).astype(np.int32), tf, doclen.astype(np.int32))


class PostingsBuilder:
    """Postings built one chunk at a time, keeping 16 bytes per distinct term of a chunk
    instead of the token lists: an ingest of tens of thousands of chunks need not hold every
    chunk's words."""

    def __init__(self) -> None:
        self._vocab: dict[str, int] = {}
        self._ids = array("q")  # per (chunk, distinct term), in order of first appearance
        self._tf = array("q")
        self._distinct = array("q")  # per chunk
        self._lengths = array("q")

    def add(self, tokens: Sequence[str]) -> None:
        """The next chunk's tokens, in text order."""
        vocab = self._vocab
        counted = Counter(tokens)
        self._ids.extend([vocab.setdefault(tok, len(vocab)) for tok in counted])
        self._tf.extend(counted.values())
        self._distinct.append(len(counted))
        self._lengths.append(len(tokens))

    def build(self) -> Postings:
        ids, tf, distinct, lengths = (np.asarray(a, dtype=np.int64) for a in
                                      (self._ids, self._tf, self._distinct, self._lengths))
        docs = np.repeat(np.arange(len(lengths), dtype=np.int64), distinct)
        return Postings._from_pairs(list(self._vocab), ids, docs, tf.astype(np.float32),
                                    lengths.astype(np.int32))


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..count-1 for each group, concatenated."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def _cat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)


class LexicalSegment(Protocol):
    """What the scorer needs from a segment (see segment.Segment)."""

    base: int  # the segment's first physical row in the index version
    doclen: np.ndarray

    def term_span(self, term: str) -> tuple[int, int] | None: ...
    def postings_of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]: ...


class _Term(NamedTuple):
    """One term's live postings over every segment, ready to score: physical rows, term
    counts and the BM25 denominator `tf + k1 (1 - b + b dl / avgdl)` of each (fixed for a
    version), so a question pays two multiplications and a scatter-add per posting."""

    rows: np.ndarray  # int64 physical rows
    tf: np.ndarray  # float64
    denominator: np.ndarray  # float64

    @property
    def postings(self) -> int:
        return len(self.rows)


_NO_TERM = _Term(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


class LexicalIndex:
    """BM25 over the live rows of a version's segments. Scores come back per live ("logical")
    row, in the reader's row order. Term look-ups are cached per term (a version never
    changes), up to CACHED_POSTINGS postings in all, least recently used dropped first."""

    CACHED_POSTINGS = 16_000_000  # about 380 MB of cached postings (24 bytes each)

    def __init__(self, *, segments: Sequence[LexicalSegment], alive: np.ndarray,
                 live_rows: np.ndarray, lock: threading.Lock) -> None:
        self._segments = list(segments)
        self._alive = alive  # per physical row
        self._live = live_rows  # physical row of each logical row
        self._all_live = len(live_rows) == len(alive)
        self._lock = lock
        self.num_docs = int(len(live_rows))
        self._lengths = {s.base: np.asarray(s.doclen, dtype=np.float64) for s in self._segments}
        total = sum(float(lengths[alive[base:base + len(lengths)]].sum())
                    for base, lengths in self._lengths.items())
        self._avgdl = total / self.num_docs if self.num_docs else 1.0
        self._terms: OrderedDict[str, _Term] = OrderedDict()
        self._cached = 0  # postings held in `_terms`
        self._cache_lock = threading.Lock()

    def _postings(self, term: str) -> _Term:
        """The term's live postings (cached)."""
        with self._cache_lock:
            cached = self._terms.get(term)
            if cached is not None:
                self._terms.move_to_end(term)
                return cached
        rows, tfs, denominators = [], [], []
        with self._lock:
            for seg in self._segments:
                span = seg.term_span(term)
                if span is None:
                    continue
                docs, tf = seg.postings_of(*span)
                live = self._alive[seg.base + docs]
                if not live.all():
                    docs, tf = docs[live], tf[live]
                if len(docs):
                    norm = K1 * ((1.0 - B) + B * self._lengths[seg.base][docs] / self._avgdl)
                    rows.append(seg.base + docs)
                    tfs.append(tf)
                    denominators.append(norm + tf)
        found = _Term(np.concatenate(rows), np.concatenate(tfs),
                      np.concatenate(denominators)) if rows else _NO_TERM
        with self._cache_lock:
            if term not in self._terms and found.postings <= self.CACHED_POSTINGS:
                self._terms[term] = found
                self._cached += found.postings
                while self._cached > self.CACHED_POSTINGS:
                    _, dropped = self._terms.popitem(last=False)
                    self._cached -= dropped.postings
        return found

    @property
    def cached_postings(self) -> int:
        """Postings the term cache holds now (at most CACHED_POSTINGS)."""
        return self._cached

    def df(self, token: str) -> int:
        return self._postings(token).postings

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; unseen tokens get the highest weight."""
        return math.log(1.0 + (self.num_docs + 1) / (self.df(token) + 0.5))

    def physical_scores(self, query: str) -> np.ndarray:
        """BM25 score per physical row (dead rows stay 0)."""
        acc = np.zeros(len(self._alive), dtype=np.float64)
        n = self.num_docs
        for token in tokenize(query, query=True):
            term = self._postings(token)
            df = term.postings
            if not df:
                continue
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            acc[term.rows] += idf * term.tf / term.denominator
        return acc.astype(np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every live row for the query (zeros when no query token is known)."""
        physical = self.physical_scores(query)
        return physical if self._all_live else physical[self._live]
