"""The resident's part: rating the reply, asking for a review, closing a reply left unrated."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import InvalidState
from petitions.deadlines import deadline_add, deadline_days
from petitions.models import (
    DeadlineKind,
    NotificationRoute,
    Petition,
    PetitionEvent,
    Satisfaction,
    Status,
)
from petitions.services._common import _close, _event, _locked, _move_lead, _require, _require_text, _save
from petitions.services.notify import notify
from stations.models import User
from stations.selectors import intake_unit_above

Verb = PetitionEvent.Verb

# --- The resident's part ----------------------------------------------------------------------


@transaction.atomic
def petition_rate(
    *,
    petition_id: int,
    actor: User | None,
    satisfaction: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Petition:
    """Record the resident's rating of the reply (满意度评价). `actor=None` is the resident
    (who proved the query code); staff may record a rating given by phone. Satisfied or
    basically satisfied closes the case; unsatisfied leaves the review window open."""
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED):
        raise ValidationError({"satisfaction": _("Choose satisfied, basically satisfied or unsatisfied.")})
    petition = _locked(petition_id, expected_version)
    if actor is not None:
        _require(actor, petition, "rate")
    elif petition.status != Status.REPLIED:
        raise InvalidState(_("Only a replied case can be rated."))
    if petition.satisfaction:
        raise InvalidState(_("This reply has already been rated."))
    now = timezone.now()
    petition.satisfaction = satisfaction
    petition.rating_comment = (comment or "").strip()[:1000]
    petition.rated_at = now
    _event(petition, Verb.RATED, actor, public=True, note=petition.rating_comment, data={"satisfaction": satisfaction})
    if satisfaction == Satisfaction.UNSATISFIED:
        _save(petition, "satisfaction", "rating_comment", "rated_at")
    else:
        _close(petition, None, now)
    return petition


@transaction.atomic
def petition_request_review(
    *, petition_id: int, actor: User | None, reason: str, expected_version: int | None = None
) -> Petition:
    """The resident asks the next level up to review an unsatisfactory reply (复查), within
    the category's window after the reply."""
    reason = _require_text(reason, "reason", _("Say what is wrong with the reply."))
    petition = _locked(petition_id, expected_version)
    if petition.status != Status.REPLIED or petition.satisfaction != Satisfaction.UNSATISFIED:
        raise InvalidState(_("A review can be asked for only after rating a reply unsatisfied."))
    window_end = deadline_add(petition.replied_at, petition.category.review_request_days, petition.category.day_type)
    now = timezone.now()
    if now > window_end:
        raise InvalidState(_("The time to ask for a review has passed."))
    reviewer = intake_unit_above(petition.holder_unit.region) or intake_unit_above(petition.region)
    if reviewer is None:
        raise InvalidState(_("There is no level above to review this case."))
    previous = petition.holder_unit
    _move_lead(petition, reviewer, now, None)
    petition.status = Status.UNDER_REVIEW
    petition.review_requested_at = now
    petition.review_reason = reason
    petition.review_count += 1
    petition.satisfaction = ""
    petition.rated_at = None
    petition.current_due_at = deadline_add(
        now, deadline_days(petition.category, DeadlineKind.REVIEW), petition.category.day_type
    )
    _save(
        petition,
        "holder_unit",
        "status",
        "review_requested_at",
        "review_reason",
        "review_count",
        "satisfaction",
        "rated_at",
        "current_due_at",
    )
    _event(
        petition,
        Verb.REVIEW_REQUESTED,
        actor,
        public=True,
        from_unit=previous,
        to_unit=reviewer,
        note=reason,
        data={"review_due_at": petition.current_due_at.isoformat()},
    )
    return petition


@transaction.atomic
def petition_close_unrated(*, petition_id: int, now=None) -> Petition | None:
    """Close a replied case whose window to react has passed (the category's days to ask for a
    review, counted from the reply): unrated as `no_response`; rated unsatisfied but never
    taken to review, keeping that rating."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    if petition.status != Status.REPLIED or petition.replied_at is None:
        return None
    category = petition.category
    if now <= deadline_add(petition.replied_at, category.review_request_days, category.day_type):
        return None
    if not petition.satisfaction:
        petition.satisfaction = Satisfaction.NO_RESPONSE
    _close(petition, None, now, _("The time to rate the reply or ask for a review has passed."))
    notify(
        NotificationRoute.Event.CLOSED_NO_RESPONSE,
        petition=petition,
        unit=petition.intake_unit or petition.holder_unit,
        dedupe_key="closed",
        now=now,
    )
    return petition
