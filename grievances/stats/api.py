"""The statistics API (DESIGN.md §8): `GET /api/v1/stats/summary/` (the staff statistic, also
for integrations' keys with read_statistics) and `GET /api/v1/stats/commission/`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from grievances.stats import commission, summary, units
from grievances.stats.serializers import (
    CommissionStatsInput,
    CommissionStatsSerializer,
    StatsSummaryInput,
    StatsSummarySerializer,
    UnitAssessmentInput,
    UnitAssessmentSerializer,
)
from integrations.auth import CanReadStatistics, IntegrationKeyAuthentication, IntegrationRateThrottle
from petitions.api import _FIELD_ERRORS
from petitions.serializers import ErrorSerializer


class StatsSummaryView(APIView):
    # Staff (token or session), or an integration's key with the scope read_statistics, which
    # sees what an observer of the key's region sees (integrations.auth, docs/integrations.md).
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, IntegrationKeyAuthentication]
    permission_classes = [IsAuthenticated | CanReadStatistics]
    throttle_classes = [IntegrationRateThrottle]

    @extend_schema(
        summary=gettext_lazy("Statistics of the cases received in a period"),
        description=gettext_lazy(
            "The cases received in the period (the day they reached a desk, not the day they were registered). "
            "Counts by level, category, channel, status, satisfaction and source; on-time and closure rates; "
            "repeats; by month; how late they were registered; per child region. Only the regions in the "
            "caller's view (404 otherwise)."
        ),
        parameters=[
            OpenApiParameter("region", str, description=gettext_lazy("A 12-digit division code.")),
            OpenApiParameter("from", OpenApiTypes.DATE, description=gettext_lazy("First day (YYYY-MM-DD).")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=gettext_lazy("Last day (YYYY-MM-DD).")),
            OpenApiParameter("category", str, description=gettext_lazy("A category code.")),
        ],
        responses={200: StatsSummarySerializer, 400: _FIELD_ERRORS, 404: ErrorSerializer},
        tags=["statistics"],
    )
    def get(self, request):
        data = StatsSummaryInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = summary.stats_region_for(request.user, values.get("region") or None)
        figures = summary.summary_for(
            request.user,
            region=region,
            date_from=values["from"],
            date_to=values["to"],
            category=values["category"],
        )
        return Response(StatsSummarySerializer(figures).data)


# --- Statistics for the commission (reports against officials) ---------------------------------


class CommissionStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("Statistics of reports against officials, for the commissions"),
        description=gettext_lazy(
            "Reports received by source, closed, being handled, people's outcomes and people sanctioned by kind "
            "of sanction, time to disposition, per child region; for a city, its counties side by side. "
            "Commission staff only, for their commissions' regions (404 otherwise)."
        ),
        parameters=[
            OpenApiParameter("region", str, description=gettext_lazy("A 12-digit division code.")),
            OpenApiParameter("from", OpenApiTypes.DATE, description=gettext_lazy("First day (YYYY-MM-DD).")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=gettext_lazy("Last day (YYYY-MM-DD).")),
        ],
        responses={200: CommissionStatsSerializer, 400: _FIELD_ERRORS, 404: ErrorSerializer},
        tags=["statistics"],
    )
    def get(self, request):
        data = CommissionStatsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = commission.commission_region_for(request.user, values.get("region") or None)
        figures = commission.commission_summary(
            request.user, region=region, date_from=values["from"], date_to=values["to"]
        )
        return Response(CommissionStatsSerializer(figures).data)


# --- The unit assessment (单位考核) --------------------------------------------------------------


class UnitAssessmentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("Unit assessment: each unit's rates and rank among its peers"),
        description=gettext_lazy(
            "For each township intake centre, department and service station of the region: cases received, "
            "response, resolution, on-time and satisfaction rates, repeats, deadlines missed, supervision "
            "notices unanswered, referrals reported late, the composite score and the rank among the same kind "
            "of unit at the same level. One of month, quarter or year (default: the last complete month). "
            "Reports against officials are not counted. Only regions the caller watches (404 otherwise); "
            "100 units a page."
        ),
        parameters=[UnitAssessmentInput],
        responses={200: UnitAssessmentSerializer, 400: _FIELD_ERRORS, 404: ErrorSerializer},
        tags=["statistics"],
    )
    def get(self, request):
        data = UnitAssessmentInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = units.assessment_region_for(request.user, values.get("region") or None)
        assessment = units.unit_assessment(request.user, region=region, period=values["period"], kind=values["kind"])
        rows, pages = units.page_of(assessment.rows, values["page"])
        period, weights = assessment.period, assessment.weights
        payload = {
            "region": None if region is None else {"code": region.code, "name": region.name, "level": region.level},
            "period": {"kind": period.kind, "label": period.label, "first": period.first, "last": period.last},
            "weights": {
                "response": weights.weight_response,
                "resolution": weights.weight_resolution,
                "on_time": weights.weight_on_time,
                "satisfaction": weights.weight_satisfaction,
                "penalty_miss": float(weights.penalty_miss),
                "penalty_notice": float(weights.penalty_notice),
                "penalty_referral": float(weights.penalty_referral),
            },
            "count": len(assessment.rows),
            "page": values["page"],
            "pages": pages,
            "results": [row.as_dict() for row in rows],
        }
        return Response(UnitAssessmentSerializer(payload).data)
