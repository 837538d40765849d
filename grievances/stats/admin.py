"""The unit assessment's weights in Django admin: one row, changed, never added twice or deleted."""

from __future__ import annotations

from django.contrib import admin

from grievances.stats.models import AssessmentWeights


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "weight_response",
        "weight_resolution",
        "weight_on_time",
        "weight_satisfaction",
        "penalty_miss",
        "penalty_notice",
        "penalty_referral",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not AssessmentWeights.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
