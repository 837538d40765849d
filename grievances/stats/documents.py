"""The monthly report as a Word document (.docx, python-docx): what a county office files.

It writes what `monthly.MonthlyReport` holds — the page's title, period, figures and tables,
nothing counted again — on A4, in the fonts of Chinese government documents: 仿宋 for the
text and the tables, 黑体 for the title and the headings. Word picks a run's Chinese glyphs
from the East Asian font (`w:eastAsia` on `w:rFonts`), not from the Latin one, and the
template's styles name theme fonts that win over a font set beside them; so each style used
gets an explicit East Asian font and loses its theme fonts, and every run inherits them.

A table is one call of `_table(doc, heading, headers, rows)`: a heading, a header row repeated
on each page, then the rows (numbers to the right)."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from grievances.stats.monthly import MonthlyReport

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

BODY_FONT = "仿宋"  # FangSong: the body text of official documents
HEADING_FONT = "黑体"  # SimHei: titles and headings
LATIN_FONT = "Times New Roman"
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts(rpr, *, east_asia: str) -> None:
    """Explicit fonts on a run-properties element, the theme's removed (it would win)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for name in _THEME_FONTS:
        rfonts.attrib.pop(qn(name), None)
    for name in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(name), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asia)


def _style(doc, name: str, *, east_asia: str, size: float, bold: bool = False) -> None:
    style = doc.styles[name]
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr(), east_asia=east_asia)


def _document(title: str):
    doc = Document()
    # Chinese defaults for every run (line breaking, proofing), then the styles used.
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, east_asia=BODY_FONT)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    _style(doc, "Normal", east_asia=BODY_FONT, size=12)
    _style(doc, "Title", east_asia=HEADING_FONT, size=22)
    _style(doc, "Heading 1", east_asia=HEADING_FONT, size=16)
    title_ppr = doc.styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):  # the template underlines its title
        title_ppr.remove(border)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    doc.core_properties.title = title
    doc.core_properties.author = doc.core_properties.last_modified_by = ""
    doc.core_properties.language = "zh-CN"
    return doc


def _header_row(row) -> None:
    """Mark a table's first row as its header, repeated at the top of each page."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _table(doc, heading: str, headers: list[str], rows: list[list]) -> None:
    """One table of the report: its heading (if any), the header row in bold, the rows;
    numbers right-aligned. Another table (a ranking) is one more call."""
    if heading:
        doc.add_heading(heading, level=1)
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _header_row(table.rows[0])
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = str(value)
            if isinstance(value, int | float):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def monthly_report_docx(report: MonthlyReport):
    """The report as a python-docx Document."""
    doc = _document(report.title)
    title = doc.add_paragraph(report.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(report.period).alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.region is not None:
        label = _("Region")
        doc.add_paragraph(f"{label}：{report.region.name}（{report.region.code}）")
    for table in report.tables():
        _table(doc, table.heading, table.headers, table.rows)
    return doc


def monthly_report_docx_bytes(report: MonthlyReport) -> bytes:
    buffer = io.BytesIO()
    monthly_report_docx(report).save(buffer)
    return buffer.getvalue()


def report_filename(report: MonthlyReport) -> tuple[str, str]:
    """「甲县群众诉求月报2025-03.docx」, the region and the month as offices file them, and a
    plain ASCII name with the region's code for clients that cannot read the first."""
    month = f"{report.first:%Y-%m}"
    name = report.region.name if report.region else ""
    code = f"-{report.region.code}" if report.region else ""
    kind = _("Grievances monthly report")  # not inside the f-string: xgettext would not see it
    return f"{name}{kind}{month}.docx", f"monthly-report{code}-{month}.docx"


def attachment_header(filename: str, fallback: str) -> str:
    """Content-Disposition for a download named in Chinese: the UTF-8 name (RFC 5987
    `filename*`, which browsers prefer), after an ASCII `fallback` for clients that read only
    `filename`."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
