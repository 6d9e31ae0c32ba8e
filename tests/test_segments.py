"""Segmented index: an ingest writes only what changed, and searching several segments (with
removed chunks still on disk) ranks exactly as one index of the live chunks would — checked
against brute-force oracles (exact inner products, bm25s built from scratch)."""

from __future__ import annotations

import os
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant.embedding import HashingEmbedder
from assistant.ingest import pipeline
from assistant.ingest.pipeline import Ingestor
from assistant.retrieval import segment as segment_mod
from assistant.retrieval import store as store_mod
from assistant.retrieval.bm25 import Postings
from assistant.retrieval.lexical import document_tokens, tokenize
from assistant.retrieval.search import HybridSearcher
from assistant.retrieval.store import IndexStore, plan_merges

from corpora import DEV, write_corpus

QUERIES = ["Which regions lead the mining partnership?", "peer review workshop Cornwall",
           "Kankberg tellurium solar cells", "SE331 Västerbotten", "kick-off meeting Kemi"]


def _doc(i: int) -> str:
    topics = ["tellurium mine in Kankberg", "peer review in Cornwall", "raw materials policy",
              "smart specialisation in Lapland", "circular economy workshop"]
    return (f"Title: Note {i}\n\nNote {i} is about the {topics[i % 5]}. Depot QX{i:03d} opened "
            f"in spring {2010 + i % 10}, near the {topics[(i * 3) % 5]}.\n")


def _ingest(corpus: Path, index: Path) -> None:
    Ingestor(store=IndexStore(index), embedder_name="hash-256", embedder_factory=HashingEmbedder,
             progress=False, log=lambda _: None).run([corpus])


def _grow(tmp_path: Path, steps: int) -> tuple[Path, Path]:
    """A corpus ingested in many small steps (adds, edits, deletes), so the index has several
    segments and dead rows."""
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i) for i in range(6)})
    index = tmp_path / "ix"
    _ingest(corpus, index)
    for step in range(steps):
        (corpus / f"add{step}.txt").write_text(_doc(100 + step), "utf-8")
        if step % 3 == 1:
            (corpus / f"n{step % 6}.txt").write_text(_doc(200 + step), "utf-8")  # edited
        if step % 4 == 3:
            (corpus / f"add{step - 2}.txt").unlink()  # removed
        _ingest(corpus, index)
    return corpus, index


def test_adding_one_file_writes_one_small_segment_and_links_the_rest(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i) for i in range(12)})
    _ingest(corpus, tmp_path / "ix")
    before = IndexStore(tmp_path / "ix").open()
    (corpus / "new.txt").write_text(_doc(99), "utf-8")
    _ingest(corpus, tmp_path / "ix")
    after = IndexStore(tmp_path / "ix").open()
    assert [s.name for s in after.segments][:-1] == [s.name for s in before.segments]
    for old in before.segments:  # shared, not copied: the same files on disk
        new = after.directory / "segments" / old.name
        assert (new / "dense.faiss").stat().st_ino == (old.directory / "dense.faiss").stat().st_ino
    newest = after.segments[-1]
    assert newest.n == after.files()[str((corpus / "new.txt").resolve())].n_chunks
    assert after.size == before.size + newest.n


def test_unchanged_files_are_not_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i) for i in range(5)})
    (corpus / "access.toml").write_text('[[restrict]]\npaths = ["n1.txt"]\nusers = ["U1"]\n')
    _ingest(corpus, tmp_path / "ix")
    (corpus / "n3.txt").write_text(_doc(33), "utf-8")
    (corpus / "access.toml").write_text('[[restrict]]\npaths = ["n2.txt"]\nusers = ["U1"]\n')
    opened: list[str] = []
    real_header, real_hash = pipeline.read_visibility_header, pipeline._sha256
    monkeypatch.setattr(pipeline, "read_visibility_header",
                        lambda p: opened.append(p.name) or real_header(p))
    monkeypatch.setattr(pipeline, "_sha256", lambda p: opened.append(p.name) or real_hash(p))
    _ingest(corpus, tmp_path / "ix")
    assert set(opened) == {"n3.txt"}
    # and the changed access file still took effect on the files that were not opened
    files = {Path(k).name: f for k, f in IndexStore(tmp_path / "ix").open().files().items()}
    assert files["n2.txt"].visibility.restricted and not files["n1.txt"].visibility.restricted


def test_many_small_ingests_rank_exactly_as_one_fresh_build(tmp_path: Path) -> None:
    corpus, index = _grow(tmp_path, steps=20)
    grown = IndexStore(index).open()
    assert len(grown.segments) < 20  # merged as they piled up
    _ingest(corpus, tmp_path / "fresh")
    fresh = IndexStore(tmp_path / "fresh").open()
    assert len(fresh.segments) == 1 and fresh.size == grown.size
    by_id = {s.chunk.chunk_id for s in grown.all_chunks()}
    assert by_id == {s.chunk.chunk_id for s in fresh.all_chunks()}
    ids_grown = [s.chunk.chunk_id for s in grown.all_chunks()]
    ids_fresh = [s.chunk.chunk_id for s in fresh.all_chunks()]
    for query in QUERIES + ["depot QX105 opened", "smart specialisation"]:
        # Per chunk, both retrievers score alike (rows are numbered differently) ...
        for reader, ids, scores in ((grown, ids_grown, {}), (fresh, ids_fresh, {})):
            searcher = HybridSearcher(reader=reader, embedder=HashingEmbedder())
            scores.update(zip(ids, zip(searcher.dense_scores(query),
                                       reader.lexical.scores(query))))
            if reader is grown:
                first = scores
        assert np.allclose([first[i] for i in ids_fresh], [scores[i] for i in ids_fresh],
                           atol=1e-5), query
        # ... so each retriever's best scores are the same (which chunk wins an exact tie
        # depends on row order, and so may the fused order).
        a = HybridSearcher(reader=grown, embedder=HashingEmbedder())
        b = HybridSearcher(reader=fresh, embedder=HashingEmbedder())
        qv = HashingEmbedder().embed_query(query)
        assert np.allclose(grown.dense_top(qv, 8)[1], fresh.dense_top(qv, 8)[1], atol=1e-5)
        assert len(a.search(query, k=8)) == len(b.search(query, k=8)) == 8


def test_bm25_over_segments_equals_bm25s_over_the_live_chunks(tmp_path: Path) -> None:
    _, index = _grow(tmp_path, steps=11)
    reader = IndexStore(index).open()
    assert len(reader.segments) > 1 and reader.size < sum(s.n for s in reader.segments)  # dead rows
    texts = [s.chunk.embedding_text() for s in reader.all_chunks()]
    corpus_tokens = [document_tokens(t) for t in texts]
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in toks] for toks in corpus_tokens]
    oracle = bm25s.BM25(k1=1.2, b=0.75)
    oracle.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
    for query in QUERIES + ["depot QX007 spring"]:
        known = [vocab[t] for t in tokenize(query, query=True) if t in vocab]
        expected = oracle.get_scores(known) if known else np.zeros(len(texts))
        assert np.allclose(reader.lexical.scores(query), expected, rtol=1e-4, atol=1e-5), query
    df = sum("kankberg" in toks for toks in corpus_tokens)
    assert reader.lexical.df("kankberg") == df > 0


@pytest.fixture(scope="module")
def dev_reader(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("seg")
    _ingest(DEV, tmp / "ix")
    extra = write_corpus(tmp / "extra", {f"e{i}.txt": _doc(i) for i in range(10)})
    Ingestor(store=IndexStore(tmp / "ix"), embedder_name="hash-256",
             embedder_factory=HashingEmbedder, progress=False, log=lambda _: None).run([extra])
    return IndexStore(tmp / "ix").open()


@pytest.mark.parametrize("seed", range(6))
def test_filtered_dense_top_k_equals_brute_force(dev_reader, seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert len(dev_reader.segments) == 2
    vectors = dev_reader.vectors()
    query = HashingEmbedder().embed_query(QUERIES[seed % len(QUERIES)])
    allowed = None if seed == 0 else rng.random(dev_reader.size) < rng.choice([0.02, 0.3, 0.9])
    rows, scores = dev_reader.dense_top(query, 10, allowed)
    exact = vectors @ query
    if allowed is not None:
        exact = np.where(allowed, exact, -np.inf)
    oracle = np.argsort(-exact, kind="stable")[: min(10, int(np.isfinite(exact).sum()))]
    assert rows.tolist() == oracle.tolist()
    assert np.allclose(scores, exact[oracle], atol=1e-5)
    assert np.allclose(dev_reader.dense_scores_of(query, rows), scores, atol=1e-5)


def test_search_never_returns_a_row_outside_the_audience(dev_reader) -> None:
    allowed = np.zeros(dev_reader.size, dtype=bool)
    allowed[::7] = True
    searcher = HybridSearcher(reader=dev_reader, embedder=HashingEmbedder(), allowed=allowed)
    visible = {c.chunk_id for c in dev_reader.chunks(np.flatnonzero(allowed))}
    for query in QUERIES:
        hits = searcher.search(query, k=10)
        assert hits and {h.chunk.chunk_id for h in hits} <= visible


def test_postings_merge_equals_a_build_of_the_kept_rows() -> None:
    texts = [_doc(i) for i in range(30)] + ["", "SE331 SE331 FI1D7"]
    a, b = [document_tokens(t) for t in texts[:17]], [document_tokens(t) for t in texts[17:]]
    rng = np.random.default_rng(3)
    keep_a, keep_b = rng.random(len(a)) < 0.6, rng.random(len(b)) < 0.6
    merged = Postings.merge([(Postings.build(a), keep_a), (Postings.build(b), keep_b)])
    kept = [t for t, k in zip(a, keep_a) if k] + [t for t, k in zip(b, keep_b) if k]
    built = Postings.build(kept)

    def lists(p: Postings) -> dict[str, list[tuple[int, float]]]:
        return {t: sorted(zip(p.doc[s:s + c].tolist(), p.tf[s:s + c].tolist()))
                for t, s, c in zip(p.terms, p.start, p.count)}

    assert lists(merged) == lists(built)
    assert merged.doclen.tolist() == built.doclen.tolist()


def test_merge_plan_merges_a_full_tier_and_rewrites_a_mostly_dead_segment() -> None:
    small = [(f"s{i}", 3, 3) for i in range(store_mod.MERGE_FACTOR)]
    assert plan_merges([("big", 5000, 5000)] + small) == [[n for n, _, _ in small]]
    assert plan_merges([("big", 5000, 5000)] + small[:-1]) == []
    assert plan_merges([("holey", 400, 1000), ("s", 3, 3)]) == [["holey"]]


def test_an_approximate_segment_finds_what_exact_search_finds(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segment_mod, "APPROX_FROM", 50)
    _ingest(DEV, tmp_path / "ix")
    reader = IndexStore(tmp_path / "ix").open()
    assert reader.segments[0].approximate
    vectors = reader.vectors()
    allowed = np.arange(reader.size) % 3 != 0
    recall = []
    for query in QUERIES:
        qv = HashingEmbedder().embed_query(query)
        rows, _ = reader.dense_top(qv, 10, allowed)
        assert allowed[rows].all()
        oracle = np.argsort(-np.where(allowed, vectors @ qv, -np.inf))[:10]
        recall.append(len(set(rows.tolist()) & set(oracle.tolist())) / 10)
    assert np.mean(recall) >= 0.9


def test_unchanged_reingest_writes_no_version(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i) for i in range(4)})
    _ingest(corpus, tmp_path / "ix")
    before = os.readlink(tmp_path / "ix" / "current")
    _ingest(corpus, tmp_path / "ix")
    assert os.readlink(tmp_path / "ix" / "current") == before
