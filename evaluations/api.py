"""Appraisals over the API, under /api/v1/appraisals/: staff see the campaigns of the regions
they work in; the results of a published campaign are public."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evaluations import selectors
from evaluations.models import Campaign
from evaluations.serializers import CampaignSerializer, ResultsSerializer


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Appraisal campaigns (民主评议) in the caller's view."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user)

    @extend_schema(responses=ResultsSerializer, summary="Results of a campaign (public once published)")
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def results(self, request: Request, pk: str | None = None) -> Response:
        try:
            pk_int = int(pk)
        except (TypeError, ValueError):
            raise Http404 from None
        campaign = Campaign.objects.select_related("region").filter(pk=pk_int, state=Campaign.State.PUBLISHED).first()
        if campaign is None:
            if not request.user.is_authenticated:
                raise Http404
            campaign = selectors.campaign_get_for_user(request.user, pk_int)
        data = {"campaign": campaign, "results": selectors.results(campaign)}
        return Response(ResultsSerializer(data).data)
