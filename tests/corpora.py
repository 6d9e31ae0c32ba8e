"""Test corpora shared by test modules (importable as `corpora`; a `conftest` import is
ambiguous once tests/slack/conftest.py is loaded)."""

from __future__ import annotations

from pathlib import Path

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

DEV = DATA / "dev"
SAMPLES = DATA / "samples"
