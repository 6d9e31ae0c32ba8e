"""The change journal of a watched corpus (assistant/ingest/journal.py): with it, an ingest of
the corpus looks only at the names the kernel reported changed, and still leaves exactly
what a full ingest of the corpus as it is would give; whenever it cannot vouch for that (a
folder changed, the access file, a full event queue, another writer, a link in the index), the
ingest walks instead.

These tests use the real inotify of the machine (Linux); the reference is a fresh index of
the same corpus built in another directory, as in test_folder_marks.py."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from corpora import write_corpus
from index_views import CHANGES, FILE_CHANGES, change
from index_views import fresh_view as _fresh_view
from index_views import note as _text
from index_views import quiet_ingest as _quiet
from index_views import settings_for
from index_views import view as _view
from machine import inotify_works

import assistant.ingest.journal as journal_mod
import assistant.ingest.pipeline as pipeline
from assistant.ingest.journal import mount_fstype
from assistant.service import Assistant
from assistant.watching import CorpusWatcher

pytestmark = pytest.mark.skipif(not inotify_works(), reason="no inotify on this machine")

FOLDERS = [f"f{i}" for i in range(4)]


def _files() -> dict[str, str]:
    files = {f"{folder}/n{j:02d}.txt": _text(f"{folder}x{j:02d}")
             for folder in FOLDERS for j in range(10)}
    files["top.txt"] = _text("top")
    files["f1/deep/inner.txt"] = _text("inner")
    return files


def _assistant(root: Path, corpus: Path, name: str = "ix", *, watched: bool = True) -> Assistant:
    a = Assistant(settings=settings_for(root, corpus, name))
    if watched:
        a.watch_corpus(log=lambda _: None)
    return a


@pytest.fixture
def watched(tmp_path: Path) -> tuple[Path, Assistant]:
    corpus = write_corpus(tmp_path / "corpus", _files())
    a = _assistant(tmp_path, corpus)
    assert _quiet(a).found_by == "walk"  # the first ingest walks, and arms the journal
    return corpus, a


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The walks (scans) of the corpus the ingests of this test make."""
    calls: list[object] = []
    real = pipeline.scan

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "scan", spy)
    return calls


def test_added_edited_removed_and_renamed_files_are_indexed_without_a_walk(watched, walks,
                                                                           tmp_path):
    corpus, a = watched
    (corpus / "f2" / "new.txt").write_text(_text("new"), "utf-8")
    (corpus / "f0" / "n03.txt").write_text(_text("edited"), "utf-8")
    (corpus / "f1" / "deep" / "inner.txt").unlink()
    (corpus / "f3" / "n01.txt").rename(corpus / "f0" / "moved.txt")
    (corpus / "f3" / ".draft.txt").write_text(_text("hidden"), "utf-8")
    (corpus / "f3" / "picture.png").write_bytes(b"\x89PNG")
    report = _quiet(a)
    assert report.found_by == "journal" and walks == []
    assert (report.added, report.updated, report.removed) == (2, 1, 2)
    assert [Path(p).name for p, _ in report.skipped] == ["picture.png"]
    assert report.documents == len(_files()) + 1 - 1
    views = _view(a)
    assert views == _fresh_view(tmp_path, corpus)
    assert "f0/moved.txt" in views and "f3/n01.txt" not in views


def test_nothing_changed_reads_nothing_and_writes_nothing(watched, walks):
    corpus, a = watched
    version = a.store.current.resolve()
    report = _quiet(a)
    assert report.found_by == "journal" and walks == [] and report.unchanged == len(_files())
    assert a.store.current.resolve() == version


def test_a_folder_change_or_the_access_file_makes_the_next_ingest_walk(watched, tmp_path):
    corpus, a = watched
    write_corpus(corpus / "f2" / "sub", {"a.txt": _text("sub")})  # a folder with its files
    report = _quiet(a)
    assert report.found_by == "walk" and report.added == 1
    assert _quiet(a).found_by == "journal"  # armed again by that walk
    (corpus / "access.toml").write_text('[[restrict]]\npaths = ["f1/**"]\nchannels = ["C1"]\n',
                                        "utf-8")
    assert _quiet(a).found_by == "walk"
    shutil.rmtree(corpus / "f3")
    assert _quiet(a).found_by == "walk"
    (corpus / "f0").rename(corpus / "g0")
    assert _quiet(a).found_by == "walk"
    assert _view(a) == _fresh_view(tmp_path, corpus)


def test_a_full_event_queue_makes_the_next_ingest_walk(watched, tmp_path):
    corpus, a = watched
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    if limit > 200_000:
        pytest.skip(f"event queue of {limit}: too long to fill here")
    (corpus / "f2" / "late.txt").write_text(_text("late"), "utf-8")
    one, two = (os.open(corpus / "f0" / name, os.O_WRONLY | os.O_APPEND)
                for name in ("n00.txt", "n01.txt"))
    try:  # alternating files: the kernel merges only an event equal to the last one queued
        for i in range(limit // 2 + 1000):
            os.write(one, b" ")
            os.write(two, b" ")
    finally:
        os.close(one)
        os.close(two)
    report = _quiet(a)
    assert report.found_by == "walk"
    assert report.added == 1 and report.updated == 2
    assert _view(a) == _fresh_view(tmp_path, corpus)


def test_an_index_written_by_another_process_is_not_the_journals_base(watched, tmp_path):
    corpus, a = watched
    other = _assistant(tmp_path, corpus, watched=False)  # same index, as a CLI ingest would be
    (corpus / "f0" / "n00.txt").write_text(_text("edited"), "utf-8")
    (corpus / "f1" / "given.txt").write_text(_text("given"), "utf-8")
    assert other.ingest([corpus / "f1" / "given.txt"], progress=False,
                        log=lambda _: None).found_by == "files"
    report = _quiet(a)
    assert report.found_by == "walk" and report.updated == 1
    assert _view(a) == _fresh_view(tmp_path, corpus)


def test_an_upload_in_the_same_process_keeps_the_journal_in_use(watched, walks):
    corpus, a = watched
    a.add_document("agenda.txt", _text("first upload").encode())
    assert _quiet(a).found_by == "walk"  # the first upload made the uploads folder
    walks.clear()
    a.add_document("minutes.txt", _text("uploaded").encode())
    (corpus / "f0" / "n00.txt").write_text(_text("edited"), "utf-8")
    report = _quiet(a)
    assert report.found_by == "journal" and walks == []
    assert report.updated == 1 and report.added == 0  # the upload is indexed already
    assert "uploads/minutes.txt" in _view(a)


def test_a_file_reached_through_a_link_keeps_every_ingest_walking(watched, tmp_path):
    corpus, a = watched
    write_corpus(corpus / ".private", {"kept.txt": _text("linked")})
    (corpus / "f0" / "alias.txt").symlink_to(corpus / ".private" / "kept.txt")
    assert _quiet(a).found_by == "walk"  # a link: a walk must judge it
    (corpus / ".private" / "kept.txt").write_text(_text("changed behind the link"), "utf-8")
    report = _quiet(a)  # no event in a watched folder, yet the change is found
    assert report.found_by == "walk" and report.updated == 1
    (corpus / "f0" / "alias.txt").unlink()
    assert _quiet(a).found_by == "walk"
    assert _quiet(a).found_by == "journal"  # no link left: the journal is used again
    assert _view(a) == _fresh_view(tmp_path, corpus)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_sequence_of_changes_leaves_what_a_full_ingest_gives(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    corpus = write_corpus(tmp_path / "corpus", _files())
    (corpus / "uploads").mkdir()  # a first upload makes it: a folder change, so a walk
    a = _assistant(tmp_path, corpus)
    _quiet(a)
    used = []
    for step in range(8):
        files = sorted(p for p in corpus.rglob("*.txt") if p.is_file() and "uploads" not in p.parts)
        folders = sorted(p for p in corpus.rglob("*") if p.is_dir() and p.name != "uploads")
        ops = [rng.choice([*CHANGES, "edit", "add"])  # edits and adds twice as likely
               for _ in range(rng.randint(1, 3))]
        for n, op in enumerate(ops):
            target = rng.choice(files) if files else None
            if target is None or not target.exists():
                continue
            change(op, rng=rng, corpus=corpus, target=target, folders=folders,
                   tag=f"{step}-{n}", assistant=a)
        report = _quiet(a)
        used.append(report.found_by)
        if set(ops) <= FILE_CHANGES:  # only files changed: the journal vouches for them
            assert report.found_by == "journal", (seed, step, ops)
        assert _view(a) == _fresh_view(tmp_path, corpus), (seed, step, ops)
    assert "journal" in used


def test_where_changes_cannot_be_watched_every_ingest_walks_and_says_why_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(journal_mod, "remote_reason", lambda root: "the corpus is on nfs")
    corpus = write_corpus(tmp_path / "corpus", _files())
    lines: list[str] = []
    a = Assistant(settings=settings_for(tmp_path, corpus, "ix"))
    a.watch_corpus(log=lines.append)
    for i in range(3):
        (corpus / "f0" / f"n{i}.txt").write_text(_text(f"w{i}"), "utf-8")
        assert a.ingest(progress=False, log=lines.append).found_by == "walk"
    assert [line for line in lines if "nfs" in line] == [
        "corpus changes are found by walking the corpus: the corpus is on nfs"]
    assert _view(a) == _fresh_view(tmp_path, corpus)


def test_an_edit_of_a_file_with_another_hard_link_reaches_both_names(watched, tmp_path):
    corpus, a = watched
    os.link(corpus / "f0" / "n00.txt", corpus / "f1" / "twin.txt")
    _quiet(a)
    with open(corpus / "f0" / "n00.txt", "a", encoding="utf-8") as fh:  # in place: one inode
        fh.write("It also opened a depot in Oulu.\n")
    report = _quiet(a)
    assert report.found_by == "walk" and report.updated == 2
    assert _view(a) == _fresh_view(tmp_path, corpus)


def test_a_corpus_on_or_holding_a_network_mount_is_not_watched():
    mountinfo = "\n".join([
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "40 22 0:50 / /srv/corpus/shared rw - nfs4 server:/export rw",
        "41 22 0:51 / /srv/other rw - cifs //host/x rw",
    ])
    assert "nfs4" in journal_mod.remote_reason("/srv/corpus", mountinfo)
    assert "nfs4" in journal_mod.remote_reason("/srv/corpus/shared/x", mountinfo)
    assert journal_mod.remote_reason("/srv/corpusx", mountinfo) is None
    assert journal_mod.remote_reason("/home/corpus", mountinfo) is None


def test_the_mount_of_a_path_is_the_longest_mount_point_holding_it():
    mountinfo = "\n".join([
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
        "40 22 0:50 / /srv/share rw,relatime shared:30 - nfs4 server:/export rw",
        "41 22 0:51 / /srv/share2 rw - tmpfs tmpfs rw",
        "42 40 0:52 / /srv/share/local\\040copy rw - ext4 /dev/sdb1 rw",
        "43 22 0:53 / /mnt/drive rw master:3 - fuse.sshfs host:/ rw",
    ])
    assert mount_fstype("/srv/share/corpus", mountinfo) == "nfs4"
    assert mount_fstype("/srv/share", mountinfo) == "nfs4"
    assert mount_fstype("/srv/share2/corpus", mountinfo) == "tmpfs"
    assert mount_fstype("/srv/sharex", mountinfo) == "ext4"
    assert mount_fstype("/srv/share/local copy/c", mountinfo) == "ext4"
    assert mount_fstype("/mnt/drive/c", mountinfo) == "fuse.sshfs"


def test_the_watcher_indexes_a_dropped_file_within_seconds(watched):
    corpus, a = watched
    watcher = CorpusWatcher(service=a, settle=0.2, poll=0.05, log=lambda _: None).start()
    try:
        _wait(lambda: watcher.ingests >= 1)
        (corpus / "f2" / "dropped.txt").write_text(_text("dropped"), "utf-8")
        _wait(lambda: "f2/dropped.txt" in _view(a))
        (corpus / "f2" / "dropped.txt").unlink()
        _wait(lambda: "f2/dropped.txt" not in _view(a))
    finally:
        watcher.stop()


def test_the_watchers_log_says_a_skipped_file_once_however_often_it_walks(watched):
    corpus, a = watched
    (corpus / "f0" / "picture.png").write_bytes(b"\x89PNG")
    lines: list[str] = []
    watcher = CorpusWatcher(service=a, settle=0.02, poll=0.01, log=lines.append).start()
    try:
        _wait(lambda: watcher.ingests >= 1)
        for name in ("d1", "d2"):  # a folder made: each time a walk
            before = watcher.ingests
            write_corpus(corpus / "f1" / name, {"x.txt": _text(name)})
            _wait(lambda n=name, b=before: watcher.ingests > b and f"f1/{n}/x.txt" in _view(a))
    finally:
        watcher.stop()
    assert sum("picture.png" in line for line in lines) == 1
    assert sum("corpus changed (walk): added 1" in line for line in lines) == 2


def test_uploads_during_the_watchers_ingests_leave_what_a_full_ingest_gives(watched, tmp_path):
    corpus, a = watched
    fresh_root = tmp_path / "reference"
    watcher = CorpusWatcher(service=a, settle=0.02, poll=0.01, log=lambda _: None).start()
    try:
        _wait(lambda: watcher.ingests >= 1)

        def upload() -> None:
            for i in range(8):
                a.add_document(f"u{i % 3}.txt", _text(f"upload {i}").encode())

        uploader = threading.Thread(target=upload)
        uploader.start()
        for i in range(8):
            (corpus / FOLDERS[i % 4] / f"drop{i}.txt").write_text(_text(f"drop {i}"), "utf-8")
            (corpus / FOLDERS[(i + 1) % 4] / f"n{i:02d}.txt").unlink()
            time.sleep(0.03)
        uploader.join()
        fresh_root.mkdir()
        reference = _fresh_view(fresh_root, corpus)
        _wait(lambda: _view(a) == reference)
    finally:
        watcher.stop()


def test_the_watch_command_indexes_what_is_dropped_into_the_corpus(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": _text("a")})
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_INDEX_DIR": str(tmp_path / "ix"), "ASSISTANT_DATA_DIR": str(tmp_path / "d"),
           "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"), "ASSISTANT_EMBEDDER": "hash-384"}
    proc = subprocess.Popen([sys.executable, "-c", "from assistant.cli import main; main()",
                             "watch", "--settle", "0.2"], env=env, stderr=subprocess.PIPE,
                            text=True)
    reader = Assistant(settings=settings_for(tmp_path, corpus, "ix"))
    try:
        _wait(lambda: reader.store.exists() and "a.txt" in _view(reader))
        (corpus / "b.txt").write_text(_text("b"), "utf-8")
        _wait(lambda: "b.txt" in _view(reader))
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "corpus changed (journal): added 1" in err


def _wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)
