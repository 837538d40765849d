"""Who may see what: the one place visibility is computed.

Every list, detail, export, statistic and API query that depends on who is asking starts
from here (DESIGN.md §4):

- clerks and handlers see the cases their units took in or hold or held (`Scope.unit_ids`);
- supervisors and leaders see every case in their unit's region subtree (`case_prefixes`);
- invited observers see anonymised aggregates of their region subtree (`stats_prefixes`);
- administrators manage the units and staff of their region subtree (`admin_prefixes`);
- anyone with a role may see the regions and units of the subtrees they work in.

Something outside a user's view is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from config.refcache import RefCache
from stations import codes
from stations.models import Membership, Region, Unit, User

Role = Membership.Role
CASE_ROLES_BY_UNIT = frozenset({Role.CLERK, Role.HANDLER})
CASE_ROLES_BY_REGION = frozenset({Role.SUPERVISOR, Role.LEADER})
STATS_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.OBSERVER})
COMMISSION_ROLES = frozenset({Role.CLERK, Role.HANDLER, Role.SUPERVISOR, Role.LEADER})


@dataclass(frozen=True)
class Scope:
    """What one user may see, as unit ids and region-code prefixes."""

    everything: bool = False
    unit_ids: frozenset[int] = frozenset()
    case_prefixes: tuple[str, ...] = ()
    stats_prefixes: tuple[str, ...] = ()
    admin_prefixes: tuple[str, ...] = ()
    region_prefixes: tuple[str, ...] = ()
    unit_roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # Commissions (纪委监委) the user works in (any role but observer): unit id → region prefix.
    commission_prefixes: Mapping[int, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.unit_ids or self.region_prefixes)

    def roles_in(self, unit_id: int | None) -> frozenset[str]:
        """The roles the user holds in one unit."""
        return self.unit_roles.get(unit_id, frozenset()) if unit_id is not None else frozenset()

    def covers(self, code: str, prefixes: Iterable[str]) -> bool:
        """Whether region `code` lies in one of the subtrees `prefixes`."""
        return self.everything or any(code.startswith(prefix) for prefix in prefixes)


NOTHING = Scope()
EVERYTHING = Scope(everything=True)


def minimal_prefixes(prefixes: Iterable[str]) -> tuple[str, ...]:
    """Drop every prefix that a shorter one in the set already covers."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes), key=lambda p: (len(p), p)):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return tuple(sorted(kept))


def within_q(field: str, prefixes: Iterable[str]) -> Q:
    """A filter for rows whose code `field` lies in any of the subtrees `prefixes`.

    No prefixes gives a filter that matches nothing (never everything).
    """
    condition = Q(pk__in=[])
    for prefix in prefixes:
        low, high = codes.code_range(prefix)
        condition |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return condition


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's roles in active units, with each unit and region loaded."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, unit__is_active=True)
        .select_related("unit__region")
        .order_by("unit__region__code", "unit__name", "role")
    )


def scope_key(scope: Scope) -> tuple:
    """A hashable form of a scope: two people with the same key see the same cases."""
    return (
        scope.everything,
        scope.unit_ids,
        tuple(scope.case_prefixes),
        tuple(sorted((unit, tuple(sorted(roles))) for unit, roles in scope.unit_roles.items())),
        tuple(sorted(scope.commission_prefixes.items())),
    )


def scope_for(user: User) -> Scope:
    """The user's scope, computed once per user object (one query)."""
    cached = getattr(user, "_suqiu_scope", None)
    if cached is not None:
        return cached
    return _scope_from(user, list(memberships_of(user)))


def scopes_for(users: Iterable[User]) -> None:
    """`scope_for` of many users at once, their roles read by one query (a sweep's recipients)."""
    pending = {user.pk: user for user in users if getattr(user, "_suqiu_scope", None) is None}
    ordinary = [pk for pk, user in pending.items() if user.is_active and not user.is_superuser]
    found: dict[int, list[Membership]] = {pk: [] for pk in ordinary}
    if ordinary:
        for membership in memberships_of_many(ordinary):
            found[membership.user_id].append(membership)
    for pk, user in pending.items():
        _scope_from(user, found.get(pk, []))


def memberships_of_many(user_ids: Iterable[int]) -> QuerySet[Membership]:
    """`memberships_of` for many (active) users, in the same order for each."""
    return (
        Membership.objects.filter(user_id__in=list(user_ids), unit__is_active=True)
        .select_related("unit__region")
        .order_by("user_id", "unit__region__code", "unit__name", "role")
    )


def _scope_from(user: User, memberships: list[Membership]) -> Scope:
    """The scope of a user with these roles (`memberships_of`), kept on the user object."""
    # The active units the user has roles in, with their regions, read by the same query
    # (`intake_units_of` answers from them).
    units: dict[int, Unit] = {}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = NOTHING
    elif user.is_superuser:
        scope = EVERYTHING
    else:
        unit_ids: set[int] = set()
        unit_roles: dict[int, set[str]] = {}
        case, stats, admin, regions = [], [], [], []
        commissions: dict[int, str] = {}
        for membership in memberships:
            prefix = membership.unit.region.prefix
            units[membership.unit_id] = membership.unit
            regions.append(prefix)
            unit_roles.setdefault(membership.unit_id, set()).add(str(membership.role))
            if membership.role in CASE_ROLES_BY_UNIT:
                unit_ids.add(membership.unit_id)
            if membership.role in CASE_ROLES_BY_REGION:
                case.append(prefix)
            if membership.role in STATS_ROLES:
                stats.append(prefix)
            if membership.role == Role.ADMIN:
                admin.append(prefix)
            if membership.unit.kind == Unit.Kind.COMMISSION and membership.role in COMMISSION_ROLES:
                commissions[membership.unit_id] = prefix
        scope = Scope(
            unit_ids=frozenset(unit_ids),
            case_prefixes=minimal_prefixes(case),
            stats_prefixes=minimal_prefixes(stats),
            admin_prefixes=minimal_prefixes(admin),
            region_prefixes=minimal_prefixes(regions),
            unit_roles={unit: frozenset(roles) for unit, roles in unit_roles.items()},
            commission_prefixes=commissions,
        )
    user._suqiu_scope = scope
    user._suqiu_units = units
    return scope


def has_stats_rights(user: User) -> bool:
    """Whether the user may open the statistics dashboard: anyone with a subtree to watch or a desk."""
    scope = scope_for(user)
    return scope.everything or bool(scope.stats_prefixes) or bool(scope.unit_ids)


def regions_visible_to(user: User) -> QuerySet[Region]:
    scope = scope_for(user)
    if scope.everything:
        return Region.objects.all()
    return Region.objects.filter(within_q("code", scope.region_prefixes))


def units_visible_to(user: User) -> QuerySet[Unit]:
    scope = scope_for(user)
    units = Unit.objects.select_related("region")
    if scope.everything:
        return units
    return units.filter(within_q("region__code", scope.region_prefixes))


def region_get_for_user(user: User, pk: int) -> Region:
    return get_object_or_404(regions_visible_to(user), pk=pk)


def unit_get_for_user(user: User, pk: int) -> Unit:
    return get_object_or_404(units_visible_to(user), pk=pk)


# {code: the region with its parent, or None}, filled as codes are asked about: the villages a
# web process registers cases in (bounded by the time limit and by _KNOWN_REGIONS_MAX).
_REGIONS: RefCache[dict[str, Region | None]] = RefCache("regions", dict, [Region])
_KNOWN_REGIONS_MAX = 5000


def region_with_parent(code: str) -> Region | None:
    """The region with this code and its parent (a village and its township), from the
    process's copy: registration reads it for every case."""
    known = _REGIONS.get()
    if code not in known:
        if len(known) >= _KNOWN_REGIONS_MAX:
            known.clear()
        known[code] = Region.objects.select_related("parent").filter(code=code).first() if codes.is_code(code) else None
    return known[code]


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first() if codes.is_code(code) else None


def intake_units_of(user: User) -> list[Unit]:
    """The intake units (centres and stations) where the user may register cases."""
    scope = scope_for(user)
    ids = [unit for unit, roles in scope.unit_roles.items() if roles & {Role.CLERK, Role.HANDLER}]
    units = getattr(user, "_suqiu_units", None)
    if units is not None and all(pk in units for pk in ids):
        # Loaded with the scope (the same active units and regions): no second query.
        desks = [units[pk] for pk in ids if units[pk].kind == Unit.Kind.INTAKE and units[pk].is_active]
        return sorted(desks, key=lambda unit: (unit.region.code, unit.kind, unit.name, unit.pk))
    return list(Unit.objects.filter(pk__in=ids, kind=Unit.Kind.INTAKE, is_active=True).select_related("region"))


# {region id: its intake unit or None}, filled as regions are asked about (a township's centre
# is asked about at every registration in its villages).
_INTAKE_UNITS: RefCache[dict[int, Unit | None]] = RefCache("intake-units", dict, [Unit, Region])


def intake_unit_in(region: Region) -> Unit | None:
    """The intake centre or station of exactly this region."""
    known = _INTAKE_UNITS.get()
    if region.pk not in known:
        known[region.pk] = (
            Unit.objects.filter(region=region, kind=Unit.Kind.INTAKE, is_active=True).select_related("region").first()
        )
    return known[region.pk]


def intake_unit_above(region: Region) -> Unit | None:
    """The nearest intake centre strictly above `region` (village → township → county → …)."""
    ancestors = codes.ancestor_codes(region.code)
    units = Unit.objects.filter(region__code__in=ancestors, kind=Unit.Kind.INTAKE, is_active=True).select_related(
        "region"
    )
    return max(units, key=lambda unit: unit.region.code, default=None) if units else None
