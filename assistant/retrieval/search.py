"""Hybrid search: dense (FAISS inner product) + lexical (BM25), fused by reciprocal rank.

RRF needs no score calibration between the two retrievers, which matters because BM25 scores
are unbounded and corpus-dependent while cosine similarities are not. An optional cross-encoder
re-orders the fused head when configured.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from ..embedding import Embedder
from ..models import Hit
from .store import IndexReader

RRF_K = 60


class Reranker(Protocol):
    def rerank(self, query: str, texts: Sequence[str]) -> Sequence[float]: ...


def top_indices(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n highest scores, best first (ties broken by lower index)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = -np.partition(-scores, n - 1)[n - 1]
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: n - len(above)]  # lowest indices among the ties
    part = np.concatenate([above, tied])
    return part[np.lexsort((part, -scores[part]))]


def rrf(rankings: Sequence[Sequence[int]], *, k: int = RRF_K,
        weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank)."""
    fused: dict[int, float] = {}
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights):
        for rank, row in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return fused


class HybridSearcher:
    """`allowed` (a boolean mask over chunk rows, None = all) applies access control inside
    retrieval: rows outside it are never candidates (FAISS filters them inside its search;
    BM25 drops them before ranking), so nothing later can surface them.

    Each retriever returns its `depth` best rows, not a score per chunk: the dense side asks
    FAISS for k results, the lexical side scores only the postings of the query's terms."""

    def __init__(self, *, reader: IndexReader, embedder: Embedder,
                 reranker: Reranker | None = None, depth: int = 50,
                 allowed: np.ndarray | None = None) -> None:
        self.reader = reader
        self.embedder = embedder
        self.reranker = reranker
        self.depth = depth
        self.allowed = allowed

    def _query_vector(self, query: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_query(query), dtype=np.float32).reshape(-1)

    def dense_scores(self, query: str) -> np.ndarray:
        """Similarity of the query to every chunk (exhaustive: for oracles and tools)."""
        if self.reader.size == 0:
            return np.zeros(0, dtype=np.float32)
        return self.reader.dense_scores(self._query_vector(query))

    def search(self, query: str, *, k: int = 5) -> list[Hit]:
        if self.reader.size == 0 or not query.strip():
            return []
        if self.allowed is not None and not self.allowed.any():
            return []
        depth = max(self.depth, k)
        qv = self._query_vector(query)
        dense_rows, dense_found = self.reader.dense_top(qv, depth, self.allowed)
        lexical = self.reader.lexical.scores(query)
        candidates = lexical > 0
        if self.allowed is not None:
            candidates &= self.allowed
        pool = np.flatnonzero(candidates)
        # Plain ints: numpy scalars would be bound by SQLite as blobs and match no row.
        lex_rank = [int(pool[i]) for i in top_indices(lexical[pool], depth)]
        dense_rank = [int(r) for r in dense_rows]
        fused = rrf([dense_rank, lex_rank])
        order = sorted(fused, key=lambda r: (-fused[r], r))
        head = order[: max(k, 20) if self.reranker else k]
        chunks = self.reader.chunks(head)
        dense = dict(zip(dense_rank, (float(s) for s in dense_found)))
        missing = [r for r in head if r not in dense]
        if missing:
            dense.update(zip(missing, (float(s) for s in self.reader.dense_scores_of(qv, missing))))
        hits = [
            Hit(chunk=c, score=fused[r], dense=dense[r], lexical=float(lexical[r]))
            for r, c in zip(head, chunks)
        ]
        if self.reranker is not None:
            scores = self.reranker.rerank(query, [h.chunk.embedding_text() for h in hits])
            for hit, s in zip(hits, scores):
                hit.score = float(s)
            hits.sort(key=lambda h: -h.score)
        return hits[:k]
