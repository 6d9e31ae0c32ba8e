"""Derived files kept between processes (a decompressed model, a parsed table): where they live
and how they are written, so a concurrent reader sees the old file or the new one, never half.

Read at import time by modules that have no settings object at hand, so the directory comes
from the same environment variable the settings read (ASSISTANT_CACHE_DIR)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Callable


def cache_dir() -> Path:
    """Where derived files live (the settings' default for ASSISTANT_CACHE_DIR)."""
    configured = os.environ.get("ASSISTANT_CACHE_DIR", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "remix-assistant"


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> bool:
    """`write` into a temporary file beside `path`, then rename it into place. False (and no
    leftover part file) when the directory cannot be written: a cache only saves time."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".part",
                                         delete=False) as handle:
            tmp = handle.name
            write(handle)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        return False
    return True
