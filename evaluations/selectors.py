"""Who may see and run appraisals, and the reads the pages and the API share.

The appraisal commission of a region is whoever supervises, leads or administers it
(supervisors, leaders and administrators whose subtree covers the campaign's region).
Staff with any role in a region may watch its campaigns; residents see only the public
commitments of open campaigns and the results of published ones.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from evaluations.models import Campaign, Commitment, Participant, Question
from stations.models import Region, User
from stations.selectors import scope_for, within_q


def can_manage(user: User, region: Region) -> bool:
    """Whether the user sits on the appraisal commission of `region`."""
    scope = scope_for(user)
    return scope.covers(region.code, scope.case_prefixes + scope.admin_prefixes)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    scope = scope_for(user)
    campaigns = Campaign.objects.select_related("region")
    if scope.everything:
        return campaigns
    return campaigns.filter(within_q("region__code", scope.region_prefixes))


def campaign_get_for_user(user: User, pk: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user), pk=pk)


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
