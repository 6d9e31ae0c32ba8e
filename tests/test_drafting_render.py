"""Rendering drafts: Markdown (headings, tables with a Source column, sources list), Word
(python-docx reads back the headings, the table and the numbered sources) and JSON."""

from __future__ import annotations

import io
import json
from datetime import date

from docx import Document

from assistant.drafting import build_draft, render_docx, render_markdown
from assistant.memory.models import DateSpan, Event, Period, ProjectMemory, SourceRef
from assistant.models import Chunk, Hit

H1 = Period.parse("2020-01..2020-06")
TODAY = date(2020, 7, 15)
URL = "https://s3platform.jrc.ec.europa.eu/mining-industry"


def memory() -> ProjectMemory:
    def ev(title: str, text: str, when: date, place: str) -> Event:
        src = SourceRef(chunk_id="r.txt#5", doc_id="r.txt", title="Monitoring report",
                        quote=f"Event: {title}; Date: {text}; Place: {place}",
                        section="Past meetings", url=URL)
        return Event(title=title, source=src, date=DateSpan(text, when, when, "day"),
                     place=place, status="past")

    return ProjectMemory(events=[ev("Project ideas | next steps", "11.3.2020",
                                    date(2020, 3, 11), "online"),
                                 ev("Scoping note results", "12.2.2020", date(2020, 2, 12),
                                    "Kemi, Finland")])


CHUNK = Chunk(chunk_id="r.txt#1", doc_id="r.txt", title="Monitoring report", url=URL,
              section="Innovative results", page=3,
              text="Tangible short- and medium-term socio-economic impacts achieved or expected "
                   "(specific examples)\nThe partnership will develop at least three "
                   "interregional initiatives supporting regional investments.")


def retrieve(query: str, k: int) -> list[Hit]:
    return [Hit(chunk=CHUNK, score=1.0)]


def test_markdown_table_has_a_source_column_and_a_sources_list():
    text = render_markdown(build_draft("past-events", memory=memory(), retrieve=retrieve,
                                       period=H1, today=TODAY))
    lines = text.splitlines()
    assert lines[0] == "## Past meetings, workshops and dissemination activities"
    assert "| Event | Date | Place | Source |" in lines
    assert "| Scoping note results | 12.2.2020 | Kemi, Finland | [1] |" in lines
    assert "| Project ideas \\| next steps | 11.3.2020 | online | [1] |" in lines
    assert lines.index("| Scoping note results | 12.2.2020 | Kemi, Finland | [1] |") < \
        lines.index("| Project ideas \\| next steps | 11.3.2020 | online | [1] |")
    assert f"1. Monitoring report — Past meetings. {URL}" in lines


def test_markdown_prose_carries_markers_and_the_empty_text():
    prose = render_markdown(build_draft("results", memory=memory(), retrieve=retrieve,
                                        period=H1, today=TODAY))
    assert ("The partnership will develop at least three interregional initiatives "
            "supporting regional investments. [1]") in prose
    assert "specific examples" not in prose.split("### Sources")[0]
    assert "1. Monitoring report — p. 3 / Innovative results" in prose
    empty = render_markdown(build_draft("summary", memory=ProjectMemory(),
                                        retrieve=lambda q, k: [], period=H1, today=TODAY))
    assert "No material found in the documents for Executive summary and objectives" in empty
    assert "Sources" not in empty


def test_docx_holds_headings_a_real_table_and_numbered_sources():
    data = render_docx(build_draft("past-events", memory=memory(), retrieve=retrieve,
                                   period=H1, today=TODAY))
    doc = Document(io.BytesIO(data))
    table, = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows == [["Event", "Date", "Place", "Source"],
                    ["Scoping note results", "12.2.2020", "Kemi, Finland", "[1]"],
                    ["Project ideas | next steps", "11.3.2020", "online", "[1]"]]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Past meetings, workshops and dissemination activities", "Sources"]
    sources = [p.text for p in doc.paragraphs if p.style.name == "List Number"]
    assert sources == [f"Monitoring report — Past meetings. {URL}"]


def test_docx_report_has_every_section_and_cited_paragraphs():
    report = build_draft("report", memory=memory(), retrieve=retrieve, period=H1, today=TODAY)
    doc = Document(io.BytesIO(render_docx(report)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["Executive summary and objectives", "Leading regions"]
    assert headings[-1] == "Sources" and len(headings) == len(report.subsections) + 1
    title = doc.paragraphs[0].text
    assert title.endswith("January–June 2020")
    # numbered across the report: the past-events table cited [1] before the results prose
    assert any(p.text.endswith("[2]") and "interregional initiatives" in p.text
               for p in doc.paragraphs)
    assert len(doc.tables) == 1  # only past-events has rows in this memory


def test_json_lists_items_with_citations_and_sources():
    draft = build_draft("past-events", memory=memory(), retrieve=retrieve, period=H1,
                        today=TODAY)
    data = json.loads(json.dumps(draft.to_json()))
    assert data["section"] == "past-events"
    assert data["period"] == {"start": "2020-01-01", "end": "2020-06-30",
                              "label": "2020-01-01..2020-06-30"}
    assert [i["cells"] for i in data["items"]] == [
        ["Scoping note results", "12.2.2020", "Kemi, Finland"],
        ["Project ideas | next steps", "11.3.2020", "online"]]
    assert data["items"][0]["data"]["date"] == "2020-02-12"
    assert all(i["citations"] == [1] for i in data["items"])
    assert data["sources"][0]["doc"] == "r.txt" and data["sources"][0]["url"] == URL
