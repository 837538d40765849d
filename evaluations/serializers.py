"""Shapes of the appraisals API: what it answers, and the inputs of its verbs.

Inputs only parse and type-check; every rule about a campaign (its state, who may act, the
weights adding up to 100, a hearing score between 0 and 100, a veto's reason) is the
service's, which answers in the same error shape. The regions and units an input may name
are those in the caller's view: any other id is refused as not existing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from evaluations.models import (
    AppraisalEvent,
    Band,
    Campaign,
    Participant,
    Question,
    RectificationItem,
    SelfInspectionReport,
)
from stations.models import Region, Unit
from stations.selectors import regions_visible_to, units_visible_to


class CampaignSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "year",
            "region",
            "region_code",
            "region_name",
            "state",
            "period_start",
            "period_end",
            "commitment_on",
            "self_inspection_on",
            "hearing_on",
            "rectification_on",
            "questionnaire_on",
            "weight_questionnaire",
            "weight_hearing",
            "weight_cases",
            "satisfied_min",
            "basic_min",
            "published_at",
        ]
        read_only_fields = fields


class ResultSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="unit.name", read_only=True)
    station_id = serializers.IntegerField(source="unit_id", read_only=True)
    # Empty until scored (a read-only model field would drop the blank from the schema).
    band = serializers.ChoiceField(choices=Band.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Participant
        fields = [
            "rank",
            "station_id",
            "station",
            "questionnaire_score",
            "hearing_score",
            "case_score",
            "composite",
            "band",
            "vetoed",
            "veto_reason",
            "responses",
            "cases",
            "on_time_rate",
            "satisfaction_rate",
            "repeat_rate",
        ]
        read_only_fields = fields


class ResultsSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    results = ResultSerializer(many=True)


class ReportSerializer(serializers.ModelSerializer):
    """A station's self-inspection report (自查自纠报告): its file's name, type and size."""

    station_id = serializers.IntegerField(source="participant.unit_id", read_only=True)

    class Meta:
        model = SelfInspectionReport
        fields = ["id", "station_id", "original_name", "content_type", "size", "created_at"]
        read_only_fields = fields


class StationSerializer(ResultSerializer):
    """A station of a campaign as the commission sees it: its result so far, its public
    commitments (公开承诺) and its self-inspection reports."""

    commitments = serializers.SlugRelatedField(many=True, read_only=True, slug_field="text")
    reports = ReportSerializer(many=True, read_only=True)

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "commitments", "reports"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "text", "sort_order"]
        read_only_fields = fields


class RectificationSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "owner",
            "owner_name",
            "description",
            "deadline",
            "status",
            "evidence",
            "done_at",
            "reminded_at",
            "created_at",
        ]
        read_only_fields = fields


class AppraisalEventSerializer(serializers.ModelSerializer):
    """One step of the campaign's audit trail (评议记录)."""

    verb_label = serializers.CharField(source="get_verb_display", read_only=True)
    actor = serializers.SerializerMethodField(help_text=_("Who acted; empty when the system did."))
    station_id = serializers.IntegerField(source="participant.unit_id", read_only=True, allow_null=True)
    station = serializers.CharField(source="participant.unit.name", read_only=True, allow_null=True)
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = AppraisalEvent
        fields = [
            "id",
            "verb",
            "verb_label",
            "actor",
            "station_id",
            "station",
            "rectification",
            "note",
            "data",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, event: AppraisalEvent) -> str:
        return event.actor.get_full_name() if event.actor is not None else ""


# --- Inputs --------------------------------------------------------------------------------------


class _InView(serializers.PrimaryKeyRelatedField):
    """An id among the rows the caller may see (`view(user)`); any other is "does not exist"."""

    def __init__(self, view, **kwargs):
        self.view = view
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.view(self.context["request"].user)


def _stations_field(**kwargs) -> serializers.ManyRelatedField:
    return _InView(units_visible_to, many=True, help_text=_("Units of kind station (ids)."), **kwargs)


class CampaignCreateInput(serializers.Serializer):
    region = _InView(
        regions_visible_to,
        queryset=Region.objects.none(),
        help_text=_("The county or township whose stations are appraised (id)."),
    )
    name = serializers.CharField()
    year = serializers.IntegerField()
    period_start = serializers.DateField(help_text=_("The case record counts the cases registered from this day."))
    period_end = serializers.DateField(help_text=_("The case record counts the cases registered until this day."))
    commitment_on = serializers.DateField(required=False, allow_null=True, default=None)
    self_inspection_on = serializers.DateField(required=False, allow_null=True, default=None)
    hearing_on = serializers.DateField(required=False, allow_null=True, default=None)
    rectification_on = serializers.DateField(required=False, allow_null=True, default=None)
    questionnaire_on = serializers.DateField(required=False, allow_null=True, default=None)
    weight_questionnaire = serializers.IntegerField(required=False, default=50)
    weight_hearing = serializers.IntegerField(required=False, default=30)
    weight_cases = serializers.IntegerField(required=False, default=20)
    satisfied_min = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=90)
    basic_min = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=70)
    stations = _stations_field(
        queryset=Unit.objects.none(),
        required=False,
        allow_empty=True,
    )

    STAGES = ("commitment_on", "self_inspection_on", "hearing_on", "rectification_on", "questionnaire_on")


class StationsInput(serializers.Serializer):
    stations = _stations_field(queryset=Unit.objects.none(), allow_empty=True)


class WeightsInput(serializers.Serializer):
    weight_questionnaire = serializers.IntegerField(help_text=_("Percent; the three weights add up to 100."))
    weight_hearing = serializers.IntegerField()
    weight_cases = serializers.IntegerField()
    satisfied_min = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("A composite from this score up is a satisfied unit.")
    )
    basic_min = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("From this score up, a basically satisfied unit.")
    )


class QuestionInput(serializers.Serializer):
    text = serializers.CharField(help_text=_("Answered on a scale of 1 (very unsatisfied) to 5 (very satisfied)."))


class CommitmentsInput(serializers.Serializer):
    texts = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text=_("The station's promises, e.g. 首问首办, 一次性告知, 限时办结; they replace the earlier list."),
    )


class HearingInput(serializers.Serializer):
    # The range is the service's to check: one rule, one message.
    score = serializers.DecimalField(max_digits=6, decimal_places=2, help_text=_("From 0 to 100."))


class VetoInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class ReportInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("A PDF or a photo (JPEG, PNG, WebP), judged by its content."))


class RectificationInput(serializers.Serializer):
    owner = _InView(units_visible_to, queryset=Unit.objects.none(), help_text=_("The unit that puts it right (id)."))
    description = serializers.CharField(allow_blank=True, max_length=2000)
    deadline = serializers.DateField()


class RectificationDoneInput(serializers.Serializer):
    evidence = serializers.CharField(allow_blank=True, max_length=2000, help_text=_("What was done."))
