"""The seed monitoring report (tests/data/samples/s3-mining-partnership-monitoring-report-2020-h1.txt)
as a Word form and as a PDF, written the way such forms really are, for the same-facts tests.

The report is transcribed once (`SEED_REPORT`: fields, headings, prose, lists, tables) and
rendered by python-docx and reportlab:

* Word, `prompts="bold"`: every prompt a bold paragraph (mandatory ones with a leading "* "),
  the answer in plain paragraphs below it, the participating regions in a Region / Country /
  NUTS code table, working areas and meetings in numbered tables.
* Word, `prompts="table"`: every field a row of a two-column table (prompt cell | answer cell,
  the answer cell holding one paragraph per line), as in a form someone fills in Word.
* PDF: the bold-prompt layout set with reportlab's platypus, so text wraps and flows over
  pages, and tables are drawn as rows of cells at column positions (nothing marks them as a
  table in the text layer).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import docx
from docx.shared import Pt

SEED_TITLE = "Thematic Smart Specialisation Partnership Monitoring Progress Report"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Prose:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    """A data table: header row, then rows (the first column numbers the rows)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Field:
    """A form prompt and its answer: paragraphs, bullet items and/or one data table."""

    prompt: str
    answer: tuple[str, ...] = ()
    mandatory: bool = False
    bullets: tuple[str, ...] = ()
    grid: Grid | None = None
    # How the answer looks in a two-column form table: lines of one cell (e.g. coded regions).
    cell_lines: tuple[str, ...] = ()


def _numbered(rows: tuple[tuple[str, ...], ...], blank_to: int) -> tuple[tuple[str, ...], ...]:
    """A form table's rows numbered 1..blank_to, the unused ones left blank (as printed)."""
    blank = ("",) * len(rows[0])
    padded = [*rows, *[blank] * (blank_to - len(rows))]
    return tuple((str(n), *row) for n, row in enumerate(padded, 1))

_PARTICIPATING = (
    ("Lapland", "FI", "FI1D7"), ("Kainuu", "FI", "FI1D3"), ("North Karelia", "FI", "FI1D7"),
    ("Västerbotten", "SE", "SE331"), ("Castilla y'Leon", "ES", "ES41"), ("Andalusia", "ES", "ES61"),
    ("Asturias", "ES", "ES12"), ("Cenrto Portugal", "PT", "PT16"), ("Stereia Ellada", "GR", "EL24"),
)

SEED_REPORT: tuple = (
    Prose("Fields marked with * are mandatory."),
    Heading(SEED_TITLE, 0),
    Prose("This report is presented to the relevant Working/Steering Committee."),
    Prose("The report is updated every six months."),
    Prose("Confidentiality: The management report (section I) and progress report (section II) "
          "will be made available to the public via your Partnership's web page. The part on "
          "self-assessment is confidential."),
    Prose("Based on the monitoring results, the European Commission will decide on the following "
          "term's support."),
    Field("Reporting period", ("January - June 2020",), mandatory=True),
    Field("Please select the name of your partnership", ("Mining industry",), mandatory=True),
    Field("Start date of your partnership", ("Fall 2019",), mandatory=True),
    Field("Partnership's webpage", ("https://s3platform.jrc.ec.europa.eu/mining-industry",)),
    Heading("I. Management report"),
    Field(
        "Please provide the executive summary and the objectives of your partnership",
        (
            "Mining industries partnership could play the core role in the delivering Green deal, "
            "the transition towards a climate-neutral sustainable EU economy. It is resource-intensive "
            "and strongly depends on the availability of the raw materials, particularly of the "
            "critical raw materials (CRM). Securing a sustainable supply of metals and minerals is "
            "vital to meet EU energy and climate targets for 2030. It is expected that EU demand for "
            "raw materials will double by 2050.",
            "Mines are very much place-based and cannot be moved and regional ecosystems are the "
            "focal points in the development of sustainable raw material production. The focus area "
            "of this thematic partnership is the Mining Industry and its related industries. The "
            "background for this partnership is in the Interreg Europe project Remix and the H2020 "
            "project MIREU. This partnership operationalises the work of these projects and shift "
            "the focus on inter-regional investments and developing stronger regional and "
            "inter-regional value chains related to mining.",
            "SMEs have a key role in achieving the goals on growth and increasing employment "
            "figures. In mining and related industries, the integration of SMEs at regional level "
            "to mining value chains is the starting point in this partnership.",
            "The aims of the partnership are:",
        ),
        mandatory=True,
        bullets=(
            "to strengthen the regional and interregional innovation capacity to facilitate "
            "investments, growth and employment in mining industry, related industries and "
            "services in regions",
            "to identify novel opportunities for joint demonstration between regions based on the "
            "survey and mapping exercise conducted in the early phase of this partnership",
            "to spread the knowledge of expert organisations to support regional growth and new "
            "business and work opportunities",
        ),
    ),
    Field("Please provide the list of leading regions",
          ("North Karelia Finland and Lapland, Finland",), mandatory=True),
    Field(
        "Please provide the list of participating regions.",
        ("If possible, please follow this format: \"Name of the region in English (Country "
         "abbreviation), NUTS code\".", "e.g.: Lapland (FI), FI1D7"),
        mandatory=True,
        grid=Grid(("Region", "Country", "NUTS code"), _PARTICIPATING),
        cell_lines=tuple(f"{name} ({cc}) {nuts}" for name, cc, nuts in _PARTICIPATING),
    ),
    Field("Please provide the list of interested regions or other entities (other than "
          "national /regional authorities)", ("Communication with MIREU partner regions",)),
    Field(
        "Please provide an overview of the working areas of your partnership",
        grid=Grid(("", "Working area", "Region in charge", "Involved regions", "Other actors"),
                  _numbered((
                      ("Upgrading SME competitiveness in mining -> industrial services",
                       "In progress", "", ""),
                      ("Sustainability of mining", "In progress", "", ""),
                      ("Regional and interregional mining development centres", "In progress", "", ""),
                      ("EU strategic value chains – integrations of the mining operations in the "
                       "regions with global /EU level industrial value chains", "in progress", "", ""),
                  ), 6)),
    ),
    Field(
        "Please provide information regarding past meetings, workshops and dissemination "
        "activities (six months prior to filling out the survey)",
        grid=Grid(("", "Event", "Date", "Place", "Any other information"), _numbered((
            ("Results of the scoping note - next step", "12-13.2.2020", "Kemi, Finland", ""),
            ("Exploring the project ideas, regional analysis", "11.3.2020", "online", ""),
            ("Regional analysis - mining steps and involvement of the regional industries",
             "15.4.2020", "online", ""),
            ("Mining regions - role in the future EU Scoping note final", "28.5.2020", "online", ""),
            ("Project ideas", "25.6.2020", "", ""),
        ), 7)),
    ),
    Field(
        "Please provide information regarding planned future meetings, workshops and "
        "dissemination activities",
        grid=Grid(("", "Event", "Date", "Place", "Any other information"), _numbered((
            ("Partnership meeting - joint initiatives", "September", "Online", ""),
            ("Online match-making - Capacity and business plan development", "October/November",
             "Online", ""),
            ("MIREU and CoMMER in rawmaterial week", "November", "Online", ""),
        ), 5)),
    ),
    Heading("II. Progress report"),
    Heading("Innovative results", 2),
    Field("Please describe innovative results and achievements that could be attributed to the "
          "partnership (specific examples of results vs. objectives)", ("Next report",)),
    Field(
        "Tangible short- and medium-term socio-economic impacts achieved or expected (specific "
        "examples)",
        ("The partnership will develop at least 3 interregional initiatives supporting the "
         "regional investments and at least one will lead to TAF proposal by the end-of-year 2020.",
         "That will require more active regions in the partnership and close collaboration with "
         "the CoMMER - Council of Mining and Metallurgy Regions of EU. CoMMER will be officially "
         "launched by the end of 2020 as a last delivery of MIREU H2020 project."),
    ),
    Heading("Inter-regional and inter-partnership collaborative results", 2),
    Field(
        "Evaluation of the involvement of relevant business sector (clusters, SMEs, business "
        "associations, chambers of commerce, Digital Innovation Hubs (DIHs), etcetera) in the "
        "Partnership activities (specific examples)",
        bullets=(
            "Partnership is aiming to involve regional clusters and necessary business "
            "associations to be core players in match-making engaging the industry.",
            "8 regions have provided the matrix showing the main operators in the regional mining "
            "and metallurgy value chain.",
            "The role of the DIH has not been yet discussed but will be on the agenda during the "
            "next period",
        ),
    ),
    Field(
        "Evaluation of whether the level of inter-regional cooperation is sufficient to "
        "potentially provide practical and relevant socio-economic impacts (specific examples)",
        ("When the effort is put into the development of the circular economy such as recycling "
         "and urban mining systems or expanding the use of secondary materials, the primary "
         "production – mining and metallurgy (M&M) - will remain its importance still many "
         "decades to come.",),
    ),
    Heading("New activities", 2),
    Field(
        "Advancement and promotion of the Partnership through publications and other "
        "communication/outreach activities (number of outreach activities that resulted from "
        "the partnership)",
        bullets=(
            "30.6.2020 Clusters for Next Generation EU Dialogue between European Commissioner "
            "Thierry Breton and European Clusters Alliance, Presentation - Delivery of the "
            "interregional collaboration and strategic approach",
            "24.6.2020 European Alliance Against Coronavirus Daily Webinar, Partnership of "
            "Industrial Modernisation Platforms",
            "25.5.2020 MIREU Online workshop: Funding tomorrow's raw materials sector How can "
            "administration make use of the public incentives from the EU? Santiago Cuesta Lopez",
            "Regional and national introductions of the partnership",
        ),
    ),
    Heading("Your Partnership and the UN 2030 Sustainable Development Goals (SDGs)", 2),
    Prose("The EU has a strong position when it comes to sustainable development and is also "
          "fully committed to be a frontrunner in implementing the UN's 2030 Agenda."),
)


# --- Word ----------------------------------------------------------------------------------

def _prompt_text(item: Field) -> str:
    return f"* {item.prompt}" if item.mandatory else item.prompt


def _bold_paragraph(document, text: str) -> None:
    document.add_paragraph().add_run(text).bold = True


def _add_grid(document, grid: Grid) -> None:
    table = document.add_table(rows=0, cols=len(grid.header))
    table.style = "Table Grid"
    for n, row in enumerate((grid.header, *grid.rows)):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
            if n == 0 and value:
                cell.paragraphs[0].runs[0].bold = True


def _fill_cell(cell, lines: tuple[str, ...], bullets: tuple[str, ...]) -> None:
    """Answer paragraphs (and bullet items) inside one table cell."""
    cell.text = lines[0] if lines else ""
    for line in lines[1:]:
        cell.add_paragraph(line)
    for item in bullets:
        cell.add_paragraph(item, style="List Bullet")


def seed_report_docx(*, prompts: Literal["bold", "table"] = "bold") -> bytes:
    """The seed report as a .docx (see the module docstring for the two layouts)."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(10)
    form_table = None  # consecutive fields share one two-column table in the "table" layout
    for item in SEED_REPORT:
        in_form_table = (prompts == "table" and isinstance(item, Field)
                         and (item.grid is None or bool(item.cell_lines)))
        if not in_form_table:
            form_table = None
        if isinstance(item, Heading):
            document.add_heading(item.text, level=item.level)
        elif isinstance(item, Prose):
            document.add_paragraph(item.text)
        elif in_form_table:
            if form_table is None:
                form_table = document.add_table(rows=0, cols=2)
                form_table.style = "Table Grid"
            prompt_cell, answer_cell = form_table.add_row().cells
            prompt_cell.text = _prompt_text(item)
            prompt_cell.paragraphs[0].runs[0].bold = True
            _fill_cell(answer_cell, item.cell_lines or item.answer, item.bullets)
        else:
            _bold_paragraph(document, _prompt_text(item))
            for line in item.answer:
                document.add_paragraph(line)
            for bullet in item.bullets:
                document.add_paragraph(bullet, style="List Bullet")
            if item.grid is not None:
                _add_grid(document, item.grid)
    document.core_properties.title = SEED_TITLE
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------

def seed_report_pdf() -> bytes:
    """The seed report set with reportlab: wrapped paragraphs flowing over pages, bold prompts,
    tables drawn as rows of cells (grid lines only; the text layer has no table markup)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
    from xml.sax.saxutils import escape

    styles = getSampleStyleSheet()
    body, bold = styles["BodyText"], styles["Heading5"]
    bullet = ParagraphStyle("bullet", parent=body, leftIndent=12, firstLineIndent=-8)
    story: list = []
    for item in SEED_REPORT:
        if isinstance(item, Heading):
            story.append(Paragraph(escape(item.text), styles[f"Heading{max(item.level, 1)}"]))
        elif isinstance(item, Prose):
            story.append(Paragraph(escape(item.text), body))
        else:
            story.append(Paragraph(escape(_prompt_text(item)), bold))
            story.extend(Paragraph(escape(line), body) for line in item.answer)
            story.extend(Paragraph(f"• {escape(b)}", bullet) for b in item.bullets)
            if item.grid is not None:
                rows = [list(row) for row in (item.grid.header, *item.grid.rows)]
                story.append(Table(rows, repeatRows=1, style=[
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 7),
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")]))
        story.append(Spacer(1, 4))
    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=A4, title=SEED_TITLE, leftMargin=30, rightMargin=30)
    page.build(story)
    return out.getvalue()
