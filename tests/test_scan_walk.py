"""The walk of the corpus on every ingest: cheap because it trusts size + mtime (a file whose
size and mtime did not change is never opened) and resolves the access rules once per folder,
yet every file still gets its own visibility."""

from __future__ import annotations

import os
from pathlib import Path

from corpora import write_corpus

from assistant.access import Audience
from assistant.config import Settings
from assistant.ingest.scan import scan, scan_corpus_file
from assistant.service import Assistant

FILES = {
    "board/minutes.txt": "Title: Minutes\n\nThe board met in Kiruna and chose depot QM1001.\n",
    "board/budget-2024.txt": "Title: Budget\n\nThe pilot budget for depot QB2002 is 90 thousand euro.\n",
    "public/budget-notes.txt": "Title: Notes\n\nThe public notes mention depot QP3003 near Kemi.\n",
    "public/visit.txt": "Title: Visit\n\nThe site visit to depot QV4004 was in Outokumpu.\n",
}
ACCESS = ('[[restrict]]\npaths = ["board/*budget*"]\nchannels = ["CBOARD"]\n'
          '[[restrict]]\npaths = ["public/budget-notes.txt"]\nusers = ["UANNA"]\n')


def _assistant(root: Path) -> Assistant:
    corpus = write_corpus(root / "corpus", FILES)
    (corpus / "access.toml").write_text(ACCESS, encoding="utf-8")
    a = Assistant(settings=Settings(corpus_dir=corpus, index_dir=root / "ix", data_dir=root / "d",
                                    cache_dir=root / "c", embedder="hash-384"))
    a.ingest(progress=False, log=lambda _: None)
    return a


def test_rules_on_file_names_restrict_those_files_only_in_each_folder(tmp_path: Path):
    a = _assistant(tmp_path)
    visibility = {f.doc_id: f.visibility for f in a.reader().files().values()}
    assert visibility["board/budget-2024.txt"].channels == {"CBOARD"}
    assert visibility["public/budget-notes.txt"].users == {"UANNA"}
    assert not visibility["board/minutes.txt"].restricted
    assert not visibility["public/visit.txt"].restricted
    general = Audience.slack(channel="CGENERAL", user="U1")
    assert "QB2002" not in a.ask("What is the pilot budget for depot QB2002?", audience=general).text
    assert "QM1001" in a.ask("Which depot did the board choose in Kiruna?", audience=general).text


def test_a_file_whose_size_and_mtime_did_not_change_is_not_opened(tmp_path: Path):
    a = _assistant(tmp_path)
    path = a.settings.corpus_dir / "public" / "visit.txt"
    before = path.stat()
    text = FILES["public/visit.txt"]
    path.write_text(text.replace("QV4004", "QZ9999"), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = a.ingest(progress=False, log=lambda _: None)
    assert (report.updated, report.embedded) == (0, 0)
    assert "QV4004" in a.ask("Where was the site visit to the depot?").text  # never re-read
    os.utime(path, None)  # a new mtime: now it is read, and its new text indexed
    report = a.ingest(progress=False, log=lambda _: None)
    assert report.updated == 1 and "QZ9999" in a.ask("Where was the site visit to the depot?").text


def test_an_access_change_reaches_unchanged_files_without_reading_them(tmp_path: Path):
    a = _assistant(tmp_path)
    (a.settings.corpus_dir / "access.toml").write_text(
        '[[restrict]]\npaths = ["public/**"]\nchannels = ["CPUB"]\n', encoding="utf-8")
    report = a.ingest(progress=False, log=lambda _: None)
    assert report.embedded == 0
    visibility = {f.doc_id: f.visibility for f in a.reader().files().values()}
    assert visibility["public/visit.txt"].channels == {"CPUB"}
    assert visibility["public/budget-notes.txt"].channels == {"CPUB"}
    assert not visibility["public/budget-notes.txt"].users  # the old rule is gone
    assert not visibility["board/budget-2024.txt"].restricted


def test_the_one_file_scan_finds_what_the_walk_finds(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus", {**FILES, ".hidden/x.txt": "hidden",
                                                "sub/.dot.txt": "hidden", "notes.exe": "x"})
    walked = {f.key: f for f in scan([corpus]).files}
    root = corpus.resolve()
    for key, src in walked.items():
        one = scan_corpus_file(Path(src.location), root)
        assert one is not None and (one.key, one.root, one.stat.st_mtime_ns) == (
            key, root, src.stat.st_mtime_ns)
    for hidden in (".hidden/x.txt", "sub/.dot.txt", "notes.exe"):
        assert scan_corpus_file(corpus / hidden, root) is None  # left to the walk's rules
    assert scan_corpus_file(tmp_path / "elsewhere.txt", root) is None
