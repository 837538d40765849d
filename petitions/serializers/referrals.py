"""The referral (交办单) as the API shows it: who handed the case down to whom, the
instructions, when the report is due, the report, the decision, and its steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from petitions.models import Referral
from petitions.serializers.outputs import UnitRefSerializer


class ReferralSerializer(serializers.ModelSerializer):
    """A referral, as the units that sent or received it (and their supervisors) see it."""

    petition = serializers.IntegerField(source="petition_id", read_only=True)
    tracking_number = serializers.CharField(source="petition.tracking_number", read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    from_unit = UnitRefSerializer(read_only=True)
    to_unit = UnitRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.BooleanField(
        source="is_overdue", read_only=True, help_text=_("A report owed past its due date.")
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "petition",
            "tracking_number",
            "parent",
            "from_unit",
            "to_unit",
            "instructions",
            "status",
            "status_label",
            "report_due_at",
            "overdue",
            "created_at",
            "report_text",
            "reported_at",
            "decided_at",
            "decision_note",
            "returns",
            "version",
        ]
        read_only_fields = fields


class ReferralQuery(serializers.Serializer):
    """The referral list's query: which direction, which status, only the overdue."""

    direction = serializers.ChoiceField(
        choices=[("sent", _("sent")), ("received", _("received"))],
        required=False,
        help_text=_("sent: handed down by your units; received: handed down to them; both when not given."),
    )
    status = serializers.ChoiceField(choices=Referral.Status.choices, required=False)
    overdue = serializers.BooleanField(required=False, default=False, help_text=_("Reports owed past their due date."))
    petition = serializers.IntegerField(required=False, min_value=1, help_text=_("The referrals of one case (its id)."))
