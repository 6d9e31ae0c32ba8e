"""Loaders: every format on a small generated fixture, and every way a file can be bad."""

from __future__ import annotations

import random
from pathlib import Path

import docx
import pytest
from hostile.builders import encrypted_pdf, pdf_bytes
from hostile.builders import write as write_file

from assistant.errors import LoadError
from assistant.ingest import SUPPORTED_SUFFIXES, load_document
from assistant.models import Document

DATA = Path(__file__).parent / "data"
SEED = DATA / "samples" / "s3-mining-partnership-monitoring-report-2020-h1.txt"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    return write_file(tmp_path / name, content)


def load(path: Path) -> Document:
    return load_document(path, root=path.parent)


def assert_offsets(doc: Document) -> None:
    assert doc.blocks, "a loaded document has blocks"
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


def kinds(doc: Document, kind: str) -> list[str]:
    return [b.text for b in doc.blocks if b.kind == kind]


def encrypt(data: bytes, user_password: str) -> bytes:
    return encrypted_pdf(data, user_password=user_password)


# --- interface -----------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})


def test_doc_id_is_relative_posix_path(tmp_path: Path) -> None:
    path = write(tmp_path, "sub/dir/note.txt", "Some text about mining regions in Europe.")
    doc = load_document(path, root=tmp_path)
    assert doc.doc_id == "sub/dir/note.txt"


@pytest.mark.parametrize("name", ["data.xyz", "sheet.xlsx", "noext"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "text")
    with pytest.raises(LoadError) as err:
        load(path)
    assert err.value.reason.startswith("unsupported file type")
    assert err.value.path == str(path)


def test_unsupported_suffix_names_it(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match=r"unsupported file type \.xyz"):
        load(write(tmp_path, "data.xyz", "x"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="cannot read"):
        load(tmp_path / "missing.txt")


# --- text decoding and bad text files ------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(LoadError, match="empty file"):
        load(write(tmp_path, "empty.txt", content))


def test_header_only_file_has_no_text(tmp_path: Path) -> None:
    path = write(tmp_path, "h.txt", "Source: https://example.org\nTitle: Nothing here\n\n")
    with pytest.raises(LoadError, match="no extractable text"):
        load(path)


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    text = "Västerbotten and Castilla y León"
    assert load(write(tmp_path, "old.txt", text.encode("latin-1"))).text == text


def test_cp1252_quotes_are_decoded(tmp_path: Path) -> None:
    text = "It’s “smart” mining – really."
    assert load(write(tmp_path, "quotes.md", text.encode("cp1252"))).text == text


def test_binary_file_with_text_suffix(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 8
    with pytest.raises(LoadError, match="binary"):
        load(write(tmp_path, "blob.txt", payload))


def test_pdf_renamed_to_txt_is_binary(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="binary"):
        load(write(tmp_path, "report.txt", pdf_bytes([["Hello"]])))


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path, "bom.txt", "\ufeffTitle: Bom file\n\nVästerbotten is a mining region.".encode()
    )
    doc = load(path)
    assert doc.title == "Bom file"
    assert doc.text == "Västerbotten is a mining region."


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.txt", "Kainuu (FI) FI1D3 is a region.".encode("utf-16"))
    assert load(path).text == "Kainuu (FI) FI1D3 is a region."


def test_mangled_files_only_raise_load_error(tmp_path: Path) -> None:
    """Random corruption of every format must end as LoadError, never another exception."""
    rng = random.Random(7)
    seeds = {
        ".pdf": pdf_bytes([["Some text on a page."]]),
        ".docx": make_docx(tmp_path / "seed.docx").read_bytes(),
        ".html": HTML.encode(),
        ".txt": b"Title: T\n\nHello.\t<b>x</b>\n| a | b |\n|---|---|\n",
    }
    for n in range(80):
        suffix = rng.choice(sorted(SUPPORTED_SUFFIXES))
        data = bytearray(seeds.get(suffix, seeds[".txt"]))
        if n % 2:
            data = data[: rng.randrange(1, len(data))]
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = write(tmp_path, f"mangled{n}{suffix}", bytes(data))
        try:
            load(path)
        except LoadError:
            pass


# --- .txt / .md ----------------------------------------------------------------------------


def test_header_lines_become_metadata_not_text(tmp_path: Path) -> None:
    body = (
        "Title: The Boliden Area\nSource: http://www.boliden.com/mines\n\n"
        "The Boliden area has mines."
    )
    doc = load(write(tmp_path, "boliden.txt", body))
    assert doc.title == "The Boliden Area"
    assert doc.url == "http://www.boliden.com/mines"
    assert "Source:" not in doc.text and "Title:" not in doc.text
    assert doc.text == "The Boliden area has mines."


def test_markdown_front_matter_and_links(tmp_path: Path) -> None:
    text = (
        '---\ntitle: "MIREU news"\nurl: https://mireu.eu/news\n---\n\n'
        "See [the MIREU site](https://mireu.eu) for details."
    )
    doc = load(write(tmp_path, "news.md", text))
    assert (doc.title, doc.url) == ("MIREU news", "https://mireu.eu/news")
    assert doc.text == "See the MIREU site for details."


def test_title_falls_back_to_first_heading_then_stem(tmp_path: Path) -> None:
    md = load(write(tmp_path, "x.md", "# Mining report\n\nBody text of the report is here."))
    assert md.title == "Mining report"
    plain = load(write(tmp_path, "remix-final_event.txt", "just some words without a heading."))
    assert plain.title == "Remix final event"


def test_markdown_headings_lists_and_pipe_table(tmp_path: Path) -> None:
    text = (
        "# Region\n\nIntro paragraph about the region.\n\n## Strengths\n\n"
        "- natural resources\n- strong cooperation\n1. first numbered\n\n"
        "| Strengths (+++) | Weaknesses (---) |\n|---|---|\n"
        "| Significant natural resources | Ageing population |\n| Clean environment | |\n"
    )
    doc = load(write(tmp_path, "r.md", text))
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings == [("Region", 1), ("Strengths", 2)]
    assert kinds(doc, "list_item") == [
        "natural resources",
        "strong cooperation",
        "1. first numbered",
    ]
    assert kinds(doc, "table_row") == [
        "Strengths (+++): Significant natural resources; Weaknesses (---): Ageing population",
        "Strengths (+++): Clean environment",
    ]
    assert "|" not in doc.text
    assert_offsets(doc)


def test_tab_table_drops_number_column_and_empty_rows(tmp_path: Path) -> None:
    text = (
        "Please provide information regarding past meetings\n\n"
        "\tEvent\tDate\tPlace\tAny other information\n"
        "1\tResults of the scoping note - next step\t12-13.2.2020\tKemi, Finland\t\n"
        "2\tProject ideas\t25.6.2020\t\t\n"
        "3\t\t\t\t\n"
        "4\t\t\t\t\n"
    )
    doc = load(write(tmp_path, "t.txt", text))
    assert kinds(doc, "table_row") == [
        "Event: Results of the scoping note - next step; Date: 12-13.2.2020; Place: Kemi, Finland",
        "Event: Project ideas; Date: 25.6.2020",
    ]
    assert "\t" not in doc.text


def test_radio_table_renders_checked_header(tmp_path: Path) -> None:
    off = '<input type="radio"/>'
    on = '<input checked="" type="radio"/>'
    text = (
        "Please indicate to which goals you contribute?\n\n"
        "\tStrongly agree\tAgree\tNeutral\tDisagree\n"
        f"Goal 1. End poverty in all its forms everywhere\t{off}\t{off}\t{on}\t{off}\n"
        f"Goal 7. Ensure access to affordable energy for all\t{off}\t{on}\t{off}\t{off}\n"
        "\n"
        f"Goal 8. Promote sustained growth\t{on}\t{off}\t{off}\t{off}\n"
    )
    doc = load(write(tmp_path, "sdg.txt", text))
    assert kinds(doc, "table_row") == [
        "Goal 1. End poverty in all its forms everywhere: Neutral",
        "Goal 7. Ensure access to affordable energy for all: Agree",
        "Goal 8. Promote sustained growth: Strongly agree",
    ]
    assert "<input" not in doc.text and "radio" not in doc.text


def test_leftover_tags_stripped_and_autolinks_kept(tmp_path: Path) -> None:
    text = (
        "Partnership's webpage\n\n<https://s3platform.jrc.ec.europa.eu/mining-industry>\n\n"
        "One<br>two <b>bold</b> &amp; more."
    )
    doc = load(write(tmp_path, "tags.txt", text))
    assert "https://s3platform.jrc.ec.europa.eu/mining-industry" in doc.text
    assert "<" not in doc.text and ">" not in doc.text
    assert "bold & more." in doc.text


def test_star_form_questions_become_qa_blocks(tmp_path: Path) -> None:
    text = (
        "* Reporting period\n\nJanuary - June 2020\n\n"
        "*** Start date of your partnership**\n\nFall 2019\n\n"
        "Partnership's webpage\n\n<https://example.org/p>\n"
    )
    doc = load(write(tmp_path, "form.txt", text))
    assert kinds(doc, "qa") == [
        "Reporting period: January - June 2020",
        "Start date of your partnership: Fall 2019",
        "Partnership's webpage: https://example.org/p",
    ]
    assert kinds(doc, "list_item") == []
    assert "*" not in doc.text


def test_star_list_stays_a_list(tmp_path: Path) -> None:
    doc = load(
        write(tmp_path, "list.md", "Aims:\n\n* first aim\n* second aim\n\nClosing sentence here.")
    )
    assert kinds(doc, "list_item") == ["first aim", "second aim"]
    assert kinds(doc, "qa") == []


def test_question_keeps_its_list_answer(tmp_path: Path) -> None:
    text = (
        "*** Please provide the list of participating regions.**\n\n"
        'If possible, please follow this format: "Name (Country), NUTS code".\n\n'
        "Lapland (FI) FI1D7\nKainuu (FI) FI1D3\nVästerbotten (SE) SE331\n\n"
        "Please provide the list of interested regions\n\n"
        "Communication with MIREU partner regions\n"
    )
    doc = load(write(tmp_path, "regions.txt", text))
    qa = kinds(doc, "qa")
    assert qa[0].startswith("Please provide the list of participating regions.\n")
    assert "Västerbotten (SE) SE331" in qa[0] and "Kainuu (FI) FI1D3" in qa[0]
    assert (
        qa[1]
        == "Please provide the list of interested regions: Communication with MIREU partner regions"
    )
    assert kinds(doc, "heading") == []


def test_long_answer_keeps_question_as_heading(tmp_path: Path) -> None:
    answer = " ".join(
        ["The partnership develops sustainable mining value chains in the regions."] * 25
    )
    text = f"I. Management report\n\n*** Please provide the executive summary**\n\n{answer}\n"
    doc = load(write(tmp_path, "summary.txt", text))
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings == [("I. Management report", 1), ("Please provide the executive summary", 2)]


def test_plain_text_heading_heuristics_are_conservative(tmp_path: Path) -> None:
    prose = "The region has a long mining history and many active mines today. " * 3
    text = (
        f"Mining in Outokumpu\n\n{prose}\n\n"
        f"Posted by Lucia Seel, 03 June 2016\n\n{prose}\n\n"
        "This sentence is short.\n\n"
        f"{prose}\n\n"
        "Lapland (FI) FI1D7\nKainuu (FI) FI1D3\nNorth Karelia (FI) FI1D7\n"
    )
    doc = load(write(tmp_path, "h.txt", text))
    assert kinds(doc, "heading") == ["Mining in Outokumpu"]


def test_first_line_of_group_followed_by_prose_is_heading(tmp_path: Path) -> None:
    prose = "Securing a sustainable supply of raw materials is a critical challenge for Europe."
    text = f"Summary of the project\n{prose}\n{prose}\n"
    doc = load(write(tmp_path, "g.txt", text))
    assert kinds(doc, "heading") == ["Summary of the project"]


def test_bold_line_is_heading(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "b.md", "**Key figures**\n\nThe mine produced 2 Mt of ore."))
    assert [(b.kind, b.text) for b in doc.blocks][0] == ("heading", "Key figures")


# --- .pdf ----------------------------------------------------------------------------------


def test_pdf_two_pages_keep_page_numbers(tmp_path: Path) -> None:
    data = pdf_bytes(
        [
            [
                "Introduction",
                "The REMIX project brought together nine European mining regions to",
                "exchange experience on smart and green mining. It was co-",
                "financed by Interreg Europe.",
            ],
            ["Results", "The partners produced regional action plans that were monitored later."],
        ]
    )
    doc = load(write(tmp_path, "two.pdf", data))
    assert doc.metadata["pages"] == "2"
    pages = {b.text.split()[0]: b.page for b in doc.blocks}
    assert pages["Introduction"] == 1 and pages["Results"] == 2
    assert {b.page for b in doc.blocks} == {1, 2}
    assert "to exchange experience" in doc.text  # wrapped line joined
    assert "co-financed" in doc.text
    assert_offsets(doc)


def test_encrypted_pdf(tmp_path: Path) -> None:
    data = encrypt(pdf_bytes([["Secret text on page one."]]), user_password="secret")
    with pytest.raises(LoadError) as err:
        load(write(tmp_path, "locked.pdf", data))
    assert err.value.reason.startswith("encrypted PDF")


def test_owner_only_encrypted_pdf_is_read(tmp_path: Path) -> None:
    data = encrypt(pdf_bytes([["Readable text despite permissions."]]), user_password="")
    assert "Readable text" in load(write(tmp_path, "perm.pdf", data)).text


@pytest.mark.parametrize(
    "content", [b"%PDF-1.4\n garbage \x00\x01 not a pdf", b"not a pdf at all, just text"]
)
def test_corrupt_pdf(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(LoadError, match="PDF"):
        load(write(tmp_path, "broken.pdf", content))


def test_truncated_pdf(tmp_path: Path) -> None:
    data = pdf_bytes([["Some text here."]])
    with pytest.raises(LoadError):
        load(write(tmp_path, "cut.pdf", data[: len(data) // 3]))


def test_pdf_without_text(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as err:
        load(write(tmp_path, "scan.pdf", pdf_bytes([[]])))
    assert err.value.reason.startswith("no extractable text (a scanned or image-only PDF?)")


# --- .docx ---------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Working areas", level=1)
    document.add_paragraph("The partnership has the following working areas.")
    table = document.add_table(rows=3, cols=3)
    rows = [
        ["Working area", "Region in charge", "Status"],
        ["Sustainability of mining", "Lapland", "In progress"],
        ["SME competitiveness", "", "Planned"],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("Events", level=2)
    document.add_paragraph("A kick-off took place in Kemi.")
    document.add_paragraph("Second aim", style="List Bullet")
    document.save(str(path))
    return path


def test_docx_blocks_in_body_order(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "report.docx"))
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Working areas"),
        ("text", 0, "The partnership has the following working areas."),
        (
            "table_row",
            0,
            "Working area: Sustainability of mining; Region in charge: Lapland; "
            "Status: In progress",
        ),
        ("table_row", 0, "Working area: SME competitiveness; Status: Planned"),
        ("heading", 2, "Events"),
        ("text", 0, "A kick-off took place in Kemi."),
        ("list_item", 0, "Second aim"),
    ]
    assert doc.title == "Working areas"
    assert_offsets(doc)


def _docx_with_table(path: Path, rows: list[list[str]], *, bold_first_column: bool) -> Path:
    document = docx.Document()
    document.add_paragraph("Monitoring report of the partnership.")
    table = document.add_table(rows=0, cols=2)
    for prompt, answer in rows:
        left, right = table.add_row().cells
        left.text, right.text = prompt, answer
        if prompt and bold_first_column:
            left.paragraphs[0].runs[0].bold = True
    document.add_paragraph("Section II follows.")
    document.save(str(path))
    return path


def test_docx_prompt_answer_table_becomes_form_answers(tmp_path: Path) -> None:
    """A two-column table with the prompts in bold in its first column is a form: each row is
    a question with its answer, and the answer ends with its cell."""
    doc = load(_docx_with_table(tmp_path / "form.docx", [
        ["* Reporting period", "January - June 2020"],
        ["Please provide the list of leading regions", "North Karelia Finland and Lapland, Finland"],
        ["Start date of your partnership", "Fall 2019"],
    ], bold_first_column=True))
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("text", "Monitoring report of the partnership."),
        ("qa", "Reporting period: January - June 2020"),
        ("qa", "Please provide the list of leading regions: North Karelia Finland and Lapland, "
               "Finland"),
        ("qa", "Start date of your partnership: Fall 2019"),
        ("text", "Section II follows."),
    ]
    assert_offsets(doc)


def test_docx_label_value_cells_and_colon_prompts(tmp_path: Path) -> None:
    """Prompts may be marked by a colon instead of bold, and a merged row may hold
    "Label: value" in one cell."""
    path = tmp_path / "labels.docx"
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Partnership:", "Mining industry"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "Reporting period: January - June 2020"
    document.save(str(path))
    assert [(b.kind, b.text) for b in load(path).blocks] == [
        ("qa", "Partnership: Mining industry"),
        ("qa", "Reporting period: January - June 2020"),
    ]


def test_docx_two_column_data_table_stays_a_table(tmp_path: Path) -> None:
    """A data table's first column holds values, and its header row is bold in both cells."""
    doc = load(_docx_with_table(tmp_path / "data.docx", [
        ["Region", "NUTS code"], ["Lapland", "FI1D7"], ["Kainuu", "FI1D3"],
    ], bold_first_column=False))
    assert kinds(doc, "table_row") == ["Region: Lapland; NUTS code: FI1D7",
                                       "Region: Kainuu; NUTS code: FI1D3"]
    assert not kinds(doc, "qa")


def test_docx_bold_starred_prompt_paragraph_is_a_question(tmp_path: Path) -> None:
    path = tmp_path / "bold.docx"
    document = docx.Document()
    document.add_paragraph().add_run("* Please provide the list of leading regions").bold = True
    document.add_paragraph("North Karelia Finland and Lapland, Finland")
    document.add_paragraph().add_run("* Reporting period").bold = True
    document.add_paragraph("January - June 2020")
    document.save(str(path))
    assert [(b.kind, b.text) for b in load(path).blocks] == [
        ("qa", "Please provide the list of leading regions: North Karelia Finland and Lapland, "
               "Finland"),
        ("qa", "Reporting period: January - June 2020"),
    ]


def _pdf_with_table(path: Path) -> Path:
    """Prose, then a table drawn by reportlab (cells at column positions, grid lines only)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    body = getSampleStyleSheet()["BodyText"]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([
        Paragraph("Please provide information regarding past meetings of the partnership, with "
                  "their dates and places, for the six months of the reporting period.", body),
        Table([["", "Event", "Date", "Place"],
               ["1", "Results of the scoping note", "12-13.2.2020", "Kemi, Finland"],
               ["2", "Project ideas", "25.6.2020", "online"],
               ["3", "", "", ""]], style=[("GRID", (0, 0), (-1, -1), 0.5, "grey")]),
        Paragraph("The partnership will develop at least three interregional initiatives by the "
                  "end of the year, and one of them will lead to a proposal.", body),
    ])
    path.write_bytes(out.getvalue())
    return path


def test_pdf_table_rows_keep_their_headers(tmp_path: Path) -> None:
    doc = load(_pdf_with_table(tmp_path / "table.pdf"))
    assert kinds(doc, "table_row") == [
        "Event: Results of the scoping note; Date: 12-13.2.2020; Place: Kemi, Finland",
        "Event: Project ideas; Date: 25.6.2020; Place: online",
    ]
    assert [b.kind for b in doc.blocks] == ["text", "table_row", "table_row", "text"]
    assert all(b.page == 1 for b in doc.blocks)
    assert_offsets(doc)


def test_pdf_prose_and_lists_are_not_tables(tmp_path: Path) -> None:
    path = write(tmp_path, "prose.pdf", pdf_bytes([[
        "Mining regions", "", "The partnership met in Kemi.", "Lapland   FI   hosted it.",
        "- first aim of the partnership", "- second aim of the partnership",
        "- third aim", "- fourth aim",
    ]]))
    assert not kinds(load(path), "table_row")


@pytest.mark.parametrize("content", [b"PK\x03\x04 this is not really a zip", b"plain bytes"])
def test_corrupt_docx(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(LoadError, match="DOCX"):
        load(write(tmp_path, "broken.docx", content))


# --- .html ---------------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><head><title>MIREU – Events</title>
<script>var tracking = "noise";</script><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<h1>Past events</h1><p>The partnership met <b>three</b> times.<br>All meetings were public.</p>
<!-- a comment -->
<table><tr><th>Event</th><th>Date</th><th>Place</th></tr>
<tr><td>Kick-off</td><td>4.4.2017</td><td>Kemi</td></tr>
<tr><td>Peer review</td><td>12.3.2019</td><td></td></tr></table>
<h2>Contact</h2><ul><li>Lapland</li><li>Kainuu</li></ul>
<form><label>Email</label><input type="text"></form>
<footer>Copyright 2020 MIREU</footer></body></html>"""


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_readable_text_without_noise(tmp_path: Path, suffix: str) -> None:
    doc = load(write(tmp_path, f"page{suffix}", HTML))
    assert doc.title == "MIREU – Events"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Past events"),
        ("text", "The partnership met three times."),
        ("text", "All meetings were public."),
        ("table_row", "Event: Kick-off; Date: 4.4.2017; Place: Kemi"),
        ("table_row", "Event: Peer review; Date: 12.3.2019"),
        ("heading", "Contact"),
        ("list_item", "Lapland"),
        ("list_item", "Kainuu"),
    ]
    for noise in ("tracking", "color", "Home", "Copyright", "Email", "comment", "<", ">"):
        assert noise not in doc.text
    assert_offsets(doc)


def test_html_table_without_th_uses_first_row(tmp_path: Path) -> None:
    html = (
        "<table><tr><td>Region</td><td>Code</td></tr>"
        "<tr><td>Lapland</td><td>FI1D7</td></tr></table>"
    )
    doc = load(write(tmp_path, "t.html", html))
    assert kinds(doc, "table_row") == ["Region: Lapland; Code: FI1D7"]


def test_html_with_declared_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"></head>'
        "<body><p>Västerbotten mines.</p></body></html>"
    )
    doc = load(write(tmp_path, "l.html", html.encode("latin-1")))
    assert doc.text == "Västerbotten mines."


def test_html_without_text(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no extractable text"):
        load(write(tmp_path, "e.html", "<html><body><script>x()</script></body></html>"))


# --- the real corpus -----------------------------------------------------------------------


def test_seed_report_structure() -> None:
    doc = load(SEED)
    assert doc.doc_id == SEED.name
    qa = kinds(doc, "qa")
    assert "Reporting period: January - June 2020" in qa
    assert "Please select the name of your partnership: Mining industry" in qa
    assert any(
        q.startswith("Please provide the list of participating regions.")
        and "Västerbotten (SE) SE331" in q
        for q in qa
    )
    rows = kinds(doc, "table_row")
    assert (
        "Event: Results of the scoping note - next step; Date: 12-13.2.2020; Place: Kemi, Finland"
        in rows
    )
    assert "Goal 1. End poverty in all its forms everywhere: Neutral" in rows
    assert (
        "Goal 8. Promote sustained, inclusive and sustainable economic growth, full and productive "
        "employment & decent work for all: Strongly agree" in rows
    )
    assert not any(r.startswith(("5", "Event: 6")) for r in rows)
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert ("I. Management report", 1) in headings and ("II. Progress report", 1) in headings
    assert "<" not in doc.text and "*" not in doc.text.replace("Fields marked with * are", "")
    assert_offsets(doc)


@pytest.mark.parametrize("path", sorted((DATA / "dev").glob("*.txt")), ids=lambda p: p.name)
def test_dev_corpus_loads(path: Path) -> None:
    doc = load(path)
    assert doc.title and doc.url and doc.url.startswith("http")
    assert "Source:" not in doc.text[:200]
    assert_offsets(doc)
