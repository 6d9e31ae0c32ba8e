"""Folder marks: what lets a walk of the corpus skip the folders whose files did not change.

Without a change journal a walk must stat every file (an edit in place changes no folder),
but it need not do anything else with the files of a folder that is as it was. Each index
version keeps, per folder of the corpus, a mark: a hash of the folder's listing as the walk
saw it (every visible entry's name, and for a file its type, size, mtime, inode and owner;
the folder's own mtime, inode and mode) and of the walk's context (the access rules, the root,
the extraction version, who reads), with the number of its files the index holds. When a
folder's listing hashes to its mark, its files are neither turned into objects, nor looked up
in the catalog, nor checked against the access rules: the folder costs its stat calls.

What a mark vouches for: the catalog rows of the folder's direct files and of anything under
its subfolders that the walk does not enter (hidden ones, say) are what a full diff would
leave. So a folder only gets a mark when every entry in it came out clean (indexed, or skipped
for its name or type alone: no symlink, no failure), and the store drops the marks of every
folder above a file that anything else (an upload, `remove`) changes in the catalog. A file
indexed through a symlink keeps the walked folder whose diff would find it without a mark, so
it leaves the index with its link.

Marks travel with a version that changes something else (an unchanged re-ingest writes
nothing): a folder whose mark went stale, say the upload folder after an upload, is diffed by
every walk until the next change is written. That costs the folder, not the corpus.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Iterable, Sequence

MARK_VERSION = "1"  # bump when what goes into a signature changes: every folder is diffed once
# What of a stat goes into a signature: an edit (size, mtime), a file replaced (inode), and
# what decides whether it can be read (mode, owner).
stat_numbers = attrgetter("st_mode", "st_size", "st_mtime_ns", "st_ino", "st_uid", "st_gid")


@dataclass(frozen=True, slots=True)
class FolderMark:
    """A folder's signature and how many of its files the index holds (what a walk that skips
    the folder reports as unchanged)."""

    signature: str
    files: int

    def encode(self) -> str:
        return f"{self.signature} {self.files}"

    @classmethod
    def decode(cls, text: str) -> "FolderMark | None":
        signature, _, files = text.partition(" ")
        return cls(signature, int(files)) if files.isdigit() else None


def walk_context(*, root: Path, real_root: str, rules_file: Path, memory_version: object,
                 embedder: str) -> bytes:
    """What every folder's outcome depends on besides its own listing: a change to any of it
    (an edited access file, another extraction version, another user running the ingest, whose
    read permissions differ) makes every folder's signature differ, so every file is diffed."""
    try:
        rules = rules_file.read_bytes()
    except OSError:
        rules = b"\0none"  # no access file (or none readable: AccessRules.load decides)
    parts = [MARK_VERSION, str(root), real_root, str(rules_file), str(memory_version), embedder,
             f"{os.geteuid()}:{os.getegid()}:{sorted(os.getgroups())}"]
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\0".join(parts).encode("utf-8", "surrogateescape"))
    digest.update(b"\0")
    digest.update(rules)
    return digest.digest()


def signature(context: bytes, folder: os.stat_result, names: Sequence[str],
              numbers: list[int], subdirs: Iterable[str], others: Iterable[str]) -> str:
    """The hash of one folder's listing under `context`: its regular files' `names` and the
    `numbers` of their stats (`stat_numbers` of each, in the same order), its subfolders'
    names, and the names of anything else (links, pipes: each marked with its kind). Numbers
    are hashed as machine words, not text: this runs once per file of the corpus on every
    walk."""
    digest = hashlib.blake2b(context, digest_size=16)
    digest.update("\0".join([*names, "/", *subdirs, "/", *others])
                  .encode("utf-8", "surrogateescape"))
    numbers = [*stat_numbers(folder), *numbers]
    try:
        digest.update(array("q", numbers).tobytes())
    except OverflowError:  # an inode number past 2**63 (some network file systems)
        digest.update(repr(numbers).encode())
    return digest.hexdigest()


def key_ranges(folder: str, walked: Iterable[str]) -> list[tuple[str, str]]:
    """Half-open ranges of file keys holding the folder's direct files and everything under
    its subfolders except the `walked` ones (which answer for themselves): the gaps between
    the walked subfolders' ranges. File keys sort as UTF-8 bytes (SQLite's BINARY collation),
    which is code point order, as Python sorts strings."""
    prefix = folder.rstrip(os.sep) + os.sep
    end = folder.rstrip(os.sep) + chr(ord(os.sep) + 1)
    ranges: list[tuple[str, str]] = []
    low = prefix
    for name in sorted(prefix + name + os.sep for name in walked):
        ranges.append((low, name))
        low = name[:-1] + chr(ord(os.sep) + 1)
    ranges.append((low, end))
    return [(a, b) for a, b in ranges if a < b]


def with_parents(folder: str) -> Iterable[str]:
    """The folder and every folder above it, nearest first."""
    while True:
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent
