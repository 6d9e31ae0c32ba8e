"""Hybrid search checked against brute-force oracles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embedding import HashingEmbedder
from assistant.ingest.pipeline import Ingestor
from assistant.retrieval.search import HybridSearcher, rrf, top_indices
from assistant.retrieval.store import IndexStore


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> HybridSearcher:
    tmp_path = tmp_path_factory.mktemp("search")
    data = Path(__file__).parent / "data"
    Ingestor(store=IndexStore(tmp_path / "ix"), embedder_name="hash-256",
             embedder_factory=HashingEmbedder, progress=False, log=lambda _: None,
             ).run([data / "dev", data / "samples"])
    return HybridSearcher(reader=IndexStore(tmp_path / "ix").open(), embedder=HashingEmbedder())


@pytest.mark.parametrize("seed", range(5))
def test_top_indices_matches_a_full_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 20, size=200).astype(np.float32)  # many ties
    oracle = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:25]
    assert top_indices(scores, 25).tolist() == oracle


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = rrf([[3, 1, 2], [1, 4]], k=60)
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[4] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == 1


def test_dense_scores_match_brute_force(searcher: HybridSearcher) -> None:
    query = "Which regions lead the mining partnership?"
    vectors = np.asarray(searcher.reader.vectors())
    oracle = vectors @ HashingEmbedder().embed_query(query)
    assert np.allclose(searcher.dense_scores(query), oracle, atol=1e-5)


def test_hybrid_ranks_fuse_both_retrievers(searcher: HybridSearcher) -> None:
    query = "peer review workshop Camborne School of Mines"
    hits = searcher.search(query, k=10)
    dense = searcher.dense_scores(query)
    lexical = searcher.reader.lexical.scores(query)
    fused = rrf([top_indices(dense, 50).tolist(),
                 [i for i in top_indices(lexical, 50) if lexical[i] > 0]])
    oracle = sorted(fused, key=lambda r: (-fused[r], r))[:10]
    assert [h.chunk.chunk_id for h in hits] == [
        c.chunk_id for c in searcher.reader.chunks(oracle)]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("token", ["SE331", "FI1D7", "Kankberg", "Ley 5/2019"])
def test_short_exact_tokens_are_findable(searcher: HybridSearcher, token: str) -> None:
    hits = searcher.search(token, k=3)
    assert any(token.lower() in h.chunk.text.lower() for h in hits)


class ReverseLengthReranker:
    """A fake cross-encoder: prefers shorter chunks, so its order differs from the fused one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def rerank(self, query: str, texts):
        self.calls.append((query, len(texts)))
        return [-len(t) for t in texts]


def test_optional_reranker_reorders_the_fused_head(searcher: HybridSearcher) -> None:
    reranker = ReverseLengthReranker()
    reranked = HybridSearcher(reader=searcher.reader, embedder=searcher.embedder,
                              reranker=reranker)
    hits = reranked.search("mining regions partnership", k=5)
    assert reranker.calls == [("mining regions partnership", 20)]  # the head, not just k
    lengths = [len(h.chunk.embedding_text()) for h in hits]
    assert lengths == sorted(lengths)
    head = searcher.search("mining regions partnership", k=20)
    assert min(len(h.chunk.embedding_text()) for h in head) == lengths[0]


def test_chunks_found_only_by_bm25_are_returned(searcher: HybridSearcher) -> None:
    # depth=1: the dense list holds one row, so the other hits come from BM25 alone.
    shallow = HybridSearcher(reader=searcher.reader, embedder=searcher.embedder, depth=1)
    hits = shallow.search("Kankberg tellurium solar cells", k=5)
    assert len(hits) == 5
    assert any("Kankberg" in h.chunk.text for h in hits)


def test_reader_accepts_numpy_row_ids(searcher: HybridSearcher) -> None:
    rows = np.array([2, 0], dtype=np.int64)
    fresh = type(searcher.reader)(searcher.reader.directory)  # empty cache
    assert [c.chunk_id for c in fresh.chunks(rows)] == [
        c.chunk_id for c in searcher.reader.chunks([2, 0])]
