"""Input and output of the statistics API: the period, region and category asked for, and the
figures answered (aggregates only)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from grievances.stats.units import parse_period
from petitions.models import Category


class StatsSummaryInput(serializers.Serializer):
    region = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("A 12-digit division code.")
    )
    category = serializers.SlugField(required=False, allow_blank=True, help_text=gettext_lazy("A category code."))
    # `from` is a Python keyword: the field is declared under its query-string name below.

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text=gettext_lazy("First day (YYYY-MM-DD)."))
        fields["to"] = serializers.DateField(required=False, help_text=gettext_lazy("Last day (YYYY-MM-DD)."))
        return fields

    def validate(self, attrs):
        today = timezone.localdate()
        attrs["to"] = attrs.get("to") or today
        attrs["from"] = attrs.get("from") or attrs["to"].replace(month=1, day=1)
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": _("The first day must not be after the last day.")})
        if (attrs["to"] - attrs["from"]).days > 366 * 10:
            raise serializers.ValidationError({"from": _("Ask for ten years at most.")})
        code = attrs.get("category")
        attrs["category"] = None
        if code:
            attrs["category"] = Category.objects.filter(code=code).first()
            if attrs["category"] is None:
                raise serializers.ValidationError({"category": _("No such category.")})
        return attrs


class LateRegistrationSerializer(serializers.Serializer):
    cases = serializers.IntegerField(help_text=gettext_lazy("Cases counted (not brought in from the past)."))
    late = serializers.IntegerField(
        help_text=gettext_lazy("Registered one whole day or more after they were received.")
    )
    late_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("late ÷ cases, in percent."))
    median_days = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Median whole days from received to registered, over the cases.")
    )
    mean_days = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("Mean whole days from received to registered, over the cases.")
    )


class StatsSummarySerializer(serializers.Serializer):
    region = serializers.SerializerMethodField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    closed = serializers.IntegerField()
    closure_rate = serializers.FloatField(allow_null=True)
    repeats = serializers.IntegerField()
    by_level = serializers.DictField(child=serializers.IntegerField())
    by_category = serializers.DictField(child=serializers.IntegerField())
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_satisfaction = serializers.DictField(child=serializers.IntegerField())
    by_source = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy(
            "Cases by where they came from: own intake, handed down by the city, handed down by the province, "
            "referred up from below."
        ),
    )
    by_month = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy("Cases by the month they were received (YYYY-MM), not registered."),
    )
    late_registration = LateRegistrationSerializer(
        help_text=gettext_lazy(
            "How late the cases were registered after they reached a desk (cases brought in from the county's "
            "past are left out)."
        )
    )
    by_child_region = serializers.ListField(
        child=serializers.DictField(),
        help_text=gettext_lazy("Per child region: code, name, level, total and its late_registration."),
    )

    def get_region(self, summary) -> dict | None:
        region = summary.region
        return None if region is None else {"code": region.code, "name": region.name, "level": region.level}


class CommissionStatsInput(StatsSummaryInput):
    category = None


class HandedDownBySerializer(serializers.Serializer):
    unit = serializers.CharField(help_text=gettext_lazy("The body above that handed the reports down."))
    count = serializers.IntegerField()


class CommissionStatsSerializer(serializers.Serializer):
    region = serializers.SerializerMethodField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    received = serializers.IntegerField(help_text=gettext_lazy("Reports against officials registered in the period."))
    closed = serializers.IntegerField(
        help_text=gettext_lazy(
            "Closed: disposed of, and every person the report names has a final outcome "
            "(preliminary verification is not one)."
        )
    )
    being_handled = serializers.IntegerField(help_text=gettext_lazy("Accepted and not closed."))
    awaiting_acceptance = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text=gettext_lazy("Not accepted, and not closed."))
    in_progress = serializers.IntegerField(help_text=gettext_lazy("Accepted, no disposition yet."))
    disposed = serializers.IntegerField(help_text=gettext_lazy("With at least one disposition recorded."))
    sanctioned = serializers.IntegerField(help_text=gettext_lazy("People sanctioned, each by their latest outcome."))
    by_disposition = serializers.DictField(
        child=serializers.IntegerField(),
        help_text=gettext_lazy("People by their latest outcome (a report without people's outcomes counts once)."),
    )
    by_sanction = serializers.DictField(child=serializers.IntegerField())
    by_source = serializers.DictField(child=serializers.IntegerField())
    handed_down_by = HandedDownBySerializer(many=True)
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_month = serializers.DictField(child=serializers.IntegerField())
    days_to_disposition = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text=gettext_lazy("Days from the report to its first disposition: median, mean, max."),
    )
    by_child_region = serializers.ListField(child=serializers.DictField())
    counties = serializers.ListField(
        child=serializers.DictField(),
        help_text=gettext_lazy(
            "For a city: each county side by side, with the referrals from above reported on time, late "
            "(or owed past their due date) and not yet due."
        ),
    )

    def get_region(self, summary) -> dict | None:
        region = summary.region
        return None if region is None else {"code": region.code, "name": region.name, "level": region.level}


# --- The unit assessment (单位考核) --------------------------------------------------------------


class UnitAssessmentInput(serializers.Serializer):
    region = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("A 12-digit division code.")
    )
    month = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy("A month: YYYY-MM."))
    quarter = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("A quarter instead: YYYY-Qn.")
    )
    year = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy("A year instead: YYYY."))
    kind = serializers.ChoiceField(
        choices=["intake", "department", "station"],
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("Only units of this kind."),
    )
    page = serializers.IntegerField(required=False, min_value=1, default=1)

    def validate(self, attrs):
        try:
            attrs["period"] = parse_period(
                month=attrs.get("month", ""), quarter=attrs.get("quarter", ""), year=attrs.get("year", "")
            )
        except ValueError as error:
            field = next((name for name in ("month", "quarter", "year") if attrs.get(name)), "month")
            raise serializers.ValidationError({field: str(error)}) from None
        attrs["kind"] = attrs.get("kind") or None
        return attrs


class UnitRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    region = serializers.CharField(help_text=gettext_lazy("The division code of the unit's region."))
    region_name = serializers.CharField()
    received = serializers.IntegerField(help_text=gettext_lazy("Cases received in the period it decided or led."))
    to_decide = serializers.IntegerField(help_text=gettext_lazy("Acceptance decisions due (made, or past due)."))
    decided_on_time = serializers.IntegerField()
    response_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("decided_on_time ÷ to_decide, in percent.")
    )
    to_resolve = serializers.IntegerField(help_text=gettext_lazy("Cases it led that are closed or past due."))
    resolved_on_time = serializers.IntegerField()
    resolution_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("resolved_on_time ÷ to_resolve, in percent.")
    )
    answered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text=gettext_lazy("on_time ÷ answered, in percent."))
    rated = serializers.IntegerField(help_text=gettext_lazy("Rated satisfied, basically satisfied or unsatisfied."))
    satisfied = serializers.IntegerField(help_text=gettext_lazy("Satisfied or basically satisfied."))
    no_response = serializers.IntegerField(help_text=gettext_lazy("Closed without a rating: not in the rate."))
    satisfaction_rate = serializers.FloatField(
        allow_null=True, help_text=gettext_lazy("satisfied ÷ rated, in percent.")
    )
    repeats = serializers.IntegerField()
    misses = serializers.IntegerField(help_text=gettext_lazy("Deadlines it missed that fell due in the period."))
    notices_unanswered = serializers.IntegerField()
    referrals_late = serializers.IntegerField()
    composite = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Among its peers: the same kind of unit at the same level.")
    )
    peers = serializers.IntegerField()


class UnitAssessmentSerializer(serializers.Serializer):
    region = serializers.DictField(allow_null=True)
    period = serializers.DictField(help_text=gettext_lazy("kind (month, quarter, year), label, first, last."))
    weights = serializers.DictField()
    count = serializers.IntegerField(help_text=gettext_lazy("Units in all pages."))
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = UnitRowSerializer(many=True)
