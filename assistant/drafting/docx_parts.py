"""The pieces of a Word document python-docx has no call for: hyperlinks, a PAGE field, header
rows that repeat on each page, fixed column widths, and styles that may be missing from a
coordinator's own template. Each writes the WordprocessingML the specification gives for it,
so Word and LibreOffice read it as their own."""

from __future__ import annotations

from collections.abc import Sequence

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Mm, RGBColor
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

A4 = (Mm(210), Mm(297))
MARGIN = Cm(2)
NUMBER_COLUMN = Cm(0.9)
MIN_COLUMN = Cm(1.6)


def a4(section: Section) -> None:
    section.page_width, section.page_height = A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def text_width(section: Section) -> int:
    return int(section.page_width - section.left_margin - section.right_margin)


def page_number_footer(section: Section) -> None:
    """'Page N' centred in the footer, N a PAGE field Word and LibreOffice fill in."""
    paragraph = section.footer.paragraphs[0] if section.footer.paragraphs else \
        section.footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("Page ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._r.append(t)


def hyperlink(paragraph: Paragraph, url: str, text: str | None = None) -> None:
    """A real link (w:hyperlink to an external relationship), blue and underlined."""
    rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text or url
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def repeat_header(row: _Row) -> None:
    """The row repeats at the top of each page the table runs onto (w:tblHeader)."""
    props = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)
    cant_split = OxmlElement("w:cantSplit")
    props.append(cant_split)


def column_widths(table: Table, weights: Sequence[float], total: int, *,
                  numbered: bool) -> list[int]:
    """Fixed widths in proportion to `weights` (the "#" column narrow), summing to `total`;
    Word keeps them because the layout is fixed rather than autofit."""
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    fixed = NUMBER_COLUMN if numbered else 0
    rest = total - fixed
    scale = sum(weights) or 1.0
    widths = [max(int(MIN_COLUMN), int(rest * w / scale)) for w in weights]
    over = sum(widths) - rest
    if over > 0:  # minimums pushed past the page: take it from the widest column
        widest = widths.index(max(widths))
        widths[widest] -= over
    widths = ([int(NUMBER_COLUMN)] if numbered else []) + widths
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(width / 635)))  # EMU -> twentieths of a point
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    return widths


def weights(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[float]:
    """How much room each column needs: its longest content, capped, with the header's
    longest word as a floor (a header never breaks inside a word)."""
    out = []
    for i, head in enumerate(columns):
        longest = max([len(r[i]) for r in rows if i < len(r)] + [0])
        out.append(max(min(longest, 60), max(len(w) for w in head.split()) + 2, 4))
    return out


def superscript(paragraph: Paragraph, text: str) -> Run:
    run = paragraph.add_run(text)
    run.font.superscript = True
    return run


def style(doc: DocxDocument, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH
          ) -> str | None:
    """The style's name when the document (a coordinator's template) has it, else None."""
    try:
        found = doc.styles[name]
    except KeyError:
        return None
    return name if found.type == kind else None


def grey(run: Run) -> Run:
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    return run
