"""One index segment: a set of chunks with their text, vectors and BM25 postings, never modified.

An ingest writes only what changed as a new segment; an index version lists its segments (see
store.py). Files in a segment directory::

    segment.sqlite3   chunks (text, metadata, text hash), structured memory per file and
                      kind (events, regions, terms ...), the term dictionary (term -> place
                      in the postings), the word dictionary (the same for surface words),
                      file spans
    dense.faiss       the vectors, stored once (IndexFlatIP), read memory-mapped
    ivf_centroids.npy, ivf_offsets.npy, ivf_rows.npy
                      from APPROX_FROM rows on: the rows partitioned by k-means, so a
                      question scores the rows of the nearest partitions only (partition.py)
    postings_doc.npy, postings_tf.npy, doclen.npy
                      BM25 inverted lists (chunk row, term count) and chunk lengths
    words_doc.npy, words_tf.npy
                      the surface words' inverted lists (chunk row, count): the spelling
                      corrector's vocabulary, so a question never reads the chunk texts for it

Rows are local to the segment (0..n-1), in the order written; the chunks of one file are
consecutive (its span), which is how a version says which rows are live: a file's rows are
live in the segment its catalog record names.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.request import pathname2url
from typing import Iterable, Iterator, Sequence

import faiss
import numpy as np

from ..memory.models import ProjectMemory
from ..models import Chunk
from .bm25 import Postings
from .partition import Partition, top_k

APPROX_FROM = 100_000  # rows from which a segment's dense search is approximate (partitioned)
# Map the vectors of the flat index instead of reading them: faiss's
# IO_FLAG_MMAP maps only IVF lists and copies a flat index whole into memory.
_MMAP_VECTORS = getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)

_SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, file_key TEXT NOT NULL, doc_id TEXT NOT NULL,
    title TEXT NOT NULL, url TEXT, section TEXT NOT NULL, page INTEGER, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, text_hash TEXT NOT NULL
);
CREATE INDEX chunks_hash ON chunks(text_hash);
CREATE TABLE spans (file_key TEXT PRIMARY KEY, first INTEGER NOT NULL, n INTEGER NOT NULL);
{memory_tables}
CREATE TABLE terms (term TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE words (term TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL)
    WITHOUT ROWID;
""".format(memory_tables="\n".join(
    f"CREATE TABLE memory_{kind} (file_key TEXT NOT NULL, data TEXT NOT NULL);"
    for kind in ProjectMemory.KINDS))

# A table per kind of structured memory (read whole, never by key, so no index): a question
# that needs the terms reads the terms' pages alone.
MemoryRow = tuple[str, str, str]  # (kind, file_key, JSON list of that kind's items)

ChunkRow = tuple  # (chunk_id, file_key, doc_id, title, url, section, page, start, end, kind, text, text_hash)


def chunk_row(chunk: Chunk, file_key: str, text_hash: str) -> ChunkRow:
    return (chunk.chunk_id, file_key, chunk.doc_id, chunk.title, chunk.url, chunk.section,
            chunk.page, chunk.start, chunk.end, chunk.kind, chunk.text, text_hash)


def row_to_chunk(row: Sequence) -> Chunk:
    """A chunk from a `SELECT *` row (row id first)."""
    return Chunk(chunk_id=row[1], doc_id=row[3], title=row[4], text=row[11], section=row[6],
                 page=row[7], start=row[8], end=row[9], url=row[5], kind=row[10])


def memory_rows(memory: dict[str, str]) -> list[MemoryRow]:
    """Files' structured memory (the JSON of a ProjectMemory, per file key) as one row per
    kind a file holds: a question that needs the events reads and parses the events alone."""
    out: list[MemoryRow] = []
    for key, data in memory.items():
        for kind, items in json.loads(data).items():
            if items:
                out.append((kind, key, json.dumps(items, ensure_ascii=False)))
    return out


def write_segment(directory: Path, *, rows: Sequence[ChunkRow], vectors: np.ndarray,
                  postings: Postings, words: Postings, memory: Iterable[MemoryRow]) -> None:
    """Write a complete segment into the (new, empty) `directory`. `words` are the chunks'
    surface words (see lexical.surface_words) as postings; their `doclen` is not stored."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(rows) != len(vectors) or len(rows) != len(postings.doclen):
        raise ValueError("one vector and one token list per chunk are required")
    directory.mkdir(parents=True)
    spans: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        span = spans.setdefault(row[1], [i, 0])
        if span[0] + span[1] != i:
            raise ValueError(f"the chunks of {row[1]} are not consecutive")
        span[1] += 1
    db = sqlite3.connect(directory / "segment.sqlite3")
    try:
        unjournaled(db)
        with db:
            db.executescript(_SCHEMA)
            db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           ((i, *row) for i, row in enumerate(rows)))
            db.executemany("INSERT INTO spans VALUES (?,?,?)",
                           ((k, first, n) for k, (first, n) in spans.items()))
            for kind, key, data in memory:
                if key in spans:
                    db.execute(f"INSERT INTO {memory_table(kind)} VALUES (?,?)", (key, data))
            db.executemany("INSERT INTO terms VALUES (?,?,?)",
                           zip(postings.terms, postings.start.tolist(), postings.count.tolist()))
            db.executemany("INSERT INTO words VALUES (?,?,?)",
                           zip(words.terms, words.start.tolist(), words.count.tolist()))
    finally:
        db.close()
    for name, array in (("postings_doc", postings.doc), ("postings_tf", postings.tf),
                        ("doclen", postings.doclen), ("words_doc", _compact(words.doc)),
                        ("words_tf", _compact(words.tf))):
        np.save(directory / f"{name}.npy", array)
    faiss.write_index(_dense_index(vectors), str(directory / "dense.faiss"))
    if len(vectors) >= APPROX_FROM:
        Partition.build(vectors).save(directory)


def memory_table(kind: str) -> str:
    """The table holding one kind of structured memory (a known kind: safe in SQL text)."""
    if kind not in ProjectMemory.KINDS:
        raise ValueError(f"no kind of memory called {kind!r}")
    return f"memory_{kind}"


def _compact(counts: np.ndarray) -> np.ndarray:
    """Non-negative integers in 2 bytes each where they fit (most segments), else 4."""
    fits = not len(counts) or int(counts.max()) <= np.iinfo(np.uint16).max
    return counts.astype(np.uint16 if fits else np.int32)


def unjournaled(db: sqlite3.Connection) -> None:
    """No rollback journal and no fsync per statement for a file being built: a build that
    dies is thrown away whole (its directory never becomes a version), so a journal would only
    cost time; readers open finished files as immutable."""
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")


def _dense_index(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexFlatIP(vectors.shape[1] if vectors.ndim == 2 else 0)
    if len(vectors):
        index.add(vectors)
    return index


def read_only_uri(path: Path) -> str:
    """SQLite URI of a finished (never again written) database file."""
    return f"file:{pathname2url(str(path))}?mode=ro&immutable=1"


class Segment:
    """A segment opened for reading. Not thread-safe on its own: the reader serialises the
    SQLite calls. Everything large is memory-mapped and the file spans are read on first use,
    so opening costs a few file opens, whatever the segment's size."""

    def __init__(self, directory: Path, *, base: int) -> None:
        self.directory = directory
        self.name = directory.name
        self.base = base
        self.database = directory / "segment.sqlite3"
        self._db = sqlite3.connect(read_only_uri(self.database), uri=True,
                                   check_same_thread=False)
        self.dense = faiss.read_index(str(directory / "dense.faiss"), _MMAP_VECTORS)
        self.n = int(self.dense.ntotal)
        self.partition = Partition.load(directory)  # None: searched exactly
        self._doc = np.load(directory / "postings_doc.npy", mmap_mode="r")
        self._tf = np.load(directory / "postings_tf.npy", mmap_mode="r")
        self.doclen = np.load(directory / "doclen.npy", mmap_mode="r")
        self._words_doc = np.load(directory / "words_doc.npy", mmap_mode="r")
        self._words_tf = np.load(directory / "words_tf.npy", mmap_mode="r")
        self._spans: dict[str, tuple[int, int]] | None = None

    @property
    def spans(self) -> dict[str, tuple[int, int]]:
        """File key -> (first local row, rows) of every file written into the segment."""
        if self._spans is None:
            self._spans = {k: (first, n) for k, first, n in self._db.execute(
                "SELECT file_key, first, n FROM spans")}
        return self._spans

    @property
    def approximate(self) -> bool:
        return self.partition is not None

    # -- text --------------------------------------------------------------------------

    def rows(self, local: Iterable[int]) -> dict[int, tuple]:
        """`SELECT *` rows by local row id."""
        wanted = [int(r) for r in local]
        out: dict[int, tuple] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            marks = ",".join("?" * len(part))
            for row in self._db.execute(f"SELECT * FROM chunks WHERE row IN ({marks})", part):
                out[row[0]] = row
        return out

    def all_rows(self) -> Iterator[tuple]:
        return iter(self._db.execute("SELECT * FROM chunks ORDER BY row").fetchall())

    def memory(self, kind: str, keys: Iterable[str]) -> list[tuple[str, str]]:
        """(file key, JSON list) of one kind of structured memory, for those of the files
        `keys` that hold some."""
        wanted = set(keys)
        return [(k, v) for k, v in self._db.execute(
            f"SELECT file_key, data FROM {memory_table(kind)}") if k in wanted]

    def memory_rows(self, keys: Iterable[str]) -> list[MemoryRow]:
        """The structured memory rows of the files `keys` (for a merge)."""
        wanted = set(keys)
        return [(kind, key, data) for kind in ProjectMemory.KINDS
                for key, data in self.memory(kind, wanted)]

    def rows_with_hashes(self, hashes: Sequence[str]) -> dict[str, int]:
        """A local row holding each of these chunk-text hashes (for reusing embeddings)."""
        out: dict[str, int] = {}
        for i in range(0, len(hashes), 500):
            part = list(hashes[i:i + 500])
            marks = ",".join("?" * len(part))
            for h, row in self._db.execute(
                    f"SELECT text_hash, MIN(row) FROM chunks WHERE text_hash IN ({marks}) "
                    "GROUP BY text_hash", part):
                out[h] = row
        return out

    # -- lexical -----------------------------------------------------------------------

    def term_span(self, term: str) -> tuple[int, int] | None:
        return self._span("terms", term)

    def _span(self, table: str, term: str) -> tuple[int, int] | None:
        """(first posting, posting count) of a term of `table` ("terms" or "words")."""
        found = self._db.execute(f"SELECT start, count FROM {table} WHERE term = ?",
                                 (term,)).fetchone()
        return (int(found[0]), int(found[1])) if found else None

    def postings_of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        return (np.asarray(self._doc[start:start + count], dtype=np.int64),
                np.asarray(self._tf[start:start + count], dtype=np.float64))

    def postings(self) -> Postings:
        """All of the segment's postings (for a merge)."""
        terms, start, count = self.dictionary("terms")
        return Postings(terms, start, count, np.asarray(self._doc), np.asarray(self._tf),
                        np.asarray(self.doclen))

    def dictionary(self, table: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        """A term or word dictionary in postings order: terms, first posting, posting count."""
        rows = self._db.execute(f"SELECT term, start, count FROM {table} ORDER BY start").fetchall()
        return ([r[0] for r in rows], np.asarray([r[1] for r in rows], dtype=np.int64),
                np.asarray([r[2] for r in rows], dtype=np.int64))

    # -- surface words (spelling) ------------------------------------------------------

    def word_span(self, word: str) -> tuple[int, int] | None:
        return self._span("words", word)

    def word_postings_of(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(local rows, occurrences) of one word."""
        return (np.asarray(self._words_doc[start:start + count], dtype=np.int64),
                np.asarray(self._words_tf[start:start + count], dtype=np.int64))

    def word_postings(self) -> Postings:
        """All of the segment's surface-word postings (for a merge and the full vocabulary);
        `doclen` is not stored for them and comes back as zeros."""
        words, start, count = self.dictionary("words")
        return Postings(words, start, count, np.asarray(self._words_doc),
                        np.asarray(self._words_tf, dtype=np.float32),
                        np.zeros(self.n, dtype=np.int32))

    # -- dense -------------------------------------------------------------------------

    def vectors(self) -> np.ndarray:
        """The stored vectors, a read-only view of the memory-mapped index (no copy)."""
        flat = faiss.downcast_index(self.dense)
        if self.n == 0:
            return np.zeros((0, self.dense.d), dtype=np.float32)
        view = faiss.rev_swig_ptr(flat.get_xb(), self.n * self.dense.d).reshape(self.n, self.dense.d)
        view.flags.writeable = False  # the mapping is read-only: a write would crash, not raise
        return view

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, local rows) among the rows `allowed` (boolean mask; None = all),
        the filter applied inside the search: FAISS's, or the partition's probe."""
        k = min(k, self.n)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if self.partition is not None:
            return top_k(self.vectors(), query, self.partition.candidates(query, k, allowed), k)
        params = None
        if allowed is not None:
            bitmap = np.packbits(allowed, bitorder="little")
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(self.n, faiss.swig_ptr(bitmap)))
        scores, ids = self.dense.search(query.reshape(1, -1), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep].astype(np.int64)

    def close(self) -> None:
        self._db.close()
