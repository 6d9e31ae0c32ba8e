"""An index survives anything an ingest can suffer: SIGKILL at random points, two ingests at
once, readers asking while versions swap. Readers always see the index as it was before an
ingest or as it is after it, never in between."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IndexBusyError
from assistant.retrieval.store import IndexStore
from assistant.service import Assistant

from corpora import DEV, write_corpus


def _settings(root: Path) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data",
                    cache_dir=root / "cache", embedder="hash")


def _corpus(root: Path, copies: int = 2) -> Path:
    corpus = root / "corpus"
    for n in range(copies):
        shutil.copytree(DEV, corpus / f"set{n}", ignore=shutil.ignore_patterns("qa.jsonl"))
    return corpus


def _state(index: Path) -> tuple[frozenset[str], int]:
    """What a fresh reader sees: the documents and the chunk count (checked for consistency)."""
    reader = IndexStore(index).open()
    try:
        files = reader.files()
        assert reader.size == len(reader.all_chunks()) == sum(f.n_chunks for f in files.values())
        return frozenset(f.doc_id for f in files.values()), reader.size
    finally:
        reader.close()


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **extra}


INGEST = "import sys; from assistant.cli import main; sys.argv = ['remix-assistant', 'ingest']; main()"


def _marker(i: int) -> str:
    return f"Marker report {i}: the Quarrytown depot number QX{i:03d} opened in spring.\n"


def test_sigkill_at_random_points_never_leaves_a_broken_index(tmp_path: Path):
    settings = _settings(tmp_path)
    corpus = _corpus(tmp_path)
    Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
    env = _env(settings)
    rng = random.Random(20261125)
    outcomes = {"before": 0, "after": 0}
    for i in range(14):
        before = _state(settings.index_dir)
        marker = corpus / f"marker-{i}.txt"
        marker.write_text(_marker(i), encoding="utf-8")
        if i % 3 == 2:  # also remove a file now and then
            old = corpus / f"marker-{i - 2}.txt"
            old.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", INGEST], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        docs, _ = _state(settings.index_dir)  # opens: never broken
        completed = proc.returncode == 0
        if completed:
            assert f"marker-{i}.txt" in docs
        assert docs == before[0] or f"marker-{i}.txt" in docs
        outcomes["before" if docs == before[0] else "after"] += 1
        # the index answers, and it answers from the state it is in
        assistant = Assistant(settings=settings)
        answer = assistant.ask(f"Which depot number QX{i:03d} opened?")
        assert (f"QX{i:03d}" in answer.text) == (f"marker-{i}.txt" in docs)
    # A clean run afterwards completes (the dead holders' locks are gone) and tidies up.
    report = Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
    assert report.failed == []
    versions = list((settings.index_dir / "versions").iterdir())
    assert not [v for v in versions if v.name.startswith(".building")]
    assert len(versions) <= 2
    print(f"kill outcomes: {outcomes}")


def test_second_ingest_waits_for_the_first_or_reports_busy(tmp_path: Path):
    settings = _settings(tmp_path)
    _corpus(tmp_path, copies=1)
    store = IndexStore(settings.index_dir)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.lock():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        busy = Assistant(settings=settings.model_copy(update={"ingest_lock_timeout": 0.2}))
        with pytest.raises(IndexBusyError, match="another ingest"):
            busy.ingest(progress=False, log=lambda _: None)
        assert not store.exists()  # the refused ingest wrote nothing
        waiting = Assistant(settings=settings.model_copy(update={"ingest_lock_timeout": 10}))
        result: list = []
        waiter = threading.Thread(target=lambda: result.append(
            waiting.ingest(progress=False, log=lambda _: None)))
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and not store.exists()  # still waiting for the lock
    finally:
        release.set()
        holder.join()
    waiter.join(30)
    assert result and result[0].documents == 73 and store.exists()


def test_readers_keep_answering_while_versions_swap(tmp_path: Path):
    settings = _settings(tmp_path)
    corpus = _corpus(tmp_path, copies=1)
    reader_side = Assistant(settings=settings)
    writer_side = Assistant(settings=settings)
    writer_side.ingest(progress=False, log=lambda _: None)
    errors: list[BaseException] = []
    stop = threading.Event()
    answered = 0

    def ask_forever() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                answer = reader_side.ask("Which regions lead the Mining industry partnership?")
                assert answer.citations
                answered += 1
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
                errors.append(exc)
                return

    threads = [threading.Thread(target=ask_forever) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(8):
            (corpus / f"marker-{i}.txt").write_text(_marker(i), encoding="utf-8")
            writer_side.ingest(progress=False, log=lambda _: None)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors, errors[0]
    assert answered > 0
    # the reader moved on to the newest version without a restart
    assert "QX007" in reader_side.ask("Which depot number QX007 opened?").text


def test_only_the_current_and_previous_versions_are_kept(tmp_path: Path):
    settings = _settings(tmp_path)
    corpus = _corpus(tmp_path, copies=1)
    assistant = Assistant(settings=settings)
    for i in range(3):
        (corpus / f"marker-{i}.txt").write_text(_marker(i), encoding="utf-8")
        assistant.ingest(progress=False, log=lambda _: None)
    versions = sorted(p.name for p in (settings.index_dir / "versions").iterdir())
    assert len(versions) == 2
    assert os.readlink(settings.index_dir / "current").endswith(versions[-1])


def _db_digest(version: Path) -> str:
    return hashlib.sha256((version / "chunks.sqlite3").read_bytes()).hexdigest()


def _touch_all(corpus: Path) -> None:
    """What `git checkout` or a copy does: new mtimes, same bytes."""
    for path in (p for p in corpus.rglob("*") if p.is_file()):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_an_mtime_only_change_never_modifies_a_version_readers_use(tmp_path: Path):
    settings = _settings(tmp_path)
    write_corpus(settings.corpus_dir)
    assistant = Assistant(settings=settings)
    assistant.ingest(progress=False, log=lambda _: None)
    first = (settings.index_dir / "current").resolve()
    digest = _db_digest(first)
    _touch_all(settings.corpus_dir)
    report = assistant.ingest(progress=False, log=lambda _: None)
    assert report.added == report.updated == report.embedded == 0 and report.unchanged >= 2
    assert _db_digest(first) == digest  # never written in place (no journal can be left in it)
    second = (settings.index_dir / "current").resolve()
    assert second != first and first.is_dir()  # the refresh is a new version; the old one stays
    assistant.ingest(progress=False, log=lambda _: None)  # the refreshed mtimes are remembered:
    assert (settings.index_dir / "current").resolve() == second  # nothing to write this time


@pytest.mark.parametrize("point, change", [
    ("touch-commit", "touch"),  # mid-commit of the mtime refresh
    ("renamed", "add"),  # a new version renamed into place, `current` not yet swapped
    ("swapped", "add"),  # swapped, old versions not yet removed
])
def test_a_kill_at_the_worst_moment_leaves_an_index_that_answers(tmp_path: Path, point: str,
                                                                 change: str):
    settings = _settings(tmp_path)
    corpus = write_corpus(settings.corpus_dir)
    Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
    before = _state(settings.index_dir)
    if change == "touch":
        _touch_all(corpus)
    else:
        (corpus / "marker-0.txt").write_text(_marker(0), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", INGEST], env=_env(settings, ASSISTANT_TEST_CRASH_AT=point),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]

    docs, _ = _state(settings.index_dir)  # every reader opens it (read-only, as the bot does)
    assert docs == before[0] if point != "swapped" else "marker-0.txt" in docs
    answer = Assistant(settings=settings).ask("Where was the REMIX kick-off meeting held?")
    assert "Kemi" in answer.text
    assert ("QX000" in Assistant(settings=settings).ask("Which depot number QX000 opened?").text) == (
        "marker-0.txt" in docs)

    # A question in flight on the version that is current now keeps its files through the
    # next swap (the README's promise), whatever the kill left behind.
    in_flight = IndexStore(settings.index_dir).open()
    try:
        report = Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
        assert report.failed == []
        assert in_flight.directory.is_dir()
        assert len(in_flight.all_chunks()) == in_flight.size and len(in_flight.vectors()) == in_flight.size
    finally:
        in_flight.close()
    docs, _ = _state(settings.index_dir)
    assert docs == before[0] | ({"marker-0.txt"} if change == "add" else set())
    versions = sorted(v.name for v in (settings.index_dir / "versions").iterdir())
    assert len(versions) == 2 and in_flight.directory.name in versions
    assert not list(settings.index_dir.glob(".current-*"))


def test_a_version_a_reader_still_holds_is_not_removed_until_it_lets_go(tmp_path: Path):
    """A reader reads segment and memory tables by path on first need, maybe long after it
    opened its version; by then several ingests may have made newer ones."""
    settings = _settings(tmp_path)
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": _marker(0)})
    writer_side = Assistant(settings=settings)
    writer_side.ingest(progress=False, log=lambda _: None)
    held = IndexStore(settings.index_dir).open()  # opened, nothing read yet
    for i in range(1, 4):  # three newer versions: `held`'s is neither current nor the one before
        (corpus / f"marker-{i}.txt").write_text(_marker(i), encoding="utf-8")
        writer_side.ingest(progress=False, log=lambda _: None)
    assert held.directory.is_dir()
    assert held.size == 1 and held.memory() is not None  # live rows and memory: read by path
    assert held.all_chunks() and held.memory_of_kind("events") is not None
    version = held.directory
    del held  # let go (no cyclic collection needed): the next ingest removes it
    (corpus / "marker-9.txt").write_text(_marker(9), encoding="utf-8")
    writer_side.ingest(progress=False, log=lambda _: None)
    assert not version.exists()
    assert len(list((settings.index_dir / "versions").iterdir())) == 2
