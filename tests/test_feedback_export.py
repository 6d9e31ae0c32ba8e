"""`feedback export` never writes an answer from a restricted document unless asked to, and every
line says the visibility of the documents it cites."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner
from corpora import hash_assistant

from assistant.access import PUBLIC, Visibility
from assistant.feedback import FeedbackStore

BOARD = Visibility(frozenset({"CBOARD"}), frozenset({"UBOSS"}), True)


def _record(store: FeedbackStore, question: str, *docs: str) -> None:
    store.record(question=question, answer_text=f"Answer to {question} [1]",
                 sources=[{"n": n, "doc": d} for n, d in enumerate(docs, start=1)],
                 verdict="helpful", user="U1", channel="CBOARD", ts="1.1", answered=True)


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_only_public_rows_unless_restricted_ones_are_asked_for(tmp_path: Path):
    store = FeedbackStore.open(tmp_path)
    _record(store, "public?", "pub.txt")
    _record(store, "mixed?", "pub.txt", "board.txt")
    _record(store, "gone?", "deleted.txt")
    _record(store, "nothing cited?")
    vis = {"pub.txt": PUBLIC, "board.txt": BOARD}

    out = io.StringIO()
    assert store.export_qa_jsonl(out, visibility=vis) == 2
    assert [(line["question"], line["visibility"]) for line in _lines(out.getvalue())] == [
        ("public?", "public"), ("nothing cited?", "public")]

    out = io.StringIO()
    assert store.export_qa_jsonl(out, visibility=vis, include_restricted=True) == 4
    lines = {line["question"]: line for line in _lines(out.getvalue())}
    assert lines["mixed?"]["visibility"] == "restricted"
    assert lines["mixed?"]["restricted_documents"] == {
        "board.txt": {"channels": ["CBOARD"], "users": ["UBOSS"]}}
    assert lines["gone?"]["visibility"] == "unknown"  # not in the index: not known to be public
    assert "restricted_documents" not in lines["public?"]


def test_the_cli_reads_visibility_from_the_index(tmp_path: Path):
    a = hash_assistant(tmp_path, {
        "public/overview.txt": "The partnership is led by Lapland.\n",
        "confidential/budget.txt": "The Zorblatt budget was cut by 40 percent.\n",
        "access.toml": '[[restrict]]\npaths = ["confidential/**"]\nchannels = ["CSTEER"]\n',
    })
    store = FeedbackStore.open(a.settings.data_dir)
    _record(store, "Who leads?", "public/overview.txt")
    _record(store, "What about the Zorblatt budget?", "confidential/budget.txt")
    s = a.settings
    env = {"ASSISTANT_CORPUS_DIR": str(s.corpus_dir), "ASSISTANT_INDEX_DIR": str(s.index_dir),
           "ASSISTANT_DATA_DIR": str(s.data_dir), "ASSISTANT_CACHE_DIR": str(s.cache_dir),
           "ASSISTANT_EMBEDDER": "hash"}
    from assistant.cli import main

    result = CliRunner().invoke(main, ["feedback", "export"], env=env)
    assert result.exit_code == 0, result.output
    assert "Zorblatt" not in result.output.replace("left out", "")
    assert [line["question"] for line in _lines(result.output)] == ["Who leads?"]
    assert "left out 1" in result.output

    result = CliRunner().invoke(main, ["feedback", "export", "--include-restricted"], env=env)
    lines = _lines(result.output)
    assert [line["visibility"] for line in lines] == ["public", "restricted"]
    assert lines[1]["restricted_documents"]["confidential/budget.txt"]["channels"] == ["CSTEER"]
