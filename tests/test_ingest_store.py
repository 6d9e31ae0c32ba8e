"""Ingest pipeline + on-disk store: incremental updates, bad files, atomic swap, manifest checks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding import HashingEmbedder
from assistant.errors import IndexMismatchError, IndexMissingError
from assistant.ingest.pipeline import Ingestor
from assistant.retrieval import store as store_mod
from assistant.retrieval.store import IndexStore


class CountingEmbedder(HashingEmbedder):
    """The hashing fake, counting what it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts):
        self.embedded.extend(texts)
        return super().embed_documents(texts)


def make_ingestor(index: Path, embedder: CountingEmbedder, name: str = "hash-256") -> Ingestor:
    return Ingestor(store=IndexStore(index), embedder_name=name,
                    embedder_factory=lambda: embedder, progress=False, log=lambda _: None)


def test_first_ingest_writes_a_complete_index(small_corpus: Path, tmp_path: Path) -> None:
    emb = CountingEmbedder()
    report = make_ingestor(tmp_path / "ix", emb).run([small_corpus])
    assert (report.added, report.updated, report.removed, report.failed) == (3, 0, 0, [])
    reader = IndexStore(tmp_path / "ix").open()
    assert reader.manifest["embedder"] == "hash-256"
    assert reader.manifest["chunks"] == reader.size == report.chunks > 0
    chunks = reader.chunks(list(range(reader.size)))
    assert {c.doc_id for c in chunks} == {"kickoff.txt", "regions.md", "bees.txt"}
    kickoff = next(c for c in chunks if c.doc_id == "kickoff.txt")
    assert kickoff.url == "https://example.org/kickoff"
    assert kickoff.title == "REMIX kick-off meeting"
    # The stored vectors are the embedder's vectors for the stored chunk texts.
    expected = emb.embed_documents([c.embedding_text() for c in chunks])
    assert np.allclose(np.asarray(reader.vectors()), expected, atol=1e-6)


def test_unchanged_reingest_embeds_and_writes_nothing(small_corpus: Path, tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    before = os.readlink(tmp_path / "ix" / "current")
    emb = CountingEmbedder()
    report = make_ingestor(tmp_path / "ix", emb).run([small_corpus])
    assert report.unchanged == 3 and report.added == report.updated == report.removed == 0
    assert emb.embedded == []
    assert os.readlink(tmp_path / "ix" / "current") == before


def test_touched_but_identical_file_is_not_reembedded(small_corpus: Path, tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    path = small_corpus / "bees.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    emb = CountingEmbedder()
    report = make_ingestor(tmp_path / "ix", emb).run([small_corpus])
    assert report.unchanged == 3 and emb.embedded == []


def test_changed_added_and_deleted_files_are_applied(small_corpus: Path, tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    (small_corpus / "bees.txt").write_text("Title: Beekeeping notes\n\nWasps are not bees.\n")
    (small_corpus / "regions.md").unlink()
    (small_corpus / "new.txt").write_text("Title: New\n\nCoMMER was launched in Brussels.\n")
    emb = CountingEmbedder()
    report = make_ingestor(tmp_path / "ix", emb).run([small_corpus])
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 1)
    # Only the new texts were embedded; the kick-off chunks came from the cache.
    assert emb.embedded and all("Kemi" not in t for t in emb.embedded)
    reader = IndexStore(tmp_path / "ix").open()
    texts = " ".join(c.text for c in reader.chunks(list(range(reader.size))))
    assert "Wasps" in texts and "CoMMER" in texts and "SE331" not in texts and "Kemi" in texts


def test_bad_files_get_one_line_each_and_the_run_goes_on(small_corpus: Path, tmp_path: Path) -> None:
    (small_corpus / "empty.txt").write_text("")
    (small_corpus / "nul.txt").write_bytes(b"Castilla\x00y\x00Leon" * 10)
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (small_corpus / "picture.png").write_bytes(b"\x89PNG\r\n")
    lines: list[str] = []
    ingestor = Ingestor(store=IndexStore(tmp_path / "ix"), embedder_name="hash-256",
                        embedder_factory=CountingEmbedder, progress=False, log=lines.append)
    report = ingestor.run([small_corpus])
    assert report.added == 3
    failed = {Path(p).name for p, _ in report.failed}
    assert failed == {"empty.txt", "nul.txt", "broken.pdf"}
    assert [Path(p).name for p, _ in report.skipped] == ["picture.png"]
    assert all("\n" not in line for line in lines)
    assert any("nul.txt" in line for line in lines)


def test_failed_write_leaves_the_previous_index_intact(small_corpus: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    before = os.readlink(tmp_path / "ix" / "current")
    (small_corpus / "new.txt").write_text("Title: New\n\nSomething new about Kainuu.\n")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_mod, "write_segment", explode)
    with pytest.raises(RuntimeError):
        make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    assert os.readlink(tmp_path / "ix" / "current") == before
    reader = IndexStore(tmp_path / "ix").open()
    assert reader.size > 0
    assert [p.name for p in (tmp_path / "ix" / "versions").iterdir()] == [Path(before).name]


def test_other_embedder_index_is_refused_with_a_reingest_hint(small_corpus: Path,
                                                              tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    reader = IndexStore(tmp_path / "ix").open()
    with pytest.raises(IndexMismatchError, match="re-ingest"):
        reader.check_embedder("minilm")


def test_ingest_with_new_embedder_reembeds_everything(small_corpus: Path, tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus])
    emb = CountingEmbedder()
    report = make_ingestor(tmp_path / "ix", emb, name="other").run([small_corpus])
    assert report.rebuilt and report.added == 3 and len(emb.embedded) == report.chunks


def test_missing_index_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="ingest"):
        IndexStore(tmp_path / "nothing").open()


def test_ingesting_other_paths_keeps_what_earlier_runs_indexed(small_corpus: Path,
                                                               tmp_path: Path) -> None:
    make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus / "kickoff.txt"])
    report = make_ingestor(tmp_path / "ix", CountingEmbedder()).run([small_corpus / "bees.txt"])
    assert (report.added, report.removed, report.documents) == (1, 0, 2)
    reader = IndexStore(tmp_path / "ix").open()
    assert {c.doc_id for c in reader.chunks(list(range(reader.size)))} == {"kickoff.txt",
                                                                          "bees.txt"}


def test_missing_path_gets_its_own_line(tmp_path: Path) -> None:
    lines: list[str] = []
    ingestor = Ingestor(store=IndexStore(tmp_path / "ix"), embedder_name="hash-256",
                        embedder_factory=CountingEmbedder, progress=False, log=lines.append)
    report = ingestor.run([tmp_path / "nowhere"])
    assert report.failed == [(str(tmp_path / "nowhere"), "no such file or directory")]
    assert lines == [f"failed {tmp_path / 'nowhere'}: no such file or directory"]
