"""The results of a campaign as an Excel workbook (openpyxl); every cell through
`config.spreadsheets`, so a unit's name or a veto reason is never run as a formula."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _

from config.spreadsheets import append
from evaluations.models import Campaign
from evaluations.selectors import question_results, results


def _num(value):
    return float(value) if value is not None else None


def results_workbook(campaign: Campaign) -> bytes:
    from openpyxl import Workbook  # imported when used: 13 MB no web worker needs until then

    book = Workbook()
    sheet = book.active
    sheet.title = _("Results")
    append(sheet, [str(campaign)])
    append(
        sheet,
        [
            _("rank"),
            _("station"),
            _("questionnaire score"),
            _("hearing score"),
            _("case record score"),
            _("composite score"),
            _("band"),
            _("vetoed"),
            _("veto reason"),
            _("questionnaire answers"),
            _("cases handled"),
        ],
    )
    for p in results(campaign):
        append(
            sheet,
            [
                p.rank,
                p.unit.name,
                _num(p.questionnaire_score),
                _num(p.hearing_score),
                _num(p.case_score),
                _num(p.composite),
                p.get_band_display(),
                _("yes") if p.vetoed else "",
                p.veto_reason,
                p.responses,
                p.cases,
            ],
        )
    questions = book.create_sheet(_("Questionnaire"))
    append(questions, [_("question"), _("answers"), _("mean (1–5)"), _("score (0–100)")])
    for row in question_results(campaign):
        append(questions, [row["question"].text, row["answers"], _num(row["mean"]), _num(row["score"])])
    out = BytesIO()
    book.save(out)
    return out.getvalue()
