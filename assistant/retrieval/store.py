"""On-disk index: chunk store (SQLite), dense vectors (FAISS), lexical index (BM25), manifest.

Layout under the index dir::

    index/
      current -> versions/20261125T031500-ab12cd   (symlink, swapped atomically)
      versions/<id>/manifest.json, chunks.sqlite3, vectors.npy, dense.faiss, lexical/

A new ingest writes a complete new version beside the old one and only then repoints
`current` with `os.replace` on a symlink, which is atomic: an ingest that fails or is
interrupted leaves the previous index untouched and readable.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import faiss
import numpy as np

from ..errors import IndexMismatchError, IndexMissingError
from ..models import Chunk
from .lexical import LexicalIndex

FORMAT_VERSION = 2  # 2: irregular verb forms joined in the lexical index

_SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, file_key TEXT NOT NULL, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, url TEXT, section TEXT NOT NULL, page INTEGER, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, text_hash TEXT NOT NULL
);
CREATE INDEX chunks_file ON chunks(file_key);
CREATE TABLE files (
    file_key TEXT PRIMARY KEY, doc_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, n_chunks INTEGER NOT NULL
);
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
        self.dense = faiss.read_index(str(directory / "dense.faiss"))
        self.lexical = LexicalIndex.load(directory / "lexical")
        self._cache: dict[int, Chunk] = {}

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
        missing = [r for r in rows if r not in self._cache]
        if missing:
            marks = ",".join("?" * len(missing))
            for row in self._db.execute(f"SELECT * FROM chunks WHERE row IN ({marks})", missing):
                self._cache[row["row"]] = _row_to_chunk(row)
        return [self._cache[r] for r in rows]

    def all_chunks(self) -> list[StoredChunk]:
        return [
            StoredChunk(_row_to_chunk(r), r["file_key"], r["text_hash"])
            for r in self._db.execute("SELECT * FROM chunks ORDER BY row")
        ]

    def files(self) -> dict[str, FileRecord]:
        return {
            r["file_key"]: FileRecord(r["file_key"], r["doc_id"], r["sha256"], r["size"],
                                      r["mtime_ns"], r["n_chunks"])
            for r in self._db.execute("SELECT * FROM files")
        }

    def vectors(self) -> np.ndarray:
        return np.load(self.directory / "vectors.npy", mmap_mode="r")

    def close(self) -> None:
        self._db.close()


class IndexStore:
    """The index directory: finds the current version, writes new ones, swaps atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current(self) -> Path:
        return self.root / "current"

    def exists(self) -> bool:
        return (self.current / "manifest.json").is_file()

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
        extra: dict | None = None,
    ) -> Path:
        """Write a complete new version, then make it current. Returns the version directory."""
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        version = versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp = versions / f".building-{version.name}"
        tmp.mkdir()
        try:
            self._write_version(tmp, stored, vectors, list(files), embedder, extra or {})
            tmp.rename(version)
            self._point_current_to(version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._remove_old_versions(keep=version)
        return version

    def touch_files(self, files: Iterable[FileRecord]) -> None:
        """Refresh size/mtime of unchanged files in place so the next scan can skip hashing them.

        Only bookkeeping columns change; readers never use them, so no new version is needed."""
        db = sqlite3.connect(self.current / "chunks.sqlite3")
        with db:
            db.executemany(
                "UPDATE files SET size=?, mtime_ns=? WHERE file_key=?",
                [(f.size, f.mtime_ns, f.file_key) for f in files],
            )
        db.close()

    def _write_version(self, directory: Path, stored: Sequence[StoredChunk], vectors: np.ndarray,
                       files: list[FileRecord], embedder: str, extra: dict) -> None:
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
                "INSERT INTO files VALUES (?,?,?,?,?,?)",
                [(f.file_key, f.doc_id, f.sha256, f.size, f.mtime_ns, f.n_chunks) for f in files],
            )
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

    def _remove_old_versions(self, *, keep: Path) -> None:
        for old in (self.root / "versions").iterdir():
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)
