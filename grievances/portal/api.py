"""The portal's public API (DESIGN.md §8): online submission, lookup, rating and review, no login.

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
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import JSONParser, MultiPartParser
from grievances.portal import selectors, throttle
from grievances.portal.serializers import (
    LookupInput,
    PublicCaseSerializer,
    PublicReceiptSerializer,
    PublicSubmitInput,
    RateInputPublic,
    ReviewInputPublic,
)
from grievances.portal.services import public_petition_submit
from petitions.api import _FIELD_ERRORS
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
        """Check the codes within the lookup limits (grievances/portal/throttle.py)."""
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
        summary=gettext_lazy("Ask for a review"),
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
