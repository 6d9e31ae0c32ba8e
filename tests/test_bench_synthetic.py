"""The scale bench's synthetic corpora: every document differs, and a corpus with nothing to
build from is a one-line error, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.bench import synthetic_corpus
from assistant.errors import AssistantError

PARAS = [f"Paragraph {i} tells how the mining region number {i} works with its partners on "
         f"raw materials, skills and investment across Europe." for i in range(4)]


def test_every_synthetic_document_differs(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "a.txt").write_text("Title: A\n\n" + "\n\n".join(PARAS), "utf-8")
    docs = synthetic_corpus(source, tmp_path / "out", chunks=40)
    texts = [p.read_text("utf-8") for p in sorted((tmp_path / "out").rglob("*.txt"))]
    assert docs == 20 and len(texts) == 20 and len(set(texts)) == 20


def test_nothing_to_build_from_is_an_error_a_user_can_act_on(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(AssistantError, match="ASSISTANT_CORPUS_DIR"):
        synthetic_corpus(tmp_path / "empty", tmp_path / "out", chunks=10)
