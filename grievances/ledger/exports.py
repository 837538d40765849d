"""The ledger's export (台账导出): any filtered case list to Excel.

The same `PetitionFilter` and the same visibility as the case list; the complainant's name,
phone and ID number masked for whoever may not see them
(`petitions.selectors.personal_data_visible`), and "confidential" for confidential categories
for everyone (a report's identities leave only through a recorded reveal, one case at a time).
Rows are written with openpyxl's write-only mode, read in batches: the memory used stays flat
however long the list. Lists longer than SUQIU_EXPORT_SYNC_MAX_ROWS are written by a Celery
job (`grievances.ledger.tasks.export_ledger`) to MEDIA_ROOT/exports/<user id>/<random>.xlsx;
only that user can download it.

Every cell goes through `config.spreadsheets`: a text that a spreadsheet would run as a formula
(`=`, `+`, `-`, `@`, tab, CR first) is written as plain text, never as a formula.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from config import spreadsheets
from petitions.filters import PetitionFilter
from petitions.masking import mask_id_number, mask_name, mask_phone
from petitions.models import Assignment, Petition
from petitions.selectors import ACTING_ROLES, personal_data_visible, petition_list_for_user
from stations.models import User
from stations.selectors import scope_for

BATCH = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ledger_queryset(user: User, params: QueryDict):
    """The cases of the list page for the same query string (same FilterSet, same scope).

    A filter the list page would show as wrong (`?created_after=2026-13-45`) is a
    ValidationError keyed by filter: the list page leaves such a filter out, an export must not
    hand over a different list than the one asked for."""
    filterset = PetitionFilter(params, queryset=petition_list_for_user(user))
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors.as_data())
    return filterset.qs.order_by("-created_at", "-id")


def is_large(queryset) -> bool:
    """More rows than an export in the request may hold (reads at most the limit + 1 ids)."""
    limit = settings.SUQIU_EXPORT_SYNC_MAX_ROWS
    return len(queryset.values_list("pk", flat=True)[: limit + 1]) > limit


def export_headers() -> list[str]:
    return [
        _("Tracking number"),
        _("Received at"),
        _("Registered at"),
        _("Level registered at"),
        _("Village code"),
        _("Village"),
        _("Category"),
        _("Channel"),
        _("Title"),
        _("Content"),
        _("Complainant"),
        _("Phone"),
        _("ID number"),
        _("Status"),
        _("Holding unit"),
        _("Handling due"),
        _("Replied at"),
        _("Closed at"),
        _("Satisfaction"),
        _("Repeat petitions"),
    ]


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: write China time, without the offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _batches(queryset, size: int = BATCH) -> Iterator[list[Petition]]:
    batch: list[Petition] = []
    for petition in queryset.iterator(chunk_size=size):
        batch.append(petition)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def export_rows(user: User, queryset) -> Iterator[list]:
    """One list per case, masked for this user; a fixed number of queries per batch."""
    scope = scope_for(user)
    acting = [unit for unit, roles in scope.unit_roles.items() if roles & ACTING_ROLES]
    confidential_word = _("confidential")
    for batch in _batches(queryset):
        led = set()
        if acting:
            led = set(
                Assignment.objects.filter(
                    petition_id__in=[p.pk for p in batch], role=Assignment.Role.LEAD, unit_id__in=acting
                ).values_list("petition_id", flat=True)
            )
        for petition in batch:
            shown = personal_data_visible(user, petition, led_before=petition.pk in led)
            name, phone, id_number = (
                petition.complainant_name,
                petition.complainant_phone,
                petition.complainant_id_number,
            )
            if petition.category.confidential:
                # Identities of a report against officials leave only through a recorded
                # reveal, one case at a time (`petitions.services.petition_reveal`), never in bulk.
                name = phone = id_number = confidential_word
            elif not shown:
                name, phone, id_number = mask_name(name), mask_phone(phone), mask_id_number(id_number)
            yield [
                petition.tracking_number,
                _local(petition.received_at),
                _local(petition.created_at),
                petition.level,
                petition.region_code,
                petition.region.name,
                petition.category.name,
                str(petition.get_channel_display()),
                # A shell (a report the user sees only as the desk that logged it): no words.
                confidential_word if getattr(petition, "shell", False) else petition.title,
                confidential_word if getattr(petition, "shell", False) else petition.content,
                _("anonymous") if petition.anonymous else name,
                phone,
                id_number,
                str(petition.get_status_display()),
                petition.holder_unit.name,
                _local(petition.due_at),
                _local(petition.replied_at),
                _local(petition.closed_at),
                str(petition.get_satisfaction_display()) if petition.satisfaction else "",
                0 if petition.category.confidential else petition.repeat_count,
            ]


def write_ledger(user: User, queryset, target) -> int:
    """Write the ledger workbook to `target` (a path or a binary file); returns the rows."""
    from openpyxl import Workbook  # imported when used: 13 MB no web worker needs until then

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ledger"))
    spreadsheets.append(sheet, export_headers())
    count = 0
    for row in export_rows(user, queryset):
        spreadsheets.append(sheet, row)
        count += 1
    workbook.save(target)
    return count


def export_to_tempfile(user: User, queryset):
    """The workbook in a temporary file, rewound, for a FileResponse (deleted when closed)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the FileResponse closes it
    write_ledger(user, queryset, handle)
    handle.seek(0)
    return handle


def export_path(user_id: int, token: str) -> Path:
    """Where a background export of this user lands: under the user's own directory, so the
    download view can serve only the requester's files."""
    if not token.isalnum():
        raise ValueError("bad token")
    return Path(settings.MEDIA_ROOT) / "exports" / str(user_id) / f"{token}.xlsx"


def new_token() -> str:
    return secrets.token_hex(16)


def export_to_media(user: User, query: str, token: str) -> Path:
    path = export_path(user.pk, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    write_ledger(user, ledger_queryset(user, QueryDict(query)), partial)
    partial.replace(path)  # the download appears only once it is whole
    return path
