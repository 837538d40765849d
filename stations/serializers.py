from __future__ import annotations

from rest_framework import serializers

from stations.models import Region, Unit


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent"]


class UnitSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "kind", "region", "region_code", "region_name", "phone", "address", "is_active"]
