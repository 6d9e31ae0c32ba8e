"""An index survives anything an ingest can suffer: SIGKILL at random points, two ingests at
once, readers asking while versions swap. Readers always see the index as it was before an
ingest or as it is after it, never in between."""

from __future__ import annotations

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

from corpora import DEV


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


INGEST = "import sys; from assistant.cli import main; sys.argv = ['remix-assistant', 'ingest']; main()"


def _marker(i: int) -> str:
    return f"Marker report {i}: the Quarrytown depot number QX{i:03d} opened in spring.\n"


def test_sigkill_at_random_points_never_leaves_a_broken_index(tmp_path: Path):
    settings = _settings(tmp_path)
    corpus = _corpus(tmp_path)
    Assistant(settings=settings).ingest(progress=False, log=lambda _: None)
    env = {**os.environ, "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_INDEX_DIR": str(settings.index_dir),
           "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
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
