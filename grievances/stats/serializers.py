"""Input and output of the statistics API: the period, region and category asked for, and the
figures answered (aggregates only)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

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
            "Closed (办结): disposed of, and every person the report names has a final outcome "
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
