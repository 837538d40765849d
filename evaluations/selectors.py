"""Who may see and run appraisals, and the reads the pages and the API share.

The appraisal commission of a region is whoever supervises, leads or administers it
(supervisors, leaders and administrators whose subtree covers the campaign's region).
Staff with any role in a region may watch its campaigns; residents see only the public
commitments of open campaigns and the results of published ones.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from evaluations.models import AppraisalEvent, Campaign, Commitment, Participant, Question, RectificationItem
from stations.models import Region, User
from stations.selectors import regions_visible_to, scope_for, within_q

# The regions a campaign may cover: a county's or a township's stations are appraised together.
CAMPAIGN_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)


def can_manage(user: User, region: Region) -> bool:
    """Whether the user sits on the appraisal commission of `region`."""
    scope = scope_for(user)
    return scope.covers(region.code, scope.case_prefixes + scope.admin_prefixes)


def campaign_regions_for(user: User) -> QuerySet[Region]:
    """The regions the user may name for a new campaign (whether they may run it is the service's)."""
    return regions_visible_to(user).filter(level__in=CAMPAIGN_LEVELS)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    scope = scope_for(user)
    campaigns = Campaign.objects.select_related("region")
    if scope.everything:
        return campaigns
    return campaigns.filter(within_q("region__code", scope.region_prefixes))


def campaign_get_for_user(user: User, pk: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user), pk=pk)


def participant_of(campaign: Campaign, *, pk: int | None = None, unit_id: int | None = None) -> Participant:
    """A station of this campaign, by its participant id (the pages) or its unit id (the API)."""
    lookup = {"pk": pk} if pk is not None else {"unit_id": unit_id}
    return get_object_or_404(Participant.objects.select_related("unit"), campaign=campaign, **lookup)


def rectification_of(campaign: Campaign, pk: int) -> RectificationItem:
    return get_object_or_404(RectificationItem.objects.select_related("owner"), pk=pk, campaign=campaign)


def rectifications(campaign: Campaign) -> QuerySet[RectificationItem]:
    return campaign.rectifications.select_related("owner")


def events(campaign: Campaign) -> QuerySet[AppraisalEvent]:
    """The campaign's audit trail, newest first."""
    return campaign.events.select_related("actor", "participant__unit").order_by("-created_at", "-id")


def public_campaigns() -> QuerySet[Campaign]:
    """Campaigns residents may see: open (commitments, questionnaire) and published (results)."""
    return Campaign.objects.filter(state__in=[Campaign.State.OPEN, Campaign.State.PUBLISHED]).select_related("region")


def published_campaign(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("region"), pk=pk, state=Campaign.State.PUBLISHED)


def results(campaign: Campaign) -> QuerySet[Participant]:
    """The stations in ranking order (rank empty before scoring, then by name)."""
    return campaign.participants.select_related("unit").order_by("rank", "unit__name")


def participants_with_commitments(campaign: Campaign) -> QuerySet[Participant]:
    return (
        campaign.participants.select_related("unit")
        .prefetch_related(Prefetch("commitments", queryset=Commitment.objects.order_by("sort_order", "id")))
        .order_by("unit__name")
    )


def stations_of(campaign: Campaign) -> QuerySet[Participant]:
    """The stations in ranking order with their commitments and self-inspection reports."""
    return results(campaign).prefetch_related(
        Prefetch("commitments", queryset=Commitment.objects.order_by("sort_order", "id")), "reports"
    )


def open_participant(campaign_pk: int, participant_pk: int) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("campaign", "unit"),
        pk=participant_pk,
        campaign_id=campaign_pk,
        campaign__state=Campaign.State.OPEN,
    )


def question_results(campaign: Campaign) -> list[dict]:
    """Per question: answers, mean (1–5) and score (0–100), over every station."""
    from django.db.models import Avg, Count

    rows = []
    for question in Question.objects.filter(campaign=campaign).annotate(n=Count("answers"), mean=Avg("answers__value")):
        mean = question.mean
        rows.append(
            {
                "question": question,
                "answers": question.n,
                "mean": round(mean, 2) if mean is not None else None,
                "score": round((mean - 1) * 25, 2) if mean is not None else None,
            }
        )
    return rows
