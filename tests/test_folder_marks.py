"""A walk of the corpus diffs only the folders that changed (folder marks, see
assistant/ingest/folder_marks.py), and still finds every change a full diff finds: edits in
place, new, removed and renamed files and folders, access rules, links, uploads and `remove`.

The reference for "what the index should hold" is a fresh index of the same corpus built in
another directory: after any sequence of changes, the incrementally kept index must hold the
same files with the same content hash and visibility."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from corpora import write_corpus
from index_views import CHANGES, change
from index_views import fresh_view as _fresh_view
from index_views import note as _text
from index_views import quiet_ingest as _quiet
from index_views import settings_for
from index_views import view as _view

import assistant.retrieval.store as store_mod
from assistant.ingest.folder_marks import key_ranges
from assistant.service import Assistant

FOLDERS = [f"f{i}" for i in range(6)]
PER_FOLDER = 25


def _files() -> dict[str, str]:
    files = {f"{folder}/n{j:02d}.txt": _text(f"{folder}x{j:02d}")
             for folder in FOLDERS for j in range(PER_FOLDER)}
    files["top.txt"] = _text("top")
    files["f1/deep/inner.txt"] = _text("inner")
    return files


def _assistant(root: Path, corpus: Path, name: str = "ix") -> Assistant:
    return Assistant(settings=settings_for(root, corpus, name))


@pytest.fixture
def corpus_and_assistant(tmp_path: Path) -> tuple[Path, Assistant]:
    corpus = write_corpus(tmp_path / "corpus", _files())
    a = _assistant(tmp_path, corpus)
    _quiet(a)
    return corpus, a


@pytest.fixture
def read_keys(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of every catalog record an ingest reads (every record is built by
    `_to_records`, whichever query read it)."""
    keys: list[str] = []
    real = store_mod._to_records

    def spy(rows):
        found = real(rows)
        keys.extend(found)
        return found

    monkeypatch.setattr(store_mod, "_to_records", spy)
    return keys


def test_an_edit_in_place_in_an_otherwise_unchanged_folder_is_found(corpus_and_assistant):
    corpus, a = corpus_and_assistant
    folder_mtime = (corpus / "f3").stat().st_mtime_ns
    (corpus / "f3" / "n07.txt").write_text(_text("f3x07") + "The depot QEDIT77 was moved.\n",
                                           encoding="utf-8")  # in place: the folder is as it was
    assert (corpus / "f3").stat().st_mtime_ns == folder_mtime
    report = _quiet(a)
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert report.unchanged == len(_files()) - 1
    assert "QEDIT77" in a.ask("Where was the depot QEDIT77 moved?").text
    assert _view(a) == _fresh_view(corpus.parent, corpus)


def test_a_file_added_to_one_folder_reads_no_other_folders_records(corpus_and_assistant,
                                                                   read_keys):
    corpus, a = corpus_and_assistant
    root = str(corpus.resolve())
    (corpus / "f2" / "new.txt").write_text(_text("new"), encoding="utf-8")
    report = _quiet(a)
    assert (report.added, report.unchanged) == (1, len(_files()))
    assert read_keys, "the changed folder's records are read"
    assert {os.path.dirname(k) for k in read_keys} == {f"{root}/f2"}
    read_keys.clear()
    _quiet(a)  # the folders above f2 kept their marks through that change: nothing is read
    assert read_keys == []
    (corpus / "added.txt").write_text(_text("added"), encoding="utf-8")  # at the top
    report = _quiet(a)
    assert report.added == 1
    assert {os.path.dirname(k) for k in read_keys} == {root}  # not the folders below it
    read_keys.clear()
    report = _quiet(a)  # nothing changed: no record is read at all
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert read_keys == []


def test_an_upload_then_a_walk_reads_only_the_upload_folder_and_the_top(corpus_and_assistant,
                                                                        read_keys):
    corpus, a = corpus_and_assistant
    root = str(corpus.resolve())
    a.add_document("visit.txt", _text("upload").encode())
    read_keys.clear()
    report = _quiet(a)
    assert (report.added, report.updated, report.removed) == (0, 0, 0)
    assert {os.path.dirname(k) for k in read_keys} <= {root, f"{root}/uploads"}
    assert _view(a) == _fresh_view(corpus.parent, corpus)


def test_renames_and_removals_of_files_and_folders_leave_the_index(corpus_and_assistant):
    corpus, a = corpus_and_assistant
    (corpus / "f0" / "n03.txt").unlink()
    (corpus / "f0" / "n04.txt").rename(corpus / "f0" / "renamed.txt")
    (corpus / "f1" / "deep" / "inner.txt").rename(corpus / "f4" / "moved-inner.txt")
    (corpus / "f2").rename(corpus / "f2-renamed")
    shutil.rmtree(corpus / "f3")
    (corpus / "f5").rename(corpus / ".f5-hidden")  # hidden: no longer indexed
    report = _quiet(a)
    assert report.removed >= 1 + 1 + 1 + 2 * PER_FOLDER + PER_FOLDER
    doc_ids = set(_view(a))
    assert not any(d.startswith(("f2/", "f3/", "f5/", ".f5")) for d in doc_ids)
    assert {"f0/renamed.txt", "f4/moved-inner.txt", "f2-renamed/n00.txt"} <= doc_ids
    assert "f0/n03.txt" not in doc_ids and "f1/deep/inner.txt" not in doc_ids
    assert _view(a) == _fresh_view(corpus.parent, corpus)


def test_a_removed_document_comes_back_at_the_next_walk(corpus_and_assistant, tmp_path):
    """`remove` takes a file out of the index but leaves it on disk: its folder is as it was,
    yet the walk must index it again (the store drops the marks above what it changes)."""
    corpus, a = corpus_and_assistant
    a.remove(str(corpus / "f4" / "n02.txt"))
    assert "f4/n02.txt" not in _view(a)
    report = _quiet(a)
    assert report.added == 1
    assert "f4/n02.txt" in _view(a)


def test_an_access_change_reaches_files_of_folders_that_did_not_change(corpus_and_assistant):
    corpus, a = corpus_and_assistant
    (corpus / "access.toml").write_text('[[restrict]]\npaths = ["f1/**"]\nchannels = ["CF1"]\n',
                                        encoding="utf-8")
    report = _quiet(a)
    assert report.embedded == 0
    visibility = {f.doc_id: f.visibility for f in a.reader().files().values()}
    assert visibility["f1/deep/inner.txt"].channels == {"CF1"}
    assert visibility["f1/n00.txt"].channels == {"CF1"}
    assert not visibility["f2/n00.txt"].restricted


def test_a_file_reached_only_through_a_link_leaves_with_the_link(corpus_and_assistant):
    corpus, a = corpus_and_assistant
    write_corpus(corpus / ".private", {"kept.txt": _text("linked")})
    (corpus / "f0" / "alias.txt").symlink_to(corpus / ".private" / "kept.txt")
    target = str((corpus / ".private" / "kept.txt").resolve())
    _quiet(a)
    assert a.reader().files()[target].doc_id == "f0/alias.txt"  # indexed under the link's name
    (corpus / "f0" / "alias.txt").unlink()
    report = _quiet(a)
    assert report.removed == 1 and target not in a.reader().files()
    assert _view(a) == _fresh_view(corpus.parent, corpus)


def test_skipped_files_of_an_unchanged_folder_are_still_reported(corpus_and_assistant):
    corpus, a = corpus_and_assistant
    (corpus / "f2" / "picture.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "f3" / "n01.txt").write_text(_text("f3x01") + "More.\n", encoding="utf-8")
    _quiet(a)  # a version is written: the folders get their marks
    for _ in range(2):
        report = _quiet(a)
        assert [Path(p).name for p, _ in report.skipped] == ["picture.png"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_sequence_of_changes_leaves_what_a_full_ingest_gives(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    corpus = write_corpus(tmp_path / "corpus", _files())
    a = _assistant(tmp_path, corpus)
    _quiet(a)
    counter = 0
    for step in range(6):
        files = sorted(p for p in corpus.rglob("*.txt") if p.is_file() and not p.is_symlink())
        folders = sorted(p for p in corpus.rglob("*") if p.is_dir() and p.name != "uploads")
        for _ in range(rng.randint(1, 4)):
            counter += 1
            op = rng.choice(CHANGES)
            target = rng.choice(files) if files else None
            if target is None or not target.exists():
                continue
            change(op, rng=rng, corpus=corpus, target=target, folders=folders,
                   tag=str(counter), assistant=a)
        _quiet(a)
        assert _view(a) == _fresh_view(tmp_path, corpus), (seed, step)


def test_key_ranges_hold_exactly_what_the_walked_subfolders_do_not():
    rng = random.Random(5)
    alphabet = ["a", "b", " ", "-", ".", "0", "é", "z", "~"]
    for _ in range(200):
        names = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))) for _ in range(6)}
        walked = {n for n in names if rng.random() < 0.6}
        keys = [f"/c/{n}" for n in names] + [f"/c/{n}/{m}" for n in names for m in ("x", "y/z")]
        keys += ["/c", "/b/x", "/c0/x", "/c-/x", "/d/x"]  # outside the folder
        ranges = key_ranges("/c", walked)
        for key in keys:
            inside = key.startswith("/c/")
            first = key[3:].split("/")[0] if inside else ""
            expected = inside and ("/" not in key[3:] or first not in walked)
            found = any(low <= key < high for low, high in ranges)
            assert found == expected, (key, walked, ranges)


def test_a_link_to_a_file_of_an_unchanged_folder_is_reported_as_a_full_walk_reports_it(
        corpus_and_assistant, tmp_path: Path):
    corpus, a = corpus_and_assistant
    (corpus / "f0" / "alias.txt").symlink_to(corpus / "f1" / "n00.txt")
    report = _quiet(a)  # f1 is as it was: its mark holds, and the link is the second path
    shutil.rmtree(tmp_path / "fresh", ignore_errors=True)
    fresh = _assistant(tmp_path, corpus, "fresh").ingest(progress=False, log=lambda _: None)

    def relative(lines):
        return sorted((Path(p).relative_to(corpus).as_posix(), r.replace(str(corpus), ""))
                      for p, r in lines)

    assert relative(report.skipped) == relative(fresh.skipped)
    assert [p for p, _ in relative(report.skipped)] == ["f0/alias.txt"]
    assert _view(a) == _view(_assistant(tmp_path, corpus, "fresh"))
