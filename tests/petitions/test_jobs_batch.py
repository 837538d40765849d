"""The set-based escalation sweep (`services.petitions_escalate_batch`): for a mixed set of
overdue cases it leaves exactly the state the per-case `petition_escalate` leaves, and its
query count grows with the chunks, not with the cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from petitions import services, tasks
from petitions.models import (
    Assignment,
    DeadlineMiss,
    Escalation,
    Notification,
    NotificationRoute,
    Petition,
    PetitionEvent,
    SupervisionNotice,
)
from stations.models import Membership, Unit, User
from stations.services import membership_grant, unit_ensure
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_routes")]


@pytest.fixture
def mixed(world, register, categories):
    """Overdue cases at every level the sweep meets, returned as ids, with the `now` that
    finds them all overdue."""
    units, handler, root = world.units, world.users["handler"], world.users["root"]
    # No city commission in this county's story: past the county commission nobody takes a
    # report, so one that names its staff becomes a red notice (the city's part: test_referrals).
    Unit.objects.filter(pk=units["city_commission"].pk).update(is_active=False)
    east_commission = unit_ensure(region=world.region("东镇"), name="东镇纪委", kind=Unit.Kind.COMMISSION)
    officer = UserFactory(username="twp_officer")
    membership_grant(user=officer, unit=east_commission, role=Membership.Role.HANDLER)
    county_officer = UserFactory(username="county_officer", full_name="县纪检员")
    membership_grant(user=county_officer, unit=units["county_commission"], role=Membership.Role.HANDLER)

    ids = []
    # Registered at the village desk, held by the township centre: to the county centre.
    ids.append(register().petition.pk)
    # In progress at a village station with a co-handling unit: back to the township centre.
    case = register().petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_assign(
        petition_id=case.pk, actor=handler, unit=units["east1_desk"], co_units=[units["east_finance"]]
    )
    ids.append(case.pk)
    # Assigned to the township centre's own station while the centre keeps a co-handling part.
    case = register(complainant_phone="").petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_assign(petition_id=case.pk, actor=handler, unit=units["east_finance"])
    ids.append(case.pk)
    # Held by a county department: nowhere higher, a red notice to the county commission.
    case = register().petition
    services.petition_accept(petition_id=case.pk, actor=handler)
    services.petition_transfer(petition_id=case.pk, actor=root, unit=units["civil_affairs"])
    ids.append(case.pk)
    # Under review at the township centre.
    case = register().petition
    Petition.objects.filter(pk=case.pk).update(status="under_review")
    ids.append(case.pk)
    # Already escalated to the county once, overdue below it again: to the commission.
    case = register().petition
    Escalation.objects.create(
        petition=case, level="county", kind="acceptance", from_unit=units["east_centre"], missed_due_at=case.created_at
    )
    ids.append(case.pk)
    # Reports against officials: a village official goes up the commissions; one naming the
    # county commission's officer finds every commission above recused: a red notice.
    for accused in ({"name": "杨某某", "post": "村党支部副书记"}, {"name": "县 纪检员", "post": "纪检员"}):
        case = register(category=categories["discipline"], accused=[accused]).petition
        assert case.holder_unit == east_commission
        ids.append(case.pk)
    # Not overdue: left alone by both.
    fresh = register().petition
    latest = max(Petition.objects.filter(pk__in=ids).values_list("current_due_at", flat=True))
    Petition.objects.filter(pk=fresh.pk).update(current_due_at=latest + timedelta(days=400))
    return [*ids, fresh.pk], latest + timedelta(days=1)


def snapshot(ids):
    """Every row the escalation writes, with database ids replaced by what they stand for."""
    escalations = {e.pk: (e.petition_id, e.level) for e in Escalation.objects.filter(petition_id__in=ids)}
    notices = {n.pk: n.petition_id for n in SupervisionNotice.objects.filter(petition_id__in=ids)}
    notice_urls = {services._notice_url(SupervisionNotice(pk=pk)): f"notice-of:{pid}" for pk, pid in notices.items()}

    def dedupe(key):
        kind, _, pk = key.partition(":")
        if kind == "escalation":
            return ("escalation", escalations[int(pk)])
        if kind == "notice":
            return ("notice", notices[int(pk)])
        return key

    def event_data(data):
        return {**data, "notice": notices[data["notice"]]} if "notice" in data else data

    fields = ["holder_unit_id", "status", "acceptance_due_at", "due_at", "current_due_at", "version"]
    return {
        "cases": sorted(Petition.objects.filter(pk__in=ids).values_list("pk", *fields)),
        "misses": sorted(
            DeadlineMiss.objects.filter(petition_id__in=ids).values_list(
                "unit_id", "petition_id", "kind", "due_at", "missed_at"
            )
        ),
        "escalations": sorted(
            Escalation.objects.filter(petition_id__in=ids).values_list(
                "petition_id", "level", "kind", "from_unit_id", "to_unit_id", "missed_due_at", "created_at"
            )
        ),
        "notices": sorted(
            (n.petition_id, n.unit_id, n.severity, n.text, n.due_at, n.created_at, n.issued_by_id, n.issuing_unit_id)
            for n in SupervisionNotice.objects.filter(petition_id__in=ids)
        ),
        "assignments": sorted(
            Assignment.objects.filter(petition_id__in=ids).values_list(
                "petition_id", "unit_id", "role", "active", "due_at", "reply_text", "replied_at", "created_at"
            ),
            key=repr,
        ),
        "events": sorted(
            [
                (
                    (e.petition_id, e.verb, e.actor_id, e.actor_unit_id, e.from_unit_id, e.to_unit_id, e.note),
                    (e.public, repr(sorted(event_data(e.data).items())), e.created_at),
                )
                for e in PetitionEvent.objects.filter(petition_id__in=ids, verb="escalated")
            ],
            key=repr,
        ),
        # A red notice's notifications are stamped when made (as `notify` does): not compared.
        "notifications": sorted(
            [
                (
                    (n.user_id, n.kind, n.petition_id, repr(dedupe(n.dedupe_key)), n.channel, n.title, n.body),
                    (notice_urls.get(n.url, n.url), n.read_at, n.sent_at),
                    n.created_at if n.kind == "escalated" else None,
                )
                for n in Notification.objects.filter(petition_id__in=ids, kind__in=["escalated", "red_notice"])
            ],
            key=repr,
        ),
    }


def test_the_batch_leaves_exactly_the_state_of_the_per_case_service(mixed, django_capture_on_commit_callbacks):
    from django.db import transaction

    ids, now = mixed
    before = snapshot(ids)
    sid = transaction.savepoint()
    one_by_one = [services.petition_escalate(petition_id=pk, now=now) for pk in ids]
    expected = snapshot(ids)
    transaction.savepoint_rollback(sid)
    assert snapshot(ids) == before

    assert services.petitions_escalate_batch(petition_ids=ids, now=now) == sum(e is not None for e in one_by_one)
    got = snapshot(ids)
    assert got == expected
    # The mix covers every path: up a level, up the commissions, and red notices.
    assert {level for _pid, level, *_rest in got["escalations"]} >= {"township", "county", "commission"}
    assert len(got["notices"]) == 3 and got["notifications"]
    assert one_by_one[-1] is None  # the fresh case
    # A re-run finds nothing overdue.
    assert services.petitions_escalate_batch(petition_ids=ids, now=now) == 0
    assert snapshot(ids) == got


def test_the_batch_queues_one_sending_task_per_chunk(mixed, django_capture_on_commit_callbacks, monkeypatch):
    from django.db import transaction

    ids, now = mixed
    User.objects.update(phone="13900000000", email="staff@example.org")
    NotificationRoute.objects.filter(event="escalated", channel="email").update(active=True)
    queued = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda pks: queued.append(pks))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.petitions_escalate_batch(petition_ids=ids, now=now)
    unsent = Notification.objects.filter(petition_id__in=ids, sent_at=None).exclude(channel="in_app")
    assert {"sms", "email"} <= set(unsent.values_list("channel", flat=True))
    assert len(queued) == 1 and sorted(queued[0]) == sorted(unsent.values_list("pk", flat=True))
    # The batch task sends them through the same once-only service as `send_notification`.
    assert tasks.send_notifications(queued[0]) == len(queued[0])
    assert not unsent.exists()


def overdue(world, categories, n: int) -> list[int]:
    past = timezone.now() - timedelta(days=1)
    village, centre = world.region("东一村"), world.units["east_centre"]
    petitions = Petition.objects.bulk_create(
        Petition(
            tracking_number=f"20260101-{i:06d}",
            query_code_hash="x",
            channel="visit",
            category=categories["infrastructure"],
            region=village,
            region_code=village.code,
            level="township",
            holder_unit=centre,
            intake_unit=world.units["east1_desk"],
            title="村道塌方",
            content="……",
            complainant_phone="13800138000",
            acceptance_due_at=past,
            current_due_at=past,
        )
        for i in range(n)
    )
    Assignment.objects.bulk_create(Assignment(petition=p, unit=centre, role="lead") for p in petitions)
    return [p.pk for p in petitions]


def test_the_sweep_costs_a_few_queries_per_chunk_not_per_case(
    world, categories, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(tasks, "ESCALATION_CHUNK", 100)
    ids = overdue(world, categories, 200)
    # Two chunks of 100: each claims, re-reads and writes each kind of row once (~13 queries);
    # the targets, deadlines, routes and recipients are looked up once per sweep.
    with django_assert_max_num_queries(40):
        assert tasks.escalate_overdue() == 200
    assert Petition.objects.filter(pk__in=ids, holder_unit=world.units["county_centre"]).count() == 200
    assert Notification.objects.filter(petition_id__in=ids, kind="escalated").count() >= 200
    assert tasks.escalate_overdue() == 0


def test_who_may_open_the_reports_costs_the_sweep_one_query_per_chunk(
    world, register, categories, monkeypatch, django_assert_max_num_queries
):
    """The sweep tells of a report against officials only those who may open it; which of a
    chunk's reports each recipient may open is asked in one query for the chunk, however many
    different views the recipients have (here the county commission's staff, each also at a
    desk of their own), so a province's sweep does not pay a query per view and chunk."""
    monkeypatch.setattr(tasks, "ESCALATION_CHUNK", 1)
    east_commission = unit_ensure(region=world.region("东镇"), name="东镇纪委", kind=Unit.Kind.COMMISSION)
    membership_grant(user=UserFactory(username="twp_officer"), unit=east_commission, role=Membership.Role.HANDLER)
    staff = []
    for i in range(12):
        officer = UserFactory(username=f"county_officer_{i}")
        membership_grant(user=officer, unit=world.units["county_commission"], role=Membership.Role.HANDLER)
        desk = unit_ensure(region=world.region("东一村"), name=f"东一村第{i}服务点", kind=Unit.Kind.INTAKE)
        membership_grant(user=officer, unit=desk, role=Membership.Role.CLERK)
        staff.append(officer.pk)
    reports = [
        register(category=categories["discipline"], accused=[{"name": "杨某某", "post": "村党支部副书记"}]).petition
        for _ in range(4)
    ]
    Petition.objects.filter(pk__in=[r.pk for r in reports]).update(current_due_at=timezone.now() - timedelta(hours=1))
    # Four chunks of one report: ~17 queries each, and each officer's view read once per sweep;
    # asking per view and chunk would add 4 × 12 more.
    with django_assert_max_num_queries(4 * 17 + 12 + 10):
        assert tasks.escalate_overdue() == 4
    told = set(Notification.objects.filter(petition__in=reports, kind="escalated").values_list("user_id", flat=True))
    assert set(staff) <= told
    assert world.users["clerk"].pk not in told  # the village desk is not the commission
