"""The county's past (历史数据导入): a year of cases from the old platform or paper ledgers.

An administrator of a county (or a superuser) brings the county's past in, one workbook, one
case a row: when it was received, the channel, the level it was taken in at (county, township,
village), the category, the village, the unit that handled it, its state (closed or in
progress), the reply date and the resident's satisfaction. Every row is checked before anything
is written, and then all rows are written in one transaction: one refused row and nothing is
imported; the report names each refused row by its spreadsheet row number and column, in the
reader's language.

What an imported case is: `received_at` is the ledger's date (the statistics count months from
it), `created_at` and `imported_at` the moment of the import (the registration time is kept
apart, DESIGN.md §11); it is accepted the day it was received, its deadlines are counted from
then as at a desk; a closed case was replied to and closed on its reply date, with its rating.
Its timeline holds one `imported` event (not shown to the resident) with what the row said. It
never notifies anyone (nothing here calls `petitions.services.notify`), and the beat jobs leave
out a case whose current deadline passed before its `imported_at` (petitions/tasks.py): it
is neither escalated nor reminded for what happened before the county used Suqiu. No repeat
links are made, and no query code is handed out (the resident never had a receipt).

The rows are written with `bulk_create`, CHUNK at a time (a fixed number of statements per
chunk), so that thousands of rows take seconds; the page runs the import as a Celery job
(`grievances.tasks.import_history`) and shows its progress from a status file, the command
`manage.py import_history` runs it in its own process.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config import spreadsheets
from grievances.ledger.imports import (
    Lookups,
    RowError,
    cell_text,
    parse_day,
    read_capped,
    refuse_formulas,
    start_of,
)
from petitions.deadlines import deadline_add, deadline_days
from petitions.models import (
    Assignment,
    Category,
    Channel,
    DeadlineKind,
    Petition,
    PetitionEvent,
    Satisfaction,
    Status,
)
from petitions.tracking import new_tracking_number, query_code_hash
from stations.models import Region, Unit, User
from stations.selectors import scope_for, within_q

# A county's year is a few thousand cases; a large county's several years stay under this.
MAX_HISTORY_ROWS = 20_000
# 20,000 rows of long contents unpack to about 250 MB; openpyxl reads a sheet row by row.
MAX_HISTORY_UNPACKED_BYTES = 320 * 1024 * 1024
CHUNK = 500
# Why every imported case was registered after it was received, in the records' language.
LATE_REASON = "历史数据导入"

Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all)


def history_columns() -> list[tuple[str, str]]:
    """The template's columns, in order: (field, header)."""
    return [
        ("received_on", _("Received on (YYYY-MM-DD)")),
        ("channel", _("Channel")),
        ("level", _("Level (county, township or village)")),
        ("category", _("Category (code or name)")),
        ("village", _("Village (code or name)")),
        ("unit", _("Handling unit (empty: the township centre)")),
        ("status", _("State (closed or in progress)")),
        ("replied_on", _("Replied on (YYYY-MM-DD)")),
        ("satisfaction", _("Satisfaction")),
        ("title", _("Title")),
        ("content", _("Content")),
        ("complainant_name", _("Complainant (empty: anonymous)")),
    ]


# Free text may not begin with a formula sign; a lone dash in an optional column means none.
FREE_TEXT = ("village", "unit", "title", "content", "complainant_name")
OPTIONAL = ("unit", "replied_on", "satisfaction", "content", "complainant_name")

LEVEL_WORDS = {
    **dict.fromkeys(("county", "县", "县级", "县本级"), Region.Level.COUNTY),
    **dict.fromkeys(("township", "乡镇", "乡镇级", "乡", "镇", "街道"), Region.Level.TOWNSHIP),
    **dict.fromkeys(("village", "村", "村级", "社区", "村（社区）", "村(社区)"), Region.Level.VILLAGE),
}
STATUS_WORDS = {
    **dict.fromkeys(("closed", "已办结", "办结", "已结", "结案"), Status.CLOSED),
    **dict.fromkeys(("in progress", "in_progress", "办理中", "正在办理", "在办", "未办结"), Status.IN_PROGRESS),
}


def _satisfaction_words() -> dict[str, str]:
    # The words ledgers use for a reply nobody rated, besides the label.
    words = {"": "", **dict.fromkeys(("no response", "未评价", "逾期未评价"), Satisfaction.NO_RESPONSE)}
    # The labels in both languages, whichever the person importing reads the site in.
    for value, label in Satisfaction.choices:
        words[value] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                words[str(label)] = words[str(label).lower()] = value
    return words


@dataclass
class HistoryResult:
    """What an import did: the rows read, the cases written, the refused rows."""

    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0


# --- Who may import, and the county's places ------------------------------------------------


def history_counties_for(user: User) -> list[Region]:
    """The counties whose past this user may import: a superuser's all, an administrator's
    those under the region they administer (an administrator of a township none)."""
    scope = scope_for(user)
    counties = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    if scope.everything:
        return list(counties)
    if not scope.admin_prefixes:
        return []
    return list(counties.filter(within_q("code", scope.admin_prefixes)))


class _County:
    """The villages, townships and units of one county, read once per import."""

    def __init__(self, county: Region):
        self.county = county
        inside = within_q("code", [county.prefix])
        self.villages: dict[str, Region] = {}
        self.village_names: dict[str, list[Region]] = {}
        for region in Region.objects.filter(inside, level=Region.Level.VILLAGE).select_related("parent"):
            self.villages[region.code] = region
            self.village_names.setdefault(region.name, []).append(region)
        self.units: dict[str, list[Unit]] = {}
        self.intake: dict[int, Unit] = {}
        self.commission: Unit | None = None
        units = Unit.objects.filter(within_q("region__code", [county.prefix]), is_active=True).select_related("region")
        for unit in units.order_by("region__code", "kind", "name", "pk"):
            self.units.setdefault(unit.name, []).append(unit)
            if unit.kind == Unit.Kind.INTAKE:
                self.intake.setdefault(unit.region_id, unit)
            if unit.kind == Unit.Kind.COMMISSION and unit.region_id == county.pk:
                self.commission = unit

    def village(self, text: str) -> tuple[Region | None, str]:
        if text in self.villages:
            return self.villages[text], ""
        named = self.village_names.get(text, [])
        if len(named) == 1:
            return named[0], ""
        if named:
            return None, _("Several villages of this county are called %(name)s: give its 12-digit code.") % {
                "name": text
            }
        return None, _("No village of this county has this code or name.")

    def intake_for(self, village: Region, level: str) -> Unit | None:
        """The desk that took the case in: the village's, the township's or the county's."""
        chain = {"village": [village.pk, village.parent_id], "township": [village.parent_id], "county": []}[level]
        for region_id in [*chain, self.county.pk]:
            if region_id in self.intake:
                return self.intake[region_id]
        return None

    def default_holder(self, village: Region, level: str, category: Category) -> Unit | None:
        """Who held the case when the row does not say: the county commission for a report
        against officials, else the intake centre that decides acceptance (as at a desk)."""
        if category.confidential:
            return self.commission
        if level == Region.Level.COUNTY:
            return self.intake.get(self.county.pk)
        return self.intake.get(village.parent_id) or self.intake.get(self.county.pk)


# --- Reading and checking the rows ----------------------------------------------------------


@dataclass
class _Checks:
    county: _County
    lookups: Lookups
    headers: dict[str, str]
    satisfaction: dict[str, str]
    today: date
    actor: User | None
    now: datetime


def _check_row(values: list, number: int, checks: _Checks) -> tuple[Petition | None, dict[str, str]]:
    """The case a row describes (not saved, no tracking number yet), or its refusals by column."""
    names = [name for name, _header in history_columns()]
    cells = dict(zip(names, list(values) + [None] * (len(names) - len(values)), strict=False))
    refused = refuse_formulas(cells, number, checks.headers, FREE_TEXT, OPTIONAL)
    text = {name: cell_text(cells[name]) for name in names}
    errors: dict[str, str] = {}

    received_on, message = parse_day(cells["received_on"], checks.today)
    if message:
        errors["received_on"] = message
    channel = checks.lookups.channels.get(text["channel"]) or checks.lookups.channels.get(text["channel"].lower())
    if channel is None:
        errors["channel"] = _("Unknown channel.")
    level = LEVEL_WORDS.get(text["level"]) or LEVEL_WORDS.get(text["level"].lower())
    if level is None:
        errors["level"] = _("Write county, township or village.")
    category = checks.lookups.categories.get(text["category"].lower())
    if category is None:
        errors["category"] = _("Unknown category: give its code or its name.")
    village, message = checks.county.village(text["village"])
    if message:
        errors["village"] = message

    status = STATUS_WORDS.get(text["status"]) or STATUS_WORDS.get(text["status"].lower())
    if status is None:
        errors["status"] = _("Write closed or in progress.")
    replied_on = None
    if text["replied_on"]:
        replied_on, message = parse_day(cells["replied_on"], checks.today)
        if message:
            errors["replied_on"] = message
        elif status == Status.IN_PROGRESS:
            errors["replied_on"] = _("A case in progress has no reply yet: leave the date empty or mark it closed.")
        elif received_on and replied_on < received_on:
            errors["replied_on"] = _("The reply cannot come before the case was received.")
    elif status == Status.CLOSED:
        errors["replied_on"] = _("A closed case needs the date it was replied to.")
    satisfaction = checks.satisfaction.get(text["satisfaction"]) or checks.satisfaction.get(
        text["satisfaction"].lower()
    )
    if satisfaction is None:
        errors["satisfaction"] = _("Write satisfied, basically satisfied, unsatisfied or no response.")
    elif satisfaction and status == Status.IN_PROGRESS:
        errors["satisfaction"] = _("Only a closed case has a rating.")

    title, content, name = text["title"], text["content"] or text["title"], text["complainant_name"]
    if not title:
        errors["title"] = _("Give the matter a short title.")
    elif len(title) > 120:
        errors["title"] = _("The title can be at most 120 characters.")
    if len(content) > 5000:
        errors["content"] = _("The description can be at most 5000 characters.")
    if len(name) > 60:
        errors["complainant_name"] = _("The name can be at most 60 characters.")

    holder = intake = None
    if village is not None and level is not None and category is not None:
        intake = checks.county.intake_for(village, level)
        if text["unit"]:
            units = checks.county.units.get(text["unit"], [])
            if len(units) != 1:
                errors["unit"] = (
                    _("Several units of this county have this name.")
                    if units
                    else _("No unit of this county has this name.")
                )
            holder = units[0] if units else None
        else:
            holder = checks.county.default_holder(village, level, category)
        if intake is None or (holder is None and "unit" not in errors):
            errors["village"] = _("No intake centre serves this village yet.")
    errors |= refused  # a formula's own message, not "unknown" for the emptied cell
    if errors:
        return None, {name: errors[name] for name in names if name in errors}

    received_at = start_of(received_on)
    due_at = deadline_add(received_at, deadline_days(category, DeadlineKind.HANDLING), category.day_type)
    replied_at = start_of(replied_on) if replied_on else None
    petition = Petition(
        channel=channel,
        category=category,
        region=village,
        region_code=village.code,
        level=level,
        intake_unit=intake,
        holder_unit=holder,
        registered_by=checks.actor,
        status=status,
        title=title,
        content=content,
        anonymous=not name,
        complainant_name=name,
        created_at=checks.now,
        received_at=received_at,
        late_reason=LATE_REASON,
        imported_at=checks.now,
        acceptance_due_at=deadline_add(
            received_at, deadline_days(category, DeadlineKind.ACCEPTANCE), category.day_type
        ),
        # The ledgers do not say when a case was accepted: on the day it came, as they were.
        accepted_at=received_at,
        due_at=due_at,
        replied_at=replied_at,
        closed_at=replied_at,
        current_due_at=None if status == Status.CLOSED else due_at,
        satisfaction=satisfaction,
        rated_at=replied_at if satisfaction else None,
    )
    try:
        # Lengths and choices, in Python (the relations were found above; no query per row).
        petition.clean_fields(exclude=_NOT_CHECKED)
    except ValidationError as error:
        return None, {name: " ".join(messages) for name, messages in error.message_dict.items()}
    return petition, {}


_NOT_CHECKED = [
    "tracking_number",
    "query_code_hash",
    "category",
    "region",
    "intake_unit",
    "holder_unit",
    "registered_by",
    "repeat_of",
    "complainant_id_number",
]


def history_read(source) -> tuple[list[tuple[int, list]], RowError | None]:
    """The workbook's data rows (row number, cells), or why the whole file is refused."""
    return read_capped(source, MAX_HISTORY_ROWS, MAX_HISTORY_UNPACKED_BYTES)


# --- The import -----------------------------------------------------------------------------


def _tracking_numbers(count: int) -> list[str]:
    """`count` tracking numbers no case has yet (one query per draw; collisions are rare)."""
    numbers: set[str] = set()
    while len(numbers) < count:
        drawn = {new_tracking_number() for _ in range(count - len(numbers))} - numbers
        taken = set(Petition.objects.filter(tracking_number__in=drawn).values_list("tracking_number", flat=True))
        numbers |= drawn - taken
    return sorted(numbers)


def _write(cases: list[tuple[int, Petition]], actor: User | None, batch: str, progress: Progress) -> None:
    total = len(cases)
    for start in range(0, total, CHUNK):
        chunk = cases[start : start + CHUNK]
        for (number, petition), tracking in zip(chunk, _tracking_numbers(len(chunk)), strict=True):
            petition.tracking_number = tracking
            # The import is the client: its batch and row, unique per desk, name the case once.
            petition.client_ref = _client_ref(batch, number)
            # The resident never had a receipt: a code nobody knows, so no lookup opens the case.
            petition.query_code_hash = query_code_hash(tracking, secrets.token_hex(16))
        petitions = Petition.objects.bulk_create([petition for _number, petition in chunk])
        Assignment.objects.bulk_create(
            Assignment(
                petition=petition,
                unit=petition.holder_unit,
                role=Assignment.Role.LEAD,
                active=petition.status != Status.CLOSED,
                due_at=petition.due_at,
                replied_at=petition.replied_at,
                created_at=petition.created_at,
            )
            for petition in petitions
        )
        PetitionEvent.objects.bulk_create(
            PetitionEvent(
                petition=petition,
                verb=PetitionEvent.Verb.IMPORTED,
                actor=actor,
                to_unit=petition.holder_unit,
                public=False,
                data={
                    "batch": batch,
                    "row": number,
                    "received_at": petition.received_at.isoformat(),
                    "level": petition.level,
                    "status": petition.status,
                    "replied_at": petition.replied_at.isoformat() if petition.replied_at else None,
                    "satisfaction": petition.satisfaction,
                },
                created_at=petition.imported_at,
            )
            for (number, _petition), petition in zip(chunk, petitions, strict=True)
        )
        progress("writing", start + len(chunk), total)


def _client_ref(batch: str, number: int) -> str:
    return f"history:{batch}:{number}"


def _already_written(cases: list[tuple[int, Petition]], batch: str) -> bool:
    """Whether this batch's cases were written before (a job run again after its commit)."""
    number, first = cases[0]
    return Petition.objects.filter(intake_unit=first.intake_unit, client_ref=_client_ref(batch, number)).exists()


def _quiet(phase: str, done: int, total: int) -> None:
    pass


def history_import(
    *,
    actor: User | None,
    county: Region,
    rows: Iterable[tuple[int, list]],
    dry_run: bool = False,
    progress: Progress = _quiet,
    batch: str = "",
) -> HistoryResult:
    """Import the county's past: every row checked first, then all written in one
    transaction, or none. `rows` are (spreadsheet row number, cells) as `history_read` gives
    them; `actor` is the administrator (None from the command line without --actor). With
    `dry_run` only the checks run. `batch` names the import in each case's event and client
    reference (hex, at most 32 characters): the same batch is never written twice."""
    rows = list(rows)
    result = HistoryResult(rows=len(rows), dry_run=dry_run)
    headers = dict(history_columns())
    now = timezone.now()
    checks = _Checks(
        county=_County(county),
        lookups=Lookups(county.prefix),
        headers=headers,
        satisfaction=_satisfaction_words(),
        today=timezone.localdate(now),
        actor=actor,
        now=now,
    )
    cases: list[tuple[int, Petition]] = []
    for done, (number, values) in enumerate(rows, start=1):
        petition, errors = _check_row(values, number, checks)
        for name, message in errors.items():
            result.errors.append(RowError(number, name, headers.get(name, name), message))
        if petition is not None:
            cases.append((number, petition))
        if done % CHUNK == 0:
            progress("checking", done, len(rows))
    progress("checking", len(rows), len(rows))
    if not rows:
        result.errors.append(RowError(0, "file", _("File"), _("The file holds no cases: one case a row, from row 2.")))
    if result.errors or dry_run:
        return result
    batch = batch or secrets.token_hex(8)
    with transaction.atomic():
        if not _already_written(cases, batch):
            _write(cases, actor, batch, progress)
    result.created = len(cases)
    return result


# --- The template ---------------------------------------------------------------------------


def history_template(target, county: Region | None = None) -> None:
    """The template workbook: the headers, two example rows, and the words each column takes."""
    from openpyxl import Workbook  # imported when used: 13 MB no web worker needs until then

    village = None
    if county is not None:
        village = Region.objects.filter(within_q("code", [county.prefix]), level=Region.Level.VILLAGE).first()
    code = village.code if village else "990121100200"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("History"))
    spreadsheets.append(sheet, [header for _field, header in history_columns()])
    spreadsheets.append(
        sheet,
        ["2025-03-02", "来访", "村级", "基础设施", code, "", "已办结", "2025-03-20", "满意", "村道塌方", "", "字红梅"],
    )
    spreadsheets.append(
        sheet, ["2025-09-01", "来电", "乡镇", "土地问题", code, "", "办理中", "", "", "承包地边界争议", "", ""]
    )
    words = workbook.create_sheet(_("Codes"))
    spreadsheets.append(words, [_("Category code"), _("Category name")])
    for category in Category.objects.filter(is_active=True):
        spreadsheets.append(words, [category.code, category.name_zh])
    words.append([])
    spreadsheets.append(words, [_("Channel code"), _("Channel")])
    for value, label in Channel.choices:
        spreadsheets.append(words, [value, str(label)])
    words.append([])
    for header, choices in (
        (_("Level"), ["county 县级", "township 乡镇", "village 村级"]),
        (_("State"), ["closed 已办结", "in progress 办理中"]),
        (_("Satisfaction"), [f"{value} {label}" for value, label in Satisfaction.choices]),
    ):
        spreadsheets.append(words, [header, *[str(choice) for choice in choices]])
    workbook.save(target)


# --- The page's job: its upload and its status ----------------------------------------------


def history_dir(user_id: int) -> Path:
    """Where one user's uploads and job statuses lie: a page serves only its requester's."""
    return Path(settings.MEDIA_ROOT) / "history" / str(user_id)


def _path(user_id: int, token: str, suffix: str) -> Path:
    if not token.isalnum():
        raise ValueError("bad token")
    return history_dir(user_id) / f"{token}{suffix}"


def upload_path(user_id: int, name: str) -> Path:
    return _path(user_id, name, ".xlsx")


def status_read(user_id: int, token: str) -> dict | None:
    """A job's status (state, phase, rows done, the report), or None: no such job of this user."""
    try:
        return json.loads(_path(user_id, token, ".json").read_text())
    except (ValueError, OSError):
        return None


def status_write(user_id: int, token: str, **status) -> dict:
    """Replace a job's status whole (written aside, then renamed: a reader never sees half)."""
    path = _path(user_id, token, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    status["updated"] = timezone.now().isoformat()
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(status, ensure_ascii=False))
    partial.replace(path)
    return status


def status_stale(status: dict) -> bool:
    """A job still running by its status that has not moved for longer than a job may run:
    its worker died, and (all rows or none) nothing was written."""
    if status.get("state") not in ("queued", "running"):
        return False
    limit = timedelta(seconds=settings.SUQIU_LONG_TASK_TIME_LIMIT + 60)
    return timezone.now() - datetime.fromisoformat(status["updated"]) > limit


MAX_REPORTED = 1000  # refused rows kept in a status (the count says how many in all)


@contextmanager
def _job_lock(token: str) -> Iterator[bool]:
    """Hold the job for this process while it runs (a PostgreSQL session lock, let go when the
    process's connection ends, so a dead worker's job can run again); False: another holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(f"history:{token}".encode()).digest()[:7], "big")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def history_run_job(*, user: User, token: str) -> dict:
    """Run the import a page queued (its status names the county, the upload and whether it is
    only a check), recording progress and the report in its status. A second delivery of the
    job does nothing while the first runs or once it is done; after a worker died it runs the
    job again, and finds the cases already there if the first got as far as its commit."""
    with _job_lock(token) as held:
        status = status_read(user.pk, token)
        if not held or status is None or status.get("state") in ("done", "failed"):
            return status or {}
        return _run(user, token, status)


def _run(user: User, token: str, status: dict) -> dict:
    base = {key: status[key] for key in ("county", "upload", "dry_run", "file_name")}
    county = next((c for c in history_counties_for(user) if c.code == status["county"]), None)
    upload = upload_path(user.pk, status["upload"])
    if county is None or not upload.exists():
        return status_write(user.pk, token, **base, state="failed", message=_("The uploaded file has expired."))

    def progress(phase: str, done: int, total: int) -> None:
        status_write(user.pk, token, **base, state="running", phase=phase, done=done, total=total)

    progress("reading", 0, 0)
    with upload.open("rb") as source:
        rows, refusal = history_read(source)
    if refusal is not None:
        result = HistoryResult(errors=[refusal], dry_run=base["dry_run"])
    else:
        result = history_import(
            actor=user, county=county, rows=rows, dry_run=base["dry_run"], progress=progress, batch=token
        )
    if not base["dry_run"] or not result.ok:
        upload.unlink(missing_ok=True)  # kept after a passed check only, for its import
    return status_write(
        user.pk,
        token,
        **base,
        state="done",
        ok=result.ok,
        rows=result.rows,
        created=result.created,
        refused=len(result.errors),
        errors=[vars(error) for error in result.errors[:MAX_REPORTED]],
    )
