"""Supervision notices (督办单) in the API: issuing, answering, and the notice as shown."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from petitions.serializers.inputs import any_unit
from petitions.serializers.outputs import UnitRefSerializer


class NoticeIssueInput(serializers.Serializer):
    # A plain id: the view looks it up through the visibility selector, so a case that does
    # not exist and one outside the caller's view both answer 404.
    petition = serializers.IntegerField(min_value=1, help_text=_("The case (id)."))
    unit = serializers.PrimaryKeyRelatedField(
        queryset=any_unit(),
        required=False,
        allow_null=True,
        help_text=_("The unit (id); the holding unit if left out."),
    )
    text = serializers.CharField(max_length=4000, help_text=_("What the unit must do."))
    days = serializers.IntegerField(required=False, min_value=1, max_value=30, help_text=_("Working days to answer."))


class NoticeAnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=4000, help_text=_("The written explanation."))


class NoticeSerializer(serializers.ModelSerializer):
    petition = serializers.SerializerMethodField()
    unit = UnitRefSerializer(read_only=True)
    issuing_unit = UnitRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        from petitions.models import SupervisionNotice

        model = SupervisionNotice
        fields = [
            "id",
            "petition",
            "unit",
            "issuing_unit",
            "severity",
            "text",
            "created_at",
            "due_at",
            "read_at",
            "answer",
            "answered_at",
            "missed_at",
            "overdue",
        ]

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "tracking_number": {"type": "string"}}}
    )
    def get_petition(self, notice) -> dict:
        return {"id": notice.petition_id, "tracking_number": notice.petition.tracking_number}
