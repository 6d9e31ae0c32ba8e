"""The search-only scale bench: its index is one the store wrote (searchable like an ingested
one), its vectors are the hash embedder's, and its recall counts ties as ties."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.bench import build_search_index, tie_aware_hits, word_summed_vectors
from assistant.config import Settings
from assistant.embedding import HashingEmbedder
from assistant.retrieval.lexical import tokenize
from assistant.retrieval.store import IndexStore

from corpora import DEV


def test_tie_aware_recall_counts_an_equal_score_as_a_hit() -> None:
    scores = np.asarray([0.9, 0.5, 0.5, 0.1, 0.8], dtype=np.float32)
    # exact top-3 is rows 0, 4, 1 (row 2 ties with row 1 and loses on row order)
    assert tie_aware_hits(np.asarray([0, 4, 1]), scores, k=3) == (3, 3)
    assert tie_aware_hits(np.asarray([0, 4, 2]), scores, k=3) == (2, 3)
    assert tie_aware_hits(np.asarray([0, 4, 3]), scores, k=3) == (2, 2)
    assert tie_aware_hits(np.asarray([0, -1, -1]), scores, k=3) == (1, 1)  # FAISS's "none"


def test_word_summed_vectors_are_the_hash_embedders() -> None:
    texts = ["Kankberg tellurium mine, near Boliden.", "", "SE331 Västerbotten SE331",
             "The REMIX kick-off meeting was held in Kemi in April 2017."]
    expected = HashingEmbedder(dim=384).embed_documents(texts)
    assert np.allclose(word_summed_vectors(texts), expected, atol=1e-5)


def test_search_bench_index_is_written_by_the_store_and_searchable(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=DEV, index_dir=tmp_path / "unused",
                        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    lines: list[str] = []
    build_search_index(settings=settings, n=301, index_dir=tmp_path / "ix", echo=lines.append)
    assert "yes" in lines[0]  # the directly built vectors equal the embedder's
    reader = IndexStore(tmp_path / "ix").open()
    assert reader.size == 301 and len(reader.files()) == 151
    text = reader.chunks([123])[0].text
    word = next(w for w in sorted(text.split()[:-1], key=len, reverse=True)
                if tokenize(w, query=True))  # a word of the chunk that BM25 indexes
    assert reader.lexical.scores(word)[123] > 0
    own = text.split()[-1]  # each chunk's own word: BM25 finds that chunk alone
    assert np.flatnonzero(reader.lexical.scores(own)).tolist() == [123]
    rows, _ = reader.dense_top(HashingEmbedder(dim=384).embed_query(text), 1)
    assert rows.tolist() == [123]


def test_search_bench_without_documents_to_draw_words_from_says_so_in_one_line(
        tmp_path: Path) -> None:
    import pytest

    from assistant.errors import AssistantError

    (tmp_path / "corpus").mkdir()
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "unused",
                        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    with pytest.raises(AssistantError, match="no .txt/.md documents with words under"):
        build_search_index(settings=settings, n=10, index_dir=tmp_path / "ix", echo=print)
