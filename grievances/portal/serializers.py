"""Input and output of the public API (no login): explicit, and nothing staff-only in them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from petitions.models import Category, Satisfaction
from stations.models import Region


class PublicSubmitInput(serializers.Serializer):
    county = serializers.CharField(
        max_length=12, required=False, help_text=_("County code; optional when the portal serves one county.")
    )
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.filter(is_active=True))
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.filter(level=Region.Level.VILLAGE),
        help_text=_("The 12-digit code of the village where it happened."),
    )
    title = serializers.CharField(max_length=120)
    content = serializers.CharField(max_length=5000)
    anonymous = serializers.BooleanField(default=False)
    complainant_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    complainant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list, max_length=5)


class PublicReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    query_code = serializers.CharField(help_text=_("Shown once: only its hash is stored."))
    status = serializers.CharField()
    acceptance_due_at = serializers.DateTimeField()
    track_url = serializers.CharField(help_text=_("The lookup page."))
    private_url = serializers.CharField(
        allow_blank=True, help_text=_("The private link (when a phone was given); shown once.")
    )
    device_token = serializers.CharField(help_text=_("Send it with later lookups of this case (see lookup)."))


class LookupInput(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=20)
    query_code = serializers.CharField(max_length=12)
    device_token = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "The device token an earlier lookup of this case returned: with it, the code is checked "
            "even while this case or this address is refused after wrong codes from elsewhere."
        ),
    )


class RateInputPublic(LookupInput):
    satisfaction = serializers.ChoiceField(
        # The full set keeps one enum in the schema; the service refuses no_response (400).
        choices=Satisfaction.choices,
        help_text=_("satisfied, basically_satisfied or unsatisfied."),
    )
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReviewInputPublic(LookupInput):
    reason = serializers.CharField(max_length=2000)


class PublicStepSerializer(serializers.Serializer):
    verb = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


class PublicCaseSerializer(serializers.Serializer):
    """A case as the resident sees it: status, deadlines, the reply and the resident-visible steps."""

    tracking_number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    category = serializers.CharField()
    title = serializers.CharField()
    registered_at = serializers.DateTimeField()
    acceptance_due_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    replied_at = serializers.DateTimeField(allow_null=True)
    reply = serializers.CharField()
    rejection_reason = serializers.CharField()
    rejection_guidance = serializers.CharField()
    satisfaction = serializers.CharField()
    satisfaction_label = serializers.CharField()
    can_rate = serializers.BooleanField()
    can_request_review = serializers.BooleanField()
    review_window_ends = serializers.DateTimeField(allow_null=True)
    steps = PublicStepSerializer(many=True)
    device_token = serializers.CharField(
        required=False, help_text=_("Keep it for this case and send it with the next lookup, rating or review.")
    )
