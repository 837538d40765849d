"""The public API (DESIGN.md §8): online submission, lookup, rating and review, no login.

The same selectors, services and rate limits as the pages. A lookup that fails answers 404
with one message whether the case does not exist or the code is wrong.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.api import JSONParser, MultiPartParser
from grievances import commission_stats, selectors, statistics, throttle
from grievances.serializers import (
    LookupInput,
    PublicCaseSerializer,
    PublicReceiptSerializer,
    PublicSubmitInput,
    RateInputPublic,
    ReviewInputPublic,
)
from grievances.services import public_petition_submit
from integrations.auth import CanReadStatistics, IntegrationKeyAuthentication, IntegrationRateThrottle
from petitions.api import _FIELD_ERRORS
from petitions.models import Category
from petitions.serializers import ErrorSerializer
from petitions.services import petition_rate, petition_request_review

_THROTTLED = OpenApiResponse(ErrorSerializer, description=gettext_lazy("Too many attempts (code throttled)."))
_NO_MATCH = OpenApiResponse(
    ErrorSerializer,
    description=gettext_lazy("No case matches this tracking number and query code (the same answer for both)."),
)
_CONFLICT = OpenApiResponse(
    ErrorSerializer, description=gettext_lazy("The case is not in a state that allows this (code invalid_state).")
)


def _throttled() -> Response:
    return Response(
        {
            "detail": _("Too many attempts from here or for this case. Please wait an hour and try again."),
            "code": "throttled",
        },
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


def _lookup_throttled(retry_at) -> Response:
    when = timezone.localtime(retry_at).strftime("%Y-%m-%d %H:%M")
    detail = _(
        "Too many attempts from here or for this case. Try again after %(time)s, use the private link "
        "from the SMS, or call the hotline 12345."
    ) % {"time": when}
    seconds = max(1, int((retry_at - timezone.now()).total_seconds()))
    return Response(
        {"detail": detail, "code": "throttled"},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(seconds)},
    )


def _no_match() -> Response:
    return Response(
        {"detail": _("No case matches this tracking number and query code."), "code": "not_found"},
        status=status.HTTP_404_NOT_FOUND,
    )


class PublicView(APIView):
    """No login and no session: nothing a signed-in browser carries changes the answer."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class PublicProofView(PublicView):
    input_serializer = LookupInput

    def prove(self, request) -> tuple[throttle.Proof, dict, Response | None]:
        """Check the codes within the lookup limits (grievances/throttle.py)."""
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        proof = throttle.prove_codes(
            request._request,
            tracking_number=values["tracking_number"],
            query_code=values["query_code"],
            device_token=values["device_token"],
        )
        if proof.limited:
            return proof, values, _lookup_throttled(proof.retry_at)
        return proof, values, None if proof.petition is not None else _no_match()

    @staticmethod
    def case(proof: throttle.Proof, *, changed: bool = True) -> Response:
        petition = proof.petition
        if changed:  # re-read what the action wrote (a lookup changed nothing)
            petition.refresh_from_db()
        body = PublicCaseSerializer(selectors.public_case(petition)).data
        return Response({**body, "device_token": proof.device_token})


class PublicSubmitView(PublicView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary=gettext_lazy("Submit a grievance online"),
        description=gettext_lazy(
            "A resident's own submission (channel online), routed to the township intake centre of the "
            "village. Returns the tracking number and the query code, shown once."
        ),
        request={"application/json": PublicSubmitInput, "multipart/form-data": PublicSubmitInput},
        responses={201: PublicReceiptSerializer, 400: _FIELD_ERRORS, 429: _THROTTLED},
        tags=["public"],
        auth=[],
    )
    def post(self, request):
        if throttle.submit_limited(request._request):
            return _throttled()
        data = PublicSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        county = selectors.portal_county(values.get("county"))
        if values.get("county") and county is None:
            raise ValidationError({"county": _("No such county.")})
        submission = public_petition_submit(
            county=county,
            category=values["category"],
            region=values["region"],
            title=values["title"],
            content=values["content"],
            anonymous=values["anonymous"],
            complainant_name=values["complainant_name"],
            complainant_phone=values["complainant_phone"],
            attachments=values["attachments"],
        )
        petition = submission.petition
        track = (
            request.build_absolute_uri(reverse("grievances:track")) + "?" + urlencode({"n": petition.tracking_number})
        )
        private = (
            request.build_absolute_uri(reverse("grievances:track_token", args=[submission.token]))
            if submission.token
            else ""
        )
        body = {
            "tracking_number": petition.tracking_number,
            "query_code": submission.registration.query_code,
            "status": petition.status,
            "acceptance_due_at": petition.acceptance_due_at,
            "track_url": track,
            "private_url": private,
            "device_token": throttle.device_token_issue(petition.tracking_number),
        }
        return Response(PublicReceiptSerializer(body).data, status=status.HTTP_201_CREATED)


class PublicLookupView(PublicProofView):
    @extend_schema(
        summary=gettext_lazy("Look a case up with the receipt's codes"),
        request=LookupInput,
        responses={200: PublicCaseSerializer, 400: _FIELD_ERRORS, 404: _NO_MATCH, 429: _THROTTLED},
        tags=["public"],
        auth=[],
    )
    def post(self, request):
        proof, _values, refusal = self.prove(request)
        return refusal or self.case(proof, changed=False)


class PublicRateView(PublicProofView):
    input_serializer = RateInputPublic

    @extend_schema(
        summary=gettext_lazy("Rate the reply"),
        description=gettext_lazy(
            "Satisfied or basically satisfied closes the case; unsatisfied opens the review window."
        ),
        request=RateInputPublic,
        responses={200: PublicCaseSerializer, 400: _FIELD_ERRORS, 404: _NO_MATCH, 409: _CONFLICT, 429: _THROTTLED},
        tags=["public"],
        auth=[],
    )
    def post(self, request):
        proof, values, refusal = self.prove(request)
        if refusal:
            return refusal
        petition_rate(
            petition_id=proof.petition.pk, actor=None, satisfaction=values["satisfaction"], comment=values["comment"]
        )
        return self.case(proof)


class PublicReviewView(PublicProofView):
    input_serializer = ReviewInputPublic

    @extend_schema(
        summary=gettext_lazy("Ask for a review (复查)"),
        description=gettext_lazy("Within the window after a reply rated unsatisfied; the level above reviews it."),
        request=ReviewInputPublic,
        responses={200: PublicCaseSerializer, 400: _FIELD_ERRORS, 404: _NO_MATCH, 409: _CONFLICT, 429: _THROTTLED},
        tags=["public"],
        auth=[],
    )
    def post(self, request):
        proof, values, refusal = self.prove(request)
        if refusal:
            return refusal
        petition_request_review(petition_id=proof.petition.pk, actor=None, reason=values["reason"])
        return self.case(proof)


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
