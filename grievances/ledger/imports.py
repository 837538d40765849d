"""The ledger's import (纸质台账导入): a village's paper ledger, from Excel, all rows or none.

Every row is checked (the columns here, then `petition_register` itself), all in one
transaction: one bad row and nothing is imported. The file is read row by row and refused at
the first row over MAX_IMPORT_ROWS, unread beyond it. A formula cell is refused (its row and
column named), so is free text beginning with a formula sign; a lone dash means "none". The
preview runs the same import and rolls it back, so it reports exactly what the real import
would refuse. Cases are created through `petition_register` (events and deadlines as at the
desk); the paper's date is the case's `received_at` (the acceptance deadline and the statistics
count from it), with the late reason "entered late from the paper ledger" when it is older than
SUQIU_RECEIVED_WINDOW_DAYS; a row that says how the matter was settled on the spot is then
closed through `petition_settle`. The template's cells go through `config.spreadsheets`, as the export's do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zipfile import BadZipFile, ZipFile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config import spreadsheets
from config.errors import Refused
from petitions.models import Category, Channel, Petition
from petitions.services import petition_register, petition_settle
from stations import codes
from stations.models import Region, Unit, User

MAX_IMPORT_ROWS = 2000
# An .xlsx is a zip: a 10 MB upload may unpack to gigabytes, and openpyxl reads a sheet that
# does not state its size (Excel, WPS and LibreOffice always do) whole when it opens the file.
# 2,000 rows of the longest contents unpack to under 50 MB.
MAX_IMPORT_UNPACKED_BYTES = 64 * 1024 * 1024


def import_columns() -> list[tuple[str, str]]:
    """The template's columns, in order: (field, header)."""
    return [
        ("region", _("Village code (12 digits)")),
        ("category", _("Category (code or name)")),
        ("channel", _("Channel")),
        ("received_on", _("Received on (YYYY-MM-DD)")),
        ("title", _("Title")),
        ("content", _("Content")),
        ("complainant_name", _("Complainant")),
        ("complainant_phone", _("Phone")),
        ("complainant_id_number", _("ID number")),
        ("anonymous", _("Anonymous (yes/no)")),
        ("settled", _("Settled on the spot: how (leave empty if not)")),
    ]


# What paper ledgers write in the channel column, besides our codes and labels.
CHANNEL_WORDS = {
    "来访": Channel.VISIT,
    "走访": Channel.VISIT,
    "来信": Channel.LETTER,
    "来电": Channel.PHONE,
    "电话": Channel.PHONE,
    "12388": Channel.HOTLINE,
    "网络": Channel.ONLINE,
    "网上": Channel.ONLINE,
    "诉求箱": Channel.BOX,
    "下访": Channel.OUTREACH,
    "转交办": Channel.REFERRAL,
    "上级转交办": Channel.REFERRAL,
}
YES = {"yes", "y", "true", "1", "是", "匿名"}
NO = {"", "no", "n", "false", "0", "否"}
# The free-text columns may not begin with what a spreadsheet runs as a formula (the exports
# neutralise such text too: config.spreadsheets). The other columns must hold a code, a date, a
# phone or an ID number, whose own checks refuse anything else (a "+86…" phone gets the phone
# message). Leading tabs and line breaks are stripped from every cell.
FREE_TEXT = ("title", "content", "complainant_name", "settled")
FORMULA_SIGNS = ("=", "+", "-", "@")
# What paper ledgers write for "none" in the columns that may stay empty.
NONE_MARKS = {"-", "－", "—", "——", "/"}
OPTIONAL = ("complainant_name", "complainant_phone", "complainant_id_number", "settled")


def template_workbook(target) -> None:
    """The import template: the header row, one example row, and the codes on a second sheet."""
    from openpyxl import Workbook  # imported when used: 13 MB no web worker needs until then

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ledger"))
    spreadsheets.append(sheet, [header for _field, header in import_columns()])
    spreadsheets.append(
        sheet,
        [
            "990121100200",
            "infrastructure",
            "visit",
            "2025-03-01",
            "村道塌方",
            "三组村道雨后塌方，车辆无法通行。",
            "字红梅",
            "13800138000",
            "",
            "否",
            "",
        ],
    )
    codes_sheet = workbook.create_sheet(_("Codes"))
    spreadsheets.append(codes_sheet, [_("Category code"), _("Category name")])
    for category in Category.objects.filter(is_active=True):
        spreadsheets.append(codes_sheet, [category.code, category.name_zh])
    codes_sheet.append([])
    spreadsheets.append(codes_sheet, [_("Channel code"), _("Channel")])
    for value, label in Channel.choices:
        spreadsheets.append(codes_sheet, [value, str(label)])
    workbook.save(target)


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    field: str
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: list[Petition] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0


class Formula(str):
    """A cell holding a formula (its text): refused, whatever value it last computed."""


def read_rows(source) -> Iterator[tuple[int, list]]:
    """The non-empty data rows of the first sheet, with their row numbers, one at a time
    (openpyxl read-only: the file is parsed as it is read, never held whole). A formula cell
    comes as a `Formula`, not as the value Excel cached for it."""
    from openpyxl import load_workbook

    workbook = load_workbook(source, read_only=True, data_only=False)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(min_row=2), start=2):
            values = [Formula(cell.value) if cell.data_type == "f" else cell.value for cell in row]
            if any(value not in (None, "") for value in values):
                yield number, values
    finally:
        workbook.close()


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class Lookups:
    """The categories, channels and villages rows refer to, loaded once per import."""

    def __init__(self, county_prefix: str):
        self.county_prefix = county_prefix
        self.categories: dict[str, Category] = {}
        for category in Category.objects.filter(is_active=True):
            for key in (category.code, category.name_zh, category.name_en):
                if key:
                    self.categories[key.strip().lower()] = category
        self.channels: dict[str, str] = dict(CHANNEL_WORDS)
        # The labels in both languages, whichever the person importing reads the site in.
        for value, label in Channel.choices:
            self.channels[value] = value
            for language in ("en", "zh-hans"):
                with translation.override(language):
                    self.channels[str(label)] = self.channels[str(label).lower()] = value
        self.villages: dict[str, Region] = {}

    def load_villages(self, wanted: Iterable[str]) -> None:
        wanted = [code for code in set(wanted) if codes.is_code(code)]
        self.villages = {
            region.code: region
            for region in Region.objects.filter(code__in=wanted, level=Region.Level.VILLAGE).select_related("parent")
        }


def refuse_formulas(
    cells: dict,
    number: int,
    headers: dict[str, str] | None = None,
    free_text: tuple[str, ...] = FREE_TEXT,
    optional: tuple[str, ...] = OPTIONAL,
) -> dict[str, str]:
    """Formula cells, and free text that a spreadsheet would run as one; those cells are
    emptied so that no other check reads them. A lone dash in an `optional` column is "none"."""
    headers = headers or dict(import_columns())
    errors: dict[str, str] = {}
    for name, value in cells.items():
        if isinstance(value, Formula):
            errors[name] = _(
                "Row %(row)d, column “%(column)s”: the cell holds a formula. Type the value itself: "
                "formulas are not imported."
            ) % {"row": number, "column": headers[name]}
            cells[name] = None
        elif name in optional and cell_text(value) in NONE_MARKS:
            cells[name] = None
        elif name in free_text and cell_text(value).startswith(FORMULA_SIGNS):
            errors[name] = _(
                "Row %(row)d, column “%(column)s”: the text begins with “%(sign)s”, which a spreadsheet "
                "would run as a formula. Remove the sign or begin with another word."
            ) % {"row": number, "column": headers[name], "sign": cell_text(value)[0]}
            cells[name] = None
    return errors


def _parse(values: list, lookups: Lookups, today: date, number: int) -> tuple[dict, dict[str, str]]:
    names = [name for name, _header in import_columns()]
    cells = dict(zip(names, values + [None] * (len(names) - len(values)), strict=False))
    refused = refuse_formulas(cells, number)
    errors: dict[str, str] = {}
    data: dict = {}

    code = cell_text(cells["region"])
    region = lookups.villages.get(code)
    if not codes.is_code(code) or region is None:
        errors["region"] = _("No village has this code.")
    elif not code.startswith(lookups.county_prefix):
        errors["region"] = _("The village must be in your county.")
    data["region"] = region

    category = lookups.categories.get(cell_text(cells["category"]).lower())
    if category is None:
        errors["category"] = _("Unknown category: give its code or its name.")
    data["category"] = category

    channel = lookups.channels.get(cell_text(cells["channel"])) or lookups.channels.get(
        cell_text(cells["channel"]).lower()
    )
    if channel is None:
        errors["channel"] = _("Unknown channel.")
    data["channel"] = channel or ""

    day, message = parse_day(cells["received_on"], today)
    if message:
        errors["received_on"] = message
    data["received_on"] = day

    anonymous = cell_text(cells["anonymous"]).lower()
    if anonymous not in YES | NO:
        errors["anonymous"] = _("Write yes or no.")
    data["anonymous"] = anonymous in YES
    for name in ("title", "content", "complainant_name", "complainant_phone", "complainant_id_number", "settled"):
        data[name] = cell_text(cells[name])
    errors |= refused  # a formula's own message, not "unknown category" for the emptied cell
    return data, {name: errors[name] for name in names if name in errors}


def parse_day(raw, today: date) -> tuple[date | None, str]:
    """A day from a date cell or text written YYYY-MM-DD (or with / or .), not after `today`:
    (the day, "") or (None, why not)."""
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = cell_text(raw).replace("/", "-").replace(".", "-")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, _("Give the date as YYYY-MM-DD.")
    if day > today:
        return None, _("The date is in the future.")
    return day, ""


def start_of(day: date) -> datetime:
    """The first moment of a local day: when a case a paper ledger dates reached the desk."""
    return timezone.make_aware(datetime.combine(day, time.min))


# Why a case older than the window is registered only now. Written into the case, in the
# language of the records (the titles and contents are Chinese too), whoever imports it.
LATE_REASON = "纸质台账补录"

# The service's names for what a ledger's column holds.
SERVICE_FIELDS = {"text": "settled", "received_at": "received_on", "late_reason": "received_on"}


def _unpacked_size(source) -> int:
    """What the zip unpacks to, from its directory alone (0 if it is no zip)."""
    try:
        with ZipFile(source) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (BadZipFile, OSError, ValueError):
        return 0
    finally:
        source.seek(0)


def read_capped(
    source, max_rows: int | None = None, max_bytes: int | None = None
) -> tuple[list[tuple[int, list]], RowError | None]:
    """The data rows, or the file's refusal: not an .xlsx, too large unpacked, or more than
    `max_rows` rows (MAX_IMPORT_ROWS; refused at the first row over, the rest unread)."""
    max_rows = max_rows or MAX_IMPORT_ROWS
    max_bytes = max_bytes or MAX_IMPORT_UNPACKED_BYTES
    from openpyxl.utils.exceptions import InvalidFileException

    def refused(row: int, message: str) -> tuple[list, RowError]:
        return [], RowError(row, "file", _("File"), message)

    if _unpacked_size(source) > max_bytes:
        return refused(
            0, _("The file is too large once unpacked. Import at most %(n)d rows at a time.") % {"n": max_rows}
        )
    rows: list[tuple[int, list]] = []
    reader = read_rows(source)
    try:
        for number, values in reader:
            if len(rows) == max_rows:
                return refused(
                    number,
                    _(
                        "The file has more than %(n)d rows. Import at most %(n)d rows at a time: split it into "
                        "several files."
                    )
                    % {"n": max_rows},
                )
            rows.append((number, values))
    except (BadZipFile, InvalidFileException, KeyError, ValueError, OSError, TypeError):
        return refused(0, _("This is not an Excel (.xlsx) file."))
    finally:
        reader.close()
    return rows, None


def ledger_import(*, actor: User, intake_unit: Unit, source, dry_run: bool) -> ImportResult:
    """Import a paper ledger at `intake_unit`: all rows or none. With `dry_run` nothing is
    kept either way (the preview)."""
    headers = dict(import_columns())
    result = ImportResult()
    now = timezone.now()
    today = timezone.localdate(now)
    lookups = Lookups(intake_unit.region.code[: codes.PREFIX_LENGTH["county"]])
    rows, refusal = read_capped(source)
    if refusal is not None:
        result.errors.append(refusal)
        return result
    result.rows = len(rows)
    lookups.load_villages(cell_text(values[0]) if values else "" for _number, values in rows)

    def fail(number: int, name: str, message: str) -> None:
        result.errors.append(RowError(number, name, headers.get(name, name), message))

    with transaction.atomic():
        for number, values in rows:
            data, errors = _parse(values, lookups, today, number)
            for name, message in errors.items():
                fail(number, name, message)
            if errors:
                continue
            try:
                with transaction.atomic():
                    received_at = start_of(data["received_on"])
                    late = received_at < now - timedelta(days=settings.SUQIU_RECEIVED_WINDOW_DAYS)
                    petition = petition_register(
                        actor=actor,
                        intake_unit=intake_unit,
                        channel=data["channel"],
                        category=data["category"],
                        region=data["region"],
                        title=data["title"],
                        content=data["content"],
                        anonymous=data["anonymous"],
                        complainant_name=data["complainant_name"],
                        complainant_phone=data["complainant_phone"],
                        complainant_id_number=data["complainant_id_number"],
                        received_at=received_at,
                        late_reason=LATE_REASON if late else "",
                    ).petition
                    if data["settled"]:
                        petition = petition_settle(petition_id=petition.pk, actor=actor, text=data["settled"])
                    result.created.append(petition)
            except ValidationError as error:
                for name, messages in error.message_dict.items() if hasattr(error, "error_dict") else []:
                    fail(number, SERVICE_FIELDS.get(name, name), " ".join(messages))
                if not hasattr(error, "error_dict"):
                    fail(number, "", " ".join(error.messages))
            except Refused as error:
                fail(number, "", str(error))
        if result.errors or dry_run:
            transaction.set_rollback(True)
    if result.errors:
        result.created = []
    return result
