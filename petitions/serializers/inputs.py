"""The petitions API's inputs (DESIGN.md §8): one serializer per verb, and registration.

Inputs only parse and type-check; every rule about the case (state, who may act, which
unit, how many days) is the service's, which answers in the same error shape.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from petitions.models import (
    AccusedPerson,
    Category,
    Channel,
    Disposition,
    Satisfaction,
)
from petitions.selectors import (
    active_category,
)
from stations.models import Region, Unit
from stations.selectors import region_with_parent


class VersionedInput(serializers.Serializer):
    """Every verb takes the version of the case the caller saw (optional)."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The case's version as you last saw it. If someone changed the case since, "
            "nothing is done and the answer is 409 with code stale_version."
        ),
    )


def any_unit():
    # Any unit may be named; the service decides whether the case may go there.
    return Unit.objects.select_related("region")


class AcceptInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RejectInput(VersionedInput):
    reason = serializers.CharField(max_length=2000, help_text=_("Why the case is not accepted."))
    guidance = serializers.CharField(max_length=2000, help_text=_("Where the resident should go instead."))


class AssignInput(VersionedInput):
    unit = serializers.PrimaryKeyRelatedField(queryset=any_unit(), help_text=_("The lead unit (id)."))
    co_units = serializers.PrimaryKeyRelatedField(
        queryset=any_unit(), many=True, required=False, default=list, help_text=_("Co-handling units (ids).")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class TransferInput(VersionedInput):
    unit = serializers.PrimaryKeyRelatedField(queryset=any_unit(), help_text=_("The unit that takes the case (id)."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class HandDownInput(VersionedInput):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=any_unit(), help_text=_("A unit in a region below yours that covers the case's village (id).")
    )
    report_due = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The working day by which the result is reported; 15 working days when not given."),
    )
    instructions = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReferUpInput(VersionedInput):
    unit = serializers.PrimaryKeyRelatedField(queryset=any_unit(), help_text=_("A unit above yours (id)."))
    reason = serializers.CharField(max_length=2000, help_text=_("Why the case is beyond this level's remit."))


class ReferralVersionedInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_(
            "The referral's version as you last saw it. If someone decided on it since, nothing is done and "
            "the answer is 409 with code stale_version."
        ),
    )


class ReferralReportInput(ReferralVersionedInput):
    text = serializers.CharField(max_length=5000, help_text=_("The result, as reported to the unit above."))


class ReferralAcceptInput(ReferralVersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReferralReturnInput(ReferralVersionedInput):
    reason = serializers.CharField(max_length=4000, help_text=_("Why the report is returned for re-handling."))
    report_due = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The working day the new report is due; 15 working days when not given."),
    )


class ReturnInput(VersionedInput):
    reason = serializers.CharField(max_length=2000, help_text=_("Why the case is not for this unit."))


class NoteInput(VersionedInput):
    text = serializers.CharField(max_length=5000)
    public = serializers.BooleanField(
        required=False, default=False, help_text=_("Whether the resident sees the note on their lookup.")
    )


class RequestExtensionInput(VersionedInput):
    days = serializers.IntegerField(min_value=1, help_text=_("How many days more (at most the category's limit)."))
    reason = serializers.CharField(max_length=2000)


class DecisionInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReplyInput(VersionedInput):
    text = serializers.CharField(
        max_length=5000,
        help_text=_("The reply to the resident; from a co-handling unit, its part of the reply."),
    )


class CloseInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SettleInput(VersionedInput):
    text = serializers.CharField(max_length=5000, help_text=_("How the matter was settled on the spot."))


class RateInput(VersionedInput):
    satisfaction = serializers.ChoiceField(
        # The full set keeps one enum in the schema; the service refuses no_response (400).
        choices=Satisfaction.choices,
        help_text=_("The rating the resident gave (by phone, or at the desk): not no_response."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class AttachmentInput(VersionedInput):
    file = serializers.FileField(help_text=_("A photo (JPEG, PNG, WebP) or a PDF."))


class AccusedInput(serializers.Serializer):
    """An official the report names (被反映人)."""

    name = serializers.CharField(max_length=60)
    post = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    unit = serializers.PrimaryKeyRelatedField(
        queryset=any_unit(), required=False, allow_null=True, default=None, help_text=_("The official's unit (id).")
    )


class RevealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text=_("Why you need to see who made the report."))


class PersonOutcomeInput(serializers.Serializer):
    """One accused person's outcome (每人一个处置结果)."""

    accused = serializers.IntegerField(help_text=_("The accused person's id, as the case lists them."))
    outcome = serializers.ChoiceField(choices=Disposition.Kind.choices)
    sanction = serializers.ChoiceField(
        choices=Disposition.Sanction.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("After a case opened for review or a transfer to the judiciary only."),
    )


class DisposeInput(VersionedInput):
    kind = serializers.ChoiceField(
        choices=Disposition.Kind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The case's disposition; with people, the weightiest of theirs when not given."),
    )
    people = PersonOutcomeInput(
        many=True,
        required=False,
        default=list,
        help_text=_("Each accused person's own outcome and sanction; the case's count and kind follow from them."),
    )
    sanctioned_count = serializers.IntegerField(min_value=0, max_value=999, required=False, default=0)
    sanction_kind = serializers.ChoiceField(
        choices=Disposition.Sanction.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class CategoryCodeField(serializers.SlugRelatedField):
    """An active category by its code, from the process's copy of the categories (no query)."""

    def to_internal_value(self, data):
        category = active_category(data) if isinstance(data, str) else None
        if category is None:
            self.fail("does_not_exist" if isinstance(data, str) else "invalid", slug_name=self.slug_field, value=data)
        return category


class VillageCodeField(serializers.SlugRelatedField):
    """A region by its code, with its parent, from the process's copy (`region_with_parent`)."""

    def to_internal_value(self, data):
        region = region_with_parent(data) if isinstance(data, str) else None
        if region is None:
            self.fail("does_not_exist" if isinstance(data, str) else "invalid", slug_name=self.slug_field, value=data)
        return region


class RegisterInput(serializers.Serializer):
    """Staff intake (登记), exactly the fields of the API contract."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    category = CategoryCodeField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        help_text=_("The category code, e.g. infrastructure."),
    )
    region = VillageCodeField(
        slug_field="code",
        # The township comes with the village: registration routes the case to its centre.
        queryset=Region.objects.select_related("parent"),
        help_text=_("The 12-digit code of the village (community) where it happened."),
    )
    title = serializers.CharField(max_length=120)
    content = serializers.CharField(max_length=5000)
    complainant_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    complainant_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    anonymous = serializers.BooleanField(required=False, default=False)
    complainant_id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    intake_unit = serializers.PrimaryKeyRelatedField(
        queryset=any_unit(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The intake unit registering the case (id); needed only by staff of several desks."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=_("Photos or scanned letters (multipart only), at most 5."),
    )
    received_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "When the grievance reached the desk (a paper ledger, an offline desk, a hotline's record); now when "
            "not given. Not in the future; older than the configured window (90 days) only with late_reason. The "
            "acceptance deadline and the monthly statistics count from it."
        ),
    )
    late_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text=_("Why a grievance received long ago is registered only now."),
    )
    codes_by_sms = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Text the tracking number and query code to the complainant's phone (a case registered after the "
            "resident left, e.g. from an offline desk)."
        ),
    )
    client_ref = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text=_(
            "Your own unique id for the case (an offline desk's, a hotline system's): sent again from the same "
            "desk, the answer is the case already registered (200), never a second one."
        ),
    )
    accused = AccusedInput(
        many=True,
        required=False,
        default=list,
        # Refused before a single unit is looked up.
        max_length=AccusedPerson.MAX_PER_REPORT,
        help_text=_("Reports against officials: the people named (JSON only)."),
    )
