"""The partitioned (IVF) dense search of large segments, against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.partition import Partition, lists_for, probes_for, top_k


def _clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, dim))
    vectors = centres[rng.integers(0, 20, size=n)] + 0.3 * rng.normal(size=(n, dim))
    vectors[7] = vectors[8]  # an exact tie
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _brute(vectors: np.ndarray, query: np.ndarray, k: int, allowed=None) -> list[int]:
    scores = vectors @ query
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    order = np.lexsort((np.arange(len(scores)), -scores))
    return [int(r) for r in order[:k] if np.isfinite(scores[r])]


@pytest.fixture(scope="module")
def built() -> tuple[np.ndarray, Partition]:
    vectors = _clustered(6000)
    return vectors, Partition.build(vectors)


def test_every_row_is_in_exactly_one_partition(built) -> None:
    vectors, partition = built
    assert partition.lists == lists_for(len(vectors)) > 1
    assert sorted(np.asarray(partition.rows).tolist()) == list(range(len(vectors)))
    assert partition.offsets[0] == 0 and partition.offsets[-1] == len(vectors)


def test_probing_every_partition_is_exact_search(built) -> None:
    vectors, partition = built
    for seed in range(5):
        query = vectors[seed * 997 % len(vectors)] + 0.05
        rows = partition.candidates(query, 10, None, nprobe=partition.lists)
        _, found = top_k(vectors, query, rows, 10)
        assert found.tolist() == _brute(vectors, query, 10)
    _, found = top_k(vectors, vectors[7], partition.candidates(vectors[7], 2, None,
                                                               nprobe=partition.lists), 2)
    assert found.tolist() == [7, 8]  # equal scores: lower row first


def test_default_probe_finds_nearly_all_of_the_exact_top_ten(built) -> None:
    vectors, partition = built
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(20):
        query = vectors[rng.integers(len(vectors))] + 0.1 * rng.normal(size=vectors.shape[1])
        query = query.astype(np.float32)
        _, found = top_k(vectors, query, partition.candidates(query, 10, None), 10)
        assert len(found) == 10 and probes_for(partition.lists) < partition.lists
        hits += len(set(found.tolist()) & set(_brute(vectors, query, 10)))
    assert hits / 200 >= 0.9


@pytest.mark.parametrize("share", [0.002, 0.05, 0.6])
def test_an_audience_filter_applies_inside_the_probe(built, share: float) -> None:
    vectors, partition = built
    rng = np.random.default_rng(int(share * 1000))
    allowed = rng.random(len(vectors)) < share
    query = vectors[11] + 0.05
    rows = partition.candidates(query, 10, allowed)
    assert allowed[rows].all() and len(rows) >= min(10, int(allowed.sum()))
    _, found = top_k(vectors, query, rows, 10)
    if share < 0.01:  # fewer visible rows than a probe scores: all of them, so exact
        assert found.tolist() == _brute(vectors, query, 10, allowed)
    assert allowed[found].all()
