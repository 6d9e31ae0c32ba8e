"""On-disk index: versions made of immutable segments, swapped atomically.

Layout under the index dir::

    index/
      current -> versions/20261125T031500-ab12cd   (symlink, swapped atomically)
      versions/<id>/manifest.json     format, embedder, dimension, the segments in order,
                                      counts (documents, chunks, live chunks per segment)
      versions/<id>/chunks.sqlite3    the catalog: one record per file (hash, size/mtime,
                                      visibility, Visibility: header, segment holding its chunks)
      versions/<id>/segments/<name>/  chunks, vectors, BM25 postings (see segment.py)

An ingest writes only what changed: the chunks of new and changed files go into one new
segment; a removed or changed file's old chunks stay where they are but stop being live
(a file's chunks are live only in the segment its catalog record names). The catalog is
copied from the previous version and changed in one transaction; the segments a version shares
with the previous one are hard links. When segments pile up, those of a similar size are
merged (postings merged with numpy, nothing re-tokenised or re-embedded), and a segment that is
mostly dead is rewritten: searches touch few segments, and disk holds little dead data.
The counts are the previous version's plus the change's, and catalog rows are read by key: an
update never scans the catalog (opening a version for writing reads no per-file data either).

The new version is built in a hidden directory, renamed into place and only then made current
by `os.replace` on a symlink, which is atomic: an ingest that fails or is interrupted (even by
SIGKILL) leaves the previous index untouched and readable. The previous version (the one
`current` pointed to before the swap, never a leftover that was renamed into place but not
swapped in by a killed ingest) is kept until the next swap, so a reader that resolved `current`
just before a swap can still open it. Writers take an exclusive lock (`index/.lock`), so two
ingests never interleave. A version is never modified once written (readers open its SQLite
files read-only; a writer killed mid-commit would leave a hot journal that no read-only
connection can roll back), not even for an mtime-only refresh.

`ASSISTANT_TEST_CRASH_AT=<point>` makes the writer SIGKILL itself at that point (see
`_crash_point`): the crash tests use it to kill at exact moments instead of at random.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from ..access import PUBLIC, Audience, Visibility
from ..errors import IndexBusyError, IndexMismatchError, IndexMissingError
from ..memory.models import ProjectMemory
from ..memory.stored import StoredMemory
from ..models import Chunk
from .bm25 import LexicalIndex, Postings, PostingsBuilder
from .lexical import document_terms
from .segment import (MemoryRow, Segment, chunk_row, memory_rows, memory_table, read_only_uri,
                      row_to_chunk, unjournaled, write_segment)
from .vocabulary import LiveVocabulary

# 2: irregular verb forms joined in the lexical index; 3: file visibility + structured memory;
# 4: segments (catalog + immutable segments), Visibility: headers kept per file
# 5: when each file's current content was indexed (`sources`: "added")
# 6: surface-word postings per segment (spelling), structured memory stored per kind
# 7: a large segment's dense search partitioned by k-means (IVF) instead of an HNSW graph
FORMAT_VERSION = 7

MERGE_FACTOR = 8  # segments of one size tier that are merged into one
DEAD_SHARE = 0.5  # a segment with more dead rows than this is rewritten ...
DEAD_MIN_ROWS = 256  # ... once it is at least this large (small ones wait for their tier)

_CATALOG = """
CREATE TABLE files (
    file_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, n_chunks INTEGER NOT NULL, visibility TEXT NOT NULL, header TEXT,
    segment TEXT NOT NULL, indexed_at TEXT
);
"""
# Per-folder marks of the walk (assistant/ingest/folder_marks.py): opaque text to the store,
# which drops the marks above every file a change touches (see `_apply_folder_marks`).
_FOLDERS = "CREATE TABLE IF NOT EXISTS folders (folder TEXT PRIMARY KEY, mark TEXT NOT NULL)"


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the index knows about one source file (keyed by its absolute path). `header` is
    the file's `Visibility:` header value as read when it was indexed: with the size/mtime
    unchanged it is still the file's, so visibility can be recomputed without opening it."""

    file_key: str
    doc_id: str
    sha256: str
    size: int
    mtime_ns: int
    n_chunks: int
    visibility: Visibility = field(default=PUBLIC)
    header: str | None = None
    # When this content was indexed (ISO 8601, UTC): set when a file is added or its text
    # changes, kept across mtime-only refreshes and access changes.
    indexed_at: str | None = None


@dataclass(slots=True)
class StoredChunk:
    chunk: Chunk
    file_key: str
    text_hash: str


def _record_row(f: FileRecord, segment: str) -> tuple:
    return (f.file_key, f.doc_id, f.sha256, f.size, f.mtime_ns, f.n_chunks,
            json.dumps(f.visibility.to_json()), f.header, segment, f.indexed_at)


_SELECT_RECORDS = ("SELECT file_key, doc_id, sha256, size, mtime_ns, n_chunks, visibility, header, "
                   "indexed_at FROM files")
_BATCH = 500  # keys per `IN (...)` query: well under SQLite's limit on bound parameters


def _batches(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _BATCH):
        yield keys[start: start + _BATCH]


def _to_records(rows: Iterable[tuple]) -> dict[str, FileRecord]:
    """Catalog rows (as `_SELECT_RECORDS` reads them) as records, by file key."""
    files: dict[str, FileRecord] = {}
    visibilities: dict[str, Visibility] = {}  # most files share a handful of values
    for key, doc, sha, size, mtime, n, vis, header, indexed in rows:
        if vis not in visibilities:
            visibilities[vis] = Visibility.from_json(json.loads(vis))
        files[key] = FileRecord(key, doc, sha, size, mtime, n, visibilities[vis], header, indexed)
    return files


@dataclass(frozen=True, slots=True)
class _Liveness:
    """A version's live rows and what is built over them."""

    alive: np.ndarray  # per physical row
    live: np.ndarray  # physical row of each logical row
    logical: np.ndarray  # physical row -> logical row
    lexical: LexicalIndex
    vocabulary: LiveVocabulary


class IndexReader:
    """A read-only index version: what search needs, opened once per process. Rows ("logical"
    rows, 0..size-1) number the live chunks of all segments in segment order; large data stays
    memory-mapped and is read when a question needs it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lease = Lease(directory)  # first: the version stays while it is held
        self.manifest: dict = json.loads((directory / "manifest.json").read_text("utf-8"))
        if self.manifest.get("format") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"the index at {directory.parent.parent} has format {self.manifest.get('format')}, "
                f"this version reads format {FORMAT_VERSION}: run `remix-assistant ingest` to rebuild it"
            )
        self._lock = threading.Lock()  # SQLite connections and caches, shared by worker threads
        self._catalog = sqlite3.connect(read_only_uri(directory / "chunks.sqlite3"), uri=True,
                                        check_same_thread=False)
        # Per-file data (the records, which segment holds each file's live chunks) is read
        # only when something asks for it: a question needs none of it.
        self._files: dict[str, FileRecord] | None = None
        self._segment_of: dict[str, str] | None = None
        self.segments: list[Segment] = []
        base = 0
        for name in self.manifest.get("segments", []):
            seg = Segment(directory / "segments" / name, base=base)
            self.segments.append(seg)
            base += seg.n
        self._bases = np.asarray([s.base for s in self.segments], dtype=np.int64)
        self._physical_rows = base
        # Which rows are live (and the lexical index and vocabulary over them) is worked out
        # on first need: it joins every segment's spans with the catalog, and a writer that
        # opens this version to add one file needs none of it. Taken before `_lock`, never
        # while holding it (computing it takes `_lock`).
        self._liveness_lock = threading.Lock()
        self._liveness: _Liveness | None = None
        self._row_file: np.ndarray | None = None  # per live row, see _files_of_rows
        self._cache: dict[int, Chunk] = {}
        # Per-audience views, bounded: a long-running bot meets many channels and users.
        self._masks: OrderedDict[Audience, np.ndarray | None] = OrderedDict()
        self._views: OrderedDict[Audience, ProjectMemory] = OrderedDict()
        self._memory: ProjectMemory | None = None

    def _live_state(self) -> _Liveness:
        state = self._liveness
        if state is not None:
            return state
        with self._liveness_lock:
            if self._liveness is None:
                with self._lock:  # the catalog connection (ATTACH) is shared
                    alive = self._live_rows(self._physical_rows)
                live = np.flatnonzero(alive)
                self._liveness = _Liveness(
                    alive=alive, live=live,
                    logical=np.cumsum(alive, dtype=np.int64) - 1,
                    lexical=LexicalIndex(segments=self.segments, alive=alive, live_rows=live,
                                         lock=self._lock),
                    vocabulary=LiveVocabulary(segments=self.segments, alive=alive,
                                              lock=self._lock))
            return self._liveness

    @property
    def _alive(self) -> np.ndarray:
        """Per physical row: live or not."""
        return self._live_state().alive

    @property
    def _live(self) -> np.ndarray:
        """The physical row of each logical row."""
        return self._live_state().live

    @property
    def _logical(self) -> np.ndarray:
        """Physical row -> logical row."""
        return self._live_state().logical

    @property
    def lexical(self) -> LexicalIndex:
        return self._live_state().lexical

    @property
    def vocabulary(self) -> LiveVocabulary:
        return self._live_state().vocabulary

    def _records(self) -> dict[str, FileRecord]:
        """Every file's record, in file-key order (read once, on first need)."""
        with self._lock:
            if self._files is None:
                self._files = self._read_files()
            return self._files

    def _read_files(self) -> dict[str, FileRecord]:
        return _to_records(self._catalog.execute(_SELECT_RECORDS + " ORDER BY file_key"))

    def _segments_of(self) -> dict[str, str]:
        """File key -> the segment holding its live chunks, in file-key order."""
        with self._lock:
            if self._segment_of is None:
                self._segment_of = dict(self._catalog.execute(
                    "SELECT file_key, segment FROM files ORDER BY file_key"))
            return self._segment_of

    def _live_spans(self, segment_of: dict[str, str]) -> Iterator[tuple[str, int, int]]:
        """(file key, first physical row, rows) of every file's live chunks, given which
        segment holds each file's live chunks."""
        for seg in self.segments:
            name, base = seg.name, seg.base
            for key, (first, n) in seg.spans.items():
                if segment_of.get(key) == name:
                    yield key, base + first, n

    def _live_rows(self, total: int) -> np.ndarray:
        """Per physical row: live or not. A file's chunks are live in the segment its catalog
        record names; the spans are marked at once, not one slice each."""
        parts = [np.asarray(_joined(
            self._catalog, seg,
            "SELECT seg.spans.first, seg.spans.n FROM seg.spans JOIN main.files "
            "ON main.files.file_key = seg.spans.file_key WHERE main.files.segment = ?",
            (seg.name,)), dtype=np.int64).reshape(-1, 2) + (seg.base, 0)
            for seg in self.segments]
        spans = np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)
        edges = (np.bincount(spans[:, 0], minlength=total + 1)
                 - np.bincount(spans[:, 0] + spans[:, 1], minlength=total + 1))
        return np.cumsum(edges[:total]) > 0

    def _files_of_rows(self) -> np.ndarray:
        """Per live row, the index of its file in file-key order (for audience masks; -1:
        none, which cannot happen for a live row)."""
        segment_of = self._segments_of()
        self._live_state()  # before `_lock`
        with self._lock:
            if self._row_file is None:
                order = {key: i for i, key in enumerate(segment_of)}
                row_file = np.full(len(self._alive), -1, dtype=np.int64)
                for key, first, n in self._live_spans(segment_of):
                    row_file[first: first + n] = order[key]
                self._row_file = row_file[self._live]
            return self._row_file

    @property
    def size(self) -> int:
        return int(len(self._live))

    def check_embedder(self, name: str) -> None:
        built = self.manifest.get("embedder")
        if built != name:
            raise IndexMismatchError(
                f"the index was built with embedder '{built}' but the configured embedder is "
                f"'{name}': re-ingest (`remix-assistant ingest`) or set ASSISTANT_EMBEDDER={built}"
            )

    def _locate(self, physical: np.ndarray) -> np.ndarray:
        """The segment index of each physical row."""
        return np.searchsorted(self._bases, physical, side="right") - 1

    def chunks(self, rows: Sequence[int]) -> list[Chunk]:
        """Chunks for row ids, in the given order (cached: the same rows recur)."""
        rows = [int(r) for r in rows]
        self._live_state()  # before `_lock`
        with self._lock:
            missing = sorted({r for r in rows if r not in self._cache})
            if missing:
                physical = self._live[np.asarray(missing, dtype=np.int64)]
                where = self._locate(physical)
                for s in np.unique(where):
                    seg = self.segments[int(s)]
                    picked = [(r, int(p) - seg.base) for r, p, w in zip(missing, physical, where)
                              if w == s]
                    found = seg.rows(local for _, local in picked)
                    for row, local in picked:
                        self._cache[row] = row_to_chunk(found[local])
            return [self._cache[r] for r in rows]

    def all_chunks(self) -> list[StoredChunk]:
        """Every live chunk, in row order."""
        out: list[StoredChunk] = []
        self._live_state()  # before `_lock`
        with self._lock:
            for seg in self.segments:
                alive = self._alive[seg.base: seg.base + seg.n]
                out += [StoredChunk(row_to_chunk(r), r[2], r[12]) for r in seg.all_rows()
                        if alive[r[0]]]
        return out

    def files(self) -> dict[str, FileRecord]:
        return dict(self._records())

    def records(self, keys: Iterable[str]) -> dict[str, FileRecord]:
        """The records of these files alone (those indexed; by primary key, so the cost is
        the number of keys, not of files: an upload looks up its own file, nothing else)."""
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            if self._files is not None:
                return {k: self._files[k] for k in wanted if k in self._files}
            rows: list[tuple] = []
            for part in _batches(wanted):
                rows += self._catalog.execute(
                    f"{_SELECT_RECORDS} WHERE file_key IN ({','.join('?' * len(part))})", part)
        return _to_records(rows)

    def records_between(self, ranges: Iterable[tuple[str, str]]) -> dict[str, FileRecord]:
        """The records whose keys lie in these half-open [low, high) ranges (a folder's files:
        by primary key range, so the cost is the records found, not the catalog's)."""
        rows: list[tuple] = []
        with self._lock:
            for low, high in ranges:
                rows += self._catalog.execute(
                    f"{_SELECT_RECORDS} WHERE file_key >= ? AND file_key < ?", (low, high))
        return _to_records(rows)

    def folder_marks(self) -> dict[str, str]:
        """The walk's per-folder marks (none in a version written before they existed)."""
        with self._lock:
            try:
                return dict(self._catalog.execute("SELECT folder, mark FROM folders"))
            except sqlite3.OperationalError:  # no such table
                return {}

    def segment_of(self, file_key: str) -> str | None:
        return self._segments_of().get(file_key)

    # -- dense -------------------------------------------------------------------------------

    def vectors(self) -> np.ndarray:
        """The vectors of the live rows, in row order (a copy; for tests and tools)."""
        if not self.segments:
            return np.zeros((0, int(self.manifest.get("dim", 0))), dtype=np.float32)
        parts = [seg.vectors()[self._alive[seg.base: seg.base + seg.n]] for seg in self.segments]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def vectors_for_hashes(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of chunk texts already embedded, by chunk-text hash (any row, live or
        not, of this version: the text is the same, so is its vector)."""
        wanted = list(dict.fromkeys(hashes))
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for seg in reversed(self.segments):  # newest first
                todo = [h for h in wanted if h not in out]
                if not todo:
                    break
                found = seg.rows_with_hashes(todo)
                if found:
                    vectors = seg.vectors()
                    for h, local in found.items():
                        out[h] = np.array(vectors[local], dtype=np.float32)
        return out

    def _physical_mask(self, allowed: np.ndarray | None) -> np.ndarray | None:
        """Rows search may return, per physical row (None: every row)."""
        if allowed is None:
            return None if len(self._live) == len(self._alive) else self._alive
        mask = np.zeros(len(self._alive), dtype=bool)
        mask[self._live] = allowed
        return mask

    def dense_top(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """The k live rows (allowed ones, when a mask is given) most similar to the query
        vector, best first (ties: lower row first), with their inner products. The filter runs
        inside FAISS's search of each segment; only k results per segment come back."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        mask = self._physical_mask(allowed)
        scores, rows = [], []
        for seg in self.segments:
            part = None if mask is None else mask[seg.base: seg.base + seg.n]
            if part is not None and not part.any():
                continue
            s, local = seg.search(query, k, part)
            scores.append(s)
            rows.append(self._logical[seg.base + local])
        if not scores:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        all_scores, all_rows = np.concatenate(scores), np.concatenate(rows)
        order = np.lexsort((all_rows, -all_scores))[:k]
        return all_rows[order], all_scores[order]

    def dense_scores_of(self, query: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Inner products of the query vector with the given rows' vectors."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        physical = self._live[np.asarray(list(rows), dtype=np.int64)]
        out = np.empty(len(physical), dtype=np.float32)
        for i, (p, s) in enumerate(zip(physical, self._locate(physical))):
            seg = self.segments[int(s)]
            out[i] = float(np.dot(seg.vectors()[int(p) - seg.base], query))
        return out

    def dense_scores(self, query: np.ndarray) -> np.ndarray:
        """Inner product with every live row (exhaustive; for oracles and tools, not search)."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        out = np.zeros(len(self._alive), dtype=np.float32)
        for seg in self.segments:
            out[seg.base: seg.base + seg.n] = seg.vectors() @ query[0]
        return out[self._live]

    # -- access ---------------------------------------------------------------------------

    def allowed_rows(self, audience: Audience) -> np.ndarray | None:
        """Boolean mask of the chunk rows `audience` may see; None when it may see all."""
        if audience.unrestricted:  # every live row belongs to a file, and it sees every file
            return None
        with self._lock:
            if audience in self._masks:
                self._masks.move_to_end(audience)
                return self._masks[audience]
        visible = np.asarray([audience.may_see(f.visibility) for f in self._records().values()]
                             + [False], dtype=bool)  # index -1: a chunk without a file record
        row_file = self._files_of_rows()
        mask = visible[row_file] if len(row_file) else np.zeros(0, dtype=bool)
        result = None if bool(mask.all()) else mask
        with self._lock:
            _remember(self._masks, audience, result)
        return result

    def visible_doc_ids(self, audience: Audience) -> frozenset[str]:
        """Documents `audience` may see. A doc id shared by files of different visibility (the
        same relative path under two ingested roots) counts as visible only if all of them are."""
        files = self._records().values()
        hidden = {f.doc_id for f in files if not audience.may_see(f.visibility)}
        return frozenset(f.doc_id for f in files if f.doc_id not in hidden)

    # -- structured memory ------------------------------------------------------------------

    def memory_of_kind(self, kind: str) -> list[tuple[str, str]]:
        """(file key, JSON list) of one kind of structured memory ("events", "terms", ...)
        for every live file holding some, in file-key order: read from the segment holding
        each file's live chunks."""
        return _memory_of_kind(self._catalog, self._lock, self.segments, self._lease, kind)

    def memory(self) -> ProjectMemory:
        """The whole structured memory (all documents); callers filter by audience. Each kind
        is read on first use: a question about events never parses the regions."""
        with self._lock:
            if self._memory is None:
                # What it reads with, not the reader: no cycle, so a reader nobody uses is
                # freed at once (not at the next cyclic collection), and its version's lease
                # with the last memory that may still read from the version.
                self._memory = StoredMemory(read=functools.partial(
                    _memory_of_kind, self._catalog, self._lock, self.segments, self._lease))
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

    def close(self) -> None:
        self._catalog.close()
        for seg in self.segments:
            seg.close()
        self._lease.release()


def _joined(catalog: sqlite3.Connection, seg: Segment, sql: str,
            params: Sequence = ()) -> list[tuple]:
    """Rows of `sql` over the catalog (`main`) with the segment's database attached as
    `seg`: joins per file run inside SQLite, not one Python step per file."""
    catalog.execute("ATTACH DATABASE ? AS seg", (read_only_uri(seg.database),))
    try:
        return catalog.execute(sql, params).fetchall()
    finally:
        catalog.execute("DETACH DATABASE seg")


def _memory_of_kind(catalog: sqlite3.Connection, lock: threading.Lock,
                    segments: Sequence[Segment], lease: object, kind: str
                    ) -> list[tuple[str, str]]:
    """`IndexReader.memory_of_kind` (`lease`: held by whoever may still call this)."""
    table = f"seg.{memory_table(kind)}"
    out: list[tuple[str, str]] = []
    with lock:
        for seg in segments:
            out += _joined(
                catalog, seg,
                f"SELECT {table}.file_key, {table}.data FROM {table} JOIN main.files "
                f"ON main.files.file_key = {table}.file_key WHERE main.files.segment = ?",
                (seg.name,))
    out.sort()
    return out


# Each version holds an empty file that its readers hold a shared lock on. A reader opens
# segment and memory tables by path on first need (ATTACH), maybe long after it opened the
# version, so a version in use is not removed: the writer that would remove it skips it while
# any reader (in any process) holds the lock, and a later ingest removes it. The kernel drops
# a lock with its holder, even a killed one.
LEASE = "readers.lock"


class Lease:
    """A shared lock on a version's lease file (none for a version written without one),
    held until `release` or until nothing refers to it any more."""

    def __init__(self, version: Path) -> None:
        try:
            fd = os.open(version / LEASE, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            self.release = weakref.finalize(self, lambda: None)
            return
        fcntl.flock(fd, fcntl.LOCK_SH)
        self.release = weakref.finalize(self, os.close, fd)  # runs once


def in_use(version: Path) -> bool:
    """Whether a reader holds the version's lease."""
    try:
        lease = open(version / LEASE, "rb")
    except OSError:
        return False
    with lease:
        try:
            fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    return False


_CACHED_AUDIENCES = 256


def _remember(cache: OrderedDict, key: object, value: object) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHED_AUDIENCES:
        cache.popitem(last=False)


@dataclass(slots=True)
class IndexChange:
    """What one ingest changes. `chunks` (grouped by file, in `added` order) and `vectors`
    belong to the `added` files (new, or changed: their old chunks stop being live);
    `refreshed` records change only their bookkeeping (size/mtime, visibility); `removed`
    files leave the index. `folders`: the walk's folder marks to set (None: drop), applied
    after the marks above every touched file are dropped; marks alone are no reason to write
    a version (a stale mark costs the next walk that folder's diff, nothing more)."""

    chunks: Sequence[StoredChunk] = ()
    vectors: np.ndarray | None = None
    added: Sequence[FileRecord] = ()
    refreshed: Sequence[FileRecord] = ()
    removed: Sequence[str] = ()
    memory: dict[str, str] = field(default_factory=dict)
    folders: dict[str, str | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.refreshed or self.removed)


def _tier(rows: int) -> int:
    tier = 0
    while rows >= MERGE_FACTOR:
        rows //= MERGE_FACTOR
        tier += 1
    return tier


def plan_merges(segments: Sequence[tuple[str, int, int]]) -> list[list[str]]:
    """Which segments to merge, given (name, live rows, all rows) in order: every size tier
    (powers of MERGE_FACTOR of live rows) holding MERGE_FACTOR segments or more becomes one
    segment, and a large segment that is mostly dead is rewritten alone. Each row is thus
    rewritten about log_MERGE_FACTOR(n) times over its life, and a search meets at most
    (MERGE_FACTOR - 1) segments per tier."""
    tiers: dict[int, list[str]] = {}
    for name, live, _ in segments:
        if live:
            tiers.setdefault(_tier(live), []).append(name)
    groups = [names for names in tiers.values() if len(names) >= MERGE_FACTOR]
    grouped = {n for g in groups for n in g}
    groups += [[name] for name, live, total in segments
               if live and name not in grouped and total >= DEAD_MIN_ROWS
               and (total - live) / total > DEAD_SHARE]
    return groups


def _counts_after(base: IndexReader | None, db: sqlite3.Connection, change: IndexChange,
                  dropped: Sequence[tuple[str, int]], new_name: str) -> tuple[dict[str, int], int]:
    """(live chunks per segment, documents) of the catalog in `db` once `change` is applied:
    the base version's counts minus the `dropped` records (segment, chunks) plus the added
    ones. A base whose manifest predates the per-segment counts (or disagrees with its own
    segment list) is counted from the catalog instead, once."""
    known = base.manifest.get("live") if base is not None else {}
    documents = base.manifest.get("documents") if base is not None else 0
    names = [s.name for s in base.segments] if base is not None else []
    if not isinstance(known, dict) or set(known) != set(names) or not isinstance(documents, int):
        live = {name: int(n) for name, n in db.execute(
            "SELECT segment, SUM(n_chunks) FROM files GROUP BY segment")}
        return live, int(db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
    live = {name: int(n) for name, n in known.items()}
    for segment, n in dropped:
        live[segment] = live.get(segment, 0) - int(n)
    for f in change.added:
        live[new_name] = live.get(new_name, 0) + f.n_chunks
    return live, documents - len(dropped) + len(change.added)


def _apply_folder_marks(db: sqlite3.Connection, change: IndexChange, gone: Sequence[str]) -> None:
    """A folder's mark vouches for the catalog rows of the files below it that a walk does not
    look at while the mark holds: drop the marks of every folder above a touched file (an
    upload, `remove`, a walk of part of the corpus), then set the ones the change brings."""
    db.execute(_FOLDERS)
    above: set[str] = set()
    for key in [*gone, *(f.file_key for f in change.refreshed)]:
        folder = os.path.dirname(key)
        while folder not in above:
            above.add(folder)
            folder = os.path.dirname(folder)
    db.executemany("DELETE FROM folders WHERE folder = ?", ((f,) for f in above))
    db.executemany("DELETE FROM folders WHERE folder = ?",
                   ((f,) for f, mark in change.folders.items() if mark is None))
    db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?)",
                   ((f, mark) for f, mark in change.folders.items() if mark is not None))


def _segment_name() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


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

    def update(self, base: IndexReader | None, change: IndexChange, *, embedder: str,
               extra: dict | None = None) -> Path:
        """Write the version `base` + `change` (a complete index when `base` is None) and make
        it current. Costs what the change costs (plus the catalog copy, a few bytes a file)."""
        return self._install(lambda tmp: self._build(tmp, base, change, embedder, extra or {}))

    def _build(self, tmp: Path, base: IndexReader | None, change: IndexChange, embedder: str,
               extra: dict) -> None:
        (tmp / "segments").mkdir()
        order = [s.name for s in base.segments] if base else []
        opened: dict[str, Segment] = {s.name: s for s in base.segments} if base else {}
        fresh: list[Segment] = []
        new_name = None
        if change.chunks:
            new_name = _segment_name()
            terms, words = PostingsBuilder(), PostingsBuilder()
            for stored in change.chunks:
                chunk_terms, chunk_words = document_terms(stored.chunk.embedding_text())
                terms.add(chunk_terms)
                words.add(chunk_words)
            vectors = np.asarray(change.vectors, dtype=np.float32)
            write_segment(tmp / "segments" / new_name,
                          rows=[chunk_row(s.chunk, s.file_key, s.text_hash) for s in change.chunks],
                          vectors=vectors, postings=terms.build(), words=words.build(),
                          memory=memory_rows(change.memory))
            order.append(new_name)
        catalog = tmp / "chunks.sqlite3"
        if base is not None:
            shutil.copyfile(base.directory / "chunks.sqlite3", catalog)
        db = sqlite3.connect(catalog)
        try:
            unjournaled(db)
            with db:
                if base is None:
                    db.executescript(_CATALOG)
                gone = list(dict.fromkeys([*change.removed, *(f.file_key for f in change.added)]))
                # What the deleted records held, read before they go: the counts follow from
                # the previous ones and the change, without reading the whole catalog.
                dropped = [] if base is None else [
                    row for part in _batches(gone) for row in db.execute(
                        "SELECT segment, n_chunks FROM files WHERE file_key IN "
                        f"({','.join('?' * len(part))})", part)]
                db.executemany("DELETE FROM files WHERE file_key = ?", ((k,) for k in gone))
                db.executemany("INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
                               (_record_row(f, new_name or "") for f in change.added))
                db.executemany(
                    "UPDATE files SET doc_id=?, size=?, mtime_ns=?, visibility=?, header=? "
                    "WHERE file_key=?",
                    ((f.doc_id, f.size, f.mtime_ns, json.dumps(f.visibility.to_json()), f.header,
                      f.file_key) for f in change.refreshed))
                _apply_folder_marks(db, change, gone)
                _crash_point("touch-commit")
            live, documents = _counts_after(base, db, change, dropped, new_name or "")
            if new_name is not None:
                fresh.append(Segment(tmp / "segments" / new_name, base=0))
                opened[new_name] = fresh[-1]
            order = [name for name in order if live.get(name)]  # all dead: dropped
            for group in plan_merges([(n, live[n], opened[n].n) for n in order]):
                merged = _segment_name()
                moved = self._merge(tmp / "segments" / merged, [opened[n] for n in group], db)
                with db:
                    for part in _batches(moved):
                        db.execute(f"UPDATE files SET segment=? WHERE file_key IN "
                                   f"({','.join('?' * len(part))})", (merged, *part))
                live[merged] = sum(live.pop(n, 0) for n in group)
                order = [merged if n == group[0] else n for n in order if n == group[0] or n not in group]
                if new_name in group:
                    new_name = None
            chunks = sum(live.get(n, 0) for n in order)
        finally:
            db.close()
            for seg in fresh:
                seg.close()
        for name in order:
            target = tmp / "segments" / name
            if not target.exists():
                _link_tree(opened[name].directory, target)
        for leftover in (tmp / "segments").iterdir():  # a new segment merged away at once
            if leftover.name not in order:
                shutil.rmtree(leftover)
        dim = int(change.vectors.shape[1]) if change.vectors is not None and np.ndim(change.vectors) == 2 \
            and len(change.vectors) else int(extra.get("dim", base.manifest.get("dim", 0) if base else 0))
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": embedder,
            "dim": dim,
            "chunks": int(chunks),
            "documents": int(documents),
            "segments": order,
            # Live chunks per segment: the next version's counts start from these.
            "live": {name: int(live[name]) for name in order},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        manifest.update({k: v for k, v in extra.items() if k not in manifest})
        # The manifest is written last: a version without one is incomplete by definition.
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")

    @staticmethod
    def _merge(directory: Path, parts: Sequence[Segment], db: sqlite3.Connection) -> list[str]:
        """One segment holding the live rows of `parts` (live per the catalog in `db`); returns
        the keys of the files whose chunks it holds. A part's live files are looked up among
        the files it was written with (by primary key): a merge of small segments costs what
        they hold, not a scan of the catalog."""
        rows: list[tuple] = []
        vectors: list[np.ndarray] = []
        postings: list[tuple[Postings, np.ndarray]] = []
        words: list[tuple[Postings, np.ndarray]] = []
        memory: list[MemoryRow] = []
        moved: list[str] = []
        for seg in parts:
            written = list(seg.spans)
            keys = sorted(k for part in _batches(written) for (k,) in db.execute(
                f"SELECT file_key FROM files WHERE segment = ? AND file_key IN "
                f"({','.join('?' * len(part))})", (seg.name, *part)))
            moved += keys
            keep = np.zeros(seg.n, dtype=bool)
            for key in keys:
                first, n = seg.spans[key]
                keep[first: first + n] = True
            rows += [r[1:] for r in seg.all_rows() if keep[r[0]]]
            vectors.append(seg.vectors()[keep])
            postings.append((seg.postings(), keep))
            words.append((seg.word_postings(), keep))
            memory += seg.memory_rows(keys)
        write_segment(directory, rows=rows, vectors=np.concatenate(vectors),
                      postings=Postings.merge(postings), words=Postings.merge(words),
                      memory=memory)
        return moved

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
            (tmp / LEASE).touch()
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

    def _point_current_to(self, version: Path) -> None:
        link = self.root / f".current-{uuid.uuid4().hex[:6]}"
        os.symlink(Path("versions") / version.name, link)
        os.replace(link, self.current)

    def _remove_old_versions(self, *, keep: set[Path]) -> None:
        """Keep the new version and the one that was current before it (a reader may have
        just resolved it), and any a reader still holds (see LEASE); remove everything else:
        older versions, versions a killed ingest renamed into place but never made current,
        half-built leftovers and stray links (we hold the lock)."""
        keep_names = {v.name for v in keep}
        for old in (self.root / "versions").iterdir():
            if old.name not in keep_names and not in_use(old):
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
