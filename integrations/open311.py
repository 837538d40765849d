"""The Open311 GeoReport v2 adapter (https://wiki.open311.org/GeoReport_v2), JSON only.

- `GET services.json`: our active categories; `GET services/<code>.json`: the one attribute a
  request needs, the village code;
- `POST requests.json` (form-encoded, `api_key` with the scope `submit_cases`): files a case
  through the same registration as the online portal; answers the tracking number as
  `service_request_id` and, as an extension, the `query_code` the resident needs;
- `GET requests.json`, `GET requests/<id>.json`: the public view of cases (see
  `integrations.selectors`: no personal data, no resident's words, no confidential report).

Errors are GeoReport's `[{"code": <HTTP status>, "description": "..."}]`, in Chinese first.
These views are left out of the OpenAPI schema: docs/integrations.md describes them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import MultiPartParser
from config.api import exception_handler as api_exception_handler
from integrations import selectors
from integrations.auth import CanSubmitCases, IntegrationRateThrottle, Open311KeyAuthentication, Open311ReadThrottle
from integrations.services import Open311Request, open311_submit
from petitions.models import OPEN_STATUSES, Category, DayType, Petition
from petitions.services import normalize_tracking_number
from stations.models import Unit

DEFAULT_DAYS = 90  # GeoReport v2: with no dates, the requests of the past 90 days
MAX_IDS = 200
STATUSES = ("open", "closed")


def open311_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Our API's answer to an error, reshaped as GeoReport's list of `{code, description}`
    (the status and headers, e.g. Retry-After on 429, are kept)."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data if isinstance(response.data, dict) else {}
    errors = []
    for field, messages in data.items():
        if field in ("detail", "code"):
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            errors.append({"code": response.status_code, "description": f"{field}: {message}"})
    if not errors:
        errors.append({"code": response.status_code, "description": str(data.get("detail", ""))})
    response.data = errors
    return response


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value is not None else None


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _invalid(field: str, message: str) -> DjangoValidationError:
    return DjangoValidationError({field: [message]})


class Open311View(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [FormParser, MultiPartParser]  # GeoReport v2 posts form-encoded
    authentication_classes = [Open311KeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [IntegrationRateThrottle, Open311ReadThrottle]

    def get_exception_handler(self):
        return open311_exception_handler

    def jurisdiction(self):
        """`jurisdiction_id` (a county's 12-digit code) when given; 400 when unknown."""
        code = (self.request.query_params.get("jurisdiction_id") or "").strip()
        if not code and self.request.method == "POST" and hasattr(self.request.data, "get"):
            code = (self.request.data.get("jurisdiction_id") or "").strip()
        if not code:
            return None
        county = selectors.county_by_code(code)
        if county is None:
            raise _invalid("jurisdiction_id", _("No such jurisdiction: give the 12-digit code of a county."))
        return county


# --- Services ----------------------------------------------------------------------------------


def _service(category: Category) -> dict:
    days = str(DayType(category.day_type).label)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _(
            "Handled by a %(kind)s. Acceptance is decided within %(acceptance)d %(days)s, "
            "handling takes up to %(handling)d %(days)s."
        )
        % {
            "kind": Unit.Kind(category.competent_unit_kind).label,
            "acceptance": category.acceptance_days,
            "handling": category.handling_days,
            "days": days,
        },
        "metadata": True,  # every service needs the village attribute
        "type": "realtime",
        "keywords": ",".join(word for word in (category.name_zh, category.name_en, category.code) if word),
        "group": str(Unit.Kind(category.competent_unit_kind).label),
    }


class ServiceListView(Open311View):
    @extend_schema(exclude=True)
    def get(self, request):
        self.jurisdiction()
        return Response([_service(category) for category in selectors.services()])


class ServiceDefinitionView(Open311View):
    @extend_schema(exclude=True)
    def get(self, request, service_code: str):
        county = self.jurisdiction()
        category = selectors.service_get(service_code)
        if category is None:
            raise exceptions.NotFound(_("No such service: see services.json for the service codes."))
        village = {
            "variable": True,
            "code": "village",
            "datatype": "string",
            "required": True,
            "datatype_description": _("The 12-digit division code of the village (community) where it happened."),
            "order": 1,
            "description": _("Village (community)"),
        }
        if county is not None:
            village["datatype"] = "singlevaluelist"
            village["values"] = [
                {"key": region.code, "name": f"{region.parent.name} {region.name}"}
                for region in selectors.villages_in(county)
            ]
        return Response({"service_code": category.code, "attributes": [village]})


# --- Service requests --------------------------------------------------------------------------


def _updated(petition: Petition) -> datetime:
    moments = (
        petition.created_at,
        petition.accepted_at,
        petition.replied_at,
        petition.closed_at,
        petition.rated_at,
        petition.review_requested_at,
    )
    return max(moment for moment in moments if moment is not None)


def _public_request(petition: Petition) -> dict:
    """One case as a GeoReport service request: the public wording only (see selectors)."""
    township = petition.region.parent
    county = township.parent if township is not None else None
    is_open = petition.status in OPEN_STATUSES
    return {
        "service_request_id": petition.tracking_number,
        "status": "open" if is_open else "closed",
        "status_notes": str(petition.get_status_display()),
        "service_name": petition.category.name,
        "service_code": petition.category.code,
        "description": _("A %(service)s case in %(township)s (the resident's own words are not published).")
        % {"service": petition.category.name, "township": township.name if township else ""},
        "agency_responsible": petition.holder_unit.name,
        "service_notice": "",
        # When the resident made the request: the desk's or the hotline's record of it.
        "requested_datetime": _iso(petition.received_at),
        "updated_datetime": _iso(_updated(petition)),
        "expected_datetime": _iso(petition.current_due_at) if is_open else None,
        "address": "".join(region.name for region in (county, township) if region is not None),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _moment(value: str, field: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date-time (with its offset) or a date (the local day's start, or its end)."""
    value = value.strip().replace(" ", "+")  # an unescaped "+" in a query string arrives as a space
    try:
        moment = parse_datetime(value)
        day = None if moment is not None else parse_date(value)
    except ValueError:
        moment = day = None
    if moment is None and day is None:
        raise _invalid(field, _("Give an ISO 8601 date-time, e.g. 2026-05-01T00:00:00+08:00."))
    if moment is None:
        moment = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class RequestListView(Open311View):
    def get_permissions(self):
        if self.request.method == "POST":
            return [CanSubmitCases()]
        return super().get_permissions()

    @extend_schema(exclude=True)
    def get(self, request):
        params = request.query_params
        county = self.jurisdiction()
        numbers = [normalize_tracking_number(n) for n in _csv(params.get("service_request_id"))]
        if len(numbers) > MAX_IDS:
            raise _invalid("service_request_id", _("Ask for %(n)d requests at most.") % {"n": MAX_IDS})
        statuses = [s.lower() for s in _csv(params.get("status"))]
        if any(s not in STATUSES for s in statuses):
            raise _invalid("status", _("The status is open or closed."))
        start = _moment(params["start_date"], "start_date") if params.get("start_date") else None
        end = _moment(params["end_date"], "end_date", end=True) if params.get("end_date") else None
        if start and end and start > end:
            raise _invalid("start_date", _("The start date must not be after the end date."))
        if numbers:
            start = end = None  # the spec: service_request_id overrides every other filter
            statuses, service_codes = [], []
        else:
            service_codes = _csv(params.get("service_code"))
            if start is None:
                start = (end or timezone.now()) - timedelta(days=DEFAULT_DAYS)
        cases = selectors.public_requests(
            numbers=numbers, service_codes=service_codes, start=start, end=end, statuses=statuses, county=county
        )
        return Response([_public_request(petition) for petition in cases])

    @extend_schema(exclude=True)
    def post(self, request):
        integration = request.auth
        data = request.data
        county = self.jurisdiction()
        if county is not None and not integration.region.code.startswith(county.prefix):
            raise _invalid("jurisdiction_id", _("This API key acts for another jurisdiction."))
        coordinates = []
        for field, bound in (("lat", 90), ("long", 180)):
            raw = (data.get(field) or "").strip()
            try:
                value = float(raw) if raw else None
            except ValueError:
                value = float("nan")
            if value is not None and not -bound <= value <= bound:
                raise _invalid(field, _("Give the coordinate in decimal degrees (WGS84)."))
            coordinates.append(value)
        received_at = None
        if raw := (data.get("attribute[received_at]") or "").strip():
            try:
                received_at = parse_datetime(raw)
            except ValueError:
                received_at = None
            if received_at is None:
                raise _invalid(
                    "attribute[received_at]",
                    _("Give the time the call was taken as an ISO 8601 date and time, e.g. 2026-09-28T15:30:00+08:00."),
                )
        registration = open311_submit(
            integration=integration,
            request=Open311Request(
                service_code=(data.get("service_code") or "").strip(),
                village_code=(data.get("attribute[village]") or "").strip(),
                description=data.get("description") or "",
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
                phone=data.get("phone") or "",
                address_string=data.get("address_string") or "",
                lat=coordinates[0],
                long=coordinates[1],
                received_at=received_at,
                late_reason=data.get("attribute[late_reason]") or "",
            ),
        )
        petition = registration.petition
        notice = _(
            "Registered as %(number)s; acceptance is decided by %(due)s. The resident follows it on the "
            "portal with this number and the query code, which is shown only this once."
        ) % {"number": petition.tracking_number, "due": timezone.localtime(petition.acceptance_due_at).date()}
        body = {
            "service_request_id": petition.tracking_number,
            "service_notice": notice,
            "account_id": None,
            # Extension: the code the resident needs with the number to follow the case.
            "query_code": registration.query_code,
        }
        return Response([body], status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class RequestDetailView(Open311View):
    @extend_schema(exclude=True)
    def get(self, request, service_request_id: str):
        self.jurisdiction()
        petition = selectors.public_request_get(normalize_tracking_number(service_request_id))
        if petition is None:
            raise exceptions.NotFound(_("No such service request."))
        return Response([_public_request(petition)])
