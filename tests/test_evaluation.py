"""`evaluate` and `remix-assistant eval` / `calibrate` on a tiny hash-embedder corpus: follow-ups
get their history, figures per kind, confident-wrong, the reliability table, several files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.answering.calibration import Calibrator, LogisticModel
from assistant.cli import main
from assistant.evaluation import QAItem, evaluate, load_qa
from corpora import SMALL_CORPUS, hash_assistant, write_corpus

KICKOFF = "Where was the REMIX kick-off meeting held?"
ITEMS = [
    QAItem("p1", KICKOFF, [["Kemi"]], True, "plain"),
    QAItem("f1", "and when was it?", [["April 2017"]], True, "followup", (KICKOFF,)),
    QAItem("l1", "What is the NUTS code of Lapland?", [["FI1D7"]], True, "plain"),
    # Answerable by the documents but with a "must" they do not hold: a wrong answer.
    QAItem("w1", "How many workers does a bee colony have?", [["4 million"]], True, "trap"),
    QAItem("u1", "What do honey bees harvest in late summer?", [], False, "trap"),
    QAItem("u2", "What is the population of Jupiter's moons?", [], False, "unanswerable"),
]


def _calibrator(threshold: float) -> Calibrator:
    model = LogisticModel(features=("answer.support",), mean=(0.5,), scale=(0.25,), coef=(2.0,))
    return Calibrator(answered=model, refused=LogisticModel(), threshold=threshold)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    return hash_assistant(tmp_path_factory.mktemp("eval"), SMALL_CORPUS)


def _run(assistant) -> object:
    return evaluate(ITEMS, lambda q, qid, history=(): assistant.ask(q, id=qid, history=history))


def test_follow_up_is_asked_with_its_history(assistant) -> None:
    result = _run(assistant)
    row = {r["id"]: r for r in result.items}["f1"]
    assert row["history"] == [KICKOFF]
    assert KICKOFF in row["searched_for"]  # the question was read with the earlier one
    assert row["correct"]
    alone = assistant.ask("and when was it?")
    assert "April 2017" not in alone.text or not alone.answered or alone.searched_for is None


def test_confident_wrong_counts_unhedged_wrong_answers_of_all_questions(assistant) -> None:
    assistant.calibrator = _calibrator(threshold=0.0)  # never hedge
    never = _run(assistant)
    wrong = [r for r in never.items if r["answered"] and not r["right"]]
    assert wrong, "the trap questions must be answered wrongly for this test to mean anything"
    assert never.metrics["confident_wrong"] == pytest.approx(len(wrong) / len(ITEMS))
    assert never.metrics["hedged"] == 0.0
    assistant.calibrator = _calibrator(threshold=1.01)  # always hedge
    always = _run(assistant)
    answered = [r for r in always.items if r["answered"]]
    assert always.metrics["confident_wrong"] == 0.0
    assert always.metrics["hedged"] == pytest.approx(len(answered) / len(ITEMS))
    # Hedging changes no answer's correctness.
    assert [r["correct"] for r in always.items if r["answerable"]] == \
        [r["correct"] for r in never.items if r["answerable"]]
    assistant.calibrator = None


def test_figures_per_kind_and_reliability(assistant) -> None:
    result = _run(assistant)
    assert list(result.by_kind) == ["plain", "followup", "trap", "unanswerable"]
    assert result.by_kind["plain"]["questions"] == 2
    assert result.by_kind["unanswerable"]["answer_accuracy"] is None  # undefined, not 0
    assert result.by_kind["unanswerable"]["refused_unanswerable"] in (0.0, 1.0)
    assert sum(b.count for b in result.bins) == len(ITEMS)
    rights = sum(r["right"] for r in result.items)
    assert sum((b.accuracy or 0) * b.count for b in result.bins) == pytest.approx(rights)
    text = result.table()
    assert "confident_wrong" in text and "per kind:" in text and "reliability" in text
    assert json.loads(json.dumps(result.to_json()))["by_kind"]["trap"]["questions"] == 2


def test_load_qa_reads_kind_and_history_and_names_a_bad_line(tmp_path: Path) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "a", "question": "and Kankberg?", "must": [["620"]],
                              "answerable": True, "kind": "followup",
                              "history": ["How deep is the Renström mine?"]}) + "\n\n{oops\n",
                  encoding="utf-8")
    from assistant.errors import AssistantError

    with pytest.raises(AssistantError, match="qa.jsonl:3"):
        load_qa(qa)
    qa.write_text(qa.read_text(encoding="utf-8").replace("{oops\n", ""), encoding="utf-8")
    (item,) = load_qa(qa)
    assert item.kind == "followup" and item.history == ("How deep is the Renström mine?",)


# --- the commands ----------------------------------------------------------------------------

OTHER_CORPUS = {
    "mines.txt": "Title: Boliden Area\n\nThe Renström mine is 1,500 metres deep. "
                 "The Kankberg mine reaches 620 metres.\n",
}


@pytest.fixture
def qa_sets(tmp_path: Path) -> list[tuple[Path, Path]]:
    first = write_corpus(tmp_path / "first", SMALL_CORPUS)
    (first / "qa.jsonl").write_text("\n".join(json.dumps({
        "id": i.id, "question": i.question, "must": i.must, "answerable": i.answerable,
        "kind": i.kind, "history": list(i.history)}) for i in ITEMS) + "\n", encoding="utf-8")
    second = write_corpus(tmp_path / "second", OTHER_CORPUS)
    (second / "qa.jsonl").write_text("\n".join(json.dumps(d) for d in [
        {"id": "m1", "question": "How deep is the Renström mine?", "must": [["1,500"]],
         "answerable": True, "kind": "plain"},
        {"id": "m2", "question": "and Kankberg?", "must": [["620"]], "answerable": True,
         "kind": "followup", "history": ["How deep is the Renström mine?"]},
        {"id": "m3", "question": "Who is the CEO of Boliden?", "must": [], "answerable": False,
         "kind": "unanswerable"},
    ]) + "\n", encoding="utf-8")
    return [(first / "qa.jsonl", first), (second / "qa.jsonl", second)]


def _env(tmp_path: Path) -> dict[str, str | None]:
    return {"ASSISTANT_EMBEDDER": "hash", "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
            "ASSISTANT_CACHE_DIR": str(tmp_path / "cache"), "ASSISTANT_K": None,
            "ASSISTANT_RERANKER": None, "ASSISTANT_LLM_BASE_URL": None,
            "ASSISTANT_INDEX_DIR": str(tmp_path / "unused-index")}


def test_eval_several_files_json(tmp_path: Path, qa_sets) -> None:
    (qa1, c1), (qa2, c2) = qa_sets
    result = CliRunner().invoke(main, ["eval", str(qa1), str(qa2), "--corpus", str(c1),
                                       "--corpus", str(c2), "--json"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["metrics"]["questions"] == len(ITEMS) + 3
    assert [f["metrics"]["questions"] for f in report["files"]] == [len(ITEMS), 3]
    assert {"plain", "followup", "trap", "unanswerable"} <= report["by_kind"].keys()
    assert report["by_kind"]["followup"]["questions"] == 2
    assert sum(b["count"] for b in report["reliability"]) == len(ITEMS) + 3
    assert "confident_wrong" in report["metrics"] and "hedged" in report["metrics"]
    rows = {r["id"]: r for r in report["items"]}
    # "and Kankberg?" was read with its history (the file's, not the other file's).
    searched = rows["m2"]["searched_for"]
    assert "Kankberg" in searched and "deep" in searched.lower()  # the earlier question's "How deep"


def test_eval_human_output_and_corpus_count_mismatch(tmp_path: Path, qa_sets) -> None:
    (qa1, c1), (qa2, c2) = qa_sets
    env = _env(tmp_path)
    text = CliRunner().invoke(main, ["eval", str(qa1), str(qa2), "--corpus", str(c1),
                                     "--corpus", str(c2)], env=env)
    assert text.exit_code == 0, text.output
    assert f"== {qa1}" in text.stdout and "== all 2 files" in text.stdout
    assert "per kind:" in text.stdout and "0.8–1.0" in text.stdout
    bad = CliRunner().invoke(main, ["eval", str(qa1), str(qa2), "--corpus", str(c1),
                                    "--corpus", str(c2), "--corpus", str(c1)], env=env)
    assert bad.exit_code == 2 and "one per QA file" in bad.output


def test_calibrate_writes_a_loadable_calibration(tmp_path: Path, qa_sets) -> None:
    (qa1, _), (qa2, _) = qa_sets
    out = tmp_path / "calibration.json"
    result = CliRunner().invoke(main, ["calibrate", str(qa1), str(qa2), "--out", str(out)],
                                env=_env(tmp_path))  # each QA file's folder is its corpus
    assert result.exit_code == 0, result.output
    assert "confidence   count" in result.stdout and "confident-wrong" in result.stdout
    calibrator = Calibrator.load(out)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["embedder"].startswith("hash") and saved["fitted_on"] == [str(qa1), str(qa2)]
    assert 0.0 <= calibrator.threshold <= 1.0
