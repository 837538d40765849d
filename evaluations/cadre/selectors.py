"""Who sees a cadre assessment sheet, and what it adds up to.

Who: the appraisal commission of the unit's region (`evaluations.selectors.can_manage`:
supervisors, leaders and administrators whose subtree covers it) assesses the unit — reads
and changes its sheet — unless they hold a role in that unit themselves: nobody scores their
own unit (回避). A unit's own staff read their sheet once it is final, not the draft. Anyone
else gets a 404, the same as for a sheet that does not exist.

The arithmetic: total = Σ weight × score / 100 over the parts and the residents' appraisal.
Each contribution is kept exact (a weight and a score of two decimals give at most six); the
total is rounded once, half up to two decimals: 77.78 × 30 % + 90 × 40 % + 85 × 30 % =
23.334 + 36 + 25.5 = 84.834 → 84.83. A part without a score — the appraisal too, when no
published campaign of that year covers the unit — leaves the total incomplete (None), never 0.
Which campaign: a published one of the sheet's year in which the unit took part; of several,
the one published last. A final sheet reads what was kept when it was made final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from evaluations.models import CadreSheet, CadreSheetEvent, CadreSheetPart, Campaign, Participant
from evaluations.selectors import can_manage
from stations.models import Unit, User
from stations.selectors import scope_for, within_q

TWO = Decimal("0.01")
HUNDRED = Decimal(100)
# The kinds of unit whose cadres a commission assesses (a commission is assessed from above).
ASSESSED_KINDS = [Unit.Kind.STATION, Unit.Kind.DEPARTMENT, Unit.Kind.INTAKE]


def can_assess(user: User, unit: Unit) -> bool:
    """Whether `user` may change the sheets of `unit`: its region's commission, not its own staff."""
    return can_manage(user, unit.region) and not scope_for(user).roles_in(unit.pk)


def sheets_visible_to(user: User) -> QuerySet[CadreSheet]:
    scope = scope_for(user)
    sheets = CadreSheet.objects.select_related("unit__region")
    if scope.everything:
        return sheets
    own = list(scope.unit_roles)
    assessed = within_q("unit__region__code", scope.case_prefixes + scope.admin_prefixes) & ~Q(unit_id__in=own)
    return sheets.filter(assessed | Q(unit_id__in=own, state=CadreSheet.State.FINAL))


def sheet_get_for_user(user: User, pk: int) -> CadreSheet:
    return get_object_or_404(sheets_visible_to(user), pk=pk)


def sheets_of_year(user: User, year: int) -> QuerySet[CadreSheet]:
    """The sheets of `year` the user sees, with their parts (two queries)."""
    parts = Prefetch("parts", queryset=CadreSheetPart.objects.order_by("sort_order", "id"))
    return (
        sheets_visible_to(user)
        .filter(year=year)
        .select_related("appraisal__campaign")
        .prefetch_related(parts)
        .order_by("unit__region__code", "unit__name", "id")
    )


def units_to_assess(user: User, year: int) -> QuerySet[Unit]:
    """The active units the user may open a sheet for that have none of `year` yet."""
    scope = scope_for(user)
    units = Unit.objects.filter(is_active=True, kind__in=ASSESSED_KINDS).select_related("region")
    if not scope.everything:
        units = units.filter(within_q("region__code", scope.case_prefixes + scope.admin_prefixes)).exclude(
            pk__in=list(scope.unit_roles)
        )
    taken = CadreSheet.objects.filter(year=year).values("unit_id")
    return units.exclude(pk__in=taken).order_by("region__code", "name")


# --- The arithmetic --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of a sheet: a part, or the residents' appraisal (`part` None)."""

    name: str
    weight: Decimal
    score: Decimal | None
    part: CadreSheetPart | None = None

    @property
    def contribution(self) -> Decimal | None:
        """weight × score / 100, exact (not rounded)."""
        if self.score is None:
            return None
        return self.weight * self.score / HUNDRED

    # As the page and the export show them: 30.00 → 30, 23.33400 → 23.334.
    @property
    def weight_text(self) -> str:
        return plain(self.weight)

    @property
    def score_text(self) -> str | None:
        return plain(self.score)

    @property
    def contribution_text(self) -> str | None:
        return plain(self.contribution)


@dataclass(frozen=True)
class SheetResult:
    sheet: CadreSheet
    appraisal: Line
    # The campaign's result the appraisal line reads (None when no published campaign covers it).
    participant: Participant | None
    parts: list[Line]
    total: Decimal | None
    missing: list[str]

    @property
    def lines(self) -> list[Line]:
        return [self.appraisal, *self.parts]

    @property
    def complete(self) -> bool:
        return self.total is not None


def total_of(lines: Iterable[Line]) -> Decimal | None:
    """Σ weight × score / 100, rounded half up to two decimals once; None when a weighted line
    has no score."""
    lines = list(lines)
    if any(line.score is None and line.weight for line in lines):
        return None
    exact = sum((line.weight * line.score / HUNDRED for line in lines if line.weight), Decimal(0))
    return exact.quantize(TWO, ROUND_HALF_UP)


def published_results_for(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Participant]:
    """(unit id, year) → the unit's result in the published campaign of that year, the one
    published last where several are; one query for any number of pairs."""
    pairs = set(pairs)
    if not pairs:
        return {}
    found: dict[tuple[int, int], Participant] = {}
    rows = (
        Participant.objects.filter(
            campaign__state=Campaign.State.PUBLISHED,
            unit_id__in={unit for unit, _year in pairs},
            campaign__year__in={year for _unit, year in pairs},
        )
        .select_related("campaign")
        .order_by("-campaign__published_at", "-campaign_id")
    )
    for participant in rows:
        key = (participant.unit_id, participant.campaign.year)
        if key in pairs:
            found.setdefault(key, participant)
    return found


def plain(number: Decimal | None) -> str | None:
    """30.00 → "30", 12.50 → "12.5": how a weight or a score is shown and kept in an event."""
    if number is None:
        return None
    return format(number.normalize(), "f")


def appraisal_label() -> str:
    return _("Residents' appraisal")


def result_of(sheet: CadreSheet, participant: Participant | None = None) -> SheetResult:
    """What `sheet` adds up to. A draft reads the appraisal from `participant` (the published
    result, `published_results_for`); a final sheet from what it kept. Its parts are read from
    `sheet.parts.all()` (prefetched on lists)."""
    if sheet.state == CadreSheet.State.FINAL:
        participant, appraisal_score = sheet.appraisal, sheet.appraisal_score
    else:
        appraisal_score = participant.composite if participant is not None else None
    appraisal = Line(name=appraisal_label(), weight=sheet.appraisal_weight, score=appraisal_score)
    parts = [Line(name=p.name, weight=p.weight, score=p.score, part=p) for p in sheet.parts.all()]
    missing = []
    if appraisal.weight and appraisal.score is None:
        missing.append(
            _(
                "No published appraisal of %(year)s covers %(unit)s: the residents' appraisal has no score "
                "yet, so the total is incomplete."
            )
            % {"year": sheet.year, "unit": sheet.unit.name}
        )
    missing += [_("%(part)s has no score yet.") % {"part": line.name} for line in parts if line.score is None]
    return SheetResult(
        sheet=sheet,
        appraisal=appraisal,
        participant=participant,
        parts=parts,
        total=total_of([appraisal, *parts]),
        missing=missing,
    )


def sheet_result(sheet: CadreSheet) -> SheetResult:
    """`result_of` one sheet, its published appraisal looked up."""
    found = published_results_for([(sheet.unit_id, sheet.year)]) if sheet.state == CadreSheet.State.DRAFT else {}
    return result_of(sheet, found.get((sheet.unit_id, sheet.year)))


def results_of(sheets: Iterable[CadreSheet]) -> list[SheetResult]:
    """`result_of` many sheets, their appraisals read by one query."""
    sheets = list(sheets)
    drafts = [(s.unit_id, s.year) for s in sheets if s.state == CadreSheet.State.DRAFT]
    found = published_results_for(drafts)
    return [result_of(sheet, found.get((sheet.unit_id, sheet.year))) for sheet in sheets]


def events_of(sheet: CadreSheet) -> QuerySet[CadreSheetEvent]:
    return sheet.events.select_related("actor").order_by("-created_at", "-id")


def layout_text(layout: dict | None) -> str:
    """A layout kept in an event ({"appraisal_weight", "parts": [{name, weight, score?}]}) as a line."""
    if not layout:
        return "—"
    items = [f"{appraisal_label()} {layout['appraisal_weight']}%"]
    for part in layout.get("parts", []):
        items.append(f"{part['name']} {part['weight']}%")
    return " · ".join(items)


def event_text(event: CadreSheetEvent) -> str:
    """What an event changed, old → new, in the reader's language."""
    data = event.data or {}
    if event.verb == CadreSheetEvent.Verb.LAYOUT:
        return f"{layout_text(data.get('old'))} → {layout_text(data.get('new'))}"
    if event.verb == CadreSheetEvent.Verb.CREATED:
        return layout_text(data.get("new"))
    if event.verb == CadreSheetEvent.Verb.SCORED:
        return f"{data.get('part')}: {data.get('old') or '—'} → {data.get('new')}"
    if event.verb == CadreSheetEvent.Verb.FINALISED:
        return _("total %(total)s") % {"total": data.get("total")}
    return event.note
