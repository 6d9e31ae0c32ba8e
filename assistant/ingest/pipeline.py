"""Incremental ingest: scan -> diff against the index -> load/chunk changed files -> embed only
new chunk texts -> write a new index version -> swap.

Unchanged files are recognised by size + mtime first (no read), then by content hash, so a
re-ingest of an unchanged corpus touches no model and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

from ..access import Visibility
from ..embedding import Embedder
from ..errors import LoadError
from ..memory import MEMORY_VERSION, extract_memory
from ..memory.models import ProjectMemory
from ..models import Chunk, Document
from ..retrieval.store import FileRecord, IndexReader, IndexStore, StoredChunk
from .access_rules import AccessRules, read_visibility_header
from .chunking import chunk_document
from .loaders import doc_id_for, load_document
from .scan import SourceFile, scan


@dataclass(slots=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    documents: int = 0
    embedded: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def ingested(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, failed {len(self.failed)}; "
            f"{self.documents} documents, {self.chunks} chunks ({self.embedded} embedded) "
            f"in {self.seconds:.1f}s"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Pending:
    """A file to (re)load: its previous record if any, content hash and visibility."""

    src: SourceFile
    old: FileRecord | None
    digest: str
    visibility: Visibility


def text_hash(chunk: Chunk) -> str:
    return hashlib.sha1(chunk.embedding_text().encode("utf-8")).hexdigest()


class Ingestor:
    """Applies a corpus to an index store. `embedder_factory` is only called when something
    must be embedded, so an unchanged re-ingest never loads a model."""

    def __init__(
        self,
        *,
        store: IndexStore,
        embedder_name: str,
        embedder_factory: Callable[[], Embedder],
        batch_size: int = 64,
        progress: bool | None = None,
        log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
        access_file: str = "access.toml",
        corpus_root: Path | None = None,
        lock_timeout: float = 60.0,
        max_file_bytes: int = 200_000_000,
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.store = store
        self.access_file = access_file
        self._rules: dict[Path, AccessRules] = {}
        self.corpus_root = corpus_root.resolve() if corpus_root is not None else None
        self.lock_timeout = lock_timeout
        self.embedder_name = embedder_name
        self.embedder_factory = embedder_factory
        self.batch_size = batch_size
        self.progress = progress
        self.log = log

    def run(self, paths: Sequence[Path]) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        scanned = scan([Path(p) for p in paths])
        sources, synced_dirs = scanned.files, scanned.synced_dirs
        report.skipped.extend((path, reason) for path, reason in scanned.skipped
                              if Path(path).name != self.access_file)  # read, not indexed
        report.failed.extend(scanned.failed)
        for path, reason in report.skipped:
            self.log(f"skipped {path}: {reason}")
        for path, reason in report.failed:
            self.log(f"failed {path}: {reason}")
        with self.store.lock(timeout=self.lock_timeout):
            previous = self._open_previous(report)
            try:
                self._apply(sources, synced_dirs, previous, report)
            finally:
                if previous is not None:
                    previous.close()
        report.seconds = time.perf_counter() - started
        return report

    def _open_previous(self, report: IngestReport) -> IndexReader | None:
        if not self.store.exists():
            return None
        try:
            reader = self.store.open()
        except Exception as exc:  # unreadable or old-format index: rebuild from scratch
            self.log(f"existing index unusable ({exc}); rebuilding")
            report.rebuilt = True
            return None
        if reader.manifest.get("embedder") != self.embedder_name:
            self.log(
                f"index was built with embedder '{reader.manifest.get('embedder')}', "
                f"now '{self.embedder_name}': re-embedding everything"
            )
            report.rebuilt = True
            reader.close()
            return None
        return reader

    def _apply(self, sources: list[SourceFile], synced_dirs: list[Path],
               previous: IndexReader | None, report: IngestReport) -> None:
        old_files = previous.files() if previous else {}
        # New extraction rules: re-read every file (embeddings still come from the cache).
        reread_all = previous is not None and previous.manifest.get("memory") != MEMORY_VERSION
        seen: set[str] = set()
        to_load: list[_Pending] = []
        unchanged: list[FileRecord] = []
        touched: list[FileRecord] = []
        dropped = 0  # indexed files that now fail before loading (unreadable, bad header)
        for src in sources:
            seen.add(src.key)
            old = None if reread_all else old_files.get(src.key)
            try:
                stat = src.path.stat()
                visibility = self._visibility(src.path, src.root)
                if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                    unchanged.append(replace(old, visibility=visibility))
                    continue
                digest = _sha256(src.path)
            except (OSError, LoadError) as exc:
                reason = exc.reason if isinstance(exc, LoadError) else (
                    f"cannot read it ({exc.strerror or exc})")
                self._fail(report, src.path, reason)
                dropped += src.key in old_files  # it leaves the index: never stale, never public
                continue
            if old and old.sha256 == digest and old.doc_id == self._doc_id(src):
                fresh = replace(old, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                                visibility=visibility)
                unchanged.append(fresh)
                touched.append(fresh)
                continue
            to_load.append(_Pending(src, old_files.get(src.key), digest, visibility))
        removed = [
            key for key in old_files
            if key not in seen and any(_is_within(Path(key), d) for d in synced_dirs)
        ]
        # Files indexed by earlier runs from other paths stay; the corpus's access file is
        # re-applied to those inside the corpus (others keep theirs until their folder is
        # ingested again: their root is not known here).
        elsewhere: list[FileRecord] = []
        for key, f in old_files.items():
            if key in seen or key in removed:
                continue
            try:
                if self._in_corpus(Path(key)):
                    f = replace(f, visibility=self._visibility(Path(key), self.corpus_root))
            except LoadError as exc:
                self._fail(report, Path(key), exc.reason)
                dropped += 1
                continue
            except OSError:
                pass  # gone or unreadable, outside the folders scanned: keep it as it was
            elsewhere.append(f)
        access_changed = any(f.visibility != old_files[f.file_key].visibility
                             for f in unchanged + elsewhere)
        report.unchanged = len(unchanged)
        report.removed = len(removed) + dropped
        if (not to_load and not removed and not dropped and not access_changed
                and previous is not None):
            self._finish_unchanged(previous, touched, old_files, report)
            return

        kept_stored: list[StoredChunk] = []
        kept_vectors: list[np.ndarray] = []
        cache: dict[str, np.ndarray] = {}
        keep_keys = {f.file_key for f in unchanged + elsewhere}
        memory: dict[str, str] = {}
        if previous is not None:
            vectors = previous.vectors()
            for row, stored in enumerate(previous.all_chunks()):
                cache.setdefault(stored.text_hash, vectors[row])
                if stored.file_key in keep_keys:
                    kept_stored.append(stored)
                    kept_vectors.append(vectors[row])
            memory = {k: v for k, v in previous.file_memory().items() if k in keep_keys}

        new_stored, new_files, new_memory = self._load(to_load, report)
        memory.update(new_memory)
        if not new_files and not unchanged and not elsewhere:
            return  # nothing could be ingested: leave the existing index as it is
        if (not new_files and not removed and not report.removed and not access_changed
                and previous is not None):
            # Only files that still fail to load: the index already says all there is to say.
            self._finish_unchanged(previous, touched, old_files, report)
            return
        new_vectors = self._embed(new_stored, cache, report)
        stored = kept_stored + new_stored
        dim = new_vectors.shape[1] if len(new_vectors) else (
            len(kept_vectors[0]) if kept_vectors else 0)
        if not len(new_vectors):  # only failures to load: keep the shape stackable
            new_vectors = new_vectors.reshape(0, dim)
        all_vectors = (
            np.vstack([np.asarray(kept_vectors, dtype=np.float32).reshape(-1, dim), new_vectors])
            if stored else np.zeros((0, dim), dtype=np.float32)
        )
        files = unchanged + elsewhere + new_files
        self.store.write(stored=stored, vectors=all_vectors, files=files,
                         embedder=self.embedder_name, memory=memory,
                         extra={"dim": dim, "memory": MEMORY_VERSION})
        report.documents = len(files)
        report.chunks = len(stored)

    def _finish_unchanged(self, previous: IndexReader, touched: list[FileRecord],
                          old_files: dict[str, FileRecord], report: IngestReport) -> None:
        if touched:
            self.store.touch_files(touched)
        report.documents = len(old_files)
        report.chunks = previous.size

    def _doc_id(self, src: SourceFile) -> str:
        return doc_id_for(src.path, src.root)

    def _in_corpus(self, path: Path) -> bool:
        return self.corpus_root is not None and _is_within(path.resolve(), self.corpus_root)

    def _visibility(self, path: Path, root: Path) -> Visibility:
        """Rules come from the access file at the top of the corpus dir for every file under
        it, whatever path was ingested (`ingest corpus/confidential` is governed like `ingest
        corpus`); a file outside the corpus dir uses the access file of the folder that was
        ingested, and the log says so. Globs match the path relative to that folder.
        Raises LoadError for a header that mentions visibility but cannot be applied."""
        base = self.corpus_root if self._in_corpus(path) else root.resolve()
        assert base is not None
        if base not in self._rules:
            self._rules[base] = AccessRules.load(base / self.access_file)
            if base != self.corpus_root:
                where = f" (corpus dir: {self.corpus_root})" if self.corpus_root else ""
                found = "" if (base / self.access_file).is_file() else (
                    " (there is none: public unless a Visibility: header restricts them)")
                self.log(f"{root} is outside the corpus dir{where}: its access rules come from "
                         f"{base / self.access_file}{found}")
        try:
            rel = path.resolve().relative_to(base).as_posix()
        except ValueError:
            rel = path.name
        return self._rules[base].visibility(rel, read_visibility_header(path))

    def _check_size(self, path: Path) -> None:
        """Parsers need 10-20x a file's size in memory: refuse what would not fit, early."""
        size = path.stat().st_size
        if size > self.max_file_bytes:
            raise LoadError(str(path), f"too large ({size / 1e6:.0f} MB > {self.max_file_bytes / 1e6:.0f} "
                                       "MB limit): split it, or raise ASSISTANT_MAX_FILE_BYTES")

    def _fail(self, report: IngestReport, path: Path, reason: str) -> None:
        report.failed.append((str(path), reason))
        self.log(f"failed {path}: {reason}")

    def _load(self, to_load: list[_Pending], report: IngestReport
              ) -> tuple[list[StoredChunk], list[FileRecord], dict[str, str]]:
        stored: list[StoredChunk] = []
        files: list[FileRecord] = []
        memory: dict[str, str] = {}
        bar = tqdm(to_load, desc="reading", unit="file", disable=self._bar_disabled(len(to_load)),
                   file=sys.stderr)
        for item in bar:
            src, old = item.src, item.old
            try:
                self._check_size(src.path)
                doc = load_document(src.path, root=src.root)
                chunks = chunk_document(doc)
                if not chunks:
                    raise LoadError(str(src.path), "no text to index")
                stat = src.path.stat()
            except LoadError as exc:
                self._fail(report, src.path, exc.reason)
                if old is not None:
                    report.removed += 1  # a file that became unreadable leaves the index
                continue
            except OSError as exc:
                self._fail(report, src.path, f"cannot read it ({exc.strerror or exc})")
                continue
            except Exception as exc:  # a loader bug must not stop the run either
                self._fail(report, src.path, f"{type(exc).__name__}: {exc}")
                continue
            files.append(FileRecord(src.key, doc.doc_id, item.digest, stat.st_size,
                                    stat.st_mtime_ns, len(chunks), item.visibility))
            stored.extend(StoredChunk(c, src.key, text_hash(c)) for c in chunks)
            memory[src.key] = json.dumps(self._extract(doc, chunks).to_json(), ensure_ascii=False)
            if old is None:
                report.added += 1
            else:
                report.updated += 1
        return stored, files, memory

    def _extract(self, doc: Document, chunks: list[Chunk]) -> ProjectMemory:
        """Structured memory of one document; an extraction bug costs that document's memory
        (logged), never the ingest."""
        try:
            return extract_memory(doc, chunks)
        except Exception as exc:
            self.log(f"warning: {doc.doc_id}: structured extraction failed "
                     f"({type(exc).__name__}: {exc}); it is still searchable")
            return ProjectMemory()

    def _embed(self, stored: list[StoredChunk], cache: dict[str, np.ndarray],
               report: IngestReport) -> np.ndarray:
        todo: dict[str, str] = {}
        for s in stored:
            if s.text_hash not in cache and s.text_hash not in todo:
                todo[s.text_hash] = s.chunk.embedding_text()
        if todo:
            embedder = self.embedder_factory()
            hashes, texts = list(todo), list(todo.values())
            bar = tqdm(total=len(texts), desc="embedding", unit="chunk",
                       disable=self._bar_disabled(len(texts) // 8), file=sys.stderr)
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vecs = embedder.embed_documents(batch)
                for h, v in zip(hashes[start : start + self.batch_size], vecs):
                    cache[h] = v
                bar.update(len(batch))
            bar.close()
            report.embedded = len(todo)
        if not stored:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray([cache[s.text_hash] for s in stored], dtype=np.float32)

    def _bar_disabled(self, n: int) -> bool | None:
        if self.progress is False or n < 20:
            return True
        return None if self.progress is None else False


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
        return True
    except ValueError:
        return False
