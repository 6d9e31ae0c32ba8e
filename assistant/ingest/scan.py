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
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

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
class ScanResult:
    files: list[SourceFile] = field(default_factory=list)
    synced_dirs: list[Path] = field(default_factory=list)  # their vanished files leave the index
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


@dataclass(frozen=True, slots=True)
class _Candidate:
    source: SourceFile
    real: str  # resolved path: the identity of the file
    via_link: bool


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _unsupported(path: Path | str) -> str | None:
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


class _Walker:
    """Walks one given folder, appending candidates and skip/fail lines to the result.

    The hot loop runs once per file of the corpus on every ingest, so it works on the
    `os.DirEntry` and plain strings: the entry's own stat (no second look-up by path), a
    folder's name checked once for all its files, no path object per file."""

    def __init__(self, root: Path, result: ScanResult, out: list[_Candidate]) -> None:
        self.root = root
        self.real_root = root.resolve()
        self.result = result
        self.out = out
        self.visited: set[tuple[int, int]] = set()

    def walk(self, folder: Path | str, real_folder: str | None = None,
             bad_folder: str | None = None) -> None:
        """`real_folder`: the folder's resolved path (folder links are never followed, so a
        file's real path is its real folder's plus its name: no resolve per file).
        `bad_folder`: why the folder's path cannot be stored, if it cannot (its files fail)."""
        real_folder = real_folder or str(Path(folder).resolve())
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in self.visited:  # a bind mount seen twice
                return
            self.visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            self.result.failed.append(
                (str(folder), "cannot list folder (permission denied): make it readable")
            )
            return
        except OSError as err:
            self.result.failed.append((str(folder), f"cannot list folder ({err.strerror})"))
            return
        prefix = real_folder if real_folder.endswith(os.sep) else real_folder + os.sep
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            real = prefix + name
            try:
                if entry.is_symlink():
                    self._link(Path(entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    self.walk(entry.path, real, bad_folder or _bad_name(name))
                elif entry.is_file(follow_symlinks=False):
                    self._file(entry, real, bad_folder)
                elif not _unsupported(name):
                    self.result.skipped.append((entry.path, "not a regular file (a pipe or device)"))
            except OSError as err:  # vanished or unreadable while we looked
                self.result.failed.append((entry.path, f"cannot read ({err.strerror})"))

    def _file(self, entry: os.DirEntry, real: str, bad_folder: str | None) -> None:
        """`_add_file` for a regular file met by the walk (same checks, same order)."""
        if reason := _unsupported(entry.name):
            self.result.skipped.append((entry.path, reason))
            return
        if reason := bad_folder or _bad_name(entry.name):
            self.result.failed.append((entry.path, reason))
            return
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            self.result.skipped.append((entry.path, "not a regular file (a pipe or device)"))
            return
        if not os.access(entry.path, os.R_OK):
            self.result.failed.append((entry.path, _UNREADABLE))
            return
        self.out.append(_Candidate(SourceFile(entry.path, self.root, real, info), real, False))

    def _link(self, path: Path) -> None:
        real = _resolve(path)
        skipped = self.result.skipped
        if real is None:
            if not _unsupported(path) or not path.suffix:
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
        if _unsupported(path):
            skipped.append((str(path), _unsupported(path) or ""))
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
    if reason := _unsupported(path):
        result.skipped.append((str(path), reason))
        return
    if reason := _bad_name(path):
        result.failed.append((str(path), reason))
        return
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        result.skipped.append((str(path), "not a regular file (a pipe or device)"))
        return
    if not os.access(path, os.R_OK):
        result.failed.append((str(path), _UNREADABLE))
        return
    key = str(real or path.resolve())
    out.append(_Candidate(SourceFile(str(path), root, key, info), key, via_link))


def _dedupe(candidates: list[_Candidate], result: ScanResult) -> None:
    """One entry per real file: the first path that is not a link wins, else the first path."""
    chosen: dict[str, _Candidate] = {}
    for cand in candidates:
        best = chosen.get(cand.real)
        if best is None or (best.via_link and not cand.via_link):
            chosen[cand.real] = cand
    if len(chosen) == len(candidates):  # the usual case: no links, no folder given twice
        result.files.extend(cand.source for cand in candidates)
        return
    for cand in candidates:
        if chosen[cand.real] is cand:
            result.files.append(cand.source)
        else:
            kept = chosen[cand.real].source.location
            result.skipped.append((cand.source.location, f"same file as {kept}: indexed once"))


def scan(paths: Sequence[Path]) -> ScanResult:
    """Files to ingest, and the directories whose previously indexed files are to be synced."""
    result = ScanResult()
    candidates: list[_Candidate] = []
    for given in paths:
        given = Path(given)
        if given.is_dir():
            result.synced_dirs.append(given.resolve())
            _Walker(given, result, candidates).walk(given, bad_folder=_bad_name(given))
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
    if _unsupported(name) or _bad_name(real) or not os.access(real, os.R_OK):
        return None
    return SourceFile(real, corpus_root, real, info)
