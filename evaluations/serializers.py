"""Output shapes of the appraisals API (read-only: every write goes through the pages)."""

from __future__ import annotations

from rest_framework import serializers

from evaluations.models import Band, Campaign, Participant


class CampaignSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "year",
            "region",
            "region_code",
            "region_name",
            "state",
            "period_start",
            "period_end",
            "commitment_on",
            "self_inspection_on",
            "hearing_on",
            "rectification_on",
            "questionnaire_on",
            "weight_questionnaire",
            "weight_hearing",
            "weight_cases",
            "satisfied_min",
            "basic_min",
            "published_at",
        ]
        read_only_fields = fields


class ResultSerializer(serializers.ModelSerializer):
    station = serializers.CharField(source="unit.name", read_only=True)
    station_id = serializers.IntegerField(source="unit_id", read_only=True)
    # Empty until scored (a read-only model field would drop the blank from the schema).
    band = serializers.ChoiceField(choices=Band.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Participant
        fields = [
            "rank",
            "station_id",
            "station",
            "questionnaire_score",
            "hearing_score",
            "case_score",
            "composite",
            "band",
            "vetoed",
            "veto_reason",
            "responses",
            "cases",
            "on_time_rate",
            "satisfaction_rate",
            "repeat_rate",
        ]
        read_only_fields = fields


class ResultsSerializer(serializers.Serializer):
    campaign = CampaignSerializer()
    results = ResultSerializer(many=True)
