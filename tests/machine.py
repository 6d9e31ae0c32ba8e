"""What this machine can do, for tests that need it (importable as `machine`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import assistant.ingest.journal as journal


def inotify_works() -> bool:
    """Whether this machine gives inotify watches that report a change (Linux; not every
    sandbox does). Without them a watched corpus is walked instead."""
    if journal.INotify is None:
        return False
    try:
        with tempfile.TemporaryDirectory() as folder, journal.INotify() as probe:
            probe.add_watch(folder, journal.WATCHED)
            Path(folder, "x").write_text("x")
            return any(event.name == "x" for event in probe.read(timeout=1000))
    except OSError:
        return False
