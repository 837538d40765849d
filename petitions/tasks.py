"""The jobs that keep every case moving (docs/jobs.md). Celery beat runs the sweeps; each
sweep reads candidate ids in batches (flat in memory however many cases are overdue),
claims each row with `select_for_update(skip_locked=True)` so two workers never act on the
same case at once, and calls the one service that does the work. The services re-check and
are idempotent: a re-run, or a second worker, changes nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from config.jobs import sweep, sweep_chunks
from petitions import services
from petitions.models import (
    OPEN_STATUSES,
    Category,
    DeadlineKind,
    DeadlineMiss,
    Escalation,
    ExtensionRequest,
    Petition,
    Referral,
    Status,
    SupervisionNotice,
)

logger = logging.getLogger("suqiu.jobs")


# Rows the escalation sweep claims and escalates together, with one bulk statement per kind
# of row (services.petitions_escalate_batch): a chunk stays locked well under a second.
ESCALATION_CHUNK = 500


# A case brought in from the county's past (`imported_at`, grievances/ledger/history.py) is not
# chased for a deadline that passed before it came: neither escalated nor reminded for it.
DUE_SINCE_IMPORT = Q(imported_at__isnull=True) | Q(current_due_at__gte=F("imported_at"))


def overdue_cases(now) -> QuerySet[Petition]:
    """Open cases past their current deadline, except those already red-noticed to the
    commission (the commission follows them up from there) and imported cases whose deadline
    passed before their import."""
    red = Escalation.objects.filter(petition=OuterRef("pk"), level=Escalation.Level.COMMISSION)
    return (
        Petition.objects.filter(status__in=OPEN_STATUSES, current_due_at__lt=now)
        .filter(DUE_SINCE_IMPORT)
        .exclude(Exists(red))
    )


@shared_task(acks_late=True)
def escalate_overdue() -> int:
    """Escalate every overdue case one level up (or red-notice it to the commission)."""
    now = timezone.now()
    cache = services.EscalationCache()  # targets, deadlines and recipients, worked out once per sweep
    return sweep_chunks(
        overdue_cases(now),
        lambda pks: services.petitions_escalate_batch(petition_ids=pks, now=now, cache=cache),
        batch=max(settings.SUQIU_JOB_BATCH_SIZE, 4 * ESCALATION_CHUNK),
        chunk=ESCALATION_CHUNK,
        threads=settings.SUQIU_SWEEP_THREADS,
    )


@shared_task(acks_late=True)
def escalate_petition(petition_id: int) -> bool:
    """Escalate one case if it is (still) overdue."""
    return services.petition_escalate(petition_id=petition_id) is not None


@shared_task(acks_late=True)
def remind_due_soon() -> int:
    """Remind holding units of deadlines SUQIU_REMIND_WORKING_DAYS working days away (and on the day)."""
    now = timezone.now()
    stages = sorted(set(settings.SUQIU_REMIND_WORKING_DAYS))
    if not stages:
        return 0
    cutoffs = [(stage, services.remind_cutoff(now, stage)) for stage in stages]
    done, previous = 0, None
    for stage, cutoff in cutoffs:
        # Each case gets the tightest stage it falls in: due today is a day-of reminder only.
        after = {"current_due_at__gte": now} if previous is None else {"current_due_at__gt": previous}
        candidates = Petition.objects.filter(status__in=OPEN_STATUSES, current_due_at__lte=cutoff, **after).filter(
            DUE_SINCE_IMPORT
        )
        done += sweep(
            candidates, lambda pk, stage=stage: services.petition_remind(petition_id=pk, stage=stage, now=now)
        )
        previous = cutoff
    return done


@shared_task(acks_late=True)
def close_unrated_replies() -> int:
    """Close replied cases whose window to rate or ask for a review has passed (no_response)."""
    now = timezone.now()
    done = 0
    for category in Category.objects.all():
        # A working-day window is never shorter than the same number of calendar days.
        earliest = now - timedelta(days=category.review_request_days)
        candidates = Petition.objects.filter(category=category, status=Status.REPLIED, replied_at__lt=earliest)
        done += sweep(candidates, lambda pk: services.petition_close_unrated(petition_id=pk, now=now))
    return done


@shared_task(acks_late=True)
def chase_co_handling_units() -> int:
    """Put overdue co-handling parts on their units' records and chase them."""
    now = timezone.now()
    candidates = Petition.objects.filter(
        status__in=[Status.ACCEPTED, Status.IN_PROGRESS],
        assignments__role="co",
        assignments__active=True,
        assignments__replied_at=None,
        assignments__due_at__lt=now,
    ).distinct()
    return sweep(candidates, lambda pk: services.petition_chase_co_units(petition_id=pk, now=now))


@shared_task(acks_late=True)
def chase_pending_extensions() -> int:
    """Remind supervisors of extension requests that have waited on them too long."""
    now = timezone.now()
    candidates = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING, requested_at__lt=now)
    return sweep(candidates, lambda pk: services.extension_chase(request_id=pk, now=now))


@shared_task(acks_late=True)
def mark_unanswered_notices() -> int:
    """Put supervision notices unanswered past their deadline on the unit's record."""
    now = timezone.now()
    candidates = SupervisionNotice.objects.filter(answered_at=None, missed_at=None, due_at__lt=now)
    return sweep(candidates, lambda pk: services.notice_mark_unanswered(notice_id=pk, now=now))


@shared_task(acks_late=True)
def remind_referral_reports() -> int:
    """Remind the units below of reports on cases handed down to them that fall due within
    SUQIU_REMIND_WORKING_DAYS working days (and on the day), each stage once."""
    now = timezone.now()
    done, previous = 0, None
    for stage in sorted(set(settings.SUQIU_REMIND_WORKING_DAYS)):
        cutoff = services.remind_cutoff(now, stage)
        after = {"report_due_at__gte": now} if previous is None else {"report_due_at__gt": previous}
        candidates = Referral.objects.filter(status__in=Referral.OWING, report_due_at__lte=cutoff, **after)
        done += sweep(
            candidates, lambda pk, stage=stage: services.referral_remind(referral_id=pk, stage=stage, now=now)
        )
        previous = cutoff
    return done


@shared_task(acks_late=True)
def chase_overdue_referrals() -> int:
    """Reports past their due date: on the lower unit's record, and a red supervision notice
    from the unit that handed the case down, once per due date."""
    now = timezone.now()
    chased = DeadlineMiss.objects.filter(
        unit_id=OuterRef("to_unit_id"),
        petition_id=OuterRef("petition_id"),
        kind=DeadlineKind.REFERRAL,
        due_at=OuterRef("report_due_at"),
    )
    # Those already chased for this due date are left out: the candidates do not grow with them.
    candidates = Referral.objects.filter(status__in=Referral.OWING, report_due_at__lt=now).exclude(Exists(chased))
    return sweep(candidates, lambda pk: services.referral_chase(referral_id=pk, now=now))


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_notification(notification_id: int) -> bool:
    """Send one SMS or e-mail notification (ids only in the payload); retried with backoff."""
    return services.notification_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def send_notifications(notification_ids: list[int]) -> int:
    """Send a batch of SMS or e-mail notifications (one task per escalation chunk instead of
    one per row). A row whose backend fails is handed to `send_notification`, which retries
    it with backoff; the others are not held up. Returns how many were sent."""
    sent = 0
    for pk in notification_ids:
        try:
            sent += bool(services.notification_deliver(notification_id=pk))
        except Exception:
            logger.warning("notification %s failed; retrying it on its own", pk, exc_info=True)
            send_notification.delay(pk)
    return sent
