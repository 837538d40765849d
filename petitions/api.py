"""Cases over the API (DESIGN.md §8): list, register, read, and one POST per workflow verb.

Thin like the pages: parse the input, fetch the case through the selectors (a case outside
the caller's view is a 404), call the one service function for the verb, answer with the
fresh case. Every rule lives in `petitions.services`.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, pagination, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import Pagination, StrictPageSize
from petitions import serializers, services, workflow
from petitions.filters import PetitionFilter, list_rows
from petitions.models import Category, Petition, Referral
from petitions.selectors import attachments_for_user, events_for_user, petition_get_for_user, petition_list_for_user
from petitions.selectors.referrals import referral_get_for_user, referral_list_for_user
from petitions.serializers import (
    AttachmentInput,
    AttachmentSerializer,
    CategorySerializer,
    ErrorSerializer,
    EventSerializer,
    NoticeAnswerInput,
    NoticeIssueInput,
    NoticeSerializer,
    PetitionDetailSerializer,
    PetitionRowSerializer,
    ReferralAcceptInput,
    ReferralReportInput,
    ReferralReturnInput,
    RegisterInput,
    RegistrationSerializer,
    RevealInput,
    registration_answer,
)
from petitions.serializers.referrals import ReferralQuery, ReferralSerializer
from petitions.services import (
    petition_attach,
    petition_register,
    petition_reveal,
)


class PetitionPagination(StrictPageSize, pagination.CursorPagination):
    """Keyset pagination, newest first.

    A case list spans a province's history (millions of rows). Page numbers would cost a
    COUNT(*) over the caller's whole view on every request and an OFFSET that reads and
    throws away every earlier row, so deep pages get slower and slower. A cursor on
    (created_at, id) reads one page from the `petition_created` index wherever it is, and
    new cases arriving meanwhile do not shift the rows of the next page. Clients follow
    `next` / `previous`; the total is for the statistics endpoints, not for the list.
    """

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# --- The error shapes, for the schema ----------------------------------------------------------

_FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "properties": {"detail": {"type": "string"}, "code": {"type": "string", "enum": ["invalid", "parse_error"]}},
        "required": ["detail", "code"],
        # A field's messages; a list or nested field's are keyed by position or sub-field.
        "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
    },
    description=_("Bad input: nothing was saved. The messages are keyed by field."),
)
_NOT_PERMITTED = OpenApiResponse(ErrorSerializer, description=_("You may see the case but not take this action."))
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such case in your view."))
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description=_(
        "The case is not in a state that allows this action (code invalid_state), or it changed "
        "since the version you sent (code stale_version). Nothing was changed."
    ),
)
_VERB_RESPONSES = {
    200: PetitionDetailSerializer,
    400: _FIELD_ERRORS,
    403: _NOT_PERMITTED,
    404: _NOT_FOUND,
    409: _CONFLICT,
}


def _in_hand(petition: Petition, name: str, objects) -> None:
    """Fill the case's prefetch cache of relation `name` with `objects` (as a prefetch would)."""
    related = getattr(petition, name).all()  # lazy: no query
    related._result_cache = list(objects)
    related._prefetch_done = True
    petition.__dict__.setdefault("_prefetched_objects_cache", {})[name] = related


def _verb(summary: str, request, description: str = ""):
    """The schema of one workflow verb: its input, and the case or an error back."""
    return extend_schema(
        summary=summary, description=description, request=request, responses=_VERB_RESPONSES, tags=["petitions"]
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("The cases you may see"),
        description=_(
            "Newest first, 50 to a page (page_size up to 200); follow next and previous. "
            "Filters: status, category (code), channel, region (a division code: its whole "
            "subtree), overdue=true, open=true, created_after / created_before (dates), and q "
            "(a tracking number, or words in the title or the content). status, category and "
            "channel may be repeated to match any of several values."
        ),
        responses={200: PetitionRowSerializer(many=True), 400: _FIELD_ERRORS},
        tags=["petitions"],
    ),
    retrieve=extend_schema(
        summary=_("One case"),
        description=_(
            "The complainant's name, phone and ID number are masked unless you need them: the desk "
            "that took the case in, the unit holding it, and the supervisors of its region."
        ),
        responses={200: PetitionDetailSerializer, 404: _NOT_FOUND},
        tags=["petitions"],
    ),
    create=extend_schema(
        summary=_("Register a case (staff intake)"),
        description=_(
            "JSON, or multipart with one or more files under attachments. The answer carries "
            "the query code the resident needs for a lookup: it is shown in this answer only. "
            "With a client_ref this desk sent before, the answer is that case as it is now (200), "
            "without its query code."
        ),
        request={"application/json": RegisterInput, "multipart/form-data": RegisterInput},
        responses={
            201: RegistrationSerializer,
            200: PetitionDetailSerializer,
            400: _FIELD_ERRORS,
            403: _NOT_PERMITTED,
        },
        tags=["petitions"],
    ),
)
class PetitionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Cases in the caller's view, and the verbs of their lifecycle."""

    serializer_class = PetitionRowSerializer
    filterset_class = PetitionFilter
    pagination_class = PetitionPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return Petition.objects.none()
        cases = petition_list_for_user(self.request.user)
        return list_rows(cases) if self.action == "list" else cases

    # --- Reading -----------------------------------------------------------------------------

    def _case(self, request, pk) -> Petition:
        return petition_get_for_user(request.user, pk)

    def _answer(self, request, pk, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The case as it is now, with its parts and attachments loaded in two queries."""
        petition = self._case(request, pk)
        prefetch_related_objects([petition], "assignments__unit", "attachments")
        data = PetitionDetailSerializer(petition, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def retrieve(self, request, pk=None):
        return self._answer(request, pk)

    def _parse(self, request, pk, input_class) -> tuple[Petition, dict]:
        """The case (404 outside the caller's view, before anything else) and the valid input."""
        petition = self._case(request, pk)
        serializer = input_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        # Without a version, the one this request read: a change made by someone else between
        # that read and the row lock (a colleague transferring the same case) answers 409
        # instead of acting on a case the caller has not seen.
        version = data.pop("version", None)
        data["expected_version"] = petition.version if version is None else version
        return petition, data

    # --- Registering -------------------------------------------------------------------------

    def create(self, request):
        serializer = RegisterInput(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        registration = petition_register(actor=request.user, **serializer.validated_data)
        if registration.replayed:
            # Sent before under this client reference: the case as it is now (its query code
            # went out with the first answer).
            return self._answer(request, registration.petition.pk)
        # The case as registered, its relations already attached: no second read of the row,
        # and its lead assignment, accused and attachments are the ones just written. A new
        # case has no extension request and was never handed down.
        petition = registration.petition
        _in_hand(petition, "assignments", [registration.assignment] if registration.assignment else [])
        _in_hand(petition, "accused", registration.accused)
        _in_hand(petition, "attachments", registration.attachments)
        _in_hand(petition, "referrals", [])
        petition._pending_extension = None
        context = {**self.get_serializer_context(), "query_code": registration.query_code}
        response = Response(registration_answer(petition, context), status=status.HTTP_201_CREATED)
        # The query code is a secret: no cache, no proxy and no browser history keeps it.
        response["Cache-Control"] = "no-store"
        return response

    # --- The verbs: one POST each, made from `workflow.VERBS` below the class ---------------------

    def _take(self, request, pk, verb: workflow.Verb):
        """Parse the verb's input, call its service, answer the case as it now stands."""
        petition, data = self._parse(request, pk, getattr(serializers, verb.serializer))
        getattr(services, verb.service)(petition_id=petition.pk, actor=request.user, **data)
        return self._answer(request, pk)

    # --- Timeline and files ----------------------------------------------------------------------

    @_verb(
        _("Reveal the reporter"),
        RevealInput,
        _(
            "A confidential report only: the competent commission sees the reporter and the accused in this "
            "answer, and the reveal is recorded with its reason."
        ),
    )
    @action(detail=True, methods=["post"], url_path="reveal")
    def reveal(self, request, pk=None):
        petition, data = self._parse(request, pk, RevealInput)
        data.pop("expected_version", None)
        petition_reveal(petition_id=petition.pk, actor=request.user, **data)
        petition = self._case(request, pk)
        prefetch_related_objects([petition], "assignments__unit", "attachments")
        context = {**self.get_serializer_context(), "revealed": True}
        response = Response(PetitionDetailSerializer(petition, context=context).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary=_("The case's timeline"),
        responses={200: EventSerializer(many=True), 404: _NOT_FOUND},
        tags=["petitions"],
    )
    @action(detail=True, methods=["get"], url_path="events", pagination_class=None, filterset_class=None)
    def events(self, request, pk=None):
        petition = self._case(request, pk)
        events = events_for_user(request.user, petition)
        return Response(EventSerializer(events, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("The case's files"),
        description=_("Photos and scanned letters, oldest first, each with its download address."),
        responses={200: AttachmentSerializer(many=True), 404: _NOT_FOUND},
        tags=["petitions"],
    )
    @action(detail=True, methods=["get"], url_path="attachments", pagination_class=None, filterset_class=None)
    def attachments(self, request, pk=None):
        petition = self._case(request, pk)
        files = attachments_for_user(request.user, petition)
        return Response(AttachmentSerializer(files, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("Attach a file"),
        description=_("A photo (JPEG, PNG, WebP) or a PDF, judged by its content, not its name."),
        request={"multipart/form-data": AttachmentInput},
        responses={
            201: AttachmentSerializer,
            400: _FIELD_ERRORS,
            403: _NOT_PERMITTED,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
        tags=["petitions"],
    )
    @attachments.mapping.post
    def attach(self, request, pk=None):
        petition, data = self._parse(request, pk, AttachmentInput)
        attachment = petition_attach(
            petition_id=petition.pk, actor=request.user, upload=data["file"], expected_version=data["expected_version"]
        )
        serializer = AttachmentSerializer(attachment, context=self.get_serializer_context())
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Download a file"),
        description=_("Always sent as a download (Content-Disposition: attachment), never shown inline."),
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: _NOT_FOUND},
        tags=["petitions"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
        pagination_class=None,
        filterset_class=None,
    )
    def attachment(self, request, pk=None, attachment_id=None):
        petition = self._case(request, pk)
        found = attachments_for_user(request.user, petition).filter(pk=attachment_id).first()
        if found is None:
            raise Http404
        # Always a download, never shown inline: the browser does not render what a resident sent.
        return FileResponse(
            found.file.open("rb"), as_attachment=True, filename=found.original_name, content_type=found.content_type
        )


def _verb_endpoint(verb: workflow.Verb):
    """`POST /api/v1/petitions/{id}/{verb}/`: the verb's input, its service, the case back."""

    def endpoint(self, request, pk=None):
        return self._take(request, pk, verb)

    endpoint.__name__ = endpoint.__qualname__ = verb.attr
    routed = action(detail=True, methods=["post"], url_path=verb.name, url_name=verb.name)(endpoint)
    return _verb(verb.summary, getattr(serializers, verb.serializer), verb.help)(routed)


for _case_verb in workflow.VERBS.values():
    if _case_verb.api:
        setattr(PetitionViewSet, _case_verb.attr, _verb_endpoint(_case_verb))


@extend_schema_view(
    list=extend_schema(summary=_("Categories"), description=_("The active categories with their default deadlines.")),
    retrieve=extend_schema(summary=_("One category, by code")),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Categories are reference data: every signed-in caller sees all active ones."""

    serializer_class = CategorySerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return Category.objects.filter(is_active=True).order_by("sort_order", "code")


# --- Supervision notices (督办单) ---------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary=_("Supervision notices"),
        description=_(
            "Notices to your units, and every notice on a case in the regions you supervise. "
            "overdue=true lists those past their deadline with no answer (the commission's list)."
        ),
        parameters=[OpenApiParameter("overdue", OpenApiTypes.BOOL)],
        tags=["supervision notices"],
    ),
    retrieve=extend_schema(
        summary=_("One supervision notice"),
        description=_("Opening it as staff of the unit it is addressed to records when the unit read it."),
        responses={200: NoticeSerializer, 404: _NOT_FOUND},
        tags=["supervision notices"],
    ),
    create=extend_schema(
        summary=_("Issue a supervision notice"),
        request=NoticeIssueInput,
        responses={201: NoticeSerializer, 400: _FIELD_ERRORS, 403: _NOT_PERMITTED, 404: _NOT_FOUND},
        tags=["supervision notices"],
    ),
)
class SupervisionNoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Supervision notices: a supervisor issues one, the unit opens and answers it."""

    serializer_class = NoticeSerializer
    filterset_class = None

    def get_queryset(self):
        from petitions.selectors import notices_unanswered_overdue_for, notices_visible_to

        if getattr(self, "swagger_fake_view", False):
            from petitions.models import SupervisionNotice

            return SupervisionNotice.objects.none()
        if self.request.query_params.get("overdue") in ("true", "1"):
            return notices_unanswered_overdue_for(self.request.user)
        return notices_visible_to(self.request.user).order_by("-created_at", "-id")

    def create(self, request):
        from petitions.services import notice_issue

        serializer = NoticeIssueInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        petition = petition_get_for_user(request.user, data["petition"])
        notice = notice_issue(
            petition_id=petition.pk, actor=request.user, text=data["text"], unit=data.get("unit"), days=data.get("days")
        )
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        from petitions.selectors import notice_get_for_user
        from petitions.services import notice_open

        notice = notice_get_for_user(request.user, pk)
        notice_open(notice_id=notice.pk, actor=request.user)
        return Response(NoticeSerializer(notice_get_for_user(request.user, pk)).data)

    @extend_schema(
        summary=_("Answer the notice"),
        description=_("The unit's written explanation, once."),
        request=NoticeAnswerInput,
        responses={200: NoticeSerializer, 400: _FIELD_ERRORS, 403: _NOT_PERMITTED, 404: _NOT_FOUND, 409: _CONFLICT},
        tags=["supervision notices"],
    )
    @action(detail=True, methods=["post"], url_path="answer")
    def answer(self, request, pk=None):
        from petitions.selectors import notice_get_for_user
        from petitions.services import notice_answer

        notice = notice_get_for_user(request.user, pk)
        serializer = NoticeAnswerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        notice_answer(notice_id=notice.pk, actor=request.user, text=serializer.validated_data["answer"])
        return Response(NoticeSerializer(notice_get_for_user(request.user, pk)).data)


# --- Referrals (交办单): five-level linkage ---------------------------------------------------------

_REFERRAL_NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("No such referral in your view."))


def _referral_verb(summary, request_serializer, description):
    return extend_schema(
        summary=summary,
        description=description,
        request=request_serializer,
        responses={
            200: ReferralSerializer,
            400: _FIELD_ERRORS,
            403: _NOT_PERMITTED,
            404: _REFERRAL_NOT_FOUND,
            409: _CONFLICT,
        },
        tags=["referrals"],
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("Referrals"),
        description=_(
            "The referrals your units sent (direction=sent) or received (direction=received), and those on "
            "cases in the regions you supervise; owing reports due soonest first. overdue=true: reports "
            "owed past their due date."
        ),
        parameters=[ReferralQuery],
        tags=["referrals"],
    ),
    retrieve=extend_schema(
        summary=_("One referral"), responses={200: ReferralSerializer, 404: _REFERRAL_NOT_FOUND}, tags=["referrals"]
    ),
)
class ReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A case handed down: the unit below reports, the unit above accepts or returns."""

    serializer_class = ReferralSerializer
    filterset_class = None
    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        query = ReferralQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return referral_list_for_user(self.request.user, **query.validated_data)

    def get_object(self):
        return referral_get_for_user(self.request.user, self.kwargs["pk"])

    def _decide(self, request, pk, input_class, service):
        referral = referral_get_for_user(request.user, pk)
        serializer = input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        service(
            referral_id=referral.pk,
            actor=request.user,
            expected_version=referral.version if version is None else version,
            **data,
        )
        return Response(ReferralSerializer(referral_get_for_user(request.user, pk)).data)

    @_referral_verb(
        _("Report the result"),
        ReferralReportInput,
        _("The unit the case was handed down to reports to the unit that handed it down."),
    )
    @action(detail=True, methods=["post"], url_path="report")
    def report(self, request, pk=None):
        return self._decide(request, pk, ReferralReportInput, services.referral_report)

    @_referral_verb(
        _("Accept the report as done"),
        ReferralAcceptInput,
        _("The unit that handed the case down accepts the report."),
    )
    @action(detail=True, methods=["post"], url_path="accept")
    def accept(self, request, pk=None):
        return self._decide(request, pk, ReferralAcceptInput, services.referral_accept)

    @_referral_verb(
        _("Return for re-handling"),
        ReferralReturnInput,
        _("With the reason and a new due date: the case reopens at the unit below."),
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_report(self, request, pk=None):
        return self._decide(request, pk, ReferralReturnInput, services.referral_return)
