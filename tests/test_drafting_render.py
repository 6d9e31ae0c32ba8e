"""Rendering drafts as the report form: Markdown (form columns, numbered rows, markers in the
first cell, notes kept out of the body), Word read back with python-docx (A4, the form's section
order, table columns and numbered rows, repeated header rows, widths, page-number field, real
hyperlinks, title and author, comments anchored beside what they support, no note in the body,
a coordinator's template filled), JSON, and a rendered-page check with LibreOffice when it is
installed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from assistant.drafting import build_draft, render_docx, render_markdown
from assistant.drafting.sections import report_parts
from assistant.memory.models import (
    DateSpan,
    Event,
    Period,
    ProjectMemory,
    ReportingPeriod,
    SourceRef,
)
from assistant.models import Chunk, Hit

H1 = Period.parse("2020-01..2020-06")
TODAY = date(2020, 7, 15)
URL = "https://s3platform.jrc.ec.europa.eu/mining-industry"
NOTE = "No period given"


def memory() -> ProjectMemory:
    def ev(title: str, text: str, when: date, place: str) -> Event:
        src = SourceRef(chunk_id="r.txt#5", doc_id="r.txt", title="Monitoring report",
                        quote=f"Event: {title}; Date: {text}; Place: {place}",
                        section="Past meetings", url=URL)
        return Event(title=title, source=src, date=DateSpan(text, when, when, "day"),
                     place=place, status="past")

    period = ReportingPeriod("r.txt", date(2020, 1, 1), date(2020, 6, 30),
                             SourceRef(chunk_id="r.txt#0", doc_id="r.txt",
                                       title="Monitoring report", quote="Reporting period"))
    return ProjectMemory(periods=[period],
                         events=[ev("Project ideas | next steps", "11.3.2020",
                                    date(2020, 3, 11), "online"),
                                 ev("Scoping note results", "12.2.2020", date(2020, 2, 12),
                                    "Kemi, Finland")])


CHUNK = Chunk(chunk_id="r.txt#1", doc_id="r.txt", title="Monitoring report", url=URL,
              section="Innovative results", page=3, start=100, end=400,
              text="Tangible short- and medium-term socio-economic impacts achieved or expected "
                   "(specific examples)\nThe partnership will develop at least three "
                   "interregional initiatives supporting regional investments.")
HEAD = Chunk(chunk_id="r.txt#0", doc_id="r.txt", title="Monitoring report", url=URL,
             section="Header", page=1, start=0, end=90,
             text=f"Reporting period: January - June 2020\nPlease select the name of your "
                  f"partnership: Mining industry\nPartnership's webpage: {URL}")


def retrieve(query: str, k: int) -> list[Hit]:
    return [Hit(chunk=CHUNK, score=1.0), Hit(chunk=HEAD, score=0.5)]


def report():
    return build_draft("report", memory=memory(), retrieve=retrieve, today=TODAY)


# -- Markdown --------------------------------------------------------------------------------

def test_markdown_table_has_the_forms_columns_numbered_rows_and_a_sources_list():
    text = render_markdown(build_draft("past-events", memory=memory(), retrieve=retrieve,
                                       period=H1, today=TODAY))
    lines = text.splitlines()
    assert lines[0] == "## Past meetings, workshops and dissemination activities"
    assert "| # | Event | Date | Place | Any other information |" in lines
    first = "| 1 | Scoping note results [1] | 12.2.2020 | Kemi, Finland |  |"
    second = "| 2 | Project ideas \\| next steps [1] | 11.3.2020 | Online |  |"
    assert lines.index(first) < lines.index(second)
    assert f"1. Monitoring report — Past meetings. {URL}" in lines


def test_markdown_report_follows_the_form_and_keeps_notes_out_of_the_body():
    draft = report()
    text = render_markdown(draft, notes=False)
    assert NOTE not in text and "Note:" not in text
    order = [text.index(h) for h in ("**Reporting period:** January–June 2020",
                                     "## I. Management report",
                                     "### Please provide information regarding past meetings",
                                     "## II. Progress report", "### Innovative results",
                                     "#### Tangible short- and medium-term", "### Sources")]
    assert order == sorted(order)
    assert ("The partnership will develop at least three interregional initiatives "
            "supporting regional investments. [") in text
    assert "specific examples" not in text.split("#### Tangible")[1].split("\n", 2)[2][:200]
    with_notes = render_markdown(draft)
    body, notes = with_notes.split("Notes for the coordinator (not part of the report)")
    assert NOTE not in body and NOTE in notes


def test_markdown_empty_section_says_so():
    empty = render_markdown(build_draft("summary", memory=ProjectMemory(),
                                        retrieve=lambda q, k: [], period=H1, today=TODAY))
    assert "No material found in the documents for Executive summary and objectives" in empty
    assert "Sources" not in empty


# -- Word --------------------------------------------------------------------------------------

def docx_of(draft, **options) -> Document:
    return Document(io.BytesIO(render_docx(draft, **options)))


def body_text(doc: Document) -> str:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_docx_is_a4_with_page_numbers_title_and_author():
    doc = docx_of(report())
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    footer = section.footer._element.xml
    assert "PAGE" in footer and "fldChar" in footer
    props = doc.core_properties
    assert props.author == "Mining industry partnership"
    assert props.title.startswith("Thematic S3 Partnership Monitoring Progress Report")
    assert "Mining industry" in props.title and "January–June 2020" in props.title


def test_docx_follows_the_forms_sections_in_order():
    doc = docx_of(report())
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    prompts = [s.prompt for s in report_parts() if s.prompt]
    expected = ["Thematic S3 Partnership Monitoring Progress Report", "I. Management report",
                *prompts[:7], "II. Progress report"]
    assert headings[:len(expected)] == expected
    assert headings[-1] == "Sources"
    positions = [headings.index(p) for p in prompts]
    assert positions == sorted(positions)
    fields = [p.text for p in doc.paragraphs][:12]
    assert fields[1:5] == ["Reporting period", "January–June 2020[1]", "Name of the partnership",
                           "Mining industry[1]"]


def test_docx_tables_have_form_columns_numbered_rows_widths_and_repeated_headers():
    doc = docx_of(build_draft("past-events", memory=memory(), retrieve=retrieve, period=H1,
                              today=TODAY))
    table, = doc.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["#", "Event", "Date", "Place", "Any other information"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[1][1] == "Scoping note results[1]" and rows[1][2:4] == ["12.2.2020",
                                                                        "Kemi, Finland"]
    header = table.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    assert table.rows[1]._tr.trPr is None or \
        table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    widths = [c.width for c in table.rows[1].cells]
    assert widths[0] < widths[1] and widths[1] > widths[4]  # "#" narrow, titles wide
    assert sum(widths) <= doc.sections[0].page_width - doc.sections[0].left_margin \
        - doc.sections[0].right_margin + 10
    marker = next(r for r in table.rows[1].cells[1].paragraphs[0].runs if r.text == "[1]")
    assert marker.font.superscript


def test_docx_sources_name_each_document_once_with_real_links():
    doc = docx_of(report())
    sources = [p.text for p in doc.paragraphs if p.style.name == "List Number"]
    assert len(sources) == 1 and sources[0].startswith("Monitoring report — ")
    rels = [r for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert URL in {r.target_ref for r in rels}
    assert len(doc.element.body.findall(".//" + qn("w:hyperlink"))) >= 2  # webpage + source


def test_docx_review_copy_puts_quotes_and_notes_in_anchored_comments():
    draft = report()
    doc = docx_of(draft)
    comments = list(doc.comments)
    texts = [c.text for c in comments]
    assert any("three interregional initiatives" in t and t.startswith("[") for t in texts)
    assert any(NOTE in t for t in texts)
    assert NOTE not in body_text(doc) and "Note:" not in body_text(doc)
    body = doc.element.body
    starts = {e.get(qn("w:id")) for e in body.iter(qn("w:commentRangeStart"))}
    ends = {e.get(qn("w:id")) for e in body.iter(qn("w:commentRangeEnd"))}
    refs = {e.get(qn("w:id")) for e in body.iter(qn("w:commentReference"))}
    ids = {str(c.comment_id) for c in comments}
    assert ids and ids == starts == ends == refs
    # the quote's comment is anchored on the sentence it supports
    sentence = next(p for p in doc.paragraphs if "three interregional initiatives" in p.text)
    assert sentence._p.find(qn("w:commentRangeStart")) is not None


def test_docx_clean_copy_has_no_comments_and_no_notes():
    doc = docx_of(report(), review=False)
    assert len(list(doc.comments)) == 0
    assert not list(doc.element.body.iter(qn("w:commentRangeStart")))
    assert NOTE not in body_text(doc)


def test_docx_fills_a_coordinators_template(tmp_path: Path):
    template = Document()
    styles = template.styles
    styles["Heading 1"].font.name = "Georgia"
    template.sections[0].header.paragraphs[0].text = "{{partnership}} — {{period}}"
    template.add_paragraph("Cover page of the coordinator")
    template.add_paragraph("{{report}}")
    template.add_paragraph("Signed: the coordinator")
    path = tmp_path / "ours.docx"
    template.save(path)
    doc = docx_of(report(), template=path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Cover page of the coordinator" and texts[-1] == "Signed: the coordinator"
    assert "{{report}}" not in texts
    assert texts.index("I. Management report") < texts.index("Signed: the coordinator")
    assert doc.sections[0].header.paragraphs[0].text == "Mining industry — January–June 2020"
    assert doc.styles["Heading 1"].font.name == "Georgia"


def test_docx_report_without_a_template_needs_no_placeholder():
    doc = docx_of(report())
    assert not any("{{" in p.text for p in doc.paragraphs)


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice is not installed")
def test_docx_renders_in_libreoffice_on_a4_pages(tmp_path: Path):
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "report.docx"
    path.write_bytes(render_docx(report()))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(path)], check=True, timeout=180, capture_output=True)
    pdf = pypdf.PdfReader(tmp_path / "report.pdf")
    box = pdf.pages[0].mediabox
    assert round(float(box.width) / 72 * 25.4) == 210
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "I. Management report" in text and "Page 1" in text and NOTE not in text


# -- JSON --------------------------------------------------------------------------------------

def test_json_lists_items_with_citations_evidence_and_sources():
    draft = build_draft("past-events", memory=memory(), retrieve=retrieve, period=H1,
                        today=TODAY)
    data = json.loads(json.dumps(draft.to_json()))
    assert data["section"] == "past-events" and data["prompt"].startswith("Please provide")
    assert data["period"] == {"start": "2020-01-01", "end": "2020-06-30",
                              "label": "2020-01-01..2020-06-30"}
    assert [i["cells"] for i in data["items"]] == [
        ["Scoping note results", "12.2.2020", "Kemi, Finland", ""],
        ["Project ideas | next steps", "11.3.2020", "Online", ""]]
    assert data["items"][0]["data"]["date"] == "2020-02-12"
    assert all(i["citations"] == [1] for i in data["items"])
    assert data["items"][0]["evidence"][0]["quote"].startswith("Event: Scoping note results")
    assert data["sources"][0]["doc"] == "r.txt" and data["sources"][0]["url"] == URL
