"""Keeping the index in step with the corpus dir while a process runs (the bot with
ASSISTANT_WATCH_CORPUS, `remix-assistant watch`): files dropped into, edited in or removed
from the corpus are indexed within seconds, each change costing what it changes.

The service's change journal (ingest/journal.py) says which names changed; this loop decides
when to ingest: once the corpus has been quiet for `settle` seconds (a copy of a hundred files
is one ingest, not a hundred), and in full every `full_walk` seconds whatever happened (a
change the kernel cannot report, such as a write through a memory map, is found then). Where
the corpus cannot be watched (not Linux, a network mount, the watch limit reached) it walks
the corpus every `unwatched` seconds instead.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .ingest.pipeline import IngestReport
    from .service import Assistant


class CorpusWatcher:
    """Runs `service.ingest()` when the watched corpus has changed and settled. `run` blocks
    (the `watch` command); `start` runs it on a daemon thread (the bot)."""

    def __init__(self, *, service: "Assistant", settle: float = 2.0, full_walk: float = 3600.0,
                 log: Callable[[str], None] = print, poll: float = 1.0,
                 unwatched: float = 60.0) -> None:
        self.service = service
        self.journal = service.watch_corpus(log=log)
        self.settle = settle
        self.full_walk = full_walk
        self.log = log
        self.poll = poll
        self.unwatched = unwatched  # seconds between walks where the corpus cannot be watched
        self.ingests = 0  # ingests run (what a caller waiting for one can watch)
        self._said: set[str] = set()  # an ingest's skip/fail lines, each said once
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "CorpusWatcher":
        self._thread = threading.Thread(target=self.run, name="corpus-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """Ingest now (which arms the journal), then on every settled change and every
        `full_walk` seconds, until `stop`."""
        walked_at = time.monotonic()
        self._ingest()
        how = "its change journal" if self.journal.armed else "walks"
        self.log(f"watching {self.journal.root} for changes ({how})")
        while not self._stop.is_set():
            if time.monotonic() - walked_at >= self.full_walk:
                self.journal.invalidate("the periodic full walk")
                walked_at = time.monotonic()
                self._ingest()
            if not self.journal.armed:  # cannot watch here (said once): walk now and then
                if not self._stop.wait(self.unwatched):
                    self._ingest()
                continue
            if not self.journal.wait(self.poll) and self.journal.walk_reason is None:
                continue
            while not self._stop.is_set() and self.journal.wait(self.settle):
                pass  # still changing: wait for quiet
            if not self._stop.is_set():
                self._ingest()

    def _ingest(self) -> "IngestReport | None":
        try:
            report = self.service.ingest(progress=False, log=self._once)
        except Exception as exc:  # an index busy or a disk full must not end the watch
            self.log(f"ingest of the watched corpus failed: {exc}")
            return None
        finally:
            self.ingests += 1
        if report.added or report.updated or report.removed or report.failed:
            self.log(f"corpus changed ({report.found_by}): {report.summary()}")
        return report

    def _once(self, line: str) -> None:
        """A walk repeats every skip line (a picture in the corpus, a file that fails): the
        log of a long-running watch says each once."""
        if line not in self._said:
            self._said.add(line)
            self.log(line)
