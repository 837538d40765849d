"""A year's cadre assessment sheets as an Excel workbook: one row per sheet (its total, or
"incomplete" and why), and one per part. Every cell through `config.spreadsheets`, so a part's
name typed as `=…` is never run as a formula."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.spreadsheets import append
from evaluations.cadre.selectors import SheetResult


def _num(value):
    return float(value) if value is not None else None


def sheets_workbook(year: int, results: list[SheetResult]) -> bytes:
    from openpyxl import Workbook  # imported when used, as evaluations.exports does

    book = Workbook()
    sheets = book.active
    sheets.title = _("Sheets")
    append(sheets, [_("Cadre assessment %(year)s") % {"year": year}])
    append(
        sheets,
        [
            _("region"),
            _("unit"),
            _("state"),
            _("appraisal"),
            _("appraisal score"),
            _("appraisal weight (%)"),
            _("total score"),
            _("missing"),
        ],
    )
    parts = book.create_sheet(_("Parts"))
    append(
        parts,
        [_("region"), _("unit"), pgettext("cadre sheet", "part"), _("weight (%)"), _("score"), _("weighted score")],
    )
    for result in results:
        sheet = result.sheet
        campaign = result.participant.campaign if result.participant is not None else None
        append(
            sheets,
            [
                sheet.unit.region.name,
                sheet.unit.name,
                sheet.get_state_display(),
                str(campaign) if campaign else "",
                _num(result.appraisal.score),
                _num(result.appraisal.weight),
                _num(result.total) if result.complete else _("incomplete"),
                " ".join(result.missing),
            ],
        )
        for line in result.lines:
            append(
                parts,
                [
                    sheet.unit.region.name,
                    sheet.unit.name,
                    line.name,
                    _num(line.weight),
                    _num(line.score),
                    _num(line.contribution),
                ],
            )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
