"""Accepting a document sent to the bot: checked before it touches the corpus.

Checks, in order: a safe file name (no paths), a supported type, the size limit, and that it
parses into indexable text (loaded from a temporary copy). Only then is it written to the
corpus, atomically (temp file + rename), so a half-written upload is never ingested.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import LoadError, UploadRejected
from .chunking import chunk_document
from .loaders import SUPPORTED_SUFFIXES, load_document


@dataclass(frozen=True, slots=True)
class AddedDocument:
    """The outcome of one accepted upload, for the person who sent it."""

    name: str
    doc_id: str
    chunks: int
    status: Literal["added", "updated", "unchanged"]
    added_by: str | None = None


def safe_name(filename: str) -> str:
    """The base name only, without control characters or leading dots; raises if nothing is left."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    if not name:
        raise UploadRejected(f"'{filename}' is not a usable file name")
    return name[:200]


def accept_upload(filename: str, data: bytes, *, corpus_dir: Path, upload_dir: str,
                  max_bytes: int) -> Path:
    """Validate an upload and store it under corpus_dir/upload_dir; returns the stored path."""
    name = safe_name(filename)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UploadRejected(f"{name}: unsupported file type {suffix or '(none)'} (accepted: {kinds})")
    if len(data) > max_bytes:
        raise UploadRejected(f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit")
    if not data:
        raise UploadRejected(f"{name}: the file is empty")
    target_dir = corpus_dir / upload_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".upload-", suffix=suffix)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        _check_parses(tmp, name)
        target = target_dir / name
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _check_parses(path: Path, name: str) -> None:
    try:
        doc = load_document(path, root=path.parent)
        if not chunk_document(doc):
            raise LoadError(name, "no text to index")
    except LoadError as exc:
        raise UploadRejected(f"{name}: {exc.reason}") from None
    except Exception as exc:  # a loader bug: refuse the file, keep the bot up
        raise UploadRejected(f"{name}: could not be read ({type(exc).__name__})") from None
