"""Shared fixtures: small corpora written to tmp dirs and settings that never touch ./index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embedding import HashingEmbedder

from corpora import DATA, DEV, SAMPLES, SMALL_CORPUS, write_corpus  # noqa: F401


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def hash_settings(tmp_path: Path, small_corpus: Path) -> Settings:
    return Settings(
        corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache", embedder="hash",
    )


@pytest.fixture
def hash_embedder() -> HashingEmbedder:
    return HashingEmbedder()


# --- real-model session fixtures (tests marked slow) ---------------------------------------
# The packaged MiniLM is loaded in-process and exported to ONNX at most once per session (one
# shared cache dir), and each evaluation corpus is indexed once per session into a tmp dir.

# "bundled": the repository's corpus/ (dev + samples), which the realistic set is written over.
EVAL_CORPORA = {"samples": SAMPLES, "dev": DEV, "bundled": Path(__file__).parent.parent / "corpus"}


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ASSISTANT_CACHE_DIR for every real-model test of the session (ONNX export made once)."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def seed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two seed documents of tests/data/samples (not qa.jsonl), copied to a tmp corpus."""
    import shutil

    root = tmp_path_factory.mktemp("seed-corpus")
    seeds = sorted(SAMPLES.glob("*.txt"))
    assert seeds, _missing(SAMPLES)
    for path in seeds:
        shutil.copy2(path, root / path.name)
    return root


def _missing(corpus: Path) -> str:
    return (f"{corpus} has no documents: is tests/data/ in the checkout? (an unanchored "
            "'data/' in .gitignore also ignores tests/data/)")


def real_settings(corpus: Path, work: Path, cache_dir: Path, embedder: str = "minilm"
                  ) -> Settings:
    """Real-embedder settings; every field given explicitly so ASSISTANT_* in the caller's
    environment (or a .env) cannot change what the slow tests measure."""
    return Settings(
        corpus_dir=corpus, index_dir=work / "index", data_dir=work / "data",
        cache_dir=cache_dir, embedder=embedder, k=5, reranker=None, llm_base_url=None,
    )


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path):
    """`real_assistant("samples" | "dev", embedder)`: an Assistant over that corpus with a real
    embedder, indexed on first request and reused for the rest of the session."""
    from assistant.service import Assistant

    built: dict[tuple[str, str], Assistant] = {}

    def get(name: str, embedder: str = "minilm") -> Assistant:
        if (name, embedder) not in built:
            corpus = EVAL_CORPORA[name]
            assert corpus.is_dir() and any(corpus.iterdir()), _missing(corpus)
            work = tmp_path_factory.mktemp(f"eval-{name}-{embedder}")
            assistant = Assistant(settings=real_settings(corpus, work, model_cache_dir, embedder))
            report = assistant.ingest([corpus], progress=False, log=lambda _: None)
            assert report.chunks > 0 and not report.failed, report.summary()
            built[name, embedder] = assistant
        return built[name, embedder]

    return get
