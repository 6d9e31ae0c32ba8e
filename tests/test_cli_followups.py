"""`remix-assistant ask` follow-ups outside Slack (--continue, --batch "history"), a batch that
goes on past a malformed line, and "Searched for:" in the output; through click's CliRunner
on a hash-embedder index (fast, deterministic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from assistant.cli import main
from assistant.conversation import FILENAME, MAX_TURNS
from corpora import write_corpus

KICKOFF = "Where was the REMIX kick-off meeting held?"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    corpus = write_corpus(tmp_path / "corpus")
    env = {"ASSISTANT_EMBEDDER": "hash", "ASSISTANT_CORPUS_DIR": str(corpus),
           "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
           "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
           "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"), "ASSISTANT_K": None,
           "ASSISTANT_RERANKER": None, "ASSISTANT_LLM_BASE_URL": None}
    built = CliRunner().invoke(main, ["ingest"], env=env)
    assert built.exit_code == 0, built.output
    return env


def run(env: dict[str, str | None], *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ask_json(env: dict[str, str | None], *args: str) -> dict:
    result = run(env, "ask", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_continue_reads_the_previous_question(env: dict) -> None:
    first = ask_json(env, KICKOFF)
    assert "Kemi" in first["answer"] and first["searched_for"] is None
    follow = ask_json(env, "and when was it?", "--continue")
    assert follow["searched_for"] == f"and when was it? ({KICKOFF})"
    assert follow["question"] == "and when was it?"
    assert "April 2017" in follow["answer"]
    # Without --continue a new conversation starts: the same words stand alone.
    fresh = ask_json(env, "and when was it?")
    assert fresh["searched_for"] is None


def test_conversation_keeps_only_the_last_few_questions(env: dict, tmp_path: Path) -> None:
    ask_json(env, KICKOFF)
    for n in range(MAX_TURNS + 2):
        ask_json(env, f"and question {n}?", "--continue")
    saved = json.loads((tmp_path / "data" / FILENAME).read_text(encoding="utf-8"))
    assert saved["questions"] == [f"and question {n}?" for n in range(2, MAX_TURNS + 2)]
    ask_json(env, "What is the NUTS code of Lapland?")
    saved = json.loads((tmp_path / "data" / FILENAME).read_text(encoding="utf-8"))
    assert saved["questions"] == ["What is the NUTS code of Lapland?"]


def test_continue_with_an_unreadable_state_file_still_answers(env: dict, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / FILENAME).write_text("{not json", encoding="utf-8")
    answer = ask_json(env, KICKOFF, "--continue")
    assert "Kemi" in answer["answer"] and answer["searched_for"] is None


def test_batch_history_and_malformed_lines(env: dict) -> None:
    lines = [
        json.dumps({"id": "a", "question": KICKOFF}),
        '{"id": "b", "question": ',                        # truncated JSON
        json.dumps({"id": "c", "question": "and when was it?", "history": [KICKOFF]}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "e", "history": [KICKOFF]}),      # no question
        json.dumps({"id": "f", "question": "x?", "history": "not a list"}),
        "What is the NUTS code of Lapland?",
    ]
    result = run(env, "ask", "--batch", "-", "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 1  # all good lines answered; the status says some were not
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "2", "c", "4", "e", "f", "7"]
    errors = {o["id"]: o for o in out if "error" in o}
    assert set(errors) == {"2", "4", "e", "f"}
    assert errors["2"]["line"] == 2 and "JSON" in errors["2"]["error"]
    answers = {o["id"]: o for o in out if "error" not in o}
    assert answers["c"]["searched_for"] == f"and when was it? ({KICKOFF})"
    assert "April 2017" in answers["c"]["answer"]
    assert "FI1D7" in answers["7"]["answer"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4 and "--batch line 2" in warnings[0]
    assert "Traceback" not in result.output


def test_batch_of_good_lines_exits_zero(env: dict) -> None:
    result = run(env, "ask", "--batch", "-", input=KICKOFF + "\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["answered"] is True


def test_searched_for_is_shown_in_the_text_output(env: dict) -> None:
    result = run(env, "ask", "Wher was the REMIX kick-off meetng held?")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Searched for: {KICKOFF}\n")
    assert "Kemi" in result.stdout
    clean = run(env, "ask", KICKOFF)
    assert "Searched for" not in clean.stdout


def test_continue_and_batch_together_is_a_usage_error(env: dict) -> None:
    result = run(env, "ask", "--batch", "-", "--continue", input=KICKOFF + "\n")
    assert result.exit_code == 2 and "history" in result.output
