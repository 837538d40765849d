"""The cadre assessment sheets over the API, under /api/v1/cadre-sheets/ (docs/appraisals.md,
"The cadre link"): the same selectors (outside one's view is a 404) and the same services as
the pages. Every write sends the sheet's `version`; a change made since is a 409."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evaluations.cadre import selectors, services
from evaluations.cadre.serializers import (
    CreateInput,
    LayoutInput,
    ScoreInput,
    SheetSerializer,
    VersionInput,
    sheet_data,
)
from evaluations.models import CadreSheet
from petitions.serializers import ErrorSerializer
from stations.selectors import units_visible_to

TAGS = ["cadre-sheets"]
_FIELD_ERRORS = OpenApiResponse(ErrorSerializer, description=_("Bad input: nothing was saved."))
_NOT_PERMITTED = OpenApiResponse(
    ErrorSerializer, description=_("Only the commission of the unit's region may change it, not its own staff.")
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such sheet in your view."))
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=_("The sheet is final (invalid_state) or changed since your version (stale_version); nothing changed."),
)


def _verb(summary, request):
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: SheetSerializer, 400: _FIELD_ERRORS, 403: _NOT_PERMITTED, 404: _NOT_FOUND, 409: _CONFLICT},
        tags=TAGS,
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("Cadre assessment sheets"),
        parameters=[OpenApiParameter("year", int, description=_("Only the sheets of this year."))],
        responses=SheetSerializer(many=True),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary=_("A cadre assessment sheet"), responses=SheetSerializer, tags=TAGS),
)
class CadreSheetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The sheets in the caller's view, each as it adds up (its appraisal read from the published campaign)."""

    serializer_class = SheetSerializer
    lookup_value_regex = "[0-9]+"  # ids are integers: anything else is no route (404), not a 500

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CadreSheet.objects.none()
        sheets = selectors.sheets_visible_to(self.request.user).select_related("appraisal__campaign")
        year = self.request.query_params.get("year")
        if year:
            if not year.isdigit():
                raise exceptions.ValidationError({"year": [_("Give a year, e.g. 2024.")]})
            sheets = sheets.filter(year=int(year))
        return sheets.prefetch_related("parts").order_by("-year", "unit__region__code", "unit__name", "id")

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([sheet_data(r) for r in selectors.results_of(page)])

    def retrieve(self, request: Request, pk=None, *args, **kwargs) -> Response:
        return Response(self._data(pk))

    def _data(self, pk) -> dict:
        return sheet_data(selectors.sheet_result(selectors.sheet_get_for_user(self.request.user, pk)))

    @_verb(_("Open a sheet"), CreateInput)
    def create(self, request: Request) -> Response:
        serializer = CreateInput(data=request.data, units=units_visible_to(request.user))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sheet = services.cadre_sheet_create(
            actor=request.user,
            unit=data["unit"],
            year=data["year"],
            appraisal_weight=data["appraisal_weight"],
            parts=[(part["name"], part["weight"]) for part in data["parts"]],
        )
        return Response(self._data(sheet.pk), status=status.HTTP_201_CREATED)

    def _input(self, request: Request, pk, input_class):
        sheet = selectors.sheet_get_for_user(request.user, pk)
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return sheet, serializer.validated_data

    @_verb(_("Set the parts and weights (all at once)"), LayoutInput)
    @action(detail=True, methods=["post"])
    def layout(self, request: Request, pk=None) -> Response:
        sheet, data = self._input(request, pk, LayoutInput)
        services.cadre_sheet_set_layout(
            sheet_id=sheet.pk,
            actor=request.user,
            appraisal_weight=data["appraisal_weight"],
            parts=[(part["name"], part["weight"]) for part in data["parts"]],
            expected_version=data["version"],
        )
        return Response(self._data(pk))

    @_verb(_("Score one part"), ScoreInput)
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk=None) -> Response:
        sheet, data = self._input(request, pk, ScoreInput)
        services.cadre_sheet_score(
            sheet_id=sheet.pk,
            part_id=data["part"],
            actor=request.user,
            score=data["score"],
            expected_version=data["version"],
        )
        return Response(self._data(pk))

    @_verb(_("Make the sheet final"), VersionInput)
    @action(detail=True, methods=["post"])
    def finalise(self, request: Request, pk=None) -> Response:
        sheet, data = self._input(request, pk, VersionInput)
        services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=request.user, expected_version=data["version"])
        return Response(self._data(pk))
