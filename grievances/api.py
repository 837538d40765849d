"""The statistics API (DESIGN.md §8): the staff statistic and the commissions' figures."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from grievances import commission_stats, statistics
from integrations.auth import CanReadStatistics, IntegrationKeyAuthentication, IntegrationRateThrottle
from petitions.api import _FIELD_ERRORS
from petitions.models import Category
from petitions.serializers import ErrorSerializer

# --- Statistics (DESIGN.md §8: GET /api/v1/stats/summary/) -------------------------------------


class StatsSummaryInput(serializers.Serializer):
    region = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("A 12-digit division code.")
    )
    category = serializers.SlugField(required=False, allow_blank=True, help_text=gettext_lazy("A category code."))
    # `from` is a Python keyword: the field is declared under its query-string name below.

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text=gettext_lazy("First day (YYYY-MM-DD)."))
        fields["to"] = serializers.DateField(required=False, help_text=gettext_lazy("Last day (YYYY-MM-DD)."))
        return fields

    def validate(self, attrs):
        today = timezone.localdate()
        attrs["to"] = attrs.get("to") or today
        attrs["from"] = attrs.get("from") or attrs["to"].replace(month=1, day=1)
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": _("The first day must not be after the last day.")})
        if (attrs["to"] - attrs["from"]).days > 366 * 10:
            raise serializers.ValidationError({"from": _("Ask for ten years at most.")})
        code = attrs.get("category")
        attrs["category"] = None
        if code:
            attrs["category"] = Category.objects.filter(code=code).first()
            if attrs["category"] is None:
                raise serializers.ValidationError({"category": _("No such category.")})
        return attrs


class StatsSummarySerializer(serializers.Serializer):
    region = serializers.SerializerMethodField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    closed = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    repeats = serializers.IntegerField()
    by_level = serializers.DictField(child=serializers.IntegerField())
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_satisfaction = serializers.DictField(child=serializers.IntegerField())
    by_month = serializers.DictField(child=serializers.IntegerField())
    by_child_region = serializers.ListField(child=serializers.DictField())

    def get_region(self, summary) -> dict | None:
        region = summary.region
        return None if region is None else {"code": region.code, "name": region.name, "level": region.level}


class StatsSummaryView(APIView):
    # Staff (token or session), or an integration's key with the scope read_statistics, which
    # sees what an observer of the key's region sees (integrations.auth, docs/integrations.md).
    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, IntegrationKeyAuthentication]
    permission_classes = [IsAuthenticated | CanReadStatistics]
    throttle_classes = [IntegrationRateThrottle]

    @extend_schema(
        summary=gettext_lazy("Statistics of the cases registered in a period"),
        description=gettext_lazy(
            "Counts by level, category, channel, status and satisfaction; on-time and closure rates; "
            "repeats; by month; per child region. Only the regions in the caller's view (404 otherwise)."
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
        region = statistics.stats_region_for(request.user, values.get("region") or None)
        summary = statistics.summary_for(
            request.user,
            region=region,
            date_from=values["from"],
            date_to=values["to"],
            category=values["category"],
        )
        return Response(StatsSummarySerializer(summary).data)


# --- Statistics for the commission (reports against officials) ---------------------------------


class CommissionStatsInput(StatsSummaryInput):
    category = None


class CommissionStatsSerializer(serializers.Serializer):
    region = serializers.SerializerMethodField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    received = serializers.IntegerField(help_text=gettext_lazy("Reports against officials registered in the period."))
    awaiting_acceptance = serializers.IntegerField()
    in_progress = serializers.IntegerField(help_text=gettext_lazy("Accepted, no disposition yet."))
    disposed = serializers.IntegerField(help_text=gettext_lazy("With at least one disposition recorded."))
    closed = serializers.IntegerField()
    sanctioned = serializers.IntegerField(
        help_text=gettext_lazy("People sanctioned (each case's current disposition).")
    )
    by_disposition = serializers.DictField(child=serializers.IntegerField())
    by_sanction = serializers.DictField(child=serializers.IntegerField())
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_month = serializers.DictField(child=serializers.IntegerField())
    days_to_disposition = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text=gettext_lazy("Days from the report to its first disposition: median, mean, max."),
    )
    by_child_region = serializers.ListField(child=serializers.DictField())

    def get_region(self, summary) -> dict | None:
        region = summary.region
        return None if region is None else {"code": region.code, "name": region.name, "level": region.level}


class CommissionStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("Statistics of reports against officials, for the commissions"),
        description=gettext_lazy(
            "Reports received, dispositions, people sanctioned by kind of sanction, time to disposition, "
            "per child region. Commission staff only, for their commissions' regions (404 otherwise)."
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
        region = commission_stats.commission_region_for(request.user, values.get("region") or None)
        summary = commission_stats.commission_summary(
            request.user, region=region, date_from=values["from"], date_to=values["to"]
        )
        return Response(CommissionStatsSerializer(summary).data)
