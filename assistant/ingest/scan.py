"""Finding the files to ingest under the given paths (folders are walked, hidden parts skipped).

Partners drop anything into the corpus, so the walk itself must be safe:

* Symlinked folders are never followed. A link to a folder inside the corpus adds nothing (the
  folder is walked where it is), and one pointing at its own parent would loop forever.
* A symlinked file is followed only when its target lies inside the corpus folder; a link to a
  file elsewhere (`/etc/…`, a home directory) is skipped with a line. Everything indexed can be
  quoted to every user of the bot, so only what was put *in* the corpus may become answerable.
* Each real file is indexed once: a link and its target (or the same file given twice) keep the
  first path that is not a link.
* Unreadable files and folders, broken links and file names that are not valid UTF-8 (the index
  stores names as text) get one line each, with what to do, and the walk goes on.

Given the index's folder marks (see folder_marks.py), the walk hashes each folder's listing and
turns the files of a folder whose hash is its mark into nothing at all: the cost of such a
folder is one stat per entry.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Mapping, Sequence

from .folder_marks import FolderMark, signature, stat_numbers
from .loaders import SUPPORTED_SUFFIXES


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file to ingest. `location` is the path as walked or given, kept as text: a large
    corpus is walked on every ingest, and most of its files need no path object at all."""

    location: str
    root: Path
    real: str | None = None  # the resolved path, when the scan already knows it
    stat: os.stat_result | None = None  # as seen by the scan (an ingest need not stat again)

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def name(self) -> str:
        return os.path.basename(self.location)

    @property
    def key(self) -> str:
        return self.real if self.real is not None else str(self.path.resolve())


@dataclass(slots=True)
class FolderState:
    """One folder as a walk with folder marks saw it. `matched`: its listing hashes to its
    mark, so its files were not looked at (`files` is then the mark's count). `clean`: no
    entry in it failed and it holds no symlink, so it may get a mark. `walked`: the names of
    its subfolders the walk entered (the others' indexed files are this folder's to diff)."""

    location: str  # the folder as walked
    signature: str = ""
    matched: bool = False
    clean: bool = False
    files: int = 0
    walked: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ScanResult:
    files: list[SourceFile] = field(default_factory=list)
    synced_dirs: list[Path] = field(default_factory=list)  # their vanished files leave the index
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # With folder marks: every folder walked (or that could not be listed), by resolved path.
    folders: dict[str, FolderState] = field(default_factory=dict)
    linked: list[str] = field(default_factory=list)  # keys of files indexed through a symlink


@dataclass(frozen=True, slots=True)
class _Candidate:
    source: SourceFile
    real: str  # resolved path: the identity of the file
    via_link: bool


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def unsupported_reason(path: Path | str) -> str | None:
    name = path if isinstance(path, str) else path.name
    name = name[name.rfind(os.sep) + 1:]
    dot = name.rfind(".")
    suffix = name[dot:] if 0 < dot < len(name) - 1 else ""  # as Path.suffix
    if suffix.lower() in SUPPORTED_SUFFIXES:
        return None
    return f"unsupported file type {suffix or '(none)'}"


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _bad_name(path: Path | str) -> str | None:
    """File names that the index (UTF-8 text) cannot store: undecodable bytes or newlines."""
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8 (an old archive or copy?): rename the file"
    if "\n" in name or "\r" in name:
        return "file name contains a line break: rename the file"
    return None


def _resolve(path: Path) -> Path | None:
    """The real path behind links, or None for a broken link or a link loop."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: "Symlink loop" before Python 3.13
        return None
    return real


_LINK, _DIR, _FILE, _OTHER = 0, 1, 2, 3  # kinds of entry in a folder's listing
_name = attrgetter("name")
_NOT_REGULAR = "not a regular file (a pipe or device)"


class _Walker:
    """Walks one given folder, appending candidates and skip/fail lines to the result.

    The hot loop runs once per file of the corpus on every ingest, so it works on the
    `os.DirEntry` and plain strings: the entry's own stat (no second look-up by path), a
    folder's name checked once for all its files, no path object per file. With `marks`
    (and the walk's `context`), a folder whose listing hashes to its mark yields no
    candidates: see `FolderState`."""

    def __init__(self, root: Path, result: ScanResult, out: list[_Candidate], *,
                 marks: Mapping[str, FolderMark] | None = None,
                 context: bytes | None = None) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.result = result
        self.out = out
        self.visited: set[tuple[int, int]] = set()
        self.marks = marks or {}
        self.context = context

    def walk(self, folder: Path | str, real_folder: str | None = None,
             bad_folder: str | None = None) -> None:
        """`real_folder`: the folder's resolved path (folder links are never followed, so a
        file's real path is its real folder's plus its name: no resolve per file).
        `bad_folder`: why the folder's path cannot be stored, if it cannot (its files fail)."""
        real_folder = real_folder or str(Path(folder).resolve())
        tracked = self.context is not None and bad_folder is None
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in self.visited:  # a bind mount seen twice
                return
            self.visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=_name)
        except PermissionError:
            self.result.failed.append(
                (str(folder), "cannot list folder (permission denied): make it readable")
            )
            if tracked:  # everything indexed below it is to be diffed (it leaves the index)
                self.result.folders[real_folder] = FolderState(str(folder))
            return
        except OSError as err:
            self.result.failed.append((str(folder), f"cannot list folder ({err.strerror})"))
            if tracked:
                self.result.folders[real_folder] = FolderState(str(folder))
            return
        state = FolderState(str(folder), clean=True) if tracked else None
        if state is not None:
            self.result.folders[real_folder] = state
        # First pass: the listing, and with marks each file's stat (for the folder's hash).
        listing: list[tuple[os.DirEntry, os.stat_result | None, int]] = []
        failed = self.result.failed
        names: list[str] = []  # with marks: the regular files, and their stat numbers
        numbers: list[int] = []
        subdirs: list[str] = []
        others: list[str] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_file(follow_symlinks=False):  # most entries: tested first
                    if state is None:
                        listing.append((entry, None, _FILE))
                    else:
                        info_ = entry.stat(follow_symlinks=False)
                        listing.append((entry, info_, _FILE))
                        names.append(name)
                        numbers += stat_numbers(info_)
                elif entry.is_dir(follow_symlinks=False):  # False for a link to a folder
                    listing.append((entry, None, _DIR))
                    subdirs.append(name)
                elif entry.is_symlink():
                    listing.append((entry, None, _LINK))
                    others.append(name + "@")
                else:  # a pipe or a device
                    listing.append((entry, None, _OTHER))
                    others.append(name + "|")
            except OSError as err:  # vanished or unreadable while we looked
                failed.append((entry.path, f"cannot read ({err.strerror})"))
                if state is not None:
                    state.clean = False
        if state is not None:
            state.signature = signature(self.context, info, names,  # type: ignore[arg-type]
                                        numbers, subdirs, others)
            mark = self.marks.get(real_folder)
            if (state.clean and mark is not None and mark.signature == state.signature
                    and not any(name.endswith("@") for name in others)):
                state.matched, state.files = True, mark.files
                self._matched(real_folder, state, listing, quiet=mark.files == len(names)
                              and not others)
                return
        # Second pass, in name order: subfolders walked, files checked.
        prefix = real_folder if real_folder.endswith(os.sep) else real_folder + os.sep
        for entry, info_, kind in listing:
            name = entry.name
            real = prefix + name
            before, found = len(failed), len(self.out)
            try:
                if kind == _DIR:
                    sub_bad = bad_folder or _bad_name(name)
                    self.walk(entry.path, real, sub_bad)
                    if state is not None and sub_bad is None and real in self.result.folders:
                        state.walked.append(name)
                    continue
                if kind == _FILE:
                    self._file(entry, real, bad_folder, info_)
                elif kind == _LINK:
                    self._link(Path(entry.path))
                elif not unsupported_reason(name):
                    self.result.skipped.append((entry.path, _NOT_REGULAR))
            except OSError as err:  # vanished or unreadable while we looked
                failed.append((entry.path, f"cannot read ({err.strerror})"))
            if state is not None:
                state.files += len(self.out) - found
                if len(failed) > before:
                    state.clean = False

    def _matched(self, real_folder: str, state: FolderState,
                 listing: list[tuple[os.DirEntry, os.stat_result | None, int]], *,
                 quiet: bool) -> None:
        """A folder whose listing hashes to its mark: its subfolders are walked, its files
        yield nothing but the skip lines the walk that took the mark wrote (none when every
        entry was indexed: `quiet`)."""
        prefix = real_folder if real_folder.endswith(os.sep) else real_folder + os.sep
        for entry, _, kind in listing:
            if kind == _DIR:
                real = prefix + entry.name
                self.walk(entry.path, real, _bad_name(entry.name))
                if real in self.result.folders:
                    state.walked.append(entry.name)
            elif not quiet:
                self._skip_only(entry, kind)

    def _skip_only(self, entry: os.DirEntry, kind: int) -> None:
        """The skip line an entry of a matched folder gets (it cannot fail: its folder was
        clean when the mark was taken, and nothing its outcome depends on has changed)."""
        reason = unsupported_reason(entry.name)
        if kind == _FILE and reason:
            self.result.skipped.append((entry.path, reason))
        elif kind == _OTHER and not reason:
            self.result.skipped.append((entry.path, _NOT_REGULAR))

    def _file(self, entry: os.DirEntry, real: str, bad_folder: str | None,
              info: os.stat_result | None = None) -> None:
        """`_add_file` for a file met by the walk (same checks, same order); `info`: its
        stat when the first pass took it."""
        if reason := unsupported_reason(entry.name):
            self.result.skipped.append((entry.path, reason))
            return
        if reason := bad_folder or _bad_name(entry.name):
            self.result.failed.append((entry.path, reason))
            return
        if info is None:
            info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            self.result.skipped.append((entry.path, _NOT_REGULAR))
            return
        if not os.access(entry.path, os.R_OK):
            self.result.failed.append((entry.path, _UNREADABLE))
            return
        self.out.append(_Candidate(SourceFile(entry.path, self.root, real, info), real, False))

    def _link(self, path: Path) -> None:
        real = _resolve(path)
        skipped = self.result.skipped
        if real is None:
            if not unsupported_reason(path) or not path.suffix:
                skipped.append((str(path), "broken or looping symlink: fix or remove the link"))
            return
        if real.is_dir():
            if _within(self.real_root, real):
                skipped.append(
                    (str(path), "symlink to a folder containing it (a loop): not followed")
                )
            elif _within(real, self.real_root):
                skipped.append((str(path), f"symlink to {real}, which is scanned where it is"))
            else:
                skipped.append((str(path), f"symlink to a folder outside the corpus ({real}): "
                                           "not followed; copy the files in to index them"))
            return
        if unsupported_reason(path):
            skipped.append((str(path), unsupported_reason(path) or ""))
            return
        if not _within(real, self.real_root):
            skipped.append((str(path), f"symlink to a file outside the corpus ({real}): not "
                                       "followed; copy the file in to index it"))
            return
        _add_file(path, self.root, self.result, self.out, via_link=True, real=real)


_UNREADABLE = "cannot read file (permission denied): make it readable, e.g. chmod a+r"


def _add_file(path: Path, root: Path, result: ScanResult, out: list[_Candidate], *,
             via_link: bool = False, real: Path | str | None = None) -> None:
    """Check one file and record it as a candidate or as a skip/fail line."""
    if reason := unsupported_reason(path):
        result.skipped.append((str(path), reason))
        return
    if reason := _bad_name(path):
        result.failed.append((str(path), reason))
        return
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        result.skipped.append((str(path), _NOT_REGULAR))
        return
    if not os.access(path, os.R_OK):
        result.failed.append((str(path), _UNREADABLE))
        return
    key = str(real or path.resolve())
    out.append(_Candidate(SourceFile(str(path), root, key, info), key, via_link))


def _dedupe(candidates: list[_Candidate], result: ScanResult) -> None:
    """One entry per real file: the first path that is not a link wins, else the first path.
    A link to a file of a folder whose mark matched loses to that file, which its folder
    holds (indexed, unchanged) though the walk made no candidate of it."""
    if any(state.matched for state in result.folders.values()):
        candidates = _without_links_into_matched(candidates, result)
    chosen: dict[str, _Candidate] = {}
    for cand in candidates:
        best = chosen.get(cand.real)
        if best is None or (best.via_link and not cand.via_link):
            chosen[cand.real] = cand
    result.linked = [cand.real for cand in chosen.values() if cand.via_link]
    if len(chosen) == len(candidates):  # the usual case: no links, no folder given twice
        result.files.extend(cand.source for cand in candidates)
        return
    for cand in candidates:
        if chosen[cand.real] is cand:
            result.files.append(cand.source)
        else:
            kept = chosen[cand.real].source.location
            result.skipped.append((cand.source.location, f"same file as {kept}: indexed once"))


def _without_links_into_matched(candidates: list[_Candidate], result: ScanResult
                                ) -> list[_Candidate]:
    """The candidates less the links to a file that a matched folder holds (one of a
    supported type: the walk that took the mark made it a candidate, which won)."""
    kept: list[_Candidate] = []
    for cand in candidates:
        folder, _, name = cand.real.rpartition(os.sep)
        state = result.folders.get(folder or os.sep) if cand.via_link else None
        if state is not None and state.matched and not unsupported_reason(name):
            where = os.path.join(state.location, name)
            result.skipped.append((cand.source.location, f"same file as {where}: indexed once"))
        else:
            kept.append(cand)
    return kept


def scan(paths: Sequence[Path], *, marks: Mapping[str, FolderMark] | None = None,
         context: bytes | None = None) -> ScanResult:
    """Files to ingest, and the directories whose previously indexed files are to be synced.
    With a walk `context` (folder_marks.walk_context), every folder walked gets a
    `FolderState`, and those whose listing hashes to their mark in `marks` yield no files."""
    result = ScanResult()
    candidates: list[_Candidate] = []
    for given in paths:
        given = Path(given)
        if given.is_dir():
            result.synced_dirs.append(given.resolve())
            _Walker(given, result, candidates, marks=marks, context=context).walk(
                given, bad_folder=_bad_name(given))
        elif given.is_file():
            # A file named explicitly is followed even through a link; its root is then the
            # target's folder, so that its path is relative to its root like any other file's.
            link = given.is_symlink()
            root = given.resolve().parent if link else given.parent
            try:
                _add_file(given, root, result, candidates, via_link=link)
            except OSError as err:
                result.failed.append((str(given), f"cannot read ({err.strerror})"))
        elif given.is_symlink():
            result.failed.append((str(given), "broken or looping symlink: fix or remove the link"))
        else:
            result.failed.append((str(given), "no such file or directory"))
    _dedupe(candidates, result)
    return result


def scan_corpus_file(path: Path, corpus_root: Path) -> SourceFile | None:
    """`path` as a walk of the corpus would find it (same location, root and key), without
    walking: a regular file, not a link, below real and visible folders of `corpus_root` (a
    resolved path), with a supported type, a storable name, readable. None otherwise: the
    caller then scans as usual, which says why a file is skipped or failed."""
    absolute = os.path.abspath(path)
    try:
        info = os.lstat(absolute)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):  # a folder, a link, a pipe
        return None
    root = str(corpus_root)
    folder = os.path.realpath(os.path.dirname(absolute))
    if folder != root and not folder.startswith(root.rstrip(os.sep) + os.sep):
        return None
    name = os.path.basename(absolute)
    rel = folder[len(root):].strip(os.sep).split(os.sep) if folder != root else []
    if any(part.startswith(".") for part in [*rel, name]):
        return None  # hidden: a walk never indexes it
    real = os.path.join(folder, name)
    if unsupported_reason(name) or _bad_name(real) or not os.access(real, os.R_OK):
        return None
    return SourceFile(real, corpus_root, real, info)
