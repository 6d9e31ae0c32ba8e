"""Progress for steps of unknown length (a draft, loading a model): an elapsed-time line on a
terminal, nothing when stderr is piped or when the caller asks for quiet (e.g. `--json`).

Steps with a known size (files read, chunks embedded) use tqdm bars directly, in the ingest
pipeline; this is the same tqdm, drawn as "drafting report… 12s" and removed when done.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

from tqdm import tqdm

_REFRESH_SECONDS = 0.5


@contextmanager
def working(what: str, *, quiet: bool = False) -> Iterator[None]:
    """Show "<what>… <elapsed>" on stderr while the block runs (terminal only)."""
    bar = tqdm(total=None, desc=what, bar_format="{desc}… {elapsed}", file=sys.stderr,
               leave=False, disable=True if quiet else None)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(_REFRESH_SECONDS):
            bar.refresh()

    ticker = threading.Thread(target=tick, name="progress", daemon=True)
    if not bar.disable:
        ticker.start()
    try:
        yield
    finally:
        done.set()
        if ticker.is_alive():
            ticker.join()
        bar.close()
