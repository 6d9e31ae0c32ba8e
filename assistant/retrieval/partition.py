"""Approximate dense search for a large segment: its rows partitioned by k-means (IVF).

A question is compared with the partitions' centroids, and only the rows of the nearest few
partitions (`probes_for`) are scored, exactly, against the segment's own stored vectors — which
stay stored once, in row order (the flat `dense.faiss`): the partition adds a few MB of
centroids and row ids. faiss's k-means builds it.

Why IVF and not HNSW: on the hash-384 vectors of an ingested synthetic corpus (130k chunks),
HNSW (M 32-64, efConstruction 128-256) found 0.71-0.91 of the exact top 10 for the dev
questions even at efSearch 1024, while faiss's IVF probing 16 of 1,024 partitions found 0.99 in
0.4 ms, and k-means builds in a fraction of HNSW's time (README, scale section;
`bench --recall-only N`). The price of keeping the vectors in row order: a probe reads its rows
from all over the file (about 0.7 µs a row here), so its cost follows the rows probed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

NPROBE = 64  # partitions scored per question, at least ...
PROBE_SHARE = 50  # ... and at least one in this many (recall falls as the share probed does)
ROWS_PER_LIST = 39  # faiss's k-means wants at least this many training rows per centroid
KMEANS_ITERATIONS = 10
KMEANS_SAMPLE_PER_LIST = 64  # training rows per centroid (faiss samples them)
KMEANS_SEED = 1234


def lists_for(rows: int) -> int:
    """Partitions for a segment of `rows` rows: about 4 sqrt(rows) (so a probe of NPROBE
    scores about 16 sqrt(rows) rows), never fewer than ROWS_PER_LIST rows each."""
    return max(1, min(int(4 * math.sqrt(rows)), rows // ROWS_PER_LIST))


def probes_for(lists: int) -> int:
    """Partitions a question scores: NPROBE, or 1/PROBE_SHARE of them when more. Recall@10
    of the bench and dev questions (hash-384) grows with the share probed, differently per
    corpus: 1M synthetic rows (4,000 partitions): 32 gave 0.90, 64 0.96, 80 0.97, 128 0.99;
    100k synthetic rows (1,264): 32 gave 0.94, 48 0.97, 64 0.985; 130k ingested-corpus rows
    (1,441): 16 gave 0.98, 32 0.99, 64 1.0."""
    return max(NPROBE, math.ceil(lists / PROBE_SHARE))


@dataclass(frozen=True, slots=True)
class Partition:
    """`rows[offsets[i]:offsets[i+1]]` are the rows (ascending) nearest to `centroids[i]`."""

    centroids: np.ndarray  # float32 (lists, dim), unit length
    offsets: np.ndarray  # int64 (lists + 1)
    rows: np.ndarray  # int32, every row once, grouped by list

    FILES = ("ivf_centroids", "ivf_offsets", "ivf_rows")

    @classmethod
    def build(cls, vectors: np.ndarray) -> "Partition":
        """Spherical k-means over the (unit) vectors, every row then assigned to its nearest
        centroid by inner product."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        lists = lists_for(n)
        kmeans = faiss.Kmeans(dim, lists, niter=KMEANS_ITERATIONS, seed=KMEANS_SEED,
                              spherical=True, max_points_per_centroid=KMEANS_SAMPLE_PER_LIST,
                              verbose=False)
        kmeans.train(vectors)
        centroids = np.ascontiguousarray(kmeans.centroids, dtype=np.float32)
        nearest = faiss.IndexFlatIP(dim)
        nearest.add(centroids)
        _, assigned = nearest.search(vectors, 1)
        assigned = assigned[:, 0]
        order = np.argsort(assigned, kind="stable").astype(np.int32)
        offsets = np.searchsorted(assigned[order], np.arange(lists + 1)).astype(np.int64)
        return cls(centroids, offsets, order)

    def save(self, directory: Path) -> None:
        for name, array in zip(self.FILES, (self.centroids, self.offsets, self.rows)):
            np.save(directory / f"{name}.npy", array)

    @classmethod
    def load(cls, directory: Path) -> "Partition | None":
        """The segment's partition, memory-mapped; None for a segment searched exactly."""
        if not (directory / f"{cls.FILES[0]}.npy").is_file():
            return None
        return cls(*(np.load(directory / f"{name}.npy", mmap_mode="r") for name in cls.FILES))

    @property
    def lists(self) -> int:
        return len(self.offsets) - 1

    def candidates(self, query: np.ndarray, k: int, allowed: np.ndarray | None,
                   nprobe: int | None = None) -> np.ndarray:
        """The rows to score for `query` (ascending): those of the `nprobe` partitions whose
        centroids are nearest (default `probes_for`), and more partitions, nearest first,
        until at least `k` allowed rows are among them. With an audience that may see fewer
        rows than a probe scores, its rows themselves (exact search is then cheaper)."""
        lists = self.lists
        nprobe = probes_for(lists) if nprobe is None else nprobe
        per_list = len(self.rows) / max(lists, 1)
        if allowed is not None:
            visible = int(np.count_nonzero(allowed))
            if visible <= nprobe * per_list:
                return np.flatnonzero(allowed)
        order = np.argsort(-_dot(np.asarray(self.centroids), query), kind="stable")
        picked: list[np.ndarray] = []
        found = 0
        for i, lst in enumerate(order):
            part = np.asarray(self.rows[self.offsets[lst]:self.offsets[lst + 1]], dtype=np.int64)
            if allowed is not None:
                part = part[allowed[part]]
            picked.append(part)
            found += len(part)
            if i + 1 >= nprobe and found >= k:
                break
        rows = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        rows.sort()
        return rows


def top_k(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray, k: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """(scores, rows) of the k `rows` with the highest inner product with `query`, best first
    (ties: lower row first), scored exactly against `vectors`."""
    if not len(rows) or k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    scores = _dot(vectors[rows], query)
    if len(rows) > k:
        kth = np.partition(-scores, k - 1)[k - 1]
        keep = np.flatnonzero(-scores <= kth)
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return scores[order].astype(np.float32), rows[order].astype(np.int64)


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector on this thread: a few thousand rows take well under a millisecond,
    while BLAS's threads, on cores other work is using, made it 5-10 times slower."""
    return np.einsum("ij,j->i", matrix, vector)
