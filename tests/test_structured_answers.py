"""Structured answers (lists of events in a range, NUTS codes, acronyms) from the memory:
complete, cited row by row, and silent (None) for questions they do not own."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answering.structured import StructuredAnswerer
from assistant.memory.models import DateSpan, Event, ProjectMemory, Region, SourceRef, Term


def _src(n: int, doc: str = "report.txt", chunk: int | None = None) -> SourceRef:
    return SourceRef(chunk_id=f"{doc}#{n if chunk is None else chunk}", doc_id=doc,
                     title=f"Title of {doc}", quote=f"row {n}")


def _day(y: int, m: int, d: int, text: str) -> DateSpan:
    return DateSpan(text, date(y, m, d), date(y, m, d), "day")


def _month(y: int, m: int, text: str) -> DateSpan:
    end = date(y, m + 1, 1).toordinal() - 1 if m < 12 else date(y, 12, 31).toordinal()
    return DateSpan(text, date(y, m, 1), date.fromordinal(end), "month")


MEMORY = ProjectMemory(
    events=[
        Event("Kick-off", _src(1), _day(2020, 2, 12, "12.2.2020"), "Kemi, Finland", False, "past"),
        Event("Regional analysis", _src(2), _day(2020, 4, 15, "15.4.2020"), "online", True, "past"),
        Event("Scoping note final", _src(3), _day(2020, 5, 28, "28.5.2020"), "online", True, "past"),
        # the same event reported again by another document
        Event("Scoping note final", _src(9, "other.txt"), _day(2020, 5, 28, "28 May 2020"), None,
              None, "past"),
        Event("Partnership meeting", _src(4), _month(2020, 9, "September"), "Online", True, "planned"),
        Event("Match-making", _src(5, chunk=4), _month(2020, 11, "November"), "Online", True,
              "planned"),  # the same table chunk as the row above
        Event("Old autumn conference", _src(6, "old.txt"), _day(2018, 11, 27, "27 November"),
              "Bilbao", False, "planned"),
        Event("Cluster week", _src(7, "old.txt"), _day(2019, 4, 9, "9 April 2019"), "León", False,
              "planned"),
    ],
    regions=[
        Region("Asturias", _src(10), "ES", "ES12", "participating"),
        Region("North Karelia", _src(11), "FI", "FI1D7", "participating"),
        Region("Karelia", _src(12, "x.txt"), "FI", "FI1X9", "mentioned"),
    ],
    terms=[
        Term("CRM", "critical raw materials", _src(20)),
        Term("CoMMER", "Council of Mining and Metallurgy Regions of EU", _src(21)),
        Term("CoMMER", "Council of Mining and Metallurgy Regions of Europe", _src(22, "b.txt")),
    ],
)


@pytest.fixture
def answerer() -> StructuredAnswerer:
    return StructuredAnswerer(memory=MEMORY, today=date(2026, 11, 25))


def _cited_rows(answer) -> list[str]:
    return [line for line in answer.text.splitlines() if line.startswith("•")]


def test_events_in_a_named_season_are_listed_completely_and_cited(answerer):
    answer = answerer.answer("Which meetings took place in spring 2020?")
    assert answer is not None and answer.answered
    rows = _cited_rows(answer)
    assert [r.split(" — ")[1].split(" (")[0] for r in rows] == ["Regional analysis",
                                                                "Scoping note final"]
    for row in rows:  # every row ends with a citation that resolves
        n = int(row.rsplit("[", 1)[1].rstrip("]"))
        assert answer.citations[n - 1].doc_id == "report.txt"


def test_planned_events_in_a_season_without_year_come_from_the_latest_such_season(answerer):
    answer = answerer.answer("Which meetings are planned for the autumn?")
    assert answer is not None
    text = answer.text
    assert "Partnership meeting" in text and "Match-making" in text
    assert "Old autumn conference" not in text  # 2018: not the latest autumn
    assert "Kick-off" not in text  # past, not planned
    # both rows come from one chunk: one citation whose quote holds both rows
    assert len(answer.citations) == 1 and answer.citations[0].quote == "row 4 … row 5"


def test_held_in_a_year_counts_events_that_are_over_by_now(answerer):
    answer = answerer.answer("Which events were held in 2019?")
    assert answer is not None
    assert "Cluster week" in answer.text  # planned when written, past by today


def test_a_single_named_event_is_left_to_the_extractive_answerer(answerer):
    assert answerer.answer("In which town was the kick-off meeting held in February 2020?") is None
    assert answerer.answer("Which events took place in 2031?") is None  # nothing: no empty list


def test_nuts_code_of_a_named_region_prefers_the_longest_name(answerer):
    answer = answerer.answer("What is the NUTS code of North Karelia?")
    assert answer is not None
    assert "FI1D7" in answer.text and "FI1X9" not in answer.text
    assert answer.citations[0].quote == "row 11"
    assert answerer.answer("What is the NUTS code of Atlantis?") is None


def test_acronym_with_two_spellings_cites_both(answerer):
    answer = answerer.answer("What does CoMMER stand for?")
    assert answer is not None
    assert answer.text.startswith("CoMMER stands for Council of Mining and Metallurgy Regions of EU [1]")
    assert "Regions of Europe [2]" in answer.text
    assert [c.doc_id for c in answer.citations] == ["report.txt", "b.txt"]
    assert answerer.answer("What does XYZ stand for?") is None
    assert answerer.answer("What is the role of CRM in the Green Deal?") is None


def test_empty_memory_answers_nothing():
    empty = StructuredAnswerer(memory=ProjectMemory())
    for q in ("Which meetings took place in spring 2020?", "What is the NUTS code of Asturias?",
              "What does CRM stand for?"):
        assert empty.answer(q) is None


def test_the_cited_chunks_lead_the_retrieved_list(answerer):
    from assistant.models import Chunk, Hit

    def hit(chunk_id: str, doc: str) -> Hit:
        return Hit(chunk=Chunk(chunk_id=chunk_id, doc_id=doc, title=doc, text="…"), score=0.1)

    hits = [hit("x.txt#0", "x.txt"), hit("report.txt#10", "report.txt"), hit("y.txt#3", "y.txt")]
    answer = answerer.answer("What is the NUTS code of Asturias?", hits=hits)
    assert [h.chunk.chunk_id for h in answer.hits] == ["report.txt#10", "x.txt#0", "y.txt#3"]
