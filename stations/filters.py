"""Filters for the region and unit lists (shared by the API and the pages)."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations import codes
from stations.models import Region, Unit
from stations.selectors import within_q

_REGION_REF = RegexValidator(r"^\d{1,12}$", _("Give a region id or a 12-digit division code."))
_PREFIX = RegexValidator(r"^\d{2,12}$", _("Give a division code or its leading digits (2 to 12)."))


def _region_ref_q(field: str, value: str):
    """`value` is a 12-digit division code or a region id."""
    return Q(**{f"{field}__code": value}) if codes.is_code(value) else Q(**{f"{field}_id": int(value)})


def _within(queryset, field: str, value: str):
    prefix = codes.prefix_of(value) if codes.is_code(value) else value
    return queryset.filter(within_q(field, [prefix]))


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Region.Level.choices)
    parent = django_filters.CharFilter(
        method="filter_parent", validators=[_REGION_REF], help_text=_("Region id or division code of the parent.")
    )
    within = django_filters.CharFilter(
        method="filter_within", validators=[_PREFIX], help_text=_("Only regions in this subtree (code or prefix).")
    )
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text=_("Part of the name."))

    class Meta:
        model = Region
        fields = ["level", "parent", "within", "q"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(_region_ref_q("parent", value))

    def filter_within(self, queryset, name, value):
        return _within(queryset, "code", value)


class UnitFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        method="filter_region", validators=[_REGION_REF], help_text=_("Region id or division code.")
    )
    within = django_filters.CharFilter(
        method="filter_within", validators=[_PREFIX], help_text=_("Only units in this subtree (code or prefix).")
    )
    kind = django_filters.ChoiceFilter(choices=Unit.Kind.choices, widget=forms.Select)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text=_("Part of the name."))

    class Meta:
        model = Unit
        fields = ["region", "within", "kind", "q"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(_region_ref_q("region", value))

    def filter_within(self, queryset, name, value):
        return _within(queryset, "region__code", value)
