"""Every supported format through the whole stack: ingest -> index -> ask -> citation.

Uses the hashing fake embedder (fast, deterministic); the real models are covered by the CLI
and eval tests. The facts sit in different formats so that each loader's output must survive
chunking, storage and answering with its locator (page, section) intact.
"""

from __future__ import annotations


import pytest

from assistant.config import Settings
from assistant.service import Assistant

from test_loaders import make_docx, pdf_bytes  # pytest puts tests/ on sys.path


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("formats")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(pdf_bytes([
        ["Annual report of the partnership", "", "The partnership met twice this year."],
        ["Budget", "", "The Kainuu pilot plant received EUR 2.4 million of regional funding."],
    ]))
    make_docx(corpus / "areas.docx")
    (corpus / "event.html").write_text(
        "<html><head><title>Matchmaking event</title><script>var tracking = 1;</script></head>"
        "<body><nav>Home | News</nav><h1>Matchmaking event</h1>"
        "<p>The cluster matchmaking event took place in the Santa Barbara Foundation in Leon.</p>"
        "</body></html>", encoding="utf-8")
    (corpus / "notes.md").write_text(
        "# Meeting notes\n\n## Decisions\n\nThe steering group approved the Zoom format for the "
        "final conference.\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", data_dir=root / "data",
                        cache_dir=root / "cache", embedder="hash")
    service = Assistant(settings=settings)
    report = service.ingest(progress=False, log=lambda _: None)
    assert (report.added, report.failed) == (4, [])
    return service


def test_pdf_answer_cites_its_page(assistant: Assistant) -> None:
    answer = assistant.ask("How much regional funding did the Kainuu pilot plant receive?")
    assert answer.answered and "2.4 million" in answer.text
    citation = answer.citations[0]
    assert (citation.doc_id, citation.page) == ("report.pdf", 2)
    assert "2.4 million" in citation.quote


def test_docx_table_row_is_quoted_with_its_headers(assistant: Assistant) -> None:
    answer = assistant.ask("Which region is in charge of the sustainability of mining?")
    assert answer.answered and "Lapland" in answer.text
    assert answer.citations[0].doc_id == "areas.docx"
    assert "Region in charge: Lapland" in answer.citations[0].quote


def test_html_text_without_markup_or_scripts(assistant: Assistant) -> None:
    answer = assistant.ask("Where did the cluster matchmaking event take place?")
    assert answer.answered and "Santa Barbara Foundation" in answer.text
    assert answer.citations[0].title == "Matchmaking event"
    assert "tracking" not in " ".join(h.chunk.text for h in answer.hits)


def test_markdown_section_path_is_the_locator(assistant: Assistant) -> None:
    answer = assistant.ask("Which format did the steering group approve for the final conference?")
    assert answer.answered and "Zoom" in answer.text
    assert answer.citations[0].section == "Meeting notes > Decisions"


# --- the same monitoring report as .txt, Word (two layouts) and PDF --------------------------

SEED = "s3-mining-partnership-monitoring-report-2020-h1.txt"
LEAD_QUESTION = "Which regions lead the Mining industry partnership?"


def _seed_files() -> dict[str, bytes]:
    from builders_forms import seed_report_docx, seed_report_pdf
    from corpora import SAMPLES

    return {
        "report.txt": (SAMPLES / SEED).read_bytes(),
        "report-bold.docx": seed_report_docx(prompts="bold"),
        "report-table.docx": seed_report_docx(prompts="table"),
        "report.pdf": seed_report_pdf(),
    }


@pytest.fixture(scope="module")
def seed_formats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Assistant]:
    """One index per rendering of the seed report (hash embedder), so each answers alone."""
    services = {}
    for name, data in _seed_files().items():
        root = tmp_path_factory.mktemp(name.replace(".", "-"))
        (root / "corpus").mkdir()
        (root / "corpus" / name).write_bytes(data)
        settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                            data_dir=root / "data", cache_dir=root / "cache", embedder="hash")
        service = Assistant(settings=settings)
        report = service.ingest(progress=False, log=lambda _: None)
        assert (report.added, report.failed) == (1, []), name
        services[name] = service
    return services


def _facts(service: Assistant) -> dict[str, object]:
    """What the memory says, without where it says it (quotes and chunks differ by format)."""
    memory = service.memory()
    return {
        "regions": sorted((r.name, r.role, r.country, r.nuts) for r in memory.regions),
        "events": sorted((e.title, e.date.iso() if e.date else None, e.place, e.online, e.status)
                         for e in memory.events),
        "periods": [(p.start.isoformat(), p.end.isoformat()) for p in memory.periods],
        "areas": [(a.name, a.lead, a.status) for a in memory.working_areas],
        "terms": sorted((t.acronym, t.expansion) for t in memory.terms),
    }


def test_seed_report_gives_the_same_facts_in_every_format(seed_formats):
    facts = {name: _facts(service) for name, service in seed_formats.items()}
    reference = facts.pop("report.txt")
    assert ("North Karelia", "leading", "FI", None) in reference["regions"]
    assert ("Stereia Ellada", "participating", "EL", "EL24") in reference["regions"]
    assert reference["periods"] == [("2020-01-01", "2020-06-30")]
    assert len(reference["events"]) == 11 and len(reference["areas"]) == 4
    for name, got in facts.items():
        for kind, value in reference.items():
            assert got[kind] == value, (name, kind)


@pytest.mark.parametrize("name", ["report.txt", "report-bold.docx", "report-table.docx",
                                  "report.pdf"])
def test_leading_regions_question_is_answered_from_every_format(seed_formats, name):
    answer = seed_formats[name].ask(LEAD_QUESTION)
    assert answer.answered, name
    assert "North Karelia" in answer.text and "Lapland" in answer.text, answer.text
    assert answer.citations and answer.citations[0].doc_id == name
