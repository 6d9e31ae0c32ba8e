"""An update costs what the change costs: the counts a version's manifest holds (documents,
chunks, live chunks per segment) are carried forward from the previous version plus the change,
and an upload looks up its own file's record only. Checked here against what the catalog and
the segments actually hold, over adds, edits, failures, removals and merges."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from assistant.embedding import HashingEmbedder
from assistant.ingest.pipeline import Ingestor
from assistant.ingest.removal import remove_documents
from assistant.retrieval import store as store_mod
from assistant.retrieval.store import IndexStore

from corpora import write_corpus


def _doc(i: int, lines: int = 1) -> str:
    body = "\n\n".join(f"Paragraph {j} of note {i}: depot QX{i:03d} opened in Kemi in spring "
                       f"{2010 + j}, with partners of the mining partnership." for j in range(lines))
    return f"Title: Note {i}\n\n{body}\n"


def _ingestor(index: Path, corpus: Path) -> Ingestor:
    return Ingestor(store=IndexStore(index), embedder_name="hash-256",
                    embedder_factory=HashingEmbedder, progress=False, log=lambda _: None,
                    corpus_root=corpus)


def _assert_counts_match_the_catalog(index: Path) -> None:
    version = (index / "current").resolve()
    manifest = json.loads((version / "manifest.json").read_text("utf-8"))
    db = sqlite3.connect(version / "chunks.sqlite3")
    try:
        documents, chunks = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM files").fetchone()
        per_segment = dict(db.execute("SELECT segment, SUM(n_chunks) FROM files GROUP BY segment"))
    finally:
        db.close()
    assert (manifest["documents"], manifest["chunks"]) == (documents, chunks)
    assert manifest["live"] == {name: per_segment[name] for name in manifest["segments"]}
    reader = IndexStore(index).open()
    try:
        assert reader.size == chunks == len(reader.all_chunks())
    finally:
        reader.close()


def test_counts_carried_forward_equal_the_catalog_through_uploads_walks_and_merges(
        tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i, 1 + i % 3) for i in range(5)})
    index = tmp_path / "ix"
    _ingestor(index, corpus).run([corpus])
    _assert_counts_match_the_catalog(index)
    merged = False
    for step in range(store_mod.MERGE_FACTOR + 3):  # enough one-file versions for a merge
        added = corpus / f"up{step}.txt"
        added.write_text(_doc(100 + step, 1 + step % 4), "utf-8")
        given = [added]
        if step % 3 == 1:  # an edit that changes its chunk count, given with the new file
            edited = corpus / f"n{step % 5}.txt"
            edited.write_text(_doc(200 + step, 4), "utf-8")
            given.append(edited)
        if step == 4:  # a file that now fails leaves the index
            (corpus / "up0.txt").write_bytes(b"")
            given.append(corpus / "up0.txt")
        before = len(json.loads((index / "current" / "manifest.json").read_text())["segments"])
        report = _ingestor(index, corpus).run(given)
        _assert_counts_match_the_catalog(index)
        manifest = json.loads((index / "current" / "manifest.json").read_text())
        assert (report.documents, report.chunks) == (manifest["documents"], manifest["chunks"])
        merged |= len(manifest["segments"]) <= before
    assert merged, "no merge happened: the test did not cover the merge's counts"
    (corpus / "n3.txt").unlink()
    _ingestor(index, corpus).run([corpus])  # a walk: the removal of a file
    _assert_counts_match_the_catalog(index)
    remove_documents(IndexStore(index), str(corpus / "up2.txt"))
    _assert_counts_match_the_catalog(index)


def test_a_version_without_per_segment_counts_is_counted_from_its_catalog(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i, 2) for i in range(4)})
    index = tmp_path / "ix"
    _ingestor(index, corpus).run([corpus])
    manifest_path = (index / "current").resolve() / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    del manifest["live"]  # as a version written before the counts were kept
    manifest["documents"] = 999  # and a count that must not be trusted without them
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    (corpus / "new.txt").write_text(_doc(9, 3), "utf-8")
    _ingestor(index, corpus).run([corpus / "new.txt"])
    _assert_counts_match_the_catalog(index)


def test_records_reads_only_the_given_files(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {f"n{i}.txt": _doc(i) for i in range(6)})
    index = tmp_path / "ix"
    _ingestor(index, corpus).run([corpus])
    keys = [str((corpus / f"n{i}.txt").resolve()) for i in (4, 1)]
    fresh = IndexStore(index).open()
    try:
        found = fresh.records([*keys, keys[0], str(corpus / "absent.txt")])
        assert fresh._files is None  # the whole catalog was not read
        assert set(found) == set(keys)
        every = fresh.files()
        assert found == {k: every[k] for k in keys}
        assert fresh.records(keys) == found  # the same once every record is loaded
    finally:
        fresh.close()
