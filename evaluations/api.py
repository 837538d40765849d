"""Appraisals over the API, under /api/v1/appraisals/ (docs/appraisals.md).

Staff see the campaigns of the regions they work in; the results of a published campaign
are public. The commission runs a campaign with one POST per action of its pages, each
calling the same service function as the page: thin like the pages, every rule lives in
`evaluations.services`. Each verb first fetches the campaign through the selectors (a
campaign outside the caller's view is a 404, before the input is read), then parses the
input (400, messages keyed by field), then calls the service: 403 for a person who may see
the campaign but not do this, 409 for a campaign in the wrong state. A station is named in
the path by its unit id (`station_id` of the results), an item by its id.
"""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evaluations import selectors, services
from evaluations.models import Campaign
from evaluations.serializers import (
    AppraisalEventSerializer,
    CampaignCreateInput,
    CampaignSerializer,
    CommitmentsInput,
    HearingInput,
    QuestionInput,
    QuestionSerializer,
    RectificationDoneInput,
    RectificationInput,
    RectificationSerializer,
    ReportInput,
    ReportSerializer,
    ResultsSerializer,
    StationSerializer,
    StationsInput,
    VetoInput,
    WeightsInput,
)
from petitions.api import _FIELD_ERRORS
from petitions.serializers import ErrorSerializer

TAG = ["appraisals"]

# --- The error shapes, for the schema ----------------------------------------------------------

_NOT_PERMITTED = OpenApiResponse(
    ErrorSerializer, description=_("You may see the campaign but not take this action (code not_permitted).")
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such campaign, station or item in your view."))
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=_("The campaign is not in a state that allows this action (code invalid_state). Nothing was changed."),
)


def _verb(summary, request, answer, description="", *, created: bool = False, parameters=()):
    """The schema of one action: its input, and what it acted on or an error back."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        parameters=list(parameters),
        responses={
            (201 if created else 200): answer,
            400: _FIELD_ERRORS,
            403: _NOT_PERMITTED,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
        tags=TAG,
    )


def _read(summary, answer, description=""):
    return extend_schema(summary=summary, description=description, responses={200: answer, 404: _NOT_FOUND}, tags=TAG)


_STATION = OpenApiParameter(
    "station_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The station's unit id.")
)
_ITEM = OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The item's id."))


def _id(value) -> int:
    """A path id; anything but a whole number is no such object (404)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@extend_schema_view(
    list=extend_schema(summary=_("Appraisal campaigns in your view"), tags=TAG),
    retrieve=extend_schema(summary=_("One appraisal campaign"), responses={200: CampaignSerializer, 404: _NOT_FOUND}),
    create=extend_schema(
        summary=_("Set up a campaign (draft)"),
        description=_(
            "By the appraisal commission of the region (its supervisors, leaders and administrators). "
            "Without stations, every active station of the region takes part."
        ),
        request=CampaignCreateInput,
        responses={201: CampaignSerializer, 400: _FIELD_ERRORS, 403: _NOT_PERMITTED},
        tags=TAG,
    ),
)
class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Appraisal campaigns (民主评议) in the caller's view, and the commission's actions."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Campaign.objects.none()
        return selectors.campaigns_visible_to(self.request.user)

    # --- Helpers -----------------------------------------------------------------------------

    def _campaign(self, pk) -> Campaign:
        return selectors.campaign_get_for_user(self.request.user, _id(pk))

    def _input(self, input_class) -> dict:
        serializer = input_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _campaign_now(self, pk, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(CampaignSerializer(self._campaign(pk)).data, status=status_code)

    def _station_now(self, campaign: Campaign, station_id) -> Response:
        participant = selectors.stations_of(campaign).filter(unit_id=int(station_id)).first()
        if participant is None:
            raise Http404
        return Response(StationSerializer(participant).data)

    # --- Setting up --------------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        data = self._input(CampaignCreateInput)
        stages = {name: data.pop(name) for name in CampaignCreateInput.STAGES}
        campaign = services.campaign_create(actor=request.user, stages=stages, **data)
        return self._campaign_now(campaign.pk, status_code=status.HTTP_201_CREATED)

    @_read(_("The stations of a campaign"), StationSerializer(many=True), _("In ranking order once scored."))
    @action(detail=True, methods=["get"], url_path="stations", pagination_class=None)
    def stations(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        return Response(StationSerializer(selectors.stations_of(campaign), many=True).data)

    @_verb(
        _("Add stations (draft only)"),
        StationsInput,
        StationSerializer(many=True),
        _(
            "Service stations of the campaign's region, all or none; answers every station of the "
            "campaign. Sent again with the same input, it changes nothing."
        ),
    )
    @stations.mapping.post
    def add_stations(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        data = self._input(StationsInput)
        services.campaign_add_stations(campaign_id=campaign.pk, units=data["stations"], actor=request.user)
        return Response(StationSerializer(selectors.stations_of(campaign), many=True).data)

    @_verb(
        _("Set the weights and band thresholds"),
        WeightsInput,
        CampaignSerializer,
        _("In draft or open, before the scores are computed. Sent again with the same input, it changes nothing."),
    )
    @action(detail=True, methods=["post"], url_path="weights")
    def weights(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        services.campaign_update_weights(campaign_id=campaign.pk, actor=request.user, **self._input(WeightsInput))
        return self._campaign_now(pk)

    @_read(_("The questionnaire's questions"), QuestionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="questions", pagination_class=None)
    def questions(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        return Response(QuestionSerializer(campaign.questions.all(), many=True).data)

    @_verb(
        _("Add a question to the questionnaire (draft only)"),
        QuestionInput,
        QuestionSerializer,
        _("A question already in the questionnaire is not added twice: the answer is that question."),
    )
    @questions.mapping.post
    def add_question(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        question = services.question_add(campaign_id=campaign.pk, actor=request.user, **self._input(QuestionInput))
        return Response(QuestionSerializer(question).data)

    # --- A station ---------------------------------------------------------------------------

    @_verb(
        _("Publish a station's commitments"),
        CommitmentsInput,
        StationSerializer,
        _(
            "By the station itself or the commission, in draft or open; replaces the earlier list. "
            "Sent again with the same input, it changes nothing."
        ),
        parameters=[_STATION],
    )
    @action(detail=True, methods=["post"], url_path=r"stations/(?P<station_id>\d+)/commitments", url_name="commitments")
    def commitments(self, request: Request, pk=None, station_id=None) -> Response:
        campaign = self._campaign(pk)
        participant = selectors.participant_of(campaign, unit_id=int(station_id))
        services.commitment_publish(participant_id=participant.pk, actor=request.user, **self._input(CommitmentsInput))
        return self._station_now(campaign, station_id)

    @_verb(
        _("Enter a station's hearing score"),
        HearingInput,
        StationSerializer,
        _(
            "0 to 100, while open or scoring; once scoring, the ranking is computed again. Sent again"
            " with the same input, it changes nothing."
        ),
        parameters=[_STATION],
    )
    @action(detail=True, methods=["post"], url_path=r"stations/(?P<station_id>\d+)/hearing", url_name="hearing")
    def hearing(self, request: Request, pk=None, station_id=None) -> Response:
        campaign = self._campaign(pk)
        participant = selectors.participant_of(campaign, unit_id=int(station_id))
        data = self._input(HearingInput)
        services.hearing_score_set(participant_id=participant.pk, actor=request.user, score=data["score"])
        return self._station_now(campaign, station_id)

    @_verb(
        _("Veto a station"),
        VetoInput,
        StationSerializer,
        _(
            "With its reason, while open or scoring: whatever its score, the station ends in the bottom band, "
            "ranked after every station not vetoed. The same veto again changes nothing; another reason for a "
            "station already vetoed is refused (409)."
        ),
        parameters=[_STATION],
    )
    @action(detail=True, methods=["post"], url_path=r"stations/(?P<station_id>\d+)/veto", url_name="veto")
    def veto(self, request: Request, pk=None, station_id=None) -> Response:
        campaign = self._campaign(pk)
        participant = selectors.participant_of(campaign, unit_id=int(station_id))
        services.participant_veto(participant_id=participant.pk, actor=request.user, **self._input(VetoInput))
        return self._station_now(campaign, station_id)

    @_verb(
        _("Upload a station's self-inspection report"),
        {"multipart/form-data": ReportInput},
        ReportSerializer,
        _("By the station itself or the commission, in draft or open. Each upload adds a report."),
        created=True,
        parameters=[_STATION],
    )
    @action(detail=True, methods=["post"], url_path=r"stations/(?P<station_id>\d+)/report", url_name="report")
    def report(self, request: Request, pk=None, station_id=None) -> Response:
        campaign = self._campaign(pk)
        participant = selectors.participant_of(campaign, unit_id=int(station_id))
        data = self._input(ReportInput)
        report = services.report_upload(participant_id=participant.pk, actor=request.user, upload=data["file"])
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    # --- The stages --------------------------------------------------------------------------

    @_verb(
        _("Open the campaign"),
        None,
        CampaignSerializer,
        _("Needs stations and questions: the commitments become public and residents may answer the questionnaire."),
    )
    @action(detail=True, methods=["post"], url_path="open", url_name="open")
    def open(self, request: Request, pk=None) -> Response:
        services.campaign_open(campaign_id=self._campaign(pk).pk, actor=request.user)
        return self._campaign_now(pk)

    @_verb(
        _("Close the questionnaire and score"),
        None,
        CampaignSerializer,
        _("The questionnaire closes and the scores, bands and ranks are computed."),
    )
    @action(detail=True, methods=["post"], url_path="start-scoring", url_name="start-scoring")
    def start_scoring(self, request: Request, pk=None) -> Response:
        services.campaign_start_scoring(campaign_id=self._campaign(pk).pk, actor=request.user)
        return self._campaign_now(pk)

    @_verb(
        _("Publish the results"),
        None,
        CampaignSerializer,
        _("Needs every station's hearing score; the results become public."),
    )
    @action(detail=True, methods=["post"], url_path="publish", url_name="publish")
    def publish(self, request: Request, pk=None) -> Response:
        services.campaign_publish(campaign_id=self._campaign(pk).pk, actor=request.user)
        return self._campaign_now(pk)

    # --- Rectification (落实整改) --------------------------------------------------------------

    @_read(_("The rectification items"), RectificationSerializer(many=True), _("Soonest deadline first."))
    @action(detail=True, methods=["get"], url_path="rectifications", pagination_class=None)
    def rectifications(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        return Response(RectificationSerializer(selectors.rectifications(campaign), many=True).data)

    @_verb(
        _("Add a rectification item"),
        RectificationInput,
        RectificationSerializer,
        _(
            "Once open: an owner unit, what to put right and by when. Sent again with the same input,"
            " it changes nothing."
        ),
    )
    @rectifications.mapping.post
    def add_rectification(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        item = services.rectification_add(
            campaign_id=campaign.pk, actor=request.user, **self._input(RectificationInput)
        )
        return Response(RectificationSerializer(item).data)

    @_verb(
        _("Close a rectification item"),
        RectificationDoneInput,
        RectificationSerializer,
        _(
            "By the owner unit or the commission, with the evidence of what was done. Sent again with"
            " the same input, it changes nothing."
        ),
        parameters=[_ITEM],
    )
    @action(detail=True, methods=["post"], url_path=r"rectifications/(?P<item_id>\d+)/complete", url_name="complete")
    def complete(self, request: Request, pk=None, item_id=None) -> Response:
        campaign = self._campaign(pk)
        item = selectors.rectification_of(campaign, int(item_id))
        data = self._input(RectificationDoneInput)
        services.rectification_complete(item_id=item.pk, actor=request.user, evidence=data["evidence"])
        return Response(RectificationSerializer(selectors.rectification_of(campaign, item.pk)).data)

    # --- Reading -----------------------------------------------------------------------------

    @_read(_("The campaign's audit trail"), AppraisalEventSerializer(many=True), _("Newest first."))
    @action(detail=True, methods=["get"], url_path="events", pagination_class=None)
    def events(self, request: Request, pk=None) -> Response:
        campaign = self._campaign(pk)
        return Response(AppraisalEventSerializer(selectors.events(campaign), many=True).data)

    @extend_schema(
        responses={200: ResultsSerializer, 404: _NOT_FOUND},
        summary=_("Results of a campaign (public once published)"),
        tags=TAG,
    )
    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def results(self, request: Request, pk: str | None = None) -> Response:
        pk_int = _id(pk)
        campaign = Campaign.objects.select_related("region").filter(pk=pk_int, state=Campaign.State.PUBLISHED).first()
        if campaign is None:
            if not request.user.is_authenticated:
                raise Http404
            campaign = selectors.campaign_get_for_user(request.user, pk_int)
        data = {"campaign": campaign, "results": selectors.results(campaign)}
        return Response(ResultsSerializer(data).data)
