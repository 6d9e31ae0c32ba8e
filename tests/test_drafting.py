"""Report drafting: table sections from the memory (period filter, dedupe, default period),
narrative sections from the seed documents (every sentence cited, no form text), the LLM
writer and its fallback, the whole report, and golden checks on the seed report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.drafting import SECTIONS, Draft, UnknownSectionError, build_draft
from assistant.errors import AssistantError, BackendError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_document
from assistant.memory.models import (
    DateSpan,
    Event,
    Period,
    ProjectMemory,
    Region,
    ReportingPeriod,
    SourceRef,
    WorkingArea,
)
from assistant.models import Chunk, CitedSentence, Hit

SAMPLES = Path(__file__).parent / "data" / "samples"
SEED = "s3-mining-partnership-monitoring-report-2020-h1.txt"
H1 = Period.parse("2020-01..2020-06")
TODAY = date(2020, 7, 15)


def no_hits(query: str, k: int) -> list[Hit]:
    return []


def ref(doc: str, n: int, quote: str, title: str = "Monitoring report") -> SourceRef:
    return SourceRef(chunk_id=f"{doc}#{n}", doc_id=doc, title=title, quote=quote,
                     section=f"part {n}")


def day(text: str, start: date, end: date | None = None) -> DateSpan:
    return DateSpan(text, start, end or start, "day")


def event(title: str, when: DateSpan | None, doc: str = "h1.txt", *, n: int = 5,
          status: str = "past", place: str | None = None, online: bool | None = None) -> Event:
    return Event(title=title, source=ref(doc, n, f"Event: {title}"), date=when, place=place,
                 online=online, status=status)


def period_of(doc: str, start: date, end: date) -> ReportingPeriod:
    return ReportingPeriod(doc, start, end, ref(doc, 0, "Reporting period"))


def cells(draft: Draft, column: int = 0) -> list[str]:
    return [row.cells[column] for row in draft.rows]


def cited_in_order(draft: Draft) -> list[int]:
    """Citation numbers in reading order, each at its first use."""
    return list(dict.fromkeys(n for item in draft.all_items() for n in item.refs))


# -- registry and errors -------------------------------------------------------------------

def test_sections_follow_the_report_template():
    assert list(SECTIONS) == [
        "header", "summary", "leading-regions", "participating-regions", "interested-regions",
        "working-areas", "past-events", "planned-events", "results", "impacts",
        "collaboration", "business-involvement", "cooperation", "eu13", "non-eu", "outreach",
        "other-platforms", "sdg", "report"]
    assert SECTIONS["past-events"].kind == "table"
    assert SECTIONS["summary"].kind == "narrative"
    assert all(spec.title and spec.description for spec in SECTIONS.values())
    parts = [spec.part for spec in SECTIONS.values() if spec.part]
    assert parts == sorted(parts, key=["header", "I. Management report",
                                       "II. Progress report"].index)
    # every prompt is the form's own wording, found in the seed report
    seed = " ".join((SAMPLES / SEED).read_text(encoding="utf-8").replace("*", "").split())
    for spec in SECTIONS.values():
        assert not spec.prompt or spec.prompt in seed, spec.prompt


def test_unknown_section_names_the_valid_ones():
    with pytest.raises(UnknownSectionError) as err:
        build_draft("budget", memory=ProjectMemory(), retrieve=no_hits)
    assert isinstance(err.value, AssistantError)
    assert "budget" in str(err.value) and "past-events" in str(err.value)


# -- tables from a hand-built memory -------------------------------------------------------

def h1_memory() -> ProjectMemory:
    return ProjectMemory(
        periods=[period_of("h1.txt", date(2020, 1, 1), date(2020, 6, 30))],
        events=[
            event("Kick-off", day("5.12.2019", date(2019, 12, 5))),
            event("Scoping note results", day("12-13.2.2020", date(2020, 2, 12),
                                              date(2020, 2, 13)), place="Kemi, Finland"),
            event("Regional analysis", day("15.4.2020", date(2020, 4, 15)), online=True),
            event("Partnership meeting - joint initiatives",
                  DateSpan("September", date(2020, 9, 1), date(2020, 9, 30), "month"),
                  n=6, status="planned", online=True),
            event("Mining conference in Lulea", day("3.3.2023", date(2023, 3, 3)),
                  doc="other.txt", status="planned"),
        ],
    )


def test_past_events_are_only_those_of_the_period_in_date_order():
    draft = build_draft("past-events", memory=h1_memory(), retrieve=no_hits, period=H1,
                        today=TODAY)
    assert draft.columns == ("Event", "Date", "Place", "Any other information")
    assert draft.numbered
    assert cells(draft) == ["Scoping note results", "Regional analysis"]
    assert [r.cells[1:3] for r in draft.rows] == [("12-13.2.2020", "Kemi, Finland"),
                                                 ("15.4.2020", "Online")]
    assert all(row.refs for row in draft.rows)
    quote = draft.citations[0].quote  # rows of one table share its citation, quoting each
    assert "Event: Scoping note results" in quote and "Kick-off" not in quote


def test_planned_events_are_the_reports_plans_not_far_future_ones():
    draft = build_draft("planned-events", memory=h1_memory(), retrieve=no_hits, period=H1,
                        today=TODAY)
    assert cells(draft) == ["Partnership meeting - joint initiatives"]


def test_an_event_reported_by_two_documents_is_one_row_citing_both():
    memory = h1_memory()
    memory.periods.append(period_of("h2.txt", date(2020, 7, 1), date(2020, 12, 31)))
    memory.events.append(event("Partnership meeting: joint initiatives",
                               day("15.9.2020", date(2020, 9, 15)), doc="h2.txt",
                               place="Joensuu"))
    draft = build_draft("planned-events", memory=memory, retrieve=no_hits, period=H1,
                        today=TODAY)
    assert len(draft.rows) == 1
    row = draft.rows[0]
    assert row.cells[1:3] == ("15.9.2020", "Joensuu")  # the most precise report
    assert {draft.citations[n - 1].doc_id for n in row.refs} == {"h1.txt", "h2.txt"}


def test_period_filter_follows_the_period_asked_for():
    draft = build_draft("past-events", memory=h1_memory(), retrieve=no_hits,
                        period=Period.parse("2019-07..2019-12"), today=TODAY)
    assert cells(draft) == ["Kick-off"]


def test_outreach_activities_leave_the_meetings_table_for_the_outreach_section():
    memory = h1_memory()
    memory.events.append(event("MIREU online workshop on funding",
                               day("25.5.2020", date(2020, 5, 25)), n=9, online=True))
    past = build_draft("past-events", memory=memory, retrieve=no_hits, period=H1, today=TODAY)
    outreach = build_draft("outreach", memory=memory, retrieve=no_hits, period=H1, today=TODAY)
    assert "MIREU online workshop on funding" not in cells(past)
    assert any("outreach" in note for note in past.notes)
    assert [i.text for i in outreach.prose] == ["25.5.2020 MIREU online workshop on funding, "
                                                "Online"]
    assert outreach.prose[0].kind == "bullet" and outreach.prose[0].evidence
    assert outreach.empty is None


def test_default_period_is_the_latest_reporting_period_and_says_so():
    memory = h1_memory()
    memory.periods.append(period_of("h2.txt", date(2020, 7, 1), date(2020, 12, 31)))
    draft = build_draft("past-events", memory=memory, retrieve=no_hits, today=TODAY)
    assert draft.period == Period(date(2020, 7, 1), date(2020, 12, 31))
    assert any("latest reporting period" in n and "July–December 2020" in n
               for n in draft.notes)
    # planned for September 2020 by the earlier report, and no document says it was held
    assert cells(draft) == []
    assert [i.cells[0] for i in draft.to_confirm] == ["Partnership meeting - joint initiatives"]
    assert any("confirm" in n and "Partnership meeting" in n for n in draft.notes)


def test_without_any_reporting_period_nothing_is_filtered_and_the_note_says_so():
    memory = h1_memory()
    memory.periods.clear()
    draft = build_draft("past-events", memory=memory, retrieve=no_hits, today=TODAY)
    assert draft.period is None
    assert any("nothing is filtered" in n for n in draft.notes)
    assert cells(draft) == ["Kick-off", "Scoping note results", "Regional analysis"]


def test_region_tables_dedupe_and_keep_to_their_role():
    lapland = "Lapland (FI) FI1D7"
    memory = ProjectMemory(regions=[
        Region("Lapland", ref("a.txt", 3, "leading: Lapland"), "FI", None, "leading"),
        Region("Lapland", ref("a.txt", 3, lapland), "FI", "FI1D7", "participating"),
        Region("Lapland", ref("b.txt", 1, lapland), "FI", "FI1D7", "participating"),
        Region("Kainuu", ref("a.txt", 3, "Kainuu (FI) FI1D3"), "FI", "FI1D3", "participating"),
        Region("Cornwall", ref("c.txt", 1, "Cornwall"), "UK", None, "mentioned"),
    ])
    participating = build_draft("participating-regions", memory=memory, retrieve=no_hits,
                                today=TODAY)
    assert [r.cells for r in participating.rows] == [("Lapland (FI)", "FI1D7"),
                                                     ("Kainuu (FI)", "FI1D3")]
    assert {participating.citations[n - 1].doc_id
            for n in participating.rows[0].refs} == {"a.txt", "b.txt"}
    leading = build_draft("leading-regions", memory=memory, retrieve=no_hits, today=TODAY)
    assert [r.cells for r in leading.rows] == [("Lapland (FI)", "FI1D7")]  # code from the list


def test_lists_come_from_the_periods_own_report_when_it_has_them():
    memory = ProjectMemory(
        periods=[period_of("h1.txt", date(2020, 1, 1), date(2020, 6, 30))],
        working_areas=[
            WorkingArea("Sustainability of mining", ref("h1.txt", 4, "Working area: S"),
                        status="In progress"),
            WorkingArea("Old area", ref("2018.txt", 4, "Working area: Old")),
        ])
    draft = build_draft("working-areas", memory=memory, retrieve=no_hits, period=H1,
                        today=TODAY)
    assert draft.columns == ("Working area", "Region in charge", "Involved regions",
                             "Other actors")
    assert [r.cells for r in draft.rows] == [("Sustainability of mining", "", "", "")]
    assert draft.rows[0].data["status"] == "In progress"  # a status is no region in charge


def test_empty_memory_gives_no_material_and_no_rows():
    for name in ("past-events", "participating-regions", "summary", "outreach"):
        draft = build_draft(name, memory=ProjectMemory(), retrieve=no_hits, period=H1,
                            today=TODAY)
        assert draft.items == [] and draft.citations == []
        assert draft.empty == (f"No material found in the documents for "
                               f"{SECTIONS[name].title} in January–June 2020.")


# -- narrative sections over the seed documents --------------------------------------------

@pytest.fixture(scope="module")
def seed_search(seed_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    """`retrieve` over the two seed documents, indexed with the hashing embedder."""
    from assistant.service import Assistant

    work = tmp_path_factory.mktemp("drafting-index")
    assistant = Assistant(settings=Settings(
        corpus_dir=seed_corpus, index_dir=work / "index", data_dir=work / "data",
        cache_dir=work / "cache", embedder="hash", llm_base_url=None))
    report = assistant.ingest([seed_corpus], progress=False, log=lambda _: None)
    assert report.chunks > 0
    return lambda query, k: assistant.search(query, k=k)


def seed_memory() -> ProjectMemory:
    """What the memory knows about the seed report: its reporting period."""
    return ProjectMemory(periods=[
        ReportingPeriod(SEED, date(2020, 1, 1), date(2020, 6, 30),
                        ref(SEED, 0, "Reporting period: January - June 2020"))])


FORM_TEXT = re.compile(r"^please\b|specific examples|^evaluation of|^advancement and promotion",
                       re.IGNORECASE)


@pytest.mark.parametrize("section", ["summary", "interested-regions", "impacts",
                                     "collaboration", "business-involvement", "cooperation",
                                     "outreach", "other-platforms"])
def test_narrative_sentences_are_cited_and_never_form_text(section, seed_search):
    draft = build_draft(section, memory=seed_memory(), retrieve=seed_search, period=H1,
                        today=TODAY)
    assert draft.prose, f"{section}: nothing drafted"
    for item in draft.prose:
        assert item.refs and all(1 <= n <= len(draft.citations) for n in item.refs)
        assert not FORM_TEXT.search(item.text), item.text
        quote = " ".join(draft.citations[n - 1].quote for n in item.refs)
        assert item.text.split(":")[0][:40] in quote  # the sentence is the document's own
    assert cited_in_order(draft) == list(range(1, len(draft.citations) + 1))


def test_narrative_sections_pick_the_answers_written_under_their_prompts(seed_search):
    def text(section: str) -> str:
        draft = build_draft(section, memory=seed_memory(), retrieve=seed_search, period=H1,
                            today=TODAY)
        return " ".join(i.text for i in draft.prose)

    assert "The aims of the partnership are: to strengthen" in text("summary")
    business = text("business-involvement")
    assert "DIH" in business and "clusters" in business
    assert "Executive summary" not in business
    assert "Advanced materials for batteries" in text("collaboration")
    assert "3 interregional initiatives" in text("impacts")
    assert text("interested-regions") == "Communication with MIREU partner regions"
    assert "Advanced materials for batteries - initiative" in text("other-platforms")
    assert "key role in ensuring a continued supply of CRM" in text("cooperation")
    assert text("results") == ""  # the report wrote "Next report": nothing to hand in


def test_irrelevant_material_gives_no_material(seed_search):
    bees = Chunk(chunk_id="bees#0", doc_id="bees.txt", title="Beekeeping notes",
                 text="Honey bees live in colonies. A colony has one queen and many workers.")
    draft = build_draft("results", memory=seed_memory(),
                        retrieve=lambda q, k: [Hit(chunk=bees, score=1.0)], period=H1,
                        today=TODAY)
    assert draft.items == [] and draft.citations == []
    assert draft.empty and draft.empty.startswith("No material found in the documents for")


# -- the optional LLM writer ---------------------------------------------------------------

class FakeWriter:
    """Writes one sentence per passage citing it, plus one citing a passage it was not given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def write(self, *, task: str, passages: Sequence[str]) -> list[CitedSentence]:
        self.calls.append((task, list(passages)))
        out = [CitedSentence(f"Rephrased passage {i}.", (i,)) for i in range(len(passages), 0, -1)]
        return out + [CitedSentence("Invented claim.", (len(passages) + 1,))]


class DownWriter:
    def write(self, *, task: str, passages: Sequence[str]) -> list[CitedSentence]:
        raise BackendError("connection refused")


def test_writer_sentences_cite_the_passages_they_name(seed_search):
    writer = FakeWriter()
    draft = build_draft("impacts", memory=seed_memory(), retrieve=seed_search, period=H1,
                        writer=writer, today=TODAY)
    (task, passages), = writer.calls
    assert "Socio-economic impacts" in task and passages
    texts = [i.text for i in draft.prose]
    assert "Invented claim." not in texts
    assert texts == [f"Rephrased passage {i}." for i in range(len(passages), 0, -1)]
    assert all(draft.citations[i.refs[0] - 1].quote for i in draft.prose)
    assert cited_in_order(draft) == list(range(1, len(draft.citations) + 1))
    assert not draft.notes


def test_writer_failure_falls_back_to_the_extractive_draft(seed_search):
    extractive = build_draft("impacts", memory=seed_memory(), retrieve=seed_search,
                             period=H1, today=TODAY)
    fallback = build_draft("impacts", memory=seed_memory(), retrieve=seed_search, period=H1,
                           writer=DownWriter(), today=TODAY)
    assert [i.text for i in fallback.prose] == [i.text for i in extractive.prose]
    assert "LLM unavailable: extractive draft" in fallback.notes


# -- the whole report ----------------------------------------------------------------------

def test_report_has_every_section_in_order_with_one_sources_list(seed_search):
    memory = seed_memory()
    memory.events.append(event("Scoping note results", day("12.2.2020", date(2020, 2, 12)),
                               doc=SEED))
    report = build_draft("report", memory=memory, retrieve=seed_search, period=H1,
                         today=TODAY)
    assert [s.section for s in report.subsections] == [n for n in SECTIONS if n != "report"]
    assert all(not s.citations for s in report.subsections)
    assert cited_in_order(report) == list(range(1, len(report.citations) + 1))
    prose = [i.text for s in report.subsections for i in s.prose]
    assert len(prose) == len(set(prose))  # no passage quoted by two sections
    data = report.to_json()
    assert [s["section"] for s in data["sections"]] == [n for n in SECTIONS if n != "report"]
    assert [c["n"] for c in data["sources"]] == list(range(1, len(report.citations) + 1))


# -- golden checks with the real extractor -------------------------------------------------

@pytest.fixture(scope="module")
def extracted_seed() -> ProjectMemory:
    extract = pytest.importorskip("assistant.memory.extract")
    memory = ProjectMemory()
    for path in sorted(SAMPLES.glob("*.txt")):
        doc = load_document(path, root=SAMPLES)
        memory.extend(extract.extract_memory(doc, chunk_document(doc)))
    return memory


def cites_seed(draft: Draft) -> bool:
    return all(any(draft.citations[n - 1].doc_id == SEED for n in row.refs)
               for row in draft.rows)


def test_golden_past_events(extracted_seed):
    draft = build_draft("past-events", memory=extracted_seed, retrieve=no_hits, period=H1,
                        today=TODAY)
    assert [r.cells[1] for r in draft.rows] == ["12-13.2.2020", "11.3.2020", "15.4.2020",
                                                "28.5.2020", "25.6.2020"]
    assert draft.rows[0].cells[0] == "Results of the scoping note - next step"
    assert draft.rows[0].cells[2] == "Kemi, Finland"
    assert [r.cells[2].lower() for r in draft.rows[1:4]] == ["online"] * 3
    assert cites_seed(draft)


def test_golden_participating_regions(extracted_seed):
    draft = build_draft("participating-regions", memory=extracted_seed, retrieve=no_hits,
                        period=H1, today=TODAY)
    assert [r.cells[1] for r in draft.rows] == ["FI1D7", "FI1D3", "FI1D7", "SE331", "ES41",
                                                "ES61", "ES12", "PT16", "EL24"]
    assert draft.rows[3].cells[0].startswith("Västerbotten")
    assert cites_seed(draft)


def test_golden_planned_events(extracted_seed):
    draft = build_draft("planned-events", memory=extracted_seed, retrieve=no_hits, period=H1,
                        today=TODAY)
    assert cells(draft) == ["Partnership meeting - joint initiatives",
                            "Online match-making - Capacity and business plan development",
                            "MIREU and CoMMER in rawmaterial week"]
    assert [r.cells[1] for r in draft.rows] == ["September", "October/November", "November"]
    assert cites_seed(draft)


def test_golden_default_period_is_the_seed_reports(extracted_seed):
    draft = build_draft("past-events", memory=extracted_seed, retrieve=no_hits, today=TODAY)
    assert draft.period == H1
    assert len(draft.rows) == 5


def test_a_restatement_of_a_selected_passage_is_not_drafted_twice():
    from assistant.drafting.narrative import select
    from assistant.drafting.passages import passages as cut
    from assistant.models import Chunk

    report = ("The aims of the partnership are to strengthen the regional and interregional "
              "innovation capacity to facilitate investments, growth and employment in the mining "
              "industry and related services in the regions.")
    restated = ("The partnership aims to reinforce innovation capacity at regional and "
                "interregional level so as to help investment, growth and jobs in mining and in "
                "related industries and services, and to pinpoint new opportunities for joint work.")
    other = "Eight regions provided a matrix of the main operators in their mining value chains."
    chunks = [(Chunk(chunk_id=f"d{i}#0", doc_id=f"d{i}.txt", title=f"D{i}", text=t), 1.0)
              for i, t in enumerate((report, restated, other))]
    found = cut(chunks)
    for p in found:  # equally relevant and scored: only the wording decides
        p.relevance, p.score = 1.0, 1.0
    chosen = [p.chunk.doc_id for p in select(found, limit=5, used=set())]
    assert "d0.txt" in chosen and "d2.txt" in chosen
    assert "d1.txt" not in chosen
