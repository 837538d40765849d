"""What the petitions API answers (DESIGN.md §8): case rows and pages, a case in full with
what the caller may see of it, the registration's answer, the timeline, categories, errors."""

from __future__ import annotations

import copy

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from petitions.masking import CONFIDENTIAL, mask_id_number, mask_name, mask_phone
from petitions.models import (
    Assignment,
    Attachment,
    Category,
    Petition,
    PetitionEvent,
    Satisfaction,
)
from petitions.selectors import (
    allowed_actions,
    confidential_identities,
    confidential_shell,
    personal_data_visible,
)


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class PetitionRowSerializer(serializers.ModelSerializer):
    """One row of the case list: no personal data, nothing that needs a query per row."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    category = CodeNameSerializer(read_only=True)
    region = CodeNameSerializer(read_only=True)
    holder_unit = UnitRefSerializer(read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Petition
        fields = [
            "id",
            "tracking_number",
            "status",
            "status_label",
            "channel",
            "channel_label",
            "category",
            "region",
            "holder_unit",
            "title",
            "created_at",
            "current_due_at",
            "overdue",
            "version",
        ]
        read_only_fields = fields

    def to_representation(self, petition: Petition) -> dict:
        """The declared fields, built directly: the labels, the clock and the date format are
        worked out once per page (a list reuses this serializer for every row), not per row
        and per field through DRF's generic machinery. Same keys, in the order of
        `Meta.fields`, and the values DRF gives them: a field added there is added here."""
        page = self._page()
        category, region, unit = petition.category, petition.region, petition.holder_unit
        due = petition.current_due_at
        return {
            "id": petition.pk,
            "tracking_number": petition.tracking_number,
            "status": petition.status,
            "status_label": page.status_labels.get(petition.status, petition.status),
            "channel": petition.channel,
            "channel_label": page.channel_labels.get(petition.channel, petition.channel),
            "category": None if category is None else {"code": category.code, "name": category.name},
            "region": None if region is None else {"code": region.code, "name": region.name},
            "holder_unit": None if unit is None else {"id": unit.pk, "name": unit.name},
            # A shell (a report seen only by the desk that logged it) shows no title.
            "title": page.confidential if getattr(petition, "shell", False) else petition.title,
            "created_at": page.datetime(petition.created_at),
            "current_due_at": None if due is None else page.datetime(due),
            "overdue": due is not None and due < page.now,
            "version": petition.version,
        }

    def _page(self) -> _RowPage:
        language = get_language()
        page = getattr(self, "_row_page", None)
        if page is None or page.language != language:
            page = self._row_page = _RowPage(language)
        return page


class _RowPage:
    """What every row of one page shares: the choice labels in the active language, the
    time the page is read at (what `Petition.is_overdue` compares with) and the date format."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self.status_labels = {value: str(label) for value, label in Petition._meta.get_field("status").flatchoices}
        self.channel_labels = {value: str(label) for value, label in Petition._meta.get_field("channel").flatchoices}
        self.now = timezone.now()
        self.confidential = str(CONFIDENTIAL)
        field = serializers.DateTimeField()
        self.datetime = field.to_representation


class PartSerializer(serializers.ModelSerializer):
    """A unit's part in the case: the lead unit or a co-handling unit."""

    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = ["unit", "role", "active", "due_at", "replied_at", "reply_text"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    type = serializers.CharField(source="content_type", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "type", "size", "created_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse("petition-attachment", kwargs={"pk": attachment.petition_id, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class PetitionDetailSerializer(serializers.ModelSerializer):
    """One case as its viewer may see it. The complainant's name, phone and ID number are
    masked for viewers who do not need them (`selectors.personal_data_visible`)."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    category = CodeNameSerializer(read_only=True)
    region = CodeNameSerializer(read_only=True)
    intake_unit = UnitRefSerializer(read_only=True, allow_null=True)
    holder_unit = UnitRefSerializer(read_only=True)
    complainant_name = serializers.SerializerMethodField()
    complainant_phone = serializers.SerializerMethodField()
    complainant_id_number = serializers.SerializerMethodField()
    personal_data_masked = serializers.SerializerMethodField(
        help_text=_("Whether the complainant's name, phone and ID number are masked for you.")
    )
    accused = serializers.SerializerMethodField(
        help_text=_(
            "Reports against officials: the people named (name, post, unit). On a confidential report the "
            "names, like the complainant's data, read “confidential” except in the answer to a reveal."
        )
    )
    due_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("The handling deadline; empty until the case is accepted.")
    )
    current_due_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("The deadline that applies now (acceptance, handling or review); empty once replied."),
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    reply = serializers.CharField(source="reply_text", read_only=True)
    # Empty until the resident rates (a read-only model field would drop the blank from the schema).
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True, read_only=True)
    repeat_of = serializers.SlugRelatedField(
        slug_field="tracking_number",
        read_only=True,
        allow_null=True,
        help_text=_("The tracking number of the earlier case this one repeats."),
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text=_(
            "The verbs you may take on this case now. co-reply means you reply as a co-handling unit (POST reply)."
        )
    )
    parts = serializers.SerializerMethodField(help_text=_("The lead unit and the co-handling units, current first."))
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Petition
        fields = [
            "id",
            "tracking_number",
            "status",
            "status_label",
            "channel",
            "channel_label",
            "category",
            "region",
            "level",
            "intake_unit",
            "holder_unit",
            "title",
            "content",
            "anonymous",
            "complainant_name",
            "complainant_phone",
            "complainant_id_number",
            "accused",
            "personal_data_masked",
            "received_at",
            "created_at",
            "late_reason",
            "acceptance_due_at",
            "accepted_at",
            "due_at",
            "extended_days",
            "current_due_at",
            "overdue",
            "replied_at",
            "closed_at",
            "rejection_reason",
            "rejection_guidance",
            "reply",
            "settled_on_the_spot",
            "satisfaction",
            "rating_comment",
            "rated_at",
            "review_count",
            "repeat_of",
            "repeat_count",
            "level_skipping",
            "client_ref",
            "version",
            "allowed_actions",
            "parts",
            "attachments",
        ]
        read_only_fields = fields

    # What a shell (`selectors.confidential_shell`) leaves out of a report against officials:
    # the desk that logged it sees that it was registered and handed on, and its status.
    SHELL_BLANK = {
        "reply": "",
        "rejection_reason": "",
        "rejection_guidance": "",
        "rating_comment": "",
        "accused": [],
        "parts": [],
        "attachments": [],
        "allowed_actions": [],
    }

    def to_representation(self, petition: Petition) -> dict:
        return self.confidential_parts(super().to_representation(petition), petition)

    def confidential_parts(self, data: dict, petition: Petition) -> dict:
        """A report against officials never points to another case nor counts one (links
        written before that rule included); a shell shows none of what it says."""
        if petition.category.confidential:
            data.update(repeat_of=None, repeat_count=0)
            if confidential_shell(self.context["request"].user, petition):
                word = str(CONFIDENTIAL)
                data.update(self.SHELL_BLANK, title=word, content=word)
        return data

    def _masked(self, petition: Petition) -> bool:
        cache = self.context.setdefault("_personal_data_visible", {})
        if petition.pk not in cache:
            cache[petition.pk] = personal_data_visible(self.context["request"].user, petition)
        return not cache[petition.pk]

    def _confidential(self, petition: Petition) -> dict | None:
        """A confidential report's identities as this viewer sees them (None for other cases)."""
        if not petition.category.confidential:
            return None
        cache = self.context.setdefault("_confidential_identities", {})
        if petition.pk not in cache:
            cache[petition.pk] = confidential_identities(
                self.context["request"].user, petition, revealed=self.context.get("revealed", False)
            )
        return cache[petition.pk]

    def get_personal_data_masked(self, petition: Petition) -> bool:
        confidential = self._confidential(petition)
        return confidential["masked"] if confidential else self._masked(petition)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_accused(self, petition: Petition) -> list[dict]:
        confidential = self._confidential(petition)
        if confidential:
            return confidential["accused"]
        return [
            {"name": p.name, "post": p.post, "unit": p.unit.name if p.unit_id else ""}
            for p in petition.accused.select_related("unit")
        ]

    def get_complainant_name(self, petition: Petition) -> str:
        if confidential := self._confidential(petition):
            return confidential["name"]
        return mask_name(petition.complainant_name) if self._masked(petition) else petition.complainant_name

    def get_complainant_phone(self, petition: Petition) -> str:
        if confidential := self._confidential(petition):
            return confidential["phone"]
        return mask_phone(petition.complainant_phone) if self._masked(petition) else petition.complainant_phone

    def get_complainant_id_number(self, petition: Petition) -> str:
        if confidential := self._confidential(petition):
            return confidential["id_number"]
        if self._masked(petition):
            return mask_id_number(petition.complainant_id_number)
        return petition.complainant_id_number

    def get_allowed_actions(self, petition: Petition) -> list[str]:
        return sorted(allowed_actions(self.context["request"].user, petition))

    @extend_schema_field(PartSerializer(many=True))
    def get_parts(self, petition: Petition) -> list[dict]:
        parts = sorted(petition.assignments.all(), key=lambda part: (not part.active, part.role != "lead", part.pk))
        return PartSerializer(parts, many=True, context=self.context).data


class RegistrationSerializer(PetitionDetailSerializer):
    """The answer to a registration: the case, with its query code (shown this once only)."""

    query_code = serializers.SerializerMethodField(
        help_text=_("The code the resident needs to look the case up. Shown in this answer only: print it now.")
    )
    due_at = serializers.DateTimeField(
        source="acceptance_due_at",
        read_only=True,
        help_text=_("For a newly registered case: the deadline to decide acceptance (acceptance_due_at)."),
    )

    class Meta(PetitionDetailSerializer.Meta):
        fields = [*PetitionDetailSerializer.Meta.fields, "query_code"]
        read_only_fields = fields

    def get_fields(self):
        # The same fields for every answer: the model is introspected once per process, and
        # each answer gets its own copy (as DRF copies declared fields).
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)

    def get_query_code(self, petition: Petition) -> str:
        return self.context["query_code"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_accused(self, petition: Petition) -> list[dict]:
        # The people just named, when the caller put them in hand (`api` create): no read back.
        in_hand = getattr(petition, "_prefetched_objects_cache", {}).get("accused")
        if in_hand is None or self._confidential(petition):
            return super().get_accused(petition)
        return [{"name": p.name, "post": p.post, "unit": p.unit.name if p.unit_id else ""} for p in in_hand]


_DATETIME = serializers.DateTimeField()


def registration_answer(petition: Petition, context: dict) -> dict:
    """`RegistrationSerializer(petition, context=context).data`, built directly: the answer to
    every registration, where DRF's field copies cost about a millisecond (bench/README.md, W1).
    The method fields are the serializer's own methods; tests/petitions/test_register_queries.py
    proves the answer equals a read of the case, field for field."""
    own = RegistrationSerializer(petition, context=context)  # no fields are built for the methods
    when = _DATETIME.to_representation
    category, region, intake, holder = petition.category, petition.region, petition.intake_unit, petition.holder_unit
    parts = sorted(petition.assignments.all(), key=lambda part: (not part.active, part.role != "lead", part.pk))
    attachments = list(petition.attachments.all())
    answer = {
        "id": petition.pk,
        "tracking_number": petition.tracking_number,
        "status": petition.status,
        "status_label": str(petition.get_status_display()),
        "channel": petition.channel,
        "channel_label": str(petition.get_channel_display()),
        "category": {"code": category.code, "name": str(category.name)},
        "region": {"code": region.code, "name": region.name},
        "level": petition.level,
        "intake_unit": {"id": intake.pk, "name": intake.name} if intake is not None else None,
        "holder_unit": {"id": holder.pk, "name": holder.name},
        "title": petition.title,
        "content": petition.content,
        "anonymous": petition.anonymous,
        "complainant_name": own.get_complainant_name(petition),
        "complainant_phone": own.get_complainant_phone(petition),
        "complainant_id_number": own.get_complainant_id_number(petition),
        "accused": own.get_accused(petition),
        "personal_data_masked": own.get_personal_data_masked(petition),
        "received_at": when(petition.received_at),
        "created_at": when(petition.created_at),
        "late_reason": petition.late_reason,
        "acceptance_due_at": when(petition.acceptance_due_at),
        "accepted_at": when(petition.accepted_at),
        "due_at": when(petition.acceptance_due_at),
        "extended_days": petition.extended_days,
        "current_due_at": when(petition.current_due_at),
        "overdue": petition.is_overdue,
        "replied_at": when(petition.replied_at),
        "closed_at": when(petition.closed_at),
        "rejection_reason": petition.rejection_reason,
        "rejection_guidance": petition.rejection_guidance,
        "reply": petition.reply_text,
        "settled_on_the_spot": petition.settled_on_the_spot,
        "satisfaction": petition.satisfaction,
        "rating_comment": petition.rating_comment,
        "rated_at": when(petition.rated_at),
        "review_count": petition.review_count,
        "repeat_of": petition.repeat_of.tracking_number if petition.repeat_of_id else None,
        "repeat_count": petition.repeat_count,
        "level_skipping": petition.level_skipping,
        "client_ref": petition.client_ref,
        "version": petition.version,
        "allowed_actions": own.get_allowed_actions(petition),
        "parts": [
            {
                "unit": {"id": part.unit.pk, "name": part.unit.name},
                "role": part.role,
                "active": part.active,
                "due_at": when(part.due_at),
                "replied_at": when(part.replied_at),
                "reply_text": part.reply_text,
            }
            for part in parts
        ],
        "attachments": AttachmentSerializer(attachments, many=True, context=context).data if attachments else [],
        "query_code": own.get_query_code(petition),
    }
    return own.confidential_parts(answer, petition)


class EventSerializer(serializers.ModelSerializer):
    """One step on the timeline."""

    verb_label = serializers.CharField(source="get_verb_display", read_only=True)
    actor = serializers.SerializerMethodField(help_text=_("Who acted; empty when the system or the resident did."))
    actor_unit = UnitRefSerializer(read_only=True, allow_null=True)
    from_unit = UnitRefSerializer(read_only=True, allow_null=True)
    to_unit = UnitRefSerializer(read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = PetitionEvent
        fields = [
            "id",
            "verb",
            "verb_label",
            "actor",
            "actor_unit",
            "from_unit",
            "to_unit",
            "note",
            "public",
            "data",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, event: PetitionEvent) -> str:
        return event.actor.get_full_name() if event.actor is not None else ""


class ErrorSerializer(serializers.Serializer):
    """Every refusal: `{"detail", "code"}`."""

    detail = serializers.CharField()
    code = serializers.CharField()


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("The name in the language of the request."))

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "name_zh",
            "name_en",
            "competent_unit_kind",
            "confidential",
            "day_type",
            "acceptance_days",
            "handling_days",
            "extension_max_days",
            "review_request_days",
            "review_days",
        ]
