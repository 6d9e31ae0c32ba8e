"""Incremental ingest: scan -> diff against the index -> load/chunk changed files -> embed only
new chunk texts -> write a new index version -> swap.

Unchanged files are recognised by size + mtime first (no read), then by content hash, so a
re-ingest of an unchanged corpus touches no model and writes nothing. A walk of the corpus
skips, beyond that, every folder whose listing is as the index's mark of it says
(folder_marks.py): only the folders that changed are diffed against the catalog, so adding
one document costs the stat calls of the walk plus that document's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISREG
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

from ..access import Visibility
from ..embedding import Embedder
from ..errors import LoadError
from ..memory import MEMORY_VERSION, extract_memory
from ..memory.models import ProjectMemory
from ..models import Chunk, Document
from ..retrieval.store import FileRecord, IndexChange, IndexReader, IndexStore, StoredChunk
from .access_rules import AccessRules, read_visibility_header
from .chunking import chunk_document
from .folder_marks import FolderMark, key_ranges, walk_context, with_parents
from .journal import CorpusJournal
from .loaders import doc_id_for, load_document
from .scan import ScanResult, SourceFile, scan, scan_corpus_file, unsupported_reason


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
    # The records of files given one by one (an upload), as the new index version holds them.
    records: dict[str, FileRecord] = field(default_factory=dict)
    # How the corpus's changes were found: "walk" (every folder listed), "journal" (the
    # change journal of a watched corpus: only the changed names looked at), "files" (given).
    found_by: str = "files"

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
    header: str | None


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
        journal: CorpusJournal | None = None,
    ) -> None:
        self.max_file_bytes = max_file_bytes
        self.journal = journal
        self.store = store
        self.access_file = access_file
        self._rules: dict[Path, AccessRules] = {}
        self._roots: dict[Path, Path] = {}
        self.corpus_root = corpus_root.resolve() if corpus_root is not None else None
        self._corpus_prefix = (str(self.corpus_root).rstrip(os.sep) + os.sep
                               if self.corpus_root is not None else None)
        self.lock_timeout = lock_timeout
        self.embedder_name = embedder_name
        self.embedder_factory = embedder_factory
        self.batch_size = batch_size
        self.progress = progress
        self.log = log

    def run(self, paths: Sequence[Path]) -> IngestReport:
        """Bring the index up to date with `paths` (folders are walked). Files of the corpus
        given one by one (an upload, `ingest corpus/x.pdf`) are indexed without walking
        anything: see `_run_files`."""
        started = time.perf_counter()
        given = [Path(p) for p in paths]
        files = self._corpus_files(given)
        if files is not None:
            report = self._run_files(files)
            if report is not None:
                report.seconds = time.perf_counter() - started
                return report
            given = [self.corpus_root]  # type: ignore[list-item]  # the whole index must be read
        root = self._walk_root(given)
        if root is not None:
            report = self._run_corpus(root)
            report.seconds = time.perf_counter() - started
            return report
        report = IngestReport()
        scanned = scan(given)
        self._report_scan(scanned, report)
        with self.store.lock(timeout=self.lock_timeout):
            previous = self._open_previous(report)
            try:
                self._apply(scanned.files, scanned.synced_dirs, previous, report)
            finally:
                if previous is not None:
                    previous.close()
        report.seconds = time.perf_counter() - started
        return report

    def _report_scan(self, scanned: ScanResult, report: IngestReport) -> None:
        report.skipped.extend((path, reason) for path, reason in scanned.skipped
                              if Path(path).name != self.access_file)  # read, not indexed
        report.failed.extend(scanned.failed)
        for path, reason in report.skipped:
            self.log(f"skipped {path}: {reason}")
        for path, reason in report.failed:
            self.log(f"failed {path}: {reason}")

    # -- the corpus: from its change journal, else by a walk -----------------------------------

    def _run_corpus(self, root: Path) -> IngestReport:
        """The corpus brought up to date: from the journal's changed names when it can vouch
        for them (journal.py), else by a walk, with the journal armed just before it scans."""
        journal = self.journal
        if journal is not None and journal.root != str(root.resolve()):
            journal = None  # another folder's journal
        try:
            report = self._run_journal(journal) if journal is not None else None
            if report is None:
                if journal is not None:
                    journal.arm()
                report = IngestReport(found_by="walk")
                self._run_walk(root, report, journal)
        except BaseException:
            if journal is not None:  # what it held may be lost: the next ingest walks
                journal.invalidate("the last ingest did not finish")
            raise
        return report

    def _run_journal(self, journal: CorpusJournal) -> IngestReport | None:
        """The changes the journal holds, applied to its base version as `_run_files`
        applies given files (gone ones leave the index). None: a walk is needed (the journal
        cannot vouch, the index is not its base, or a changed name is one a walk must judge:
        a link, a folder, an unreadable file)."""
        batch = journal.take()
        if batch is None:
            return None
        report = IngestReport(found_by="journal")
        with self.store.lock(timeout=self.lock_timeout):
            if self._version_text() != batch.base:
                return None
            found = self._journal_sources(sorted(batch.paths), report)
            if found is None:
                return None
            files, gone = found
            previous = self._open_for_change()
            if previous is None:
                return None
            try:
                for path, reason in report.skipped:
                    self.log(f"skipped {path}: {reason}")
                self._apply_files(files, previous, report, gone=gone)
            finally:
                previous.close()
            journal.confirm(self._version_text())
        report.unchanged = report.documents - report.added - report.updated  # as a walk says
        return report

    def _journal_sources(self, paths: list[str], report: IngestReport
                         ) -> tuple[list[SourceFile], list[str]] | None:
        """The journal's changed names as a walk would find them: files to examine, and
        names gone (they leave the index if they were in it). Unsupported files get the
        walk's skip line. None: a name a walk must judge (a link, a pipe, a folder, a file
        with other hard links, one that cannot be read or whose name cannot be stored)."""
        files: list[SourceFile] = []
        gone: list[str] = []
        for path in paths:
            found = scan_corpus_file(Path(path), self.corpus_root)  # type: ignore[arg-type]
            if found is not None:  # the usual case: a plain, readable file of the corpus
                if found.stat is not None and found.stat.st_nlink > 1:
                    return None  # a hard link's other names changed too, without an event
                files.append(found)
                continue
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                gone.append(path)
                continue
            except OSError:
                return None
            if not S_ISREG(info.st_mode) or info.st_nlink > 1:
                return None
            if reason := unsupported_reason(path):
                report.skipped.append((path, reason))
                continue
            return None  # unreadable, or a name that cannot be stored: the walk says why
        return files, gone

    def _version_text(self) -> str | None:
        version = self._current_version()
        return str(version) if version is not None else None

    # -- a walk of the corpus, folder by folder ------------------------------------------------

    def _walk_root(self, given: list[Path]) -> Path | None:
        """The folder to walk with folder marks: one folder given, which is the corpus dir
        (or any folder when there is no corpus dir), so that every indexed file whose access
        rules could change lies below it. None: the paths are scanned and diffed as a whole."""
        if len(given) != 1 or not given[0].is_dir():
            return None
        if self.corpus_root is not None and given[0].resolve() != self.corpus_root:
            return None
        return given[0]

    def _run_walk(self, root: Path, report: IngestReport,
                  journal: CorpusJournal | None = None) -> None:
        """Walk `root` with the marks of the current version and apply the difference. The
        walk runs before the writer lock (as any walk does); the version whose marks it used
        is opened first (a version is never modified), and if another writer has made a new
        one current by the time the lock is held, the walk is done again with its marks. The
        `journal` armed before it learns, under the lock, which version now reflects the
        corpus as the walk saw it."""
        real_root = str(root.resolve())
        context = walk_context(root=root, real_root=real_root,
                               rules_file=Path(real_root) / self.access_file,
                               memory_version=MEMORY_VERSION, embedder=self.embedder_name)
        version = self._current_version()
        previous = self._open_previous(report)
        try:
            marks = _marks_of(previous)
            scanned = scan([root], marks=marks, context=context)
            with self.store.lock(timeout=self.lock_timeout):
                if self._current_version() != version:
                    if previous is not None:
                        previous.close()
                    previous = self._open_previous(report)
                    marks = _marks_of(previous)
                    scanned = scan([root], marks=marks, context=context)
                self._report_scan(scanned, report)
                self._apply_walk(scanned, real_root, previous, marks, report)
                if journal is not None:
                    journal.confirm(self._version_text(), linked=bool(scanned.linked))
        finally:
            if previous is not None:
                previous.close()

    def _current_version(self) -> Path | None:
        try:
            return self.store.current.resolve(strict=True)
        except OSError:
            return None

    def _apply_walk(self, scanned: ScanResult, real_root: str, previous: IndexReader | None,
                    marks: dict[str, FolderMark], report: IngestReport) -> None:
        """`_apply` for a walk with folder marks: the files of matched folders are unchanged
        without a look; the catalog is read only where the walk found a change (the folders
        diffed, by key range, and the files it found); counts come from the manifest."""
        states = scanned.folders
        reread_all = previous is not None and previous.manifest.get("memory") != MEMORY_VERSION
        ranges = [r for real, state in states.items() if not state.matched
                  for r in key_ranges(real, state.walked)]
        old = previous.records_between(ranges) if previous is not None else {}
        missing = [src.key for src in scanned.files if src.key not in old]
        if previous is not None and missing:  # new files, or reached through a link
            old.update(previous.records(missing))
        seen = {src.key for src in scanned.files}
        to_load, kept, failed = self._examine_all(scanned.files, old, reread_all, report)
        report.removed = sum(key not in seen for key in old) + sum(key in old for key in failed)
        new_stored, new_files, new_memory = self._load(to_load, report)
        loaded = {f.file_key for f in new_files}
        failed += [p.src.key for p in to_load if p.src.key not in loaded]
        unchanged_below = sum(state.files for state in states.values() if state.matched)
        report.unchanged = len(kept) + unchanged_below
        if not new_files and not kept and not unchanged_below:
            return  # nothing could be ingested: leave the existing index as it is
        staying = loaded | {f.file_key for f in kept}
        gone = [key for key in old if key not in staying]
        replaced = [old[key] for key in [*gone, *loaded] if key in old]
        manifest = previous.manifest if previous is not None else {}
        report.documents = int(manifest.get("documents", 0)) - len(replaced) + len(new_files)
        report.chunks = (int(manifest.get("chunks", 0)) - sum(f.n_chunks for f in replaced)
                         + len(new_stored))
        refreshed = [f for f in kept if f is not old[f.file_key] and f != old[f.file_key]]
        change = IndexChange(
            chunks=new_stored, added=new_files, memory=new_memory, refreshed=refreshed,
            removed=gone)
        change.folders = self._new_marks(
            scanned, real_root, marks, failed,
            touched=[*gone, *loaded, *(f.file_key for f in refreshed)])
        if not change and previous is not None:
            return  # nothing to write: the index already says all there is to say
        self._write(previous, change, new_stored, report)

    @staticmethod
    def _new_marks(scanned: ScanResult, real_root: str, old: dict[str, FolderMark],
                   failed: list[str], *, touched: list[str]) -> dict[str, str | None]:
        """The folder marks this walk changes: a mark for every folder diffed that came out
        clean; none for one where a file failed (it is retried next time), for one holding a
        file reached through a link (found by its folder's diff, should the link go), or for
        one no longer walked. The store drops the marks above every touched file; a matched
        folder's mark still holds (no touched file lies in what it vouches for), so it is
        set again."""
        states = scanned.folders
        unclean = {os.path.dirname(key) for key in failed}
        for key in scanned.linked:  # the walked folder whose diff finds it
            folder = os.path.dirname(key)
            while folder not in states and os.path.dirname(folder) != folder:
                folder = os.path.dirname(folder)
            unclean.add(folder)
        marks: dict[str, str | None] = {}
        for real, state in states.items():
            if real in unclean or not state.clean:
                if real in old:
                    marks[real] = None
            elif not state.matched:
                marks[real] = FolderMark(state.signature, state.files).encode()
        marks.update((real, None) for real in old
                     if real not in states and _str_within(real, real_root))
        parents = {os.path.dirname(key) for key in touched}
        for folder in {a for parent in parents for a in with_parents(parent)}:
            state = states.get(folder)
            if state is not None and state.matched and folder not in unclean and folder in old:
                marks[folder] = old[folder].encode()
        return marks

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
        seen = {src.key for src in sources}
        to_load, kept, failed = self._examine_all(sources, old_files, reread_all, report)
        # Indexed files that now fail before loading (unreadable, bad header) leave the index:
        # never stale, never public.
        dropped = sum(key in old_files for key in failed)
        report.unchanged = len(kept)
        synced = [str(d) for d in synced_dirs]
        removed = [
            key for key in old_files
            if key not in seen and any(_str_within(key, d) for d in synced)
        ]
        gone = set(removed)
        # Files indexed by earlier runs from other paths stay; the corpus's access file is
        # re-applied to those inside the corpus, with their stored header (others keep theirs
        # until their folder is ingested again: their root is not known here).
        for key, f in old_files.items():
            if key in seen or key in gone:
                continue
            if self._in_corpus(Path(key)):  # keys are resolved paths
                try:
                    visibility = self._visibility(key, self.corpus_root,
                                                  self._header_if_changed(Path(key), f))
                    f = f if visibility == f.visibility else replace(f, visibility=visibility)
                except LoadError as exc:
                    self._fail(report, Path(key), exc.reason)
                    dropped += 1
                    continue
            kept.append(f)
        report.removed = len(removed) + dropped

        new_stored, new_files, new_memory = self._load(to_load, report)
        if not new_files and not kept:
            return  # nothing could be ingested: leave the existing index as it is
        staying = {f.file_key for f in kept} | {f.file_key for f in new_files}
        change = IndexChange(
            chunks=new_stored, added=new_files, memory=new_memory,
            refreshed=[f for f in kept if f is not old_files[f.file_key]
                       and f != old_files[f.file_key]],
            removed=[key for key in old_files if key not in staying])
        report.documents = len(staying)
        report.chunks = sum(f.n_chunks for f in kept) + len(new_stored)
        if not change and previous is not None:
            return  # nothing to write: the index already says all there is to say
        self._write(previous, change, new_stored, report)

    def _write(self, previous: IndexReader | None, change: IndexChange,
               new_stored: list[StoredChunk], report: IngestReport) -> None:
        """Embed what is new (cached vectors reused) and write the change as one version."""
        change.vectors = self._embed(new_stored, previous, report)
        dim = change.vectors.shape[1] if len(new_stored) else (
            int(previous.manifest.get("dim", 0)) if previous else 0)
        self.store.update(previous, change, embedder=self.embedder_name,
                          extra={"dim": dim, "memory": MEMORY_VERSION})

    def _examine_all(self, sources: Sequence[SourceFile], old: dict[str, FileRecord],
                     reread_all: bool, report: IngestReport
                     ) -> tuple[list["_Pending"], list[FileRecord], list[str]]:
        """`_examine` each source against its record in `old`: the files to load, the records
        kept, and the keys of the files that failed. `reread_all`: new extraction rules, so
        every file is read again (its embeddings still come from the cache)."""
        to_load: list[_Pending] = []
        kept: list[FileRecord] = []
        failed: list[str] = []
        for src in sources:
            indexed = old.get(src.key)
            found = self._examine(src, None if reread_all else indexed, indexed, report)
            if found is None:
                failed.append(src.key)
            elif type(found) is _Pending:
                to_load.append(found)
            else:
                kept.append(found)  # type: ignore[arg-type]
        return to_load, kept, failed

    def _examine(self, src: SourceFile, old: FileRecord | None, indexed: FileRecord | None,
                 report: IngestReport) -> "FileRecord | _Pending | None":
        """What to do with one scanned file: its record, kept (the very object `old` when
        nothing about it changed), a `_Pending` load, or None when it failed (logged). `old`
        is the record to compare against (None: re-read it whatever it is); `indexed` the one
        in the index. A file whose size and mtime are unchanged is not opened."""
        try:
            stat = src.stat or os.stat(src.location)
            if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                # Unchanged, so its Visibility: header is the one stored: the access rules
                # are applied again without opening the file.
                visibility = self._visibility(src.key, src.root, old.header, name=src.location)
                return old if visibility == old.visibility else replace(old, visibility=visibility)
            path = src.path
            header = read_visibility_header(path)
            visibility = self._visibility(src.key, src.root, header, name=src.location)
            digest = _sha256(path)
        except (OSError, LoadError) as exc:
            reason = exc.reason if isinstance(exc, LoadError) else (
                f"cannot read it ({exc.strerror or exc})")
            self._fail(report, src.path, reason)
            return None
        if old and old.sha256 == digest and old.doc_id == self._doc_id(src):
            return replace(old, size=stat.st_size, mtime_ns=stat.st_mtime_ns,
                           visibility=visibility, header=header)
        return _Pending(src, indexed, digest, visibility, header)

    # -- one file of the corpus, without a walk ------------------------------------------------

    def _corpus_files(self, given: list[Path]) -> list[SourceFile] | None:
        """The given paths as a walk of the corpus would find them, when every one is a plain
        file of the corpus (not a folder, link or hidden file); else None (they are scanned as
        before). Unsupported or unreadable files are left to `scan`, which says why."""
        if self.corpus_root is None or not given:
            return None
        files: list[SourceFile] = []
        for path in given:
            found = scan_corpus_file(path, self.corpus_root)
            if found is None:
                return None
            files.append(found)
        return files

    def _run_files(self, files: list[SourceFile]) -> IngestReport | None:
        """Index these files of the corpus alone: each gets the record a walk of the corpus
        would give it (same key, document id, access rules, checks), and nothing else is
        looked at, so the cost is the change's, not the corpus's. Returns None when the index
        needs the whole corpus read anyway (none yet, another embedder, new extraction rules):
        the caller then walks the corpus. Other files' visibility is not re-applied here: a
        change to the access file takes effect at the next ingest of the corpus."""
        report = IngestReport()
        with self.store.lock(timeout=self.lock_timeout):
            before = self._version_text()
            previous = self._open_for_change()
            if previous is None:
                return None
            try:
                self._apply_files(files, previous, report)
            finally:
                previous.close()
            if self.journal is not None:
                self.journal.advance(before, self._version_text())
        return report

    def _open_for_change(self) -> IndexReader | None:
        """The current version, to apply a change of a few files to; None when the index needs
        the whole corpus read anyway (none yet; unreadable or old-format: the walk rebuilds it
        and says so; another embedder; new extraction rules). Called under the writer lock."""
        if not self.store.exists():
            return None
        try:
            previous = self.store.open()
        except Exception:
            return None
        manifest = previous.manifest
        if (manifest.get("embedder") != self.embedder_name
                or manifest.get("memory") != MEMORY_VERSION):
            previous.close()
            return None
        return previous

    def _apply_files(self, files: list[SourceFile], previous: IndexReader,
                     report: IngestReport, *, gone: Sequence[str] = ()) -> None:
        """`files` examined against their records alone; the indexed ones among `gone`
        (names that no longer exist) leave the index."""
        given = {f.key: f for f in files}  # a file given twice is read once
        old_files = previous.records([*given, *gone])  # these records alone, not the catalog's
        to_load, kept, failed = self._examine_all(list(given.values()), old_files, False, report)
        new_stored, new_files, new_memory = self._load(to_load, report)
        loaded = {f.file_key for f in new_files}
        # A file that now fails leaves the index, as a walk would take it out.
        failed += [p.src.key for p in to_load if p.src.key not in loaded]
        removed = [key for key in dict.fromkeys([*failed, *gone]) if key in old_files]
        change = IndexChange(
            chunks=new_stored, added=new_files, memory=new_memory,
            refreshed=[f for f in kept if f is not old_files[f.file_key]
                       and f != old_files[f.file_key]],
            removed=removed)
        report.unchanged = len(kept)
        report.removed = len(removed)
        report.records = {f.file_key: f for f in [*kept, *new_files]}
        replaced = [old_files[k] for k in [*removed, *loaded] if k in old_files]
        # From the previous version's counts (its manifest): no whole-catalog work.
        manifest = previous.manifest
        report.documents = int(manifest["documents"]) - len(replaced) + len(new_files)
        report.chunks = (int(manifest["chunks"]) - sum(f.n_chunks for f in replaced)
                         + len(new_stored))
        if not change:
            return
        self._write(previous, change, new_stored, report)

    def _doc_id(self, src: SourceFile) -> str:
        return doc_id_for(src.path, src.root)

    @staticmethod
    def _header_if_changed(path: Path, record: FileRecord) -> str | None:
        """The stored `Visibility:` header while size and mtime say the file is the one
        indexed (it is not opened); else the header read now (LoadError if it cannot be
        applied). A file that cannot be reached keeps its record."""
        try:
            stat = path.stat()
            if stat.st_size == record.size and stat.st_mtime_ns == record.mtime_ns:
                return record.header
            return read_visibility_header(path)
        except OSError:
            return record.header

    def _in_corpus(self, path: Path) -> bool:
        return self.corpus_root is not None and _is_within(path, self.corpus_root)

    def _visibility(self, real: str, root: Path, header: str | None, *,
                    name: str | None = None) -> Visibility:
        """Rules come from the access file at the top of the corpus dir for every file under
        it, whatever path was ingested (`ingest corpus/confidential` is governed like `ingest
        corpus`); a file outside the corpus dir uses the access file of the folder that was
        ingested, and the log says so. Globs match the path relative to that folder.
        `header` is the file's `Visibility:` value (read_visibility_header, which raises
        LoadError for a header that mentions visibility but cannot be applied). `real` is the
        file's resolved path (its key), compared as a string: nothing here touches the disk
        but the access file, once. `name`: the file's path as walked or given (its name is
        matched when `real` lies outside the folder whose rules apply)."""
        if self._corpus_prefix is not None and real.startswith(self._corpus_prefix):
            # The usual case, once per file of the corpus on every ingest: no path objects.
            rel = real[len(self._corpus_prefix):]
            return self._rules_for(self.corpus_root, root).visibility(  # type: ignore[arg-type]
                rel if os.sep == "/" else rel.replace(os.sep, "/"), header)
        corpus = str(self.corpus_root) if self.corpus_root is not None else None
        in_corpus = corpus is not None and _str_within(real, corpus)
        base = self.corpus_root if in_corpus else self._real_root(root)
        assert base is not None
        prefix = str(base)
        if _str_within(real, prefix) and real != prefix:
            rel = real[len(prefix):].lstrip(os.sep).replace(os.sep, "/")
        else:
            rel = os.path.basename(name or real)
        return self._rules_for(base, root).visibility(rel, header)

    def _rules_for(self, base: Path, root: Path) -> AccessRules:
        """The access rules of `base` (the corpus dir, or an ingested folder outside it),
        read once per run."""
        if base not in self._rules:
            self._rules[base] = AccessRules.load(base / self.access_file)
            if base != self.corpus_root:
                where = f" (corpus dir: {self.corpus_root})" if self.corpus_root else ""
                found = "" if (base / self.access_file).is_file() else (
                    " (there is none: public unless a Visibility: header restricts them)")
                self.log(f"{root} is outside the corpus dir{where}: its access rules come from "
                         f"{base / self.access_file}{found}")
        return self._rules[base]

    def _real_root(self, root: Path) -> Path:
        if root not in self._roots:
            self._roots[root] = root.resolve()
        return self._roots[root]

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
        indexed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        bar = tqdm(to_load, desc="reading files", unit="file",
                   disable=self._bar_disabled(len(to_load)), file=sys.stderr)
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
                                    stat.st_mtime_ns, len(chunks), item.visibility, item.header,
                                    indexed_at=indexed_at))
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

    def _embed(self, stored: list[StoredChunk], previous: IndexReader | None,
               report: IngestReport) -> np.ndarray:
        """Vectors of the new chunks: a text the index already holds keeps its vector (looked
        up by chunk-text hash); only new texts are embedded."""
        if not stored:
            return np.zeros((0, 0), dtype=np.float32)
        cache = previous.vectors_for_hashes(s.text_hash for s in stored) if previous else {}
        todo: dict[str, str] = {}
        for s in stored:
            if s.text_hash not in cache and s.text_hash not in todo:
                todo[s.text_hash] = s.chunk.embedding_text()
        if todo:
            hashes, texts = list(todo), list(todo.values())
            bar = tqdm(total=len(texts), desc="loading the embedder", unit="chunk",
                       disable=self._bar_disabled(len(texts)), file=sys.stderr)
            embedder = self.embedder_factory()  # seconds for a real model: the bar is up
            bar.set_description("embedding chunks")
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start : start + self.batch_size]
                vecs = embedder.embed_documents(batch)
                for h, v in zip(hashes[start : start + self.batch_size], vecs):
                    cache[h] = v
                bar.update(len(batch))
            bar.close()
            report.embedded = len(todo)
        return np.asarray([cache[s.text_hash] for s in stored], dtype=np.float32)

    def _bar_disabled(self, n: int) -> bool | None:
        """Bars on a terminal (progress None: tqdm checks stderr), never when piped or
        `progress=False`; even a few files can take seconds (the model, extraction)."""
        if self.progress is False or n == 0:
            return True
        return None if self.progress is None else False


def _marks_of(reader: IndexReader | None) -> dict[str, FolderMark]:
    if reader is None:
        return {}
    marks = {}
    for folder, text in reader.folder_marks().items():
        mark = FolderMark.decode(text)
        if mark is not None:
            marks[folder] = mark
    return marks


def _str_within(path: str, directory: str) -> bool:
    """`path` is `directory` or below it (both resolved, as strings)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.relative_to(directory)
        return True
    except ValueError:
        return False
