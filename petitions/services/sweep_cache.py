"""What an escalation works out before it writes, kept for a whole sweep (`EscalationCache`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from petitions.deadlines import deadline_add
from petitions.models import NotificationRoute, Petition
from petitions.recusal import accused_key, commission_above, commissions_above
from petitions.selectors import notification_recipients, users_who_see, visible_among_people
from petitions.services.notify import Recipients
from stations import codes
from stations.models import Membership, Region, Unit, User
from stations.selectors import intake_unit_above

ESCALATION_LEVELS = (Region.Level.TOWNSHIP, Region.Level.COUNTY)


def county_commission_of(petition: Petition) -> Unit | None:
    """The discipline commission of the case's county (where red supervision notices go)."""
    return (
        Unit.objects.filter(kind=Unit.Kind.COMMISSION, is_active=True, region__code=codes.pad(petition.region_code[:6]))
        .select_related("region")
        .order_by("pk")
        .first()
    )


def escalation_target(unit: Unit) -> Unit | None:
    """The intake centre one level up (village → township → county), or None past the county."""
    if codes.LEVELS.index(unit.region.level) <= codes.LEVELS.index(Region.Level.COUNTY):
        return None
    target = intake_unit_above(unit.region)
    return target if target is not None and target.region.level in ESCALATION_LEVELS else None


class EscalationCache(Recipients):
    """The answers `plan_escalation` and `notification_rows` need, each worked out once and
    reused for every case of a sweep (its `now` is one instant): escalation targets per late
    unit, commissions per region and accused, the county commission per county, deadlines
    per (days, day type), the routing table, the recipients of each audience and which of
    them may open each report against officials. A single escalation uses a fresh one, so
    both paths ask the same questions of the same functions.

    The sweep's threads share one cache, each on its own chunk: the reports a chunk leaves for
    `keep_seeing` are kept per thread (`chunk`, a `threading.local`)."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: dict = {}
        self.commissions: dict = {}
        self.above: dict[int, list[Unit]] = {}  # the commissions above each region
        self.county_commissions: dict = {}
        self.deadlines: dict = {}
        self.routes: dict = {}
        self.recipients: dict = {}
        self._case_url: tuple[str, str] | None = None
        self.people: dict[int, User] = {}  # their scopes are worked out once per sweep
        self.chunk = threading.local()

    # --- where a case goes -----------------------------------------------------------------

    def escalation_target(self, late: Unit) -> Unit | None:
        if late.pk not in self.targets:
            self.targets[late.pk] = escalation_target(late)
        return self.targets[late.pk]

    def prime_targets(self, lates: Iterable[Unit]) -> None:
        """Work out `escalation_target` for many late units in one query: the intake centres
        above them all, the nearest one above each (as `intake_unit_above` picks it)."""
        lates = {late.pk: late for late in lates if late.pk not in self.targets}
        above = {
            late.pk: codes.ancestor_codes(late.region.code)
            for late in lates.values()
            if codes.LEVELS.index(late.region.level) > codes.LEVELS.index(Region.Level.COUNTY)
        }
        centres: dict[str, list[Unit]] = {}
        wanted = {code for ancestors in above.values() for code in ancestors}
        if wanted:
            units = Unit.objects.filter(region__code__in=wanted, kind=Unit.Kind.INTAKE, is_active=True)
            for unit in units.select_related("region"):
                centres.setdefault(unit.region.code, []).append(unit)
        for pk in lates:
            if pk not in above:
                self.targets[pk] = None
                continue
            candidates = [unit for code in above[pk] for unit in centres.get(code, [])]
            target = max(candidates, key=lambda unit: unit.region.code, default=None)
            self.targets[pk] = target if target is not None and target.region.level in ESCALATION_LEVELS else None

    def commission_above(self, region: Region, accused: list) -> Unit | None:
        # Recusal reads only each accused's unit, name and post (`accused_key`).
        key = (region.pk, tuple(sorted(accused_key(person) for person in accused)))
        if key not in self.commissions:
            if region.pk not in self.above:
                self.above[region.pk] = commissions_above(region)
            self.commissions[key] = commission_above(region, accused, above=self.above[region.pk])
        return self.commissions[key]

    def prime_commissions(self, regions: Iterable[Region]) -> None:
        """`commissions_above` of many regions in one query: the active commissions of all
        their ancestors, the nearest first for each."""
        regions = {region.pk: region for region in regions if region.pk not in self.above}
        if not regions:
            return
        chains = {pk: codes.ancestor_codes(region.code) for pk, region in regions.items()}
        by_code: dict[str, list[Unit]] = {}
        units = Unit.objects.filter(
            region__code__in={code for chain in chains.values() for code in chain},
            kind=Unit.Kind.COMMISSION,
            is_active=True,
        )
        for unit in units.select_related("region"):
            by_code.setdefault(unit.region.code, []).append(unit)
        for pk, chain in chains.items():
            found = [unit for code in chain for unit in by_code.get(code, [])]
            self.above[pk] = sorted(found, key=lambda unit: unit.region.code, reverse=True)

    def county_commission(self, petition: Petition) -> Unit | None:
        county = petition.region_code[:6]
        if county not in self.county_commissions:
            self.county_commissions[county] = county_commission_of(petition)
        return self.county_commissions[county]

    def deadline(self, now, days: int, day_type: str):
        key = (now, days, day_type)
        if key not in self.deadlines:
            self.deadlines[key] = deadline_add(now, days, day_type)
        return self.deadlines[key]

    # --- who is told (`notify.Recipients`) ---------------------------------------------------

    def routes_for(self, event: str) -> list[NotificationRoute]:
        if event not in self.routes:
            self.routes[event] = super().routes_for(event)
        return self.routes[event]

    def case_url(self, pk: int) -> str:
        """`reverse("petitions:case", kwargs={"pk": pk})`, the pattern resolved once per sweep."""
        if self._case_url is None:
            # A pk no case has, to split the path around it.
            head, _pk, tail = super().case_url(987654321).rpartition("987654321")
            self._case_url = (head, tail)
        head, tail = self._case_url
        return f"{head}{pk}{tail}"

    @staticmethod
    def _recipient_key(audience: str, petition: Petition, unit: Unit | None) -> tuple:
        """What `notification_recipients` reads of the case and unit for an audience."""
        if audience == NotificationRoute.Audience.HOLDER_UNIT_STAFF:
            return (audience, unit.pk if unit is not None else None)
        if audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION:
            return (audience, unit.region.code if unit is not None else petition.region_code)
        if audience == NotificationRoute.Audience.INTAKE_DESK:
            return (audience, petition.intake_unit_id)
        if audience == NotificationRoute.Audience.COMMISSION:
            return (audience, petition.region_code[:6])
        return (audience,)

    def recipients_for(self, route: NotificationRoute, petition: Petition, unit: Unit | None) -> list[int]:
        """The ids of `notification_recipients(route.audience, …)`, in the same (id) order."""
        key = self._recipient_key(route.audience, petition, unit)
        if key not in self.recipients:
            users = notification_recipients(route.audience, petition=petition, unit=unit)
            self.recipients[key] = [user.pk for user in users]
        return self.recipients[key]

    def prime_recipients(self, units: Iterable[Unit], regions_of: Iterable[Unit]) -> None:
        """`recipients_for` of many units at once, one query per audience: the staff of each of
        `units` (holder_unit_staff) and the supervisors over each of `regions_of`
        (supervisors_of_region), with the filters of `notification_recipients`."""
        role = Membership.Role
        staff = NotificationRoute.Audience.HOLDER_UNIT_STAFF
        units = {unit.pk for unit in units} - {key[1] for key in self.recipients if key[0] == staff}
        if units:
            found: dict[int, set[int]] = {pk: set() for pk in units}
            memberships = Membership.objects.filter(
                unit_id__in=units,
                role__in=[role.CLERK, role.HANDLER, role.LEADER, role.SUPERVISOR],
                user__is_active=True,
            )
            for unit_id, user_id in memberships.values_list("unit_id", "user_id"):
                found[unit_id].add(user_id)
            for pk, users in found.items():
                self.recipients[(staff, pk)] = sorted(users)
        supervisors = NotificationRoute.Audience.SUPERVISORS_OF_REGION
        region_codes = {unit.region.code for unit in regions_of}
        region_codes -= {key[1] for key in self.recipients if key[0] == supervisors}
        if region_codes:
            over = {code: codes.chain_within_county(code) for code in region_codes}
            by_code: dict[str, set[int]] = {}
            memberships = Membership.objects.filter(
                role=role.SUPERVISOR,
                unit__is_active=True,
                unit__region__code__in={code for chain in over.values() for code in chain},
                user__is_active=True,
            )
            for code, user_id in memberships.values_list("unit__region__code", "user_id"):
                by_code.setdefault(code, set()).add(user_id)
            for code, chain in over.items():
                self.recipients[(supervisors, code)] = sorted(set().union(*(by_code.get(c, set()) for c in chain)))

    def defer_seeing(self) -> None:
        """From now on this thread's `who_see` keeps every recipient of a report against
        officials and notes them; `keep_seeing` then asks for the whole chunk at once."""
        self.chunk.pending = {}

    def who_see(self, petition: Petition, user_ids: list[int | None]) -> list[int | None]:
        pending = getattr(self.chunk, "pending", None)
        if pending is None or not petition.category.confidential:
            return users_who_see(petition, user_ids)
        pending.setdefault(petition.pk, (petition, set()))[1].update(pk for pk in user_ids if pk is not None)
        return user_ids

    def keep_seeing(self, rows: list[tuple]) -> list[tuple]:
        """Of notification rows (`NOTIFICATION_COLUMNS`) made since `defer_seeing`, those whose
        recipient may open the report (`selectors.users_who_see`): which of the chunk's reports
        each recipient may open is asked once for the chunk (`selectors.visible_among_people`:
        a few queries, whatever the number of reports and people)."""
        pending, self.chunk.pending = getattr(self.chunk, "pending", None) or {}, None
        if not pending:
            return rows
        wanted = {pk for _petition, user_ids in pending.values() for pk in user_ids}
        for user in User.objects.filter(pk__in=[pk for pk in wanted if pk not in self.people]):
            self.people[user.pk] = user
        seen = visible_among_people(
            [self.people[pk] for pk in wanted if pk in self.people], [p for p, _ids in pending.values()]
        )
        allowed = {
            pk: set(users_who_see(petition, user_ids, seen=lambda user_pk: seen.get(user_pk, set())))
            for pk, (petition, user_ids) in pending.items()
        }
        return [row for row in rows if row[2] not in allowed or row[0] is None or row[0] in allowed[row[2]]]
