"""Reads of cases that depend on who is asking: visibility, the queue, allowed actions.

Nothing outside this module builds a case queryset for a user from `Petition.objects`.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from config.refcache import RefCache
from petitions import workflow
from petitions.models import (
    OPEN_STATUSES,
    Assignment,
    Category,
    ExtensionRequest,
    Petition,
    PetitionEvent,
    Recusal,
    Source,
    Status,
)
from petitions.recusal import unit_recused
from stations import codes
from stations.models import Membership, Region, Unit, User
from stations.selectors import minimal_prefixes, scope_for, scopes_for, within_q

Role = Membership.Role
ACTING_ROLES = frozenset({Role.HANDLER, Role.LEADER})
DESK_ROLES = frozenset({Role.CLERK, Role.HANDLER})


_ACTIVE_CATEGORIES: RefCache[dict[str, Category]] = RefCache(
    "categories", lambda: {category.code: category for category in Category.objects.filter(is_active=True)}, [Category]
)


def active_category(code: str) -> Category | None:
    """The active category with this code (categories change a few times a year: no query)."""
    return _ACTIVE_CATEGORIES.get().get(code)


def petitions_visible_to(user: User) -> QuerySet[Petition]:
    """Cases taken in or held (now or before) by the user's units, plus every case in the
    subtrees the user supervises or leads. Observers see no case here (only statistics).

    A confidential report (涉纪涉腐) is seen only by the staff of commissions (纪委) whose
    region covers it and that need not stand aside from it (`Recusal`), and by the intake desk
    that took it in, unless the desk stands aside too, as a shell (`confidential_shell`). The
    township centre, the village's other units, region supervisors outside a commission and
    every unit the report names do not see it at all."""
    condition = _visible_q(scope_for(user))
    cases = Petition.objects.all()
    return cases if condition is None else cases.filter(condition)


def _visible_q(scope) -> Q | None:
    """The one rule of `petitions_visible_to`, as a condition on a case (None: every case).
    `_visible_in` reads the same rule, term by term, off a case's facts: keep them together
    (tests/petitions/test_visibility_rule.py holds them equal for every person and case)."""
    if scope.everything:
        return None
    condition = within_q("region_code", scope.case_prefixes)
    if scope.unit_ids:
        held = Assignment.objects.filter(petition=OuterRef("pk"), unit_id__in=scope.unit_ids)
        condition |= Q(intake_unit_id__in=scope.unit_ids) | Q(holder_unit_id__in=scope.unit_ids) | Exists(held)
    open_to_me = Q(category__confidential=False) | _desk_shell_q(scope)
    if in_full := _commission_q(scope):
        open_to_me |= in_full
    return condition & open_to_me


@dataclass(frozen=True)
class CaseFacts:
    """What the visibility rule reads of a case: its village, the desk that logged it, the
    holder, every unit it was ever assigned to, whether it is a report against officials and
    the units that stand aside from it (`Recusal`)."""

    pk: int
    region_code: str
    intake_unit_id: int | None
    holder_unit_id: int | None
    confidential: bool
    assigned: frozenset[int]
    recused: frozenset[int]


def case_facts(petition_ids: Iterable[int]) -> list[CaseFacts]:
    """The facts of these cases, read by three queries whatever their number."""
    ids = list(petition_ids)
    assigned: dict[int, set[int]] = {}
    for petition_id, unit_id in Assignment.objects.filter(petition_id__in=ids).values_list("petition_id", "unit_id"):
        assigned.setdefault(petition_id, set()).add(unit_id)
    recused: dict[int, set[int]] = {}
    for petition_id, unit_id in Recusal.objects.filter(petition_id__in=ids).values_list("petition_id", "unit_id"):
        recused.setdefault(petition_id, set()).add(unit_id)
    rows = Petition.objects.filter(pk__in=ids).values_list(
        "pk", "region_code", "intake_unit_id", "holder_unit_id", "category__confidential"
    )
    return [
        CaseFacts(
            pk, code, intake, holder, confidential, frozenset(assigned.get(pk, ())), frozenset(recused.get(pk, ()))
        )
        for pk, code, intake, holder, confidential in rows
    ]


def _visible_in(scope, case: CaseFacts) -> bool:
    """`_visible_q` read off one case's facts, term by term, without a query."""
    if scope.everything:
        return True
    units = scope.unit_ids

    def within(prefixes) -> bool:  # `within_q`
        return any(low <= case.region_code <= high for low, high in map(codes.code_range, prefixes))

    condition = (
        within(scope.case_prefixes)
        or case.intake_unit_id in units
        or case.holder_unit_id in units
        or bool(case.assigned & units)
    )
    open_to_me = (
        not case.confidential
        or (case.intake_unit_id in units and case.intake_unit_id not in case.recused)  # `_desk_shell_q`
        or any(
            within([prefix]) and unit_id not in case.recused for unit_id, prefix in scope.commission_prefixes.items()
        )
    )
    return condition and open_to_me


def _commission_q(scope) -> Q | None:
    """Confidential reports this scope sees in full: in the subtree of one of its commissions
    that does not stand aside from the report (None when it has no commission)."""
    parts = [
        within_q("region_code", [prefix]) & ~Exists(Recusal.objects.filter(petition=OuterRef("pk"), unit_id=unit_id))
        for unit_id, prefix in scope.commission_prefixes.items()
    ]
    return functools.reduce(operator.or_, parts) if parts else None


def _desk_shell_q(scope) -> Q:
    """Confidential reports this scope sees as the desk that logged them (unless it stands aside)."""
    recused_desk = Recusal.objects.filter(petition=OuterRef("pk"), unit_id=OuterRef("intake_unit_id"))
    return Q(intake_unit_id__in=scope.unit_ids) & ~Exists(recused_desk)


def _covering_commissions(user: User, petition: Petition) -> list[int]:
    """The user's commissions whose region covers the case and that do not stand aside from it."""
    scope = scope_for(user)
    covering = [
        unit_id for unit_id, prefix in scope.commission_prefixes.items() if petition.region_code.startswith(prefix)
    ]
    if not covering:
        return []
    recused = set(Recusal.objects.filter(petition=petition, unit_id__in=covering).values_list("unit_id", flat=True))
    return [unit_id for unit_id in covering if unit_id not in recused]


def confidential_shell(user: User, petition: Petition) -> bool:
    """Whether the user sees this case only as a shell: a confidential report seen by the desk
    that logged it, not through a commission. A shell shows that the report was registered and
    handed on, and its status: no title, content, files, notes, dispositions or reveals."""
    if not petition.category.confidential or scope_for(user).everything:
        return False
    cached = getattr(petition, "_shell_for", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    shell = not _covering_commissions(user, petition)
    petition._shell_for = (user.pk, shell)
    return shell


def confidential_visible(user: User, petition: Petition) -> bool:
    """The one rule for a confidential report's identities (the reporter's name, phone and ID
    number, the names of the accused): only staff of a commission whose region covers the case
    (the competent level and above) and superusers; never a commission the report names
    (recusal, as written at registration and as its staff stand now). Everyone else, the desk
    that logged it included, sees "confidential"."""
    scope = scope_for(user)
    if not getattr(user, "is_authenticated", False):
        return False
    if scope.everything:
        return True
    covering = _covering_commissions(user, petition)
    if not covering:
        return False
    accused = list(petition.accused.all())
    return any(not unit_recused(unit, accused) for unit in Unit.objects.filter(pk__in=covering))


def petition_get_for_user(user: User, pk: int, *, for_update: bool = False) -> Petition:
    """One case in the user's view, or 404 (never a 403 that would confirm it exists)."""
    cases = petitions_visible_to(user).select_related(
        "category", "region", "intake_unit", "holder_unit", "registered_by", "repeat_of"
    )
    try:
        return cases.get(pk=pk)
    except (Petition.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def petition_just_registered(user: User, pk: int) -> Petition:
    """The case this user has just registered, for its receipt (the caller holds its query
    code from the registration), even when the user's desk must stand aside from it; or 404."""
    cases = Petition.objects.select_related("category", "region", "intake_unit", "holder_unit", "registered_by")
    try:
        return cases.get(pk=pk, registered_by=user)
    except (Petition.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def petition_list_for_user(user: User) -> QuerySet[Petition]:
    """The case list with what every row shows, loaded up front (no query per row).

    Each row carries `shell`: a confidential report this user sees only as the desk that
    logged it (`confidential_shell`): its title is not shown and search does not read it."""
    cases = petitions_visible_to(user).select_related("category", "region", "holder_unit", "intake_unit")
    return cases.annotate(shell=_shell_expression(scope_for(user)))


def _shell_expression(scope):
    if scope.everything:
        return ExpressionWrapper(Value(False), output_field=BooleanField())
    in_full = _commission_q(scope)
    condition = Q(category__confidential=True) & ~in_full if in_full is not None else Q(category__confidential=True)
    return ExpressionWrapper(condition, output_field=BooleanField())


def queue_for_user(user: User) -> QuerySet[Petition]:
    """ "My queue": open cases my units must act on now, due soonest first (overdue on top).

    A desk's clerks also follow the open cases they took in (the village queue), though the
    township centre holds them."""
    scope = scope_for(user)
    desks = [unit for unit, roles in scope.unit_roles.items() if Role.CLERK in roles]
    mine = (
        Q(holder_unit_id__in=scope.unit_ids)
        # A report against officials is not the desk's to act on: it only logged it.
        | Q(intake_unit_id__in=desks, category__confidential=False)
        | Exists(Assignment.objects.filter(petition=OuterRef("pk"), unit_id__in=scope.unit_ids, active=True))
    )
    if scope.everything:
        mine = Q()
    elif scope.case_prefixes:
        # Supervisors and leaders: what waits on them (extension requests in their subtree).
        pending = ExtensionRequest.objects.filter(petition=OuterRef("pk"), state=ExtensionRequest.State.PENDING)
        mine |= within_q("region_code", scope.case_prefixes) & Exists(pending)
    return petition_list_for_user(user).filter(mine, status__in=OPEN_STATUSES).order_by("current_due_at", "id")


def events_for_user(user: User, petition: Petition) -> QuerySet[PetitionEvent]:
    """The timeline of a case the user may see (the caller has already fetched it through
    `petition_get_for_user`). A shell (`confidential_shell`) shows only that the report was
    registered and handed on: never the commission's notes, dispositions or reveals."""
    events = petition.events.select_related("actor", "actor_unit", "from_unit", "to_unit")
    if confidential_shell(user, petition):
        events = events.filter(verb=PetitionEvent.Verb.REGISTERED)
    elif petition.category.confidential:
        # A report never points to another case (a path from the accused to the reporter):
        # links written before that rule are not shown either.
        events = events.exclude(verb=PetitionEvent.Verb.REPEAT)
    return events.order_by("created_at", "id")


def attachments_for_user(user: User, petition: Petition):
    """The files of a case the user may see: none of a shell (`confidential_shell`)."""
    if confidential_shell(user, petition):
        return petition.attachments.none()
    return petition.attachments.all()


def public_events(petition: Petition) -> QuerySet[PetitionEvent]:
    """The steps a resident sees: no staff names, no internal notes."""
    return petition.events.filter(public=True).order_by("created_at", "id")


# The public steps whose note is written for the resident (the reply, the reasons): the lookup
# shows those notes; every other public step only by name and date. On a report against
# officials only `NOTES_ANSWERING` (what the resident is told) are shown.
_V = PetitionEvent.Verb
NOTES_ANSWERING = frozenset({_V.REPLIED, _V.REJECTED})
NOTES_SHOWN_TO_RESIDENT = NOTES_ANSWERING | {_V.SETTLED, _V.REVIEW_REQUESTED, _V.RATED, _V.NOTE}


def personal_data_visible(user: User, petition: Petition, *, led_before: bool | None = None) -> bool:
    """Whether the user needs the complainant's phone and ID number in full: the desk that
    took the case in, the unit that holds it, and the supervisors of its region.

    `led_before`: whether one of the user's acting units led the case before, when the caller
    already knows it for many cases at once (the ledger export), to save a query per case."""
    scope = scope_for(user)
    if scope.everything or scope.covers(petition.region_code, scope.case_prefixes):
        return True
    if scope.roles_in(petition.intake_unit_id) & DESK_ROLES or scope.roles_in(petition.holder_unit_id) & ACTING_ROLES:
        return True
    # A unit that led the case before (the centre that accepted and routed it) still
    # follows it up with the resident; co-handling units see the data masked.
    acting = [unit for unit, roles in scope.unit_roles.items() if roles & ACTING_ROLES]
    if led_before is not None:
        return bool(acting) and led_before
    return bool(acting) and petition.assignments.filter(role=Assignment.Role.LEAD, unit_id__in=acting).exists()


def _acts_for(user: User, unit_id: int | None) -> bool:
    return bool(scope_for(user).roles_in(unit_id) & ACTING_ROLES)


def _supervises(user: User, petition: Petition) -> bool:
    scope = scope_for(user)
    return scope.covers(petition.region_code, scope.case_prefixes)


def allowed_actions(user: User, petition: Petition) -> set[str]:
    """The verbs this user may take on this case now (`workflow.VERBS`). The services enforce
    the same rules (`_require`), and the case page and the API offer only these."""
    scope = scope_for(user)
    if not user.is_authenticated or scope.is_empty:
        return set()
    state = case_state(petition)
    who = standing(user, petition)
    possible = workflow.possible(state)
    # Whether a co-handling part waits for the user's unit is asked only when it would matter.
    verbs = [workflow.VERBS[name] for name in possible]
    if any(workflow.Who.CO_HANDLER in verb.who and not verb.who & who for verb in verbs) and _co_handles(
        user, petition
    ):
        who.add(workflow.Who.CO_HANDLER)
    return workflow.allowed(state, who)


def case_state(petition: Petition) -> workflow.CaseState:
    """What the verb table reads of the case (one query for a waiting extension, once)."""
    return workflow.CaseState(
        status=petition.status,
        extended_days=petition.extended_days,
        extension_pending=_pending_extension(petition) is not None,
        handed_on=_handed_on(petition),
    )


def _handed_on(petition: Petition) -> bool:
    """Whether a registered case was handed down or referred up: its desk settles it no more
    (asked of registered cases only, once)."""
    if petition.status != Status.REGISTERED:
        return False
    cached = getattr(petition, "_handed_on", None)
    if cached is None:
        # `referrals.all()` reads a prefetched (or, after registration, known empty) list.
        prefetched = getattr(petition, "_prefetched_objects_cache", {})
        referrals = prefetched["referrals"] if "referrals" in prefetched else petition.referrals.all()[:1]
        cached = petition.source != Source.OWN or bool(list(referrals))
        petition._handed_on = cached
    return cached


def standing(user: User, petition: Petition) -> set[workflow.Who]:
    """The user's standing on the case (`workflow.Who`), but for co-handling (a query)."""
    Who = workflow.Who
    scope = scope_for(user)
    holder = _acts_for(user, petition.holder_unit_id) or scope.everything
    # A report against officials is not the desk's to settle or follow: it only logged it.
    desk = (bool(scope.roles_in(petition.intake_unit_id) & DESK_ROLES) and not petition.category.confidential) or holder
    supervises = _supervises(user, petition)
    found = {Who.HOLDER} if holder else set()
    if holder and petition.holder_unit_id is not None and petition.holder_unit.kind == Unit.Kind.COMMISSION:
        found.add(Who.COMMISSION)
    if desk:
        found.add(Who.DESK)
    if supervises:
        found.add(Who.SUPERVISOR)
    if supervises or scope.everything:
        found.add(Who.DECIDER)
    return found  # `Who.CO_HANDLER`: `allowed_actions` asks `_co_handles` when it matters


def _pending_extension(petition: Petition) -> ExtensionRequest | None:
    cached = getattr(petition, "_pending_extension", False)
    if cached is False:
        cached = petition.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()
        petition._pending_extension = cached
    return cached


def _co_handles(user: User, petition: Petition) -> bool:
    units = [u for u, roles in scope_for(user).unit_roles.items() if roles & ACTING_ROLES]
    if not units:
        return False
    return Assignment.objects.filter(
        petition=petition, unit_id__in=units, role=Assignment.Role.CO, active=True, replied_at__isnull=True
    ).exists()


def units_for_routing(petition: Petition) -> QuerySet[Unit]:
    """The units a case may be assigned or transferred to (交办 / 转办): the active units of
    its county. First the units that may take it (`suggested` = 0): those of the category's
    competent kind in the case's township; then the rest by region, so a page can group them."""
    township = petition.region_code[:9]
    return (
        Unit.objects.filter(within_q("region__code", [petition.region_code[:6]]), is_active=True)
        .annotate(
            suggested=Case(
                When(Q(kind=petition.category.competent_unit_kind, region__code__startswith=township), then=0),
                default=1,
            )
        )
        .select_related("region__parent")
        .order_by("suggested", "region__code", "kind", "name")
    )


# --- Supervision notices and notifications ---------------------------------------------------


def can_issue_notice(user: User, petition: Petition) -> bool:
    """Supervisors of the case's region (and administrators) may issue a supervision notice on
    an open or replied case."""
    scope = scope_for(user)
    if not user.is_authenticated or petition.status in (Status.CLOSED, Status.REJECTED):
        return False
    if scope.everything:
        return True
    supervising = [
        unit_id for unit_id, roles in scope.unit_roles.items() if Role.SUPERVISOR in roles or Role.LEADER in roles
    ]
    return bool(supervising) and _supervises(user, petition)


def notice_member_roles(user: User, notice) -> frozenset[str]:
    """The roles the user holds in the unit the notice is addressed to."""
    return scope_for(user).roles_in(notice.unit_id)


def notices_visible_to(user: User):
    """Notices addressed to the user's units, and every notice on a case in the subtrees the
    user supervises or leads."""
    from petitions.models import SupervisionNotice

    scope = scope_for(user)
    notices = SupervisionNotice.objects.select_related("petition", "unit", "issuing_unit", "issued_by")
    if scope.everything:
        return notices
    member_of = [unit_id for unit_id, roles in scope.unit_roles.items() if roles - {Role.OBSERVER}]
    notices = notices.filter(Q(unit_id__in=member_of) | within_q("petition__region_code", scope.case_prefixes))
    # A notice on a report against officials is seen only by those who see the report: not by
    # a unit that stands aside from it, nor by a supervisor outside the commissions.
    return notices.filter(
        Q(petition__category__confidential=False) | Q(petition__in=petitions_visible_to(user).values("pk"))
    )


def notice_get_for_user(user: User, pk: int):
    """One notice in the user's view, or 404."""
    from petitions.models import SupervisionNotice

    try:
        return notices_visible_to(user).get(pk=pk)
    except (SupervisionNotice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notices_unanswered_overdue_for(user: User):
    """The commission's list (逾期未反馈): notices past their deadline with no answer, in the
    subtrees the user supervises."""
    from django.utils import timezone

    scope = scope_for(user)
    notices = notices_visible_to(user).filter(answered_at=None, due_at__lt=timezone.now())
    if not scope.everything:
        notices = notices.filter(within_q("petition__region_code", scope.case_prefixes))
    return notices.order_by("due_at", "id")


def notification_recipients(audience: str, *, petition: Petition, unit: Unit | None) -> list[User]:
    """The active staff an audience of the routing table names, for one case and unit."""

    staff_roles = [Role.CLERK, Role.HANDLER, Role.LEADER, Role.SUPERVISOR]
    users = User.objects.filter(is_active=True)
    if audience == "holder_unit_staff":
        if unit is None:
            return []
        users = users.filter(memberships__unit=unit, memberships__role__in=staff_roles)
    elif audience == "supervisors_of_region":
        code = unit.region.code if unit is not None else petition.region_code
        users = users.filter(
            memberships__role=Role.SUPERVISOR,
            memberships__unit__is_active=True,
            memberships__unit__region__code__in=codes.chain_within_county(code),
        )
    elif audience == "intake_desk":
        if petition.intake_unit_id is None:
            return []
        users = users.filter(memberships__unit_id=petition.intake_unit_id, memberships__role__in=DESK_ROLES)
    elif audience == "commission":
        users = users.filter(
            memberships__unit__kind=Unit.Kind.COMMISSION,
            memberships__unit__is_active=True,
            memberships__unit__region__code=codes.pad(petition.region_code[:6]),
            memberships__role__in=staff_roles,
        )
    else:
        return []
    return list(users.distinct().order_by("pk"))


def users_who_see(petition: Petition, user_ids: Iterable[int | None], *, seen=None) -> list[int | None]:
    """Of these users (None: the resident), those who may open the case, in the same order:
    all of them for an ordinary case; for a report against officials only those whose view
    holds it, so a notification never tells a unit that stands aside that the report exists.

    `seen(user_id) -> set of case ids` answers from a sweep's cache
    (`EscalationCache.keep_seeing`, which asks `visible_among_people` once per chunk instead of
    once per case)."""
    user_ids = list(user_ids)
    if not petition.category.confidential:
        return user_ids
    if seen is None:
        staff = User.objects.filter(pk__in=[pk for pk in user_ids if pk is not None])
        found = visible_among_people(staff, [petition])
        seeing = {pk for pk, cases in found.items() if cases}
    else:
        seeing = {pk for pk in user_ids if pk is not None and petition.pk in seen(pk)}
    return [pk for pk in user_ids if pk is None or pk in seeing]


def visible_among(user: User, petitions: Iterable[Petition]) -> set[int]:
    """Which of these cases the user may open (`petitions_visible_to`)."""
    return visible_among_people([user], petitions)[user.pk]


def visible_among_people(people: Iterable[User], petitions: Iterable[Petition]) -> dict[int, set[int]]:
    """Which of these cases each of these people may open (`petitions_visible_to`): {user id:
    case ids}. Their scopes are read by one query and the cases' facts by three (`case_facts`),
    whatever the number of people and cases; the rule is then read off the facts
    (`_visible_in`). The sweep's notifications ask this once per chunk of cases."""
    people = list(people)
    petitions = list(petitions)
    found: dict[int, set[int]] = {user.pk: set() for user in people}
    if not people or not petitions:
        return found
    scopes_for(people)
    facts = case_facts(p.pk for p in petitions)
    for user in people:
        scope = scope_for(user)
        found[user.pk] = {case.pk for case in facts if _visible_in(scope, case)}
    return found


def notifications_for(user: User):
    """The user's in-app notifications, newest first."""
    from petitions.models import Notification

    return Notification.objects.filter(user=user, channel="in_app").select_related("petition")


def unread_notification_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications_for(user).filter(read_at=None).count()


def confidential_identities(user: User, petition: Petition, *, revealed: bool = False) -> dict:
    """What a viewer sees of a confidential report's identities. The reporter and the names of
    the accused are "confidential" (保密) for everyone, authorised or not, except in the one
    answer to a reveal (`services.petition_reveal`, which records who, when and why) by
    someone `confidential_visible` allows. Posts and units of the accused are shown to the
    authorised only."""
    from petitions.masking import CONFIDENTIAL

    word = str(CONFIDENTIAL)
    authorised = confidential_visible(user, petition)
    shown = authorised and revealed
    accused = [
        {
            "name": person.name if shown else word,
            "post": person.post if authorised else word,
            "unit": person.unit.name if authorised and person.unit_id else "",
        }
        for person in petition.accused.select_related("unit")
    ]
    return {
        "name": petition.complainant_name if shown else word,
        "phone": petition.complainant_phone if shown else word,
        "id_number": petition.complainant_id_number if shown else word,
        "accused": accused,
        "masked": not shown,
        "may_reveal": authorised and not shown,
    }


# --- Statistics: the cases a statistic counts --------------------------------------------------


def petitions_counted_for(user: User) -> QuerySet[Petition]:
    """The cases the user's statistics count (figures only, never a list): the cases the user
    may open (`petitions_visible_to`) and every case in the subtrees the user watches
    (`Scope.stats_prefixes`: supervisors, leaders and observers), reports against officials
    included, as counts."""
    scope = scope_for(user)
    cases = petitions_visible_to(user)
    if scope.everything or not scope.stats_prefixes:
        return cases
    return cases | Petition.objects.filter(within_q("region_code", scope.stats_prefixes))


def petitions_overdue_for(user: User) -> QuerySet[Petition]:
    """The open cases past their deadline in the user's case list (`petition_list_for_user`:
    each row says whether it is a shell); none for an observer, who sees figures only."""
    scope = scope_for(user)
    if not (scope.everything or scope.case_prefixes or scope.unit_ids):
        return Petition.objects.none()
    return petition_list_for_user(user).filter(status__in=OPEN_STATUSES, current_due_at__lt=timezone.now())


def petitions_for_rollup() -> QuerySet[Petition]:
    """Every case, for the nightly statistics rollup, which no user asks for: its cells are
    scoped when a statistic reads them (by `Scope.stats_prefixes`)."""
    return Petition.objects.all()


def commission_prefixes_of(user: User) -> tuple[str, ...] | None:
    """The region subtrees whose reports against officials the user's commissions (纪委监委)
    answer for: None for a superuser (all), () outside every commission."""
    scope = scope_for(user)
    if scope.everything:
        return None
    return minimal_prefixes(scope.commission_prefixes.values())


def commission_reports_for(user: User, *, region: Region | None = None) -> QuerySet[Petition]:
    """The reports against officials (涉纪涉腐) the user's commissions answer for, for their
    figures: in the commissions' subtrees (and in `region`'s, when given), less every report
    one of the user's commissions stands aside from (回避: the reports against its own
    people, which it must not count either). None outside every commission."""
    scope = scope_for(user)
    reports = Petition.objects.filter(category__confidential=True)
    if region is not None:
        reports = reports.filter(within_q("region_code", [region.prefix]))
    if (prefixes := commission_prefixes_of(user)) is not None:
        reports = reports.filter(within_q("region_code", prefixes))
    if own := list(scope.commission_prefixes):
        reports = reports.exclude(recusals__unit_id__in=own)
    return reports
