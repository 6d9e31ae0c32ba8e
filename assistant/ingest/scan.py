"""Finding the files to ingest under the given paths (folders are walked, hidden parts skipped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .loaders import SUPPORTED_SUFFIXES


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    root: Path

    @property
    def key(self) -> str:
        return str(self.path.resolve())


@dataclass(slots=True)
class ScanResult:
    files: list[SourceFile] = field(default_factory=list)
    synced_dirs: list[Path] = field(default_factory=list)  # their vanished files leave the index
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _unsupported(path: Path) -> str | None:
    if path.suffix.lower() in SUPPORTED_SUFFIXES:
        return None
    return f"unsupported file type {path.suffix or '(none)'}"


def scan(paths: Sequence[Path]) -> ScanResult:
    """Files to ingest, and the directories whose previously indexed files are to be synced."""
    result = ScanResult()
    for given in paths:
        if given.is_dir():
            result.synced_dirs.append(given.resolve())
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                if is_hidden(path, given):
                    continue
                if reason := _unsupported(path):
                    result.skipped.append((str(path), reason))
                    continue
                result.files.append(SourceFile(path, given))
        elif given.is_file():
            if reason := _unsupported(given):
                result.skipped.append((str(given), reason))
                continue
            result.files.append(SourceFile(given, given.parent))
        else:
            result.failed.append((str(given), "no such file or directory"))
    return result
