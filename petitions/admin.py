from __future__ import annotations

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from petitions.models import Category, Holiday


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
