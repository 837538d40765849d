from __future__ import annotations

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from petitions.models import (
    Category,
    CommonPhrase,
    DeadlineMiss,
    Escalation,
    Holiday,
    NotificationRoute,
    SupervisionNotice,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "name_en",
        "competent_unit_kind",
        "confidential",
        "acceptance_days",
        "handling_days",
        "day_type",
        "is_active",
        "sort_order",
    ]
    list_display_links = ["code", "name_zh"]
    list_editable = ["is_active", "sort_order"]
    list_filter = ["competent_unit_kind", "confidential", "day_type", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(CommonPhrase)
class CommonPhraseAdmin(admin.ModelAdmin):
    list_display = ["text_zh", "text_en", "category", "sort_order", "active"]
    list_display_links = ["text_zh"]
    list_editable = ["sort_order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["text_zh", "text_en"]
    list_select_related = ["category"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "name", "kind", "source"]
    list_filter = ["kind", "source", "name"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "kind", "name", "source"]
    readonly_fields = ["source"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: Holiday) -> str:
        return date_format(obj.date, "l")

    def save_model(self, request, obj: Holiday, form, change: bool) -> None:
        # What an administrator enters or corrects is theirs: the library sync must not undo it.
        obj.source = Holiday.Source.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(NotificationRoute)
class NotificationRouteAdmin(admin.ModelAdmin):
    list_display = ["event", "audience", "channel", "active"]
    list_editable = ["active"]
    list_filter = ["event", "audience", "channel", "active"]


class RecordAdmin(admin.ModelAdmin):
    """Records the services write (notices, escalations, deadline misses): the admin shows them
    and changes nothing, superusers included. What appraisals count against a unit must not be
    edited or erased around the services and their case events."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(RecordAdmin):
    list_display = ["petition", "unit", "severity", "created_at", "due_at", "read_at", "answered_at", "missed_at"]
    list_filter = ["severity"]
    raw_id_fields = ["petition", "unit", "issued_by", "issuing_unit", "read_by", "answered_by"]


@admin.register(Escalation)
class EscalationAdmin(RecordAdmin):
    list_display = ["petition", "level", "kind", "from_unit", "to_unit", "created_at"]
    raw_id_fields = ["petition", "from_unit", "to_unit"]


@admin.register(DeadlineMiss)
class DeadlineMissAdmin(RecordAdmin):
    list_display = ["unit", "petition", "kind", "due_at", "missed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["unit", "petition"]
