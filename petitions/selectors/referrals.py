"""Reads of referrals (交办单) that depend on who is asking: which units a case may be handed
down or referred up to, the referrals a user sees, and what the user may do with one."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from petitions.models import Petition, Referral
from petitions.selectors import _acts_for, petition_list_for_user
from stations import codes
from stations.models import Membership, Unit, User
from stations.selectors import scope_for, within_q

Role = Membership.Role


def unit_is_below(unit: Unit, holder: Unit, petition: Petition) -> bool:
    """Whether a case held by `holder` may be handed down to `unit`: its region lies strictly
    below the holder's and covers the case's village."""
    low, high = holder.region.code, unit.region.code
    return (
        codes.LEVELS.index(unit.region.level) > codes.LEVELS.index(holder.region.level)
        and high.startswith(holder.region.prefix)
        and petition.region_code.startswith(unit.region.prefix)
        and low != high
    )


def unit_is_above(unit: Unit, holder: Unit) -> bool:
    """Whether a case held by `holder` may be referred up to `unit`: its region is above."""
    return unit.region.code in codes.ancestor_codes(holder.region.code)


def units_below(petition: Petition) -> list[Unit]:
    """The units a case may be handed down to (`unit_is_below`), for the page's choices."""
    holder = petition.holder_unit
    regions = [*codes.ancestor_codes(petition.region_code), petition.region_code]
    units = Unit.objects.filter(region__code__in=regions, is_active=True).select_related("region__parent")
    if petition.category.confidential:  # a report against officials goes to a commission
        units = units.filter(kind=Unit.Kind.COMMISSION)
    found = [unit for unit in units if unit_is_below(unit, holder, petition)]
    return sorted(found, key=lambda unit: (unit.region.code, unit.kind, unit.name))


def units_above(petition: Petition) -> list[Unit]:
    """The units a case may be referred up to (`unit_is_above`), nearest first."""
    regions = codes.ancestor_codes(petition.holder_unit.region.code)
    units = Unit.objects.filter(region__code__in=regions, is_active=True).select_related("region__parent")
    return sorted(units, key=lambda unit: (-len(unit.region.prefix), unit.kind, unit.name))


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    """The referrals of cases the user may open in full (`petitions_visible_to`, less the
    reports against officials seen only as a shell: a referral's instructions and report may
    name the accused) that the user's units sent or received, and every referral of such a case
    in the subtrees the user supervises."""
    scope = scope_for(user)
    referrals = Referral.objects.select_related("petition", "from_unit__region", "to_unit__region")
    if scope.everything:
        return referrals
    units = [unit for unit, roles in scope.unit_roles.items() if roles - {Role.OBSERVER}]
    mine = Q(from_unit_id__in=units) | Q(to_unit_id__in=units) | within_q("petition__region_code", scope.case_prefixes)
    in_full = petition_list_for_user(user).filter(shell=False)
    return referrals.filter(mine, petition__in=in_full.values("pk"))


def referral_list_for_user(
    user: User, *, direction: str = "", status: str = "", overdue: bool = False, petition: int | None = None
):
    """The user's referrals, sent (`direction="sent"`) or received, or those of one case,
    owing ones due soonest first."""
    scope = scope_for(user)
    referrals = referrals_visible_to(user)
    if petition is not None:
        referrals = referrals.filter(petition_id=petition)
    units = [unit for unit, roles in scope.unit_roles.items() if roles - {Role.OBSERVER}]
    if direction == "sent":
        referrals = referrals.filter(from_unit_id__in=units)
    elif direction == "received":
        referrals = referrals.filter(to_unit_id__in=units)
    if status:
        referrals = referrals.filter(status=status)
    if overdue:
        referrals = referrals.filter(status__in=Referral.OWING, report_due_at__lt=timezone.now())
    # A referral reported or accepted long ago was due early too: it waits below the owing ones.
    settled = Case(When(status__in=Referral.OWING, then=Value(0)), default=Value(1), output_field=IntegerField())
    return referrals.alias(settled=settled).order_by("settled", "report_due_at", "id")


def referral_get_for_user(user: User, pk) -> Referral:
    """One referral in the user's view, or 404."""
    try:
        return referrals_visible_to(user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def referral_allowed(user: User, referral: Referral) -> tuple[set[str], set[str]]:
    """(what the user may do with the referral now, what its state allows anyone): the unit
    below reports while it owes a report and nothing it handed further down still waits; the
    unit above accepts or returns a report."""
    possible: set[str] = set()
    if referral.owes_report and not referral.children.exclude(status=Referral.Status.ACCEPTED).exists():
        possible.add("report")
    if referral.status == Referral.Status.REPORTED:
        possible |= {"accept", "return"}
    scope = scope_for(user)
    receiver = scope.everything or _acts_for(user, referral.to_unit_id)
    sender = scope.everything or _acts_for(user, referral.from_unit_id)
    allowed = {verb for verb in possible if (receiver if verb == "report" else sender)}
    return allowed, possible
