"""The cadre assessment sheets over the API (/api/v1/cadre-sheets/): the inputs of the verbs
and the sheet as it adds up. Inputs only read numbers; the weights' sum, the ranges and the
rest are the services' to check, with the same messages as the pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from evaluations.cadre.selectors import SheetResult, plain
from stations.models import Unit


def _number(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=2, **kwargs)


class PartInput(serializers.Serializer):
    name = serializers.CharField(max_length=60, help_text=_("The part's name, e.g. 党风廉政责任制落实."))
    weight = _number(help_text=_("Its weight, in %."))


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text=_("The sheet's version you read: a change made since refuses the request (409).")
    )


class LayoutInput(VersionInput):
    appraisal_weight = _number(help_text=_("The residents' appraisal's weight, in %."))
    parts = PartInput(many=True, help_text=_("Every part; one left out is removed. All weights make 100 %."))


class CreateInput(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.none(), help_text=_("The unit whose cadres are assessed.")
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    appraisal_weight = _number(default="30", help_text=_("The residents' appraisal's weight, in % (30 unless given)."))
    parts = PartInput(many=True)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class ScoreInput(VersionInput):
    part = serializers.IntegerField(help_text=_("The part's id (`parts[].id`)."))
    score = _number(help_text=_("0–100."))


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("The part's id; null for the appraisal."))
    name = serializers.CharField()
    weight = serializers.CharField(help_text=_('In %, e.g. "30".'))
    score = serializers.CharField(allow_null=True)
    weighted_score = serializers.CharField(allow_null=True, help_text=_("weight × score ÷ 100, exact."))


class AppraisalSerializer(LineSerializer):
    campaign = serializers.IntegerField(allow_null=True, help_text=_("The published campaign read; null if none."))
    campaign_name = serializers.CharField(allow_null=True)
    vetoed = serializers.BooleanField()


class SheetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    region_code = serializers.CharField()
    year = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["draft", "final"])
    version = serializers.IntegerField()
    appraisal = AppraisalSerializer()
    parts = LineSerializer(many=True)
    total = serializers.CharField(
        allow_null=True, help_text=_("Σ weighted scores, rounded half up to two decimals; null while incomplete.")
    )
    missing = serializers.ListField(child=serializers.CharField(), help_text=_("Why the total is incomplete."))
    finalised_at = serializers.DateTimeField(allow_null=True)


def _line(line, part_id=None) -> dict:
    return {
        "id": part_id,
        "name": line.name,
        "weight": line.weight_text,
        "score": line.score_text,
        "weighted_score": line.contribution_text,
    }


def sheet_data(result: SheetResult) -> dict:
    """A sheet's result as `SheetSerializer` shows it."""
    sheet, participant = result.sheet, result.participant
    campaign = participant.campaign if participant is not None else None
    return {
        "id": sheet.pk,
        "unit": sheet.unit_id,
        "unit_name": sheet.unit.name,
        "region_code": sheet.unit.region.code,
        "year": sheet.year,
        "state": sheet.state,
        "version": sheet.version,
        "appraisal": _line(result.appraisal)
        | {
            "campaign": campaign.pk if campaign else None,
            "campaign_name": str(campaign) if campaign else None,
            "vetoed": bool(participant and participant.vetoed),
        },
        "parts": [_line(line, line.part.pk) for line in result.parts],
        "total": plain(result.total),
        "missing": result.missing,
        "finalised_at": sheet.finalised_at,
    }
