"""Shared fixtures: small corpora written to tmp dirs and settings that never touch ./index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embedding import HashingEmbedder

DATA = Path(__file__).parent / "data"

SMALL_CORPUS = {
    "kickoff.txt": (
        "Source: https://example.org/kickoff\nTitle: REMIX kick-off meeting\n\n"
        "Kick-off meeting\n\n"
        "The REMIX kick-off meeting was held in Kemi, Finland, on 5-6 April 2017. "
        "Partners from ten regions attended the two-day programme.\n\n"
        "Mr. Auffret from DG GROW talked about interregional cooperation in raw materials policy.\n"
    ),
    "regions.md": (
        "# Participating regions\n\n"
        "| Region | Country | NUTS |\n|---|---|---|\n"
        "| Lapland | FI | FI1D7 |\n| Västerbotten | SE | SE331 |\n| Asturias | ES | ES12 |\n"
    ),
    "bees.txt": (
        "Title: Beekeeping notes\n\nHoney bees live in colonies. A colony has one queen and many "
        "workers. Beekeepers harvest honey in late summer.\n"
    ),
}


def write_corpus(root: Path, files: dict[str, str] = SMALL_CORPUS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


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
