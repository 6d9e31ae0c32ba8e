"""A document added on its own (a Slack upload, `remix-assistant ingest corpus/x.txt`) is
indexed without walking the corpus: its record is the one a walk would write (key, document
id, access rules), so a later ingest of the corpus has nothing to do; nothing else is looked
at; a kill mid-way leaves an index that answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from corpora import SMALL_CORPUS, write_corpus

from assistant.access import Audience
from assistant.cli import main
from assistant.config import Settings
from assistant.ingest.pipeline import Ingestor
from assistant.embedding import HashingEmbedder
from assistant.retrieval.store import IndexStore
from assistant.service import Assistant

ACCESS = '[[restrict]]\npaths = ["*budget*"]\nchannels = ["CBOARD"]\n'
NOTE = b"Title: Site visit\n\nThe site visit to the Pyhasalmi mine took place on 4 May 2021.\n"
BUDGET = b"Title: Budget\n\nThe depot budget for QB7731 is 40 thousand euro for the pilot.\n"
STRAY = "Title: Stray\n\nThe stray note says depot QS5512 opened in Outokumpu.\n"


def _settings(root: Path) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "ix", data_dir=root / "d",
                    cache_dir=root / "c", embedder="hash-384")


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    corpus = write_corpus(tmp_path / "corpus", {**SMALL_CORPUS, "sub/minutes.txt": (
        "Title: Minutes\n\nThe steering group met in Luleå on 3 March 2019.\n")})
    (corpus / "access.toml").write_text(ACCESS, encoding="utf-8")
    a = Assistant(settings=_settings(tmp_path))
    a.ingest(progress=False, log=lambda _: None)
    return a


def _version(a: Assistant) -> str:
    return os.readlink(a.settings.index_dir / "current")


def test_an_upload_indexes_that_file_alone_and_a_walk_then_has_nothing_to_do(assistant):
    corpus = assistant.settings.corpus_dir
    (corpus / "stray.txt").write_text(STRAY, encoding="utf-8")  # put in the corpus, not uploaded
    added = assistant.add_document("visit.txt", NOTE)
    assert (added.status, added.doc_id, added.chunks) == ("added", "uploads/visit.txt", 1)
    files = {f.doc_id for f in assistant.reader().files().values()}
    assert "uploads/visit.txt" in files and "stray.txt" not in files  # no walk happened
    assert "4 May 2021" in assistant.ask("When did the site visit to the Pyhasalmi mine take place?").text
    assert "QS5512" not in assistant.ask("Which depot opened in Outokumpu?").text

    (corpus / "stray.txt").unlink()
    before = _version(assistant)
    report = assistant.ingest(progress=False, log=lambda _: None)
    # the upload's record is the walk's: nothing re-read, re-embedded or rewritten
    assert (report.added, report.updated, report.removed, report.embedded) == (0, 0, 0, 0)
    assert _version(assistant) == before


def test_a_walk_after_an_upload_finds_only_what_the_upload_did_not_index(assistant):
    corpus = assistant.settings.corpus_dir
    (corpus / "stray.txt").write_text(STRAY, encoding="utf-8")
    assistant.add_document("visit.txt", NOTE)
    report = assistant.ingest(progress=False, log=lambda _: None)
    assert (report.added, report.updated, report.embedded) == (1, 0, 1)  # the stray file only
    assert "QS5512" in assistant.ask("Which depot opened in Outokumpu?").text


def test_an_upload_gets_the_corpus_access_rules(assistant):
    added = assistant.add_document("budget-2024.txt", BUDGET)
    record = assistant.reader().files()[str(
        (assistant.settings.corpus_dir / "uploads" / "budget-2024.txt").resolve())]
    assert record.visibility.restricted and record.visibility.channels == {"CBOARD"}
    question = "What is the depot budget for QB7731?"
    public = assistant.ask(question, audience=Audience.slack(channel="CGENERAL", user="U1"))
    board = assistant.ask(question, audience=Audience.slack(channel="CBOARD", user="U1"))
    assert "40 thousand" not in public.text and "40 thousand" in board.text
    assert added.doc_id == "uploads/budget-2024.txt"
    # and the walk agrees with the upload about it
    assert assistant.ingest(progress=False, log=lambda _: None).updated == 0


def test_an_update_replaces_the_old_text_and_a_failed_update_takes_the_file_out(assistant):
    assistant.add_document("visit.txt", NOTE)
    updated = assistant.add_document("visit.txt", NOTE.replace(b"4 May", b"5 May"))
    assert updated.status == "updated"
    assert "5 May 2021" in assistant.ask("When was the Pyhasalmi site visit?").text
    target = assistant.settings.corpus_dir / "uploads" / "visit.txt"
    # a Visibility: header that cannot be applied: the file fails, its public copy leaves
    target.write_text("Title: Site visit\nVisibility:\n\n" + NOTE.decode(), encoding="utf-8")
    report = assistant.ingest([target], progress=False, log=lambda _: None)
    assert [path for path, _ in report.failed] == [str(target.resolve())]
    assert report.removed == 1
    assert "uploads/visit.txt" not in {f.doc_id for f in assistant.reader().files().values()}
    assert "May 2021" not in assistant.ask("When was the Pyhasalmi site visit?").text


def test_cli_ingest_of_one_corpus_file_keeps_its_corpus_document_id(assistant, monkeypatch):
    corpus = assistant.settings.corpus_dir
    (corpus / "stray.txt").write_text(STRAY, encoding="utf-8")
    (corpus / "sub" / "new.txt").write_text(
        "Title: New\n\nThe new minutes say depot QN4410 opened in Kiruna.\n", encoding="utf-8")
    for name, value in {"ASSISTANT_CORPUS_DIR": corpus, "ASSISTANT_INDEX_DIR": assistant.settings.index_dir,
                        "ASSISTANT_DATA_DIR": assistant.settings.data_dir,
                        "ASSISTANT_CACHE_DIR": assistant.settings.cache_dir,
                        "ASSISTANT_EMBEDDER": "hash-384"}.items():
        monkeypatch.setenv(name, str(value))
    result = CliRunner().invoke(main, ["ingest", str(corpus / "sub" / "new.txt")])
    assert result.exit_code == 0, result.output
    assert "added 1" in result.output
    docs = {f.doc_id for f in IndexStore(assistant.settings.index_dir).open().files().values()}
    assert "sub/new.txt" in docs and "stray.txt" not in docs and "new.txt" not in docs


def test_a_file_reached_through_a_linked_folder_gets_the_walks_record(assistant):
    corpus = assistant.settings.corpus_dir
    (corpus / "sub" / "linked.txt").write_text(STRAY, encoding="utf-8")
    os.symlink(corpus / "sub", assistant.settings.data_dir.parent / "alias")
    assistant.ingest([assistant.settings.data_dir.parent / "alias" / "linked.txt"],
                     progress=False, log=lambda _: None)
    files = assistant.reader().files()
    assert files[str((corpus / "sub" / "linked.txt").resolve())].doc_id == "sub/linked.txt"
    before = _version(assistant)
    assert assistant.ingest(progress=False, log=lambda _: None).embedded == 0
    assert _version(assistant) == before


def test_without_a_usable_index_the_corpus_is_read_whole(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    store = IndexStore(tmp_path / "ix")

    def ingestor(name: str) -> Ingestor:
        return Ingestor(store=store, embedder_name=name, corpus_root=corpus, progress=False,
                        embedder_factory=lambda: HashingEmbedder(dim=384), log=lambda _: None)

    first = ingestor("hash-384").run([corpus / "bees.txt"])  # no index yet: the whole corpus
    assert first.documents == len(SMALL_CORPUS)
    again = ingestor("hash-384-other").run([corpus / "bees.txt"])  # another embedder: all again
    assert again.rebuilt and again.documents == len(SMALL_CORPUS)
    assert again.embedded == store.open().size


INGEST_ONE = ("import sys; from assistant.cli import main; "
              "sys.argv = ['remix-assistant', 'ingest', sys.argv[1]]; main()")


@pytest.mark.parametrize("point", ["renamed", "swapped"])
def test_a_kill_while_adding_one_file_leaves_an_index_that_answers(tmp_path: Path, point: str):
    settings = _settings(tmp_path)
    corpus = write_corpus(settings.corpus_dir)
    Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
    before = {f.doc_id for f in IndexStore(settings.index_dir).open().files().values()}
    (corpus / "uploads").mkdir()
    (corpus / "uploads" / "visit.txt").write_bytes(NOTE)
    env = {**os.environ, "ASSISTANT_EMBEDDER": "hash-384", "ASSISTANT_TEST_CRASH_AT": point,
           "ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_CACHE_DIR": str(settings.cache_dir), "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", INGEST_ONE, str(corpus / "uploads" / "visit.txt")],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    after = {f.doc_id for f in IndexStore(settings.index_dir).open().files().values()}
    assert after == (before | {"uploads/visit.txt"} if point == "swapped" else before)
    a = Assistant(settings=settings)
    assert "Kemi" in a.ask("Where was the REMIX kick-off meeting held?").text
    a.ingest([corpus / "uploads" / "visit.txt"], progress=False, log=lambda _: None)
    assert "4 May 2021" in a.ask("When did the site visit to the Pyhasalmi mine take place?").text
