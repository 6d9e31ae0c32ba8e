"""BM25 scores are exactly a brute-force oracle's, whatever the term cache holds: the cached
denominators and the bounded cache change the cost of a question, never its ranking."""

from __future__ import annotations

import math
import shutil
from collections import Counter

import numpy as np
import pytest

from assistant.bench import _bench_questions
from assistant.embedding import HashingEmbedder
from assistant.ingest.pipeline import Ingestor
from assistant.retrieval.bm25 import B, K1, LexicalIndex
from assistant.retrieval.lexical import document_tokens, tokenize
from assistant.retrieval.search import top_indices
from assistant.retrieval.store import IndexStore

from corpora import DEV

QUESTIONS = _bench_questions()[:30] + ["SE331 Västerbotten SE331", "kick-off Kemi 2017"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory):
    """The dev corpus ingested, then two files edited and re-ingested: two segments, with
    dead rows in the first."""
    tmp = tmp_path_factory.mktemp("bm25")
    corpus = tmp / "corpus"
    shutil.copytree(DEV, corpus)

    def ingest() -> None:
        Ingestor(store=IndexStore(tmp / "ix"), embedder_name="hash-256",
                 embedder_factory=HashingEmbedder, progress=False, log=lambda _: None
                 ).run([corpus])

    ingest()
    for path in sorted(corpus.glob("*.txt"))[:2]:
        path.write_text(path.read_text("utf-8") + "\n\nAn added paragraph on Kemi.\n", "utf-8")
    ingest()
    opened = IndexStore(tmp / "ix").open()
    assert len(opened.segments) == 2 and opened.size < sum(s.n for s in opened.segments)
    return opened


def _oracle(reader, query: str) -> np.ndarray:
    """BM25 of every live chunk computed from its own tokens, one chunk at a time."""
    docs = [Counter(document_tokens(s.chunk.embedding_text())) for s in reader.all_chunks()]
    lengths = [sum(d.values()) for d in docs]
    n, avgdl = len(docs), sum(lengths) / len(docs)
    out = np.zeros(n, dtype=np.float64)
    for token in tokenize(query, query=True):
        df = sum(token in d for d in docs)
        if not df:
            continue
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        for i, (d, dl) in enumerate(zip(docs, lengths)):
            if token in d:
                tf = float(d[token])
                out[i] += idf * tf / (K1 * ((1.0 - B) + B * dl / avgdl) + tf)
    return out.astype(np.float32)


def _fresh(reader) -> LexicalIndex:
    reader.lexical  # the live rows, worked out once
    state = reader._live_state()
    return LexicalIndex(segments=reader.segments, alive=state.alive, live_rows=state.live,
                        lock=reader._lock)


def test_scores_equal_a_brute_force_oracle_exactly(reader) -> None:
    lexical = _fresh(reader)
    for query in QUESTIONS:
        expected = _oracle(reader, query)
        got = lexical.scores(query)
        assert np.array_equal(got, expected), query
        assert top_indices(got, 50).tolist() == top_indices(expected, 50).tolist()


def test_a_small_term_cache_changes_nothing_but_what_it_holds(
        reader, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = {q: _fresh(reader).scores(q) for q in QUESTIONS}
    monkeypatch.setattr(LexicalIndex, "CACHED_POSTINGS", 40)
    small = _fresh(reader)
    for query in QUESTIONS + QUESTIONS[::-1]:  # evicted terms are read again
        assert np.array_equal(small.scores(query), reference[query]), query
        assert small.cached_postings <= 40
    full = _fresh(reader)
    common = max((t for q in QUESTIONS for t in tokenize(q, query=True)), key=full.df)
    assert small.df(common) == full.df(common) > 40  # too large to cache, still counted right
