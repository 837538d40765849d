"""The hotspots API (DESIGN.md §11): `GET /api/v1/stats/hotspots/?region=&from=&to=` and
`POST /api/v1/stats/hotspots/{id}/notice/` (one supervision notice for each of its cases)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from grievances.hotspots import services
from grievances.hotspots.selectors import hotspots_for
from grievances.stats.summary import stats_region_for
from petitions.api import _FIELD_ERRORS
from petitions.serializers import ErrorSerializer


class HotspotsInput(serializers.Serializer):
    region = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("A 12-digit division code.")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text=gettext_lazy("First day (YYYY-MM-DD)."))
        fields["to"] = serializers.DateField(required=False, help_text=gettext_lazy("Last day (YYYY-MM-DD)."))
        return fields

    def validate(self, attrs):
        attrs["to"] = attrs.get("to") or timezone.localdate()
        attrs["from"] = attrs.get("from") or attrs["to"] - timedelta(days=settings.SUQIU_HOTSPOT_DAYS)
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": _("The first day must not be after the last day.")})
        return attrs


class CaseLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    tracking_number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()


class HotspotClusterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    place = serializers.CharField(help_text=gettext_lazy("The village, or the township when it spans villages."))
    region = serializers.CharField(source="region_code")
    category = serializers.CharField()
    keywords = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("Words at least half its cases use; empty unless you count every case of it."),
    )
    cases = serializers.IntegerField(help_text=gettext_lazy("Its cases received in the period that you count."))
    not_linked = serializers.IntegerField(help_text=gettext_lazy("Of those, the cases you may not open."))
    first_received_at = serializers.DateTimeField()
    last_received_at = serializers.DateTimeField()
    alerted = serializers.BooleanField(help_text=gettext_lazy("Whether the township's leaders were told."))
    linked = CaseLinkSerializer(many=True, help_text=gettext_lazy("Its cases you may open."))


class ReturningPersonSerializer(serializers.Serializer):
    visits = serializers.IntegerField()
    name = serializers.CharField(help_text=gettext_lazy("Masked; empty unless you may open one of their cases."))
    phone = serializers.CharField(help_text=gettext_lazy("Masked; empty unless you may open one of their cases."))
    open = serializers.IntegerField(help_text=gettext_lazy("Their cases not closed yet."))
    first_received_at = serializers.DateTimeField()
    last_received_at = serializers.DateTimeField()
    categories = serializers.ListField(child=serializers.CharField())
    linked = CaseLinkSerializer(many=True)


class OpenAcrossYearsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    linked = CaseLinkSerializer(many=True)


class HotspotsSerializer(serializers.Serializer):
    region = serializers.CharField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    window_from = serializers.DateField(
        help_text=gettext_lazy("The clusters are found among the cases received since this day.")
    )
    clusters = HotspotClusterSerializer(many=True)
    people = ReturningPersonSerializer(many=True)
    open_across_years = OpenAcrossYearsSerializer()


class HotspotNoticeInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000, help_text=gettext_lazy("What the units must do."))
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=30, help_text=gettext_lazy("Working days to answer.")
    )


class HotspotNoticeSerializer(serializers.Serializer):
    notices = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy("The notices issued."))
    cases = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy("Their cases."))


def hotspots_payload(figures, region) -> dict:
    return {
        "region": region.code if region is not None else None,
        "date_from": figures.date_from,
        "date_to": figures.date_to,
        "window_from": figures.window_from,
        "clusters": figures.clusters,
        "people": figures.people,
        "open_across_years": {"count": figures.open_across_years, "linked": figures.open_across_years_linked},
    }


class HotspotsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("Hotspots: clusters of similar grievances and people who came back"),
        description=gettext_lazy(
            "Clusters of similar grievances (one place, one category, alike in wording) with their cases received "
            "in the period, largest first; the people with three cases or more in the period; the cases received "
            "before this year and not closed. Only what the caller's figures count; only the cases the caller may "
            "open are linked. Reports against officials are never part of them. A region outside the caller's "
            "view is a 404."
        ),
        parameters=[
            OpenApiParameter("region", str, description=gettext_lazy("A 12-digit division code.")),
            OpenApiParameter("from", OpenApiTypes.DATE, description=gettext_lazy("First day (YYYY-MM-DD).")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=gettext_lazy("Last day (YYYY-MM-DD).")),
        ],
        responses={200: HotspotsSerializer, 400: _FIELD_ERRORS, 404: ErrorSerializer},
        tags=["statistics"],
    )
    def get(self, request):
        data = HotspotsInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        region = stats_region_for(request.user, values.get("region") or None)
        figures = hotspots_for(request.user, region=region, date_from=values["from"], date_to=values["to"])
        return Response(HotspotsSerializer(hotspots_payload(figures, region)).data)


class HotspotNoticeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("Send a hotspot as supervision notices"),
        description=gettext_lazy(
            "One supervision notice to the unit holding each open case of the hotspot that the caller may open "
            "and supervise and that has had none through it yet."
        ),
        request=HotspotNoticeInput,
        responses={
            201: HotspotNoticeSerializer,
            400: _FIELD_ERRORS,
            403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("You may not supervise these cases.")),
            404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("No such hotspot in your view.")),
            409: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Every case already has its notice.")),
        },
        tags=["statistics"],
    )
    def post(self, request, hotspot_id: int):
        data = HotspotNoticeInput(data=request.data)
        data.is_valid(raise_exception=True)
        notices = services.hotspot_issue_notices(
            hotspot_id=hotspot_id,
            actor=request.user,
            text=data.validated_data["text"],
            days=data.validated_data.get("days"),
        )
        body = {"notices": [n.pk for n in notices], "cases": [n.petition_id for n in notices]}
        return Response(HotspotNoticeSerializer(body).data, status=status.HTTP_201_CREATED)
