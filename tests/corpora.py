"""Test corpora shared by test modules (importable as `corpora`; a `conftest` import is
ambiguous once tests/slack/conftest.py is loaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def hash_assistant(root: Path, files: dict[str, str], **settings: Any):
    """An Assistant over `files` written to root/corpus, indexed with the deterministic fake
    embedder; index, data and cache under `root` (nothing touches ./index or ~/.cache)."""
    from assistant.config import Settings
    from assistant.service import Assistant

    corpus = write_corpus(root / "corpus", files)
    assistant = Assistant(settings=Settings(
        corpus_dir=corpus, index_dir=root / "ix", data_dir=root / "d", cache_dir=root / "c",
        embedder="hash", **settings))
    assistant.ingest(progress=False, log=lambda _: None)
    return assistant

DEV = DATA / "dev"
SAMPLES = DATA / "samples"
