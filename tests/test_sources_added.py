"""`sources` says when each document's current content was indexed: set when a file is added or
its text changes, kept when only its mtime changes (touch, checkout, copy)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from corpora import hash_assistant


def _added(assistant, doc_id: str):
    return next(d.added for d in assistant.sources().documents if d.doc_id == doc_id)


def test_added_time_follows_content_not_mtime(tmp_path: Path) -> None:
    before = time.time()
    assistant = hash_assistant(tmp_path, {
        "a.txt": "The REMIX kick-off meeting was held in Luleå in June 2016.",
        "b.txt": "Lapland leads the Mining industry partnership with North Karelia."})
    first, other = _added(assistant, "a.txt"), _added(assistant, "b.txt")
    assert first is not None and first.timestamp() >= int(before)

    path = tmp_path / "corpus" / "a.txt"
    time.sleep(1.1)  # the time is kept to the second
    os.utime(path, None)  # mtime only: the content was not indexed again
    assistant.ingest(progress=False, log=lambda _: None)
    assert _added(assistant, "a.txt") == first

    path.write_text("The REMIX kick-off meeting was held in Luleå on 8 June 2016.", encoding="utf-8")
    assistant.ingest(progress=False, log=lambda _: None)
    assert _added(assistant, "a.txt") > first
    assert _added(assistant, "b.txt") == other  # untouched files keep theirs
