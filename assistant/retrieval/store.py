"""On-disk index: chunk store (SQLite), dense vectors (FAISS), lexical index (BM25), manifest.

Layout under the index dir::

    index/
      current -> versions/20261125T031500-ab12cd   (symlink, swapped atomically)
      versions/<id>/manifest.json, chunks.sqlite3, vectors.npy, dense.faiss, lexical/

A new ingest writes a complete new version beside the old one and only then repoints
`current` with `os.replace` on a symlink, which is atomic: an ingest that fails or is
interrupted (even by SIGKILL) leaves the previous index untouched and readable. The previous
version (the one `current` pointed to before the swap, never a leftover that was renamed into
place but not swapped in by a killed ingest) is kept until the next swap, so a reader that
resolved `current` just before a swap can still open it. Writers take an exclusive lock
(`index/.lock`), so two ingests never interleave.

A version is never modified once written: readers open its SQLite file read-only, and a writer
killed mid-commit would leave a hot journal that no read-only connection can roll back. Even an
mtime-only refresh (`touch`, `git checkout`) therefore goes to a new version that shares the
unchanged files by hard link.

`ASSISTANT_TEST_CRASH_AT=<point>` makes the writer SIGKILL itself at that point (see
`_crash_point`): the crash tests use it to kill at exact moments instead of at random.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
import uuid
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import faiss
import numpy as np

from ..access import PUBLIC, Audience, Visibility
from ..errors import IndexBusyError, IndexMismatchError, IndexMissingError
from ..memory.models import ProjectMemory
from ..models import Chunk
from .lexical import LexicalIndex

# 2: irregular verb forms joined in the lexical index; 3: file visibility + structured memory
FORMAT_VERSION = 3

_SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, file_key TEXT NOT NULL, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, url TEXT, section TEXT NOT NULL, page INTEGER, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, text_hash TEXT NOT NULL
);
CREATE INDEX chunks_file ON chunks(file_key);
CREATE TABLE files (
    file_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, n_chunks INTEGER NOT NULL, visibility TEXT NOT NULL
);
CREATE TABLE memory (file_key TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the index knows about one source file (keyed by its absolute path)."""

    file_key: str
    doc_id: str
    sha256: str
    size: int
    mtime_ns: int
    n_chunks: int
    visibility: Visibility = field(default=PUBLIC)


@dataclass(slots=True)
class StoredChunk:
    chunk: Chunk
    file_key: str
    text_hash: str


def _row_to_chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        chunk_id=row["chunk_id"], doc_id=row["doc_id"], title=row["title"], text=row["text"],
        section=row["section"], page=row["page"], start=row["start"], end=row["end"],
        url=row["url"], kind=row["kind"],
    )


class IndexReader:
    """A read-only, loaded index version: what search needs, loaded once per process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.manifest: dict = json.loads((directory / "manifest.json").read_text("utf-8"))
        if self.manifest.get("format") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"the index at {directory.parent.parent} has format {self.manifest.get('format')}, "
                f"this version reads format {FORMAT_VERSION}: run `remix-assistant ingest` to rebuild it"
            )
        self._db = sqlite3.connect(f"file:{directory / 'chunks.sqlite3'}?mode=ro", uri=True,
                                   check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()  # the connection and the caches, shared by worker threads
        self.dense = faiss.read_index(str(directory / "dense.faiss"))
        self.lexical = LexicalIndex.load(directory / "lexical")
        self._cache: dict[int, Chunk] = {}
        self._files = self._read_files()
        self._row_file = self._read_row_files()
        # Per-audience views, bounded: a long-running bot meets many channels and users.
        self._masks: OrderedDict[Audience, np.ndarray | None] = OrderedDict()
        self._views: OrderedDict[Audience, ProjectMemory] = OrderedDict()
        self._memory: ProjectMemory | None = None

    @property
    def size(self) -> int:
        return int(self.dense.ntotal)

    def check_embedder(self, name: str) -> None:
        built = self.manifest.get("embedder")
        if built != name:
            raise IndexMismatchError(
                f"the index was built with embedder '{built}' but the configured embedder is "
                f"'{name}': re-ingest (`remix-assistant ingest`) or set ASSISTANT_EMBEDDER={built}"
            )

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """Chunks for FAISS row ids, in the given order (cached: the same rows recur)."""
        rows = [int(r) for r in rows]  # numpy ints would be bound as blobs by SQLite
        with self._lock:
            missing = [r for r in rows if r not in self._cache]
            if missing:
                marks = ",".join("?" * len(missing))
                for row in self._db.execute(f"SELECT * FROM chunks WHERE row IN ({marks})", missing):
                    self._cache[row["row"]] = _row_to_chunk(row)
            return [self._cache[r] for r in rows]

    def all_chunks(self) -> list[StoredChunk]:
        with self._lock:
            return [
                StoredChunk(_row_to_chunk(r), r["file_key"], r["text_hash"])
                for r in self._db.execute("SELECT * FROM chunks ORDER BY row")
            ]

    def files(self) -> dict[str, FileRecord]:
        return dict(self._files)

    def _read_files(self) -> dict[str, FileRecord]:
        return {
            r["file_key"]: FileRecord(r["file_key"], r["doc_id"], r["sha256"], r["size"],
                                      r["mtime_ns"], r["n_chunks"],
                                      Visibility.from_json(json.loads(r["visibility"])))
            for r in self._db.execute("SELECT * FROM files")
        }

    def _read_row_files(self) -> np.ndarray:
        """Per chunk row, the index of its file in `self._files` order (for access masks)."""
        order = {key: i for i, key in enumerate(self._files)}
        keys = [r[0] for r in self._db.execute("SELECT file_key FROM chunks ORDER BY row")]
        return np.asarray([order.get(k, -1) for k in keys], dtype=np.int64)

    # -- access ---------------------------------------------------------------------------

    def allowed_rows(self, audience: Audience) -> np.ndarray | None:
        """Boolean mask of the chunk rows `audience` may see; None when it may see all."""
        with self._lock:
            if audience in self._masks:
                self._masks.move_to_end(audience)
                return self._masks[audience]
        visible = np.asarray([audience.may_see(f.visibility) for f in self._files.values()]
                             + [False], dtype=bool)  # index -1: a chunk without a file record
        mask = visible[self._row_file] if len(self._row_file) else np.zeros(0, dtype=bool)
        result = None if bool(mask.all()) else mask
        with self._lock:
            _remember(self._masks, audience, result)
        return result

    def visible_doc_ids(self, audience: Audience) -> frozenset[str]:
        """Documents `audience` may see. A doc id shared by files of different visibility (the
        same relative path under two ingested roots) counts as visible only if all of them are."""
        hidden = {f.doc_id for f in self._files.values() if not audience.may_see(f.visibility)}
        return frozenset(f.doc_id for f in self._files.values() if f.doc_id not in hidden)

    # -- structured memory ------------------------------------------------------------------

    def memory(self) -> ProjectMemory:
        """The whole structured memory (all documents); callers filter by audience."""
        if self._memory is None:
            memory = ProjectMemory()
            with self._lock:
                rows = self._db.execute("SELECT data FROM memory ORDER BY file_key").fetchall()
            for (data,) in rows:
                memory.extend(ProjectMemory.from_json(json.loads(data)))
            self._memory = memory
        return self._memory

    def memory_for(self, audience: Audience) -> ProjectMemory:
        """The memory read from the documents `audience` may see (cached per audience)."""
        if audience.unrestricted:
            return self.memory()
        with self._lock:
            if audience in self._views:
                self._views.move_to_end(audience)
                return self._views[audience]
        view = self.memory().only_docs(self.visible_doc_ids(audience))
        with self._lock:
            _remember(self._views, audience, view)
        return view

    def file_memory(self) -> dict[str, str]:
        """Stored memory JSON per file key (an ingest keeps it for unchanged files)."""
        with self._lock:
            return dict(self._db.execute("SELECT file_key, data FROM memory").fetchall())

    def vectors(self) -> np.ndarray:
        return np.load(self.directory / "vectors.npy", mmap_mode="r")

    def close(self) -> None:
        self._db.close()


_CACHED_AUDIENCES = 256


def _remember(cache: OrderedDict, key: object, value: object) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHED_AUDIENCES:
        cache.popitem(last=False)


class IndexStore:
    """The index directory: finds the current version, writes new ones, swaps atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current(self) -> Path:
        return self.root / "current"

    def exists(self) -> bool:
        return (self.current / "manifest.json").is_file()

    def format_is_current(self) -> bool:
        try:
            manifest = json.loads((self.current / "manifest.json").read_text("utf-8"))
        except (OSError, ValueError):
            return False
        return manifest.get("format") == FORMAT_VERSION

    def open(self) -> IndexReader:
        if not self.exists():
            raise IndexMissingError(
                f"no index at {self.root}: run `remix-assistant ingest [PATH ...]` first"
            )
        return IndexReader(self.current.resolve())

    def write(
        self,
        *,
        stored: Sequence[StoredChunk],
        vectors: np.ndarray,
        files: Iterable[FileRecord],
        embedder: str,
        memory: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> Path:
        """Write a complete new version, then make it current. Returns the version directory."""
        return self._install(lambda tmp: self._write_version(
            tmp, stored, vectors, list(files), embedder, memory or {}, extra or {}))

    def touch_files(self, files: Iterable[FileRecord]) -> Path:
        """Refresh size/mtime of unchanged files so the next scan can skip hashing them.

        The refresh goes to a new version that hard-links everything but the SQLite file from
        the current one: updating the current version in place would leave a hot journal
        behind a killed ingest, and every reader (read-only) would fail on it until the next
        full rebuild."""
        source = self.current.resolve()
        rows = [(f.size, f.mtime_ns, f.file_key) for f in files]

        def build(tmp: Path) -> None:
            for item in source.iterdir():
                if item.name not in ("chunks.sqlite3", "manifest.json"):
                    _link_tree(item, tmp / item.name)
            shutil.copyfile(source / "chunks.sqlite3", tmp / "chunks.sqlite3")
            db = sqlite3.connect(tmp / "chunks.sqlite3")
            try:
                with db:
                    db.executemany("UPDATE files SET size=?, mtime_ns=? WHERE file_key=?", rows)
                    _crash_point("touch-commit")
            finally:
                db.close()
            shutil.copyfile(source / "manifest.json", tmp / "manifest.json")  # complete: last

        return self._install(build)

    def _install(self, build: Callable[[Path], None]) -> Path:
        """Build a version in a hidden directory, rename it into place, swap `current` to it,
        then remove what is neither it nor the version `current` pointed to before."""
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        before = self._current_version()
        # Names sort in creation order (nanoseconds), for people reading the directory.
        version = versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}-{uuid.uuid4().hex[:4]}"
        tmp = versions / f".building-{version.name}"
        tmp.mkdir()
        try:
            build(tmp)
            tmp.rename(version)
            _crash_point("renamed")  # complete but not current: must never count as previous
            self._point_current_to(version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _crash_point("swapped")
        self._remove_old_versions(keep={v for v in (version, before) if v is not None})
        return version

    def _current_version(self) -> Path | None:
        """The version directory `current` points to (None before the first ingest)."""
        try:
            target = os.readlink(self.current)
        except OSError:
            return None
        path = self.root / target
        return path if path.is_dir() else None

    def _write_version(self, directory: Path, stored: Sequence[StoredChunk], vectors: np.ndarray,
                       files: list[FileRecord], embedder: str, memory: dict[str, str],
                       extra: dict) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if len(stored) != len(vectors):
            raise ValueError("one vector per chunk is required")
        db = sqlite3.connect(directory / "chunks.sqlite3")
        with db:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (i, s.chunk.chunk_id, s.file_key, s.chunk.doc_id, s.chunk.title, s.chunk.url,
                     s.chunk.section, s.chunk.page, s.chunk.start, s.chunk.end, s.chunk.kind,
                     s.chunk.text, s.text_hash)
                    for i, s in enumerate(stored)
                ],
            )
            db.executemany(
                "INSERT INTO files VALUES (?,?,?,?,?,?,?)",
                [(f.file_key, f.doc_id, f.sha256, f.size, f.mtime_ns, f.n_chunks,
                  json.dumps(f.visibility.to_json())) for f in files],
            )
            keys = {f.file_key for f in files}
            db.executemany("INSERT INTO memory VALUES (?,?)",
                           [(k, v) for k, v in memory.items() if k in keys])
        db.close()
        np.save(directory / "vectors.npy", vectors)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else int(extra.get("dim", 0))
        dense = faiss.IndexFlatIP(dim)
        if len(vectors):
            dense.add(vectors)
        faiss.write_index(dense, str(directory / "dense.faiss"))
        LexicalIndex.build([s.chunk.embedding_text() for s in stored]).save(directory / "lexical")
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": embedder,
            "dim": dim,
            "chunks": len(stored),
            "documents": len(files),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **{k: v for k, v in extra.items() if k != "dim"},
        }
        # The manifest is written last: a version without one is incomplete by definition.
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")

    def _point_current_to(self, version: Path) -> None:
        link = self.root / f".current-{uuid.uuid4().hex[:6]}"
        os.symlink(Path("versions") / version.name, link)
        os.replace(link, self.current)

    def _remove_old_versions(self, *, keep: set[Path]) -> None:
        """Keep the new version and the one that was current before it (a reader may have
        just resolved it); remove everything else: older versions, versions a killed ingest
        renamed into place but never made current, half-built leftovers and stray links
        (we hold the lock)."""
        keep_names = {v.name for v in keep}
        for old in (self.root / "versions").iterdir():
            if old.name not in keep_names:
                shutil.rmtree(old, ignore_errors=True)
        for link in self.root.glob(".current-*"):  # a kill between symlink and replace
            link.unlink(missing_ok=True)

    @contextmanager
    def lock(self, *, timeout: float = 60.0) -> Iterator[None]:
        """Exclusive writer lock. Waits up to `timeout` s for another ingest, then raises
        IndexBusyError. flock is released by the kernel if the holder dies (even SIGKILL)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusyError(
                            f"another ingest is updating {self.root}; try again when it is done"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link a file or directory tree (versions are immutable, so sharing is safe); copy
    where the filesystem has no hard links."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, target, copy_function=link)
    else:
        link(str(source), str(target))


def _crash_point(name: str) -> None:
    """SIGKILL this process here when `ASSISTANT_TEST_CRASH_AT` names this point (tests only:
    they prove that a kill at the worst moment leaves an index every reader can open)."""
    if os.environ.get("ASSISTANT_TEST_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
