"""Every write to a cadre assessment sheet (docs/appraisals.md, "The cadre link").

One function per verb, keyword-only arguments and the actor explicit: the sheet's row locked
(`select_for_update`), the version the caller saw checked (`expected_version`: a form sent from
an older page is refused with `StaleVersion`, never applied over a colleague's change), the
actor checked (`selectors.can_assess`), the sheet still a draft, the input checked before
anything is written, and a `CadreSheetEvent` (old → new) written in the same transaction.

The weights are one rule over the whole sheet — the appraisal's and the parts' add up to
100 % — so they change together (`cadre_sheet_set_layout`: the parts' names and weights and
the appraisal's weight, a part left out is removed); the scores change one part at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState, NotPermitted, StaleVersion
from evaluations.cadre.selectors import can_assess, plain, sheet_result
from evaluations.models import CadreSheet, CadreSheetEvent, CadreSheetPart
from stations.models import Unit, User

Verb = CadreSheetEvent.Verb
TWO = Decimal("0.01")
MAX_PARTS = 20
# A part as given: its name and its weight (%), the weight a number or its text.
PartSpec = tuple[str, Decimal | int | str | None]


def _event(sheet: CadreSheet, verb: str, actor: User | None, **fields) -> CadreSheetEvent:
    return CadreSheetEvent.objects.create(
        sheet=sheet, verb=verb, actor=actor if actor is not None and actor.is_authenticated else None, **fields
    )


def _locked(sheet_id: int, expected_version: int | None) -> CadreSheet:
    sheet = CadreSheet.objects.select_for_update(of=("self",)).select_related("unit__region").get(pk=sheet_id)
    if expected_version is not None and sheet.version != expected_version:
        raise StaleVersion(_("Someone else changed this sheet a moment ago. Reload it and try again."))
    return sheet


def _require(actor: User, sheet: CadreSheet) -> None:
    if not can_assess(actor, sheet.unit):
        raise NotPermitted(_("Only the commission of this unit's region may assess it, and not its own staff."))
    if sheet.state != CadreSheet.State.DRAFT:
        raise InvalidState(_("This assessment sheet is final: it cannot change any more."))


def _save(sheet: CadreSheet, fields: list[str]) -> None:
    sheet.version += 1
    sheet.full_clean()
    sheet.save(update_fields=[*fields, "version"])


def _number(value, *, field: str, message: str) -> Decimal:
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    try:
        number = Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise ValidationError({field: message})
    return number


def _weight(value, *, field: str, name: str) -> Decimal:
    weight = _number(value, field=field, message=_("Give the weight of %(part)s as a number.") % {"part": name})
    if weight != weight.quantize(TWO):
        raise ValidationError({field: _("A weight has at most two decimals.")})
    return weight.quantize(TWO)


def clean_layout(appraisal_weight, parts: Sequence[PartSpec]) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    """The appraisal's weight and the parts (name, weight), checked: names given and distinct,
    weights of 0–100 % (a part's more than 0) with at most two decimals, and all of them adding
    up to 100 %. Raises ValidationError with every problem found."""
    from evaluations.cadre.selectors import appraisal_label

    appraisal = _weight(appraisal_weight, field="appraisal_weight", name=appraisal_label())
    if not 0 <= appraisal <= 100:
        raise ValidationError({"appraisal_weight": _("A weight is between 0 and 100 %%.") % {}})
    cleaned: list[tuple[str, Decimal]] = []
    for name, weight in parts:
        name = (name or "").strip()
        if not name:
            raise ValidationError({"parts": _("Name every part.")})
        if len(name) > 60:
            raise ValidationError({"parts": _("A part's name has at most 60 characters: %(part)s") % {"part": name}})
        if any(name == seen for seen, _w in cleaned):
            raise ValidationError({"parts": _("Two parts are named %(part)s.") % {"part": name}})
        value = _weight(weight, field="parts", name=name)
        if not 0 < value <= 100:
            raise ValidationError(
                {"parts": _("The weight of %(part)s is more than 0 and at most 100 %%.") % {"part": name}}
            )
        cleaned.append((name, value))
    if len(cleaned) > MAX_PARTS:
        raise ValidationError({"parts": _("A sheet has at most %(count)s parts.") % {"count": MAX_PARTS}})
    parts_sum = sum((w for _n, w in cleaned), Decimal(0))
    if appraisal + parts_sum != 100:
        raise ValidationError(
            {
                "parts": _(
                    "The weights add up to %(sum)s %%, not 100 %%: the residents' appraisal %(appraisal)s %% "
                    "and the other parts %(parts)s %%."
                )
                % {"sum": plain(appraisal + parts_sum), "appraisal": plain(appraisal), "parts": plain(parts_sum)}
            }
        )
    return appraisal, cleaned


def _layout(sheet: CadreSheet, *, scores: bool) -> dict:
    parts = []
    for part in sheet.parts.order_by("sort_order", "id"):
        row = {"name": part.name, "weight": plain(part.weight)}
        if scores:
            row["score"] = plain(part.score)
        parts.append(row)
    return {"appraisal_weight": plain(sheet.appraisal_weight), "parts": parts}


@transaction.atomic
def cadre_sheet_create(
    *, actor: User, unit: Unit, year: int, parts: Sequence[PartSpec], appraisal_weight=Decimal(30)
) -> CadreSheet:
    """Open the sheet of `unit` for `year` with its parts and weights (all adding up to 100 %)."""
    if not can_assess(actor, unit):
        raise NotPermitted(_("Only the commission of this unit's region may assess it, and not its own staff."))
    appraisal, cleaned = clean_layout(appraisal_weight, parts)
    sheet = CadreSheet(unit=unit, year=year, appraisal_weight=appraisal, created_by=actor)
    sheet.full_clean()
    try:
        with transaction.atomic():
            sheet.save()
    except IntegrityError:  # the same unit and year, opened by someone else a moment ago
        raise ValidationError(_("This unit already has an assessment sheet for this year.")) from None
    CadreSheetPart.objects.bulk_create(
        [
            CadreSheetPart(sheet=sheet, name=name, weight=weight, sort_order=n)
            for n, (name, weight) in enumerate(cleaned, 1)
        ]
    )
    _event(sheet, Verb.CREATED, actor, data={"new": _layout(sheet, scores=False)})
    return sheet


@transaction.atomic
def cadre_sheet_set_layout(
    *,
    sheet_id: int,
    actor: User,
    parts: Sequence[PartSpec],
    appraisal_weight,
    expected_version: int | None = None,
) -> CadreSheet:
    """Set the parts (name, weight) and the appraisal's weight at once. A part keeps its score
    while its name stays; a part left out is removed, its score with it (kept in the event)."""
    sheet = _locked(sheet_id, expected_version)
    _require(actor, sheet)
    appraisal, cleaned = clean_layout(appraisal_weight, parts)
    old = _layout(sheet, scores=True)
    existing = {part.name: part for part in sheet.parts.all()}
    wanted = dict(cleaned)
    changed, added = [], []
    for order, (name, weight) in enumerate(cleaned, 1):
        part = existing.get(name)
        if part is None:
            added.append(CadreSheetPart(sheet=sheet, name=name, weight=weight, sort_order=order))
        elif (part.weight, part.sort_order) != (weight, order):
            part.weight, part.sort_order = weight, order
            changed.append(part)
    removed = [part.pk for name, part in existing.items() if name not in wanted]
    if not (changed or removed or added) and appraisal == sheet.appraisal_weight:
        return sheet  # nothing changes: no event, the version stays
    CadreSheetPart.objects.filter(pk__in=removed).delete()
    for part in changed:
        part.full_clean()
    CadreSheetPart.objects.bulk_update(changed, ["weight", "sort_order"])
    CadreSheetPart.objects.bulk_create(added)
    sheet.appraisal_weight = appraisal
    _save(sheet, ["appraisal_weight"])
    _event(sheet, Verb.LAYOUT, actor, data={"old": old, "new": _layout(sheet, scores=False)})
    return sheet


@transaction.atomic
def cadre_sheet_score(
    *, sheet_id: int, part_id: int, actor: User, score, expected_version: int | None = None
) -> CadreSheetPart:
    """The commission's score of one part (0–100, rounded half up to two decimals)."""
    sheet = _locked(sheet_id, expected_version)
    _require(actor, sheet)
    part = CadreSheetPart.objects.filter(sheet=sheet, pk=part_id).first()
    if part is None:
        raise ValidationError({"part": _("This part is not on this sheet.")})
    value = _number(score, field="score", message=_("A score is a number."))
    if not 0 <= value <= 100:
        raise ValidationError({"score": _("A score is between 0 and 100.")})
    value = value.quantize(TWO)
    if part.score == value:
        return part
    old, part.score = part.score, value
    part.full_clean()
    part.save(update_fields=["score"])
    _save(sheet, [])
    _event(sheet, Verb.SCORED, actor, data={"part": part.name, "old": plain(old), "new": plain(value)})
    return part


@transaction.atomic
def cadre_sheet_finalise(*, sheet_id: int, actor: User, expected_version: int | None = None) -> CadreSheet:
    """Make the sheet final: every part scored and the appraisal published. The appraisal's
    result and the total are kept on the sheet, which cannot change after."""
    sheet = _locked(sheet_id, expected_version)
    _require(actor, sheet)
    result = sheet_result(sheet)
    if not result.complete:
        raise ValidationError(result.missing)
    sheet.appraisal = result.participant
    sheet.appraisal_score = result.appraisal.score
    sheet.total = result.total
    sheet.state = CadreSheet.State.FINAL
    sheet.finalised_by, sheet.finalised_at = actor, timezone.now()
    _save(sheet, ["appraisal", "appraisal_score", "total", "state", "finalised_by", "finalised_at"])
    campaign = result.participant.campaign if result.participant is not None else None
    _event(
        sheet,
        Verb.FINALISED,
        actor,
        data={
            "total": plain(sheet.total),
            "appraisal": {
                "campaign": campaign.pk if campaign else None,
                "campaign_name": str(campaign) if campaign else None,
                "score": plain(sheet.appraisal_score),
            },
        },
    )
    return sheet
