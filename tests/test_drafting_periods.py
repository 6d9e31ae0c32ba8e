"""The whole report over the real seed documents (hash embedder): golden checks of the January–
June 2020 draft against the seed report, and the next period (July–December 2020) drafted from
it plus one document saying that one of the planned meetings took place. Also the `draft`
command end to end: notes on stderr, never in the report."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.drafting import Draft, build_draft, render_markdown
from assistant.drafting.form import SDG_LEVELS
from assistant.drafting.cleaning import starts_lower
from assistant.memory.models import Period
from corpora import SAMPLES, hash_assistant

SEED = "s3-mining-partnership-monitoring-report-2020-h1.txt"
AUTUMN = "autumn-2020-activities.txt"
AUTUMN_TEXT = (
    "Title: Mining industry partnership: activities in autumn 2020\n\n"
    "Meetings and events held in autumn 2020\n\n"
    "- 22.9.2020 Partnership meeting - joint initiatives, online\n"
    "- 8.10.2020 Webinar of the European Clusters Alliance: the interregional investment "
    "pipeline of the partnership\n")
H1 = Period.parse("2020-01..2020-06")
H2 = Period.parse("2020-07..2020-12")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    files = {p.name: p.read_text(encoding="utf-8") for p in SAMPLES.glob("*.txt")}
    files[AUTUMN] = AUTUMN_TEXT
    return hash_assistant(tmp_path_factory.mktemp("periods"), files)


@pytest.fixture(scope="module")
def h1(assistant) -> Draft:
    return assistant.draft("report", period=H1, today=date(2020, 7, 15))


@pytest.fixture(scope="module")
def h2(assistant) -> Draft:
    return assistant.draft("report", period=H2, today=date(2021, 1, 15))


def section(report: Draft, name: str) -> Draft:
    return next(s for s in report.subsections if s.section == name)


def docs_of(report: Draft, item) -> set[str]:
    return {report.citations[n - 1].doc_id for n in item.refs}


# -- golden: the seed report's own period ------------------------------------------------------

def test_golden_header_fields(h1):
    fields = {i.data["field"]: i.cells[1] for i in section(h1, "header").items}
    assert fields == {"period": "January–June 2020", "partnership": "Mining industry",
                      "start": "Fall 2019",
                      "webpage": "https://s3platform.jrc.ec.europa.eu/mining-industry"}
    assert h1.partnership == "Mining industry"


def test_golden_tables(h1):
    regions = section(h1, "participating-regions")
    assert [r.cells[1] for r in regions.rows] == ["FI1D7", "FI1D3", "FI1D7", "SE331", "ES41",
                                                  "ES61", "ES12", "PT16", "EL24"]
    areas = section(h1, "working-areas")
    assert areas.columns == ("Working area", "Region in charge", "Involved regions",
                             "Other actors") and len(areas.rows) == 4
    past = section(h1, "past-events")
    assert [r.cells[1] for r in past.rows] == ["12-13.2.2020", "11.3.2020", "15.4.2020",
                                               "28.5.2020", "25.6.2020"]
    planned = [r for r in section(h1, "planned-events").rows if SEED in docs_of(h1, r)]
    assert [r.cells[0] for r in planned] == [
        "Partnership meeting - joint initiatives",
        "Online match-making - Capacity and business plan development",
        "MIREU and CoMMER in rawmaterial week"]
    # the September plan, with the day another document gives it
    assert [r.cells[1] for r in planned] == ["22.9.2020", "October/November", "November"]
    assert all(docs_of(h1, r) == {SEED} for r in past.rows)


def test_golden_sdg_table_is_carried_with_its_source(h1):
    sdg = section(h1, "sdg")
    assert sdg.columns == ("Goal", *SDG_LEVELS) and len(sdg.rows) == 17
    assert all(r.cells[1:].count("X") == 1 for r in sdg.rows)
    level = {r.data["goal"]: r.data["level"] for r in sdg.rows}
    assert level[7] == "Agree" and level[8] == "Strongly agree" and level[1] == "Neutral"
    assert sdg.carried_from == "the January–June 2020 report"
    assert "From the January–June 2020 report — review." in sdg.notes
    assert all(docs_of(h1, r) == {SEED} for r in sdg.rows)


def test_golden_narrative_answers_under_each_prompt(h1):
    def text(name: str) -> str:
        return " ".join(i.text for i in section(h1, name).items)

    assert text("interested-regions") == "Communication with MIREU partner regions"
    assert "Advanced materials for batteries" in text("collaboration")
    assert text("summary").startswith("Mining industries partnership could play the core role")
    assert "Regional ecosystems are the focal points" in text("cooperation")
    assert section(h1, "eu13").empty and section(h1, "results").empty


def test_clean_text_no_fragments_no_cut_titles(h1):
    outreach = [i.text for i in section(h1, "outreach").items]
    assert len(outreach) == 4
    assert outreach[0].startswith("30.6.2020 Clusters for Next Generation EU Dialogue")
    assert "strategic approach" in outreach[0]  # not cut at "Delivery of the"
    assert "Kristiina Jokelainen" in outreach[0]  # the quote's second line joined to it
    for sub in h1.subsections:
        for item in sub.items:
            lead_in = item.kind == "bullet" and sub.section == "summary"
            assert lead_in or not starts_lower(item.cells[0] if item.cells else item.text), \
                (sub.section, item.text)
            assert not item.text.rstrip().endswith((" the", " of the", " and")), item.text


def test_sources_name_each_document_once(h1):
    docs = [c.doc_id for c in h1.citations]
    assert len(docs) == len(set(docs)) and docs[0] == SEED
    seed = h1.citations[0]
    assert "I. Management report" in seed.section and "II. Progress report" in seed.section
    markdown = render_markdown(h1, notes=False)
    assert markdown.count(f"1. {seed.title}") == 1


# -- the next period ---------------------------------------------------------------------------

def test_next_period_lists_as_held_only_what_a_document_says_took_place(h2):
    past = section(h2, "past-events")
    assert [r.cells[0] for r in past.rows] == ["Partnership meeting - joint initiatives"]
    row = past.rows[0]
    assert row.cells[1] == "22.9.2020"
    assert docs_of(h2, row) == {SEED, AUTUMN}  # planned in one, reported held in the other
    assert [i.cells[0] for i in past.to_confirm] == [
        "Online match-making - Capacity and business plan development",
        "MIREU and CoMMER in rawmaterial week"]
    assert any("confirm" in n and "rawmaterial week" in n for n in past.notes)
    outreach = [i.text for i in section(h2, "outreach").items]
    assert outreach == ["8.10.2020 Webinar of the European Clusters Alliance: the "
                        "interregional investment pipeline of the partnership, Online"]


def test_next_period_carries_stable_sections_over_marked_with_their_source(h2):
    for name in ("summary", "participating-regions", "working-areas", "interested-regions",
                 "sdg", "header"):
        sub = section(h2, name)
        assert sub.items, name
        assert sub.carried_from == "the January–June 2020 report", name
        assert any("January–June 2020 report" in n for n in sub.notes), name
        assert all(SEED in docs_of(h2, i) for i in sub.items if i.refs), name
    header = {i.data["field"]: i for i in section(h2, "header").items}
    assert header["period"].cells[1] == "July–December 2020" and not header["period"].refs


def test_next_period_without_new_material_says_so_for_that_period(h2):
    for name in ("results", "impacts", "business-involvement"):
        sub = section(h2, name)
        assert not sub.items and sub.empty.endswith("in July–December 2020."), name
    assert not section(h2, "planned-events").rows  # no plans after December in the documents


# -- the command -------------------------------------------------------------------------------

def test_draft_command_prints_notes_on_stderr_and_writes_a_review_docx(assistant,
                                                                       tmp_path: Path):
    settings = assistant.settings
    env = {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
           "ASSISTANT_INDEX_DIR": str(settings.index_dir),
           "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_CACHE_DIR": str(settings.cache_dir), "ASSISTANT_EMBEDDER": "hash",
           "ASSISTANT_LLM_BASE_URL": ""}
    md = CliRunner().invoke(main, ["draft", "report", "--period", "2020-07..2020-12"], env=env)
    assert md.exit_code == 0, md.output
    assert "Carried over from the January–June 2020 report" in md.stderr
    assert "Carried over" not in md.stdout and "Note" not in md.stdout
    out = tmp_path / "h2.docx"
    result = CliRunner().invoke(main, ["draft", "report", "--period", "2020-07..2020-12",
                                       "--format", "docx", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    doc = docx.Document(io.BytesIO(out.read_bytes()))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Carried over" not in body and "confirm" not in body
    comments = [c.text for c in doc.comments]
    assert any("Carried over from the January–June 2020 report" in c for c in comments)
    assert any("To confirm: MIREU and CoMMER in rawmaterial week" in c for c in comments)
    clean = tmp_path / "clean.docx"
    result = CliRunner().invoke(main, ["draft", "report", "--period", "2020-07..2020-12",
                                       "--format", "docx", "--clean", "--out", str(clean)],
                                env=env)
    assert result.exit_code == 0 and not list(docx.Document(str(clean)).comments)
    bad = CliRunner().invoke(main, ["draft", "report", "--template", str(out)], env=env)
    assert bad.exit_code != 0 and "--format docx" in bad.output


def test_single_section_render_of_the_period_past_events(assistant):
    draft = build_draft("past-events", memory=assistant.memory(),
                        retrieve=lambda q, k: assistant.search(q, k=k), period=H2,
                        today=date(2021, 1, 15))
    text = render_markdown(draft, notes=False)
    assert "| 1 | Partnership meeting - joint initiatives [1][2] | 22.9.2020 | Online |  |" \
        in text.splitlines()
