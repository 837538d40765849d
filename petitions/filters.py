"""The one FilterSet for case lists: the staff list page, the API and the ledger export."""

from __future__ import annotations

import re

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from petitions.models import OPEN_STATUSES, Category, Channel, Petition, Status
from stations import codes
from stations.selectors import within_q

_TRACKING_RE = re.compile(r"^\d{8}-?[2-9A-HJ-NP-Z]{6}$", re.IGNORECASE)


# The columns a row of the case list reads (the staff page and the API list): not the content,
# the personal data or the workflow's bookkeeping of the case.
ROW_FIELDS = (
    "id",
    "tracking_number",
    "status",
    "channel",
    "title",
    "created_at",
    "current_due_at",
    "version",
    "category__code",
    "category__name_zh",
    "category__name_en",
    "region__code",
    "region__name",
    "holder_unit__id",
    "holder_unit__name",
)


def list_rows(queryset: QuerySet[Petition]) -> QuerySet[Petition]:
    """The case list's queryset reading only what a row shows (`ROW_FIELDS`), with its category,
    village and holding unit joined."""
    return queryset.select_related(None).select_related("category", "region", "holder_unit").only(*ROW_FIELDS)


class PetitionFilter(django_filters.FilterSet):
    # distinct=False throughout: every filter here follows a to-one relation, so no row repeats,
    # and SELECT DISTINCT over a province's cases would sort them all before the first page.
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("status"), distinct=False)
    # The schema cannot read the type through category__code + to_field_name: say it (a code).
    category = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            # The filter puts the code (to_field_name) in the lookup, so it must look up the code.
            field_name="category__code",
            queryset=Category.objects.all(),
            to_field_name="code",
            label=_("category"),
            distinct=False,
        )
    )
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices, label=_("channel"), distinct=False)
    region = django_filters.CharFilter(
        method="filter_region",
        label=_("region"),
        validators=[RegexValidator(r"^\d{2,12}$", _("Give a division code or its leading digits (2 to 12)."))],
        help_text=_("Cases in this region's subtree (a 12-digit code or its leading digits)."),
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("from"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("to"))
    q = django_filters.CharFilter(
        method="filter_q", label=_("search"), help_text=_("A tracking number, or words in the title or the content.")
    )

    class Meta:
        model = Petition
        fields = ["status", "category", "channel", "region", "overdue", "open", "created_after", "created_before", "q"]

    def filter_region(self, queryset, name, value):
        prefix = codes.prefix_of(value) if codes.is_code(value) else value
        return queryset.filter(within_q("region_code", [prefix]))

    def filter_overdue(self, queryset, name, value):
        late = Q(status__in=OPEN_STATUSES, current_due_at__lt=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_open(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if _TRACKING_RE.match(value):
            from petitions.services import normalize_tracking_number

            return queryset.filter(tracking_number=normalize_tracking_number(value))
        words = Q(title__icontains=value) | Q(content__icontains=value)
        # A shell (a report the user sees only as the desk that logged it) is found by its
        # tracking number only: its words would tell who is reported. A queryset that does not
        # say which rows are shells (`petition_list_for_user` does) searches no report's words.
        if "shell" in queryset.query.annotations:
            return queryset.filter(words, shell=False)
        return queryset.filter(words, category__confidential=False)
