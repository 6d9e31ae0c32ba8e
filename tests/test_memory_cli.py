"""The memory and drafting commands end to end over the seed documents (hash embedder):
`events`, `regions`, `glossary`, `draft`, and `ask` answering list questions from the memory;
plus drafting through the service with the LLM backend (a fake OpenAI-compatible server)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.config import Settings
from assistant.service import Assistant
from corpora import SAMPLES
from fake_llm import completion, error

pytest_plugins = ["fake_llm_fixtures"]

REPORT = "s3-mining-partnership-monitoring-report-2020-h1.txt"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("memory-cli")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in SAMPLES.glob("*.txt"):
        shutil.copy2(path, corpus / path.name)
    env = {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(root / "index"),
           "ASSISTANT_DATA_DIR": str(root / "data"), "ASSISTANT_CACHE_DIR": str(root / "cache"),
           "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_LLM_BASE_URL": ""}
    result = CliRunner().invoke(main, ["ingest"], env=env)
    assert result.exit_code == 0, result.output
    return env


def run(env: dict[str, str], *args: str):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def test_events_in_a_range_as_json_are_dated_placed_and_sourced(env):
    events = json.loads(run(env, "events", "--from", "2020-02", "--to", "2020-04", "--json").stdout)
    assert [(e["date"]["iso"], e["title"]) for e in events] == [
        ("2020-02-12/2020-02-13", "Results of the scoping note - next step"),
        ("2020-03-11", "Exploring the project ideas, regional analysis"),
        ("2020-04-15", "Regional analysis - mining steps and involvement of the regional industries"),
    ]
    assert events[0]["place"] == "Kemi, Finland" and events[1]["online"] is True
    assert all(e["source"]["doc"] == REPORT and e["source"]["quote"] for e in events)


def test_events_table_cites_numbered_sources(env):
    out = run(env, "events", "--status", "planned").stdout
    rows = [line for line in out.splitlines() if line.startswith("2020-")]
    assert len(rows) == 3 and all(line.rstrip().endswith("[1]") for line in rows)
    assert "Sources:" in out and f"({REPORT})" in out


def test_regions_and_glossary(env):
    regions = json.loads(run(env, "regions", "--role", "participating", "--json").stdout)
    assert {(r["name"], r["nuts"]) for r in regions} >= {("Asturias", "ES12"),
                                                          ("Västerbotten", "SE331")}
    assert len(regions) == 9
    out = run(env, "glossary", "CRM").stdout
    assert out.startswith("CRM — critical raw materials [1]")


def test_ask_answers_a_date_range_question_from_the_memory(env):
    answer = json.loads(run(env, "ask", "Which meetings took place in spring 2020?", "--json").stdout)
    assert answer["answered"]
    for date in ("11.3.2020", "15.4.2020", "28.5.2020"):
        assert date in answer["answer"]
    assert "12-13.2.2020" not in answer["answer"]  # February is not spring
    assert all(c["doc"] == REPORT for c in answer["citations"])


def test_draft_to_markdown_json_and_docx(env, tmp_path: Path):
    md = run(env, "draft", "past-events", "--period", "2020-01..2020-06").stdout
    assert "| 1 | Results of the scoping note - next step [1] | 12-13.2.2020 | Kemi, Finland |  |" in md
    data = json.loads(run(env, "draft", "participating-regions", "--format", "json").stdout)
    assert "Asturias" in json.dumps(data, ensure_ascii=False)
    out = tmp_path / "report.docx"
    run(env, "draft", "report", "--format", "docx", "--out", str(out))
    document = docx.Document(io.BytesIO(out.read_bytes()))
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "Kemi, Finland" in cells and "ES12" in cells
    listing = run(env, "draft", "--list").stdout
    assert listing.splitlines()[0].startswith("header")


def test_unknown_section_and_bad_period_are_one_line_errors(env):
    bad = CliRunner().invoke(main, ["draft", "budget"], env=env)
    assert bad.exit_code != 0 and "past-events" in bad.output  # names the valid sections
    bad = CliRunner().invoke(main, ["draft", "summary", "--period", "last year"], env=env)
    assert bad.exit_code != 0 and "2020-01..2020-06" in bad.output


# --- drafting with the LLM backend --------------------------------------------------------


def _llm_assistant(env: dict[str, str], url: str) -> Assistant:
    return Assistant(settings=Settings(
        _env_file=None, corpus_dir=Path(env["ASSISTANT_CORPUS_DIR"]),
        index_dir=Path(env["ASSISTANT_INDEX_DIR"]), data_dir=Path(env["ASSISTANT_DATA_DIR"]),
        cache_dir=Path(env["ASSISTANT_CACHE_DIR"]), embedder="hash", llm_base_url=url,
        llm_timeout=2))


def test_draft_uses_the_llm_for_narrative_sections_and_keeps_only_cited_text(env, fake_llm):
    fake_llm.script(completion(
        "The partnership aims to strengthen regional innovation capacity in mining [1]. "
        "It was founded on the Moon in 1969."))
    draft = _llm_assistant(env, fake_llm.url).draft("summary")
    text = json.dumps(draft.to_json(), ensure_ascii=False)
    assert "strengthen regional innovation capacity in mining" in text
    assert "Moon" not in text  # uncited: removed
    prompt = fake_llm.requests[0].message("user")
    assert "aims of the partnership" in prompt.lower()  # the passages went to the model


def test_draft_falls_back_to_extractive_text_when_the_llm_fails(env, fake_llm):
    fake_llm.script(error(500), error(500))
    draft = _llm_assistant(env, fake_llm.url).draft("summary")
    body = json.dumps(draft.to_json(), ensure_ascii=False)
    assert "LLM unavailable" in body
    assert "Mining industries partnership could play the core role" in body


def test_glossary_shows_definitions_with_their_sentence(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "about.txt").write_text(
        "Title: About the partnership\n\nS3 stands for Smart Specialisation Strategy. REMIX is "
        "an Interreg Europe project that brings mining regions together. REMIX is marking the "
        "end of its first phase.\n", encoding="utf-8")
    env = {"ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
           "ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_CACHE_DIR": str(tmp_path / "c"),
           "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_LLM_BASE_URL": ""}
    run(env, "ingest")
    assert run(env, "glossary", "S3").stdout.startswith("S3 — Smart Specialisation Strategy [1]")
    entries = json.loads(run(env, "glossary", "REMIX", "--json").stdout)
    assert [(e["acronym"], e["definition"], e["category"]) for e in entries] == [
        ("REMIX", "REMIX is an Interreg Europe project that brings mining regions together.",
         "Interreg Europe project")]
    assert entries[0]["source"]["doc"] == "about.txt" and entries[0]["source"]["chunk"]
