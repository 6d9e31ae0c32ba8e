"""Per-file size limit and metadata header lines: what ingest refuses, and what never becomes
searchable content."""

from __future__ import annotations

from pathlib import Path

from corpora import hash_assistant

from assistant.config import Settings
from assistant.service import Assistant


def _assistant(tmp_path: Path, corpus: Path, **overrides) -> Assistant:
    return Assistant(settings=Settings(corpus_dir=corpus, index_dir=tmp_path / "ix",
                                       data_dir=tmp_path / "d", cache_dir=tmp_path / "c",
                                       embedder="hash", **overrides))


def test_a_file_over_the_size_limit_is_refused_with_a_reason_and_the_rest_goes_on(
        tmp_path: Path, small_corpus: Path):
    (small_corpus / "huge.txt").write_text("Mining report. " * 2000, encoding="utf-8")
    lines: list[str] = []
    report = _assistant(tmp_path, small_corpus, max_file_bytes=10_000).ingest(
        progress=False, log=lines.append)
    assert report.added == 3
    assert [Path(p).name for p, _ in report.failed] == ["huge.txt"]
    [line] = [ln for ln in lines if "huge.txt" in ln]
    assert "too large" in line and "ASSISTANT_MAX_FILE_BYTES" in line


def test_visibility_header_is_metadata_not_content(tmp_path: Path):
    assistant = hash_assistant(tmp_path, {"board.txt": (
        "Title: Board notes\nVisibility: restricted users=U0BOARD1\n\n"
        "The board met in Luleå on 3 March 2020.\n")})
    [stored] = assistant.reader().all_chunks()
    assert stored.chunk.title == "Board notes"  # the header block was read as a whole
    assert "Visibility" not in stored.chunk.text and "U0BOARD1" not in stored.chunk.text
    assert assistant.reader().files()[stored.file_key].visibility.users == {"U0BOARD1"}
