"""The hierarchy over the API: read-only, scoped to what the caller may see."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.authtoken.views import ObtainAuthToken

from stations.filters import RegionFilter, UnitFilter
from stations.selectors import regions_visible_to, units_visible_to
from stations.serializers import RegionSerializer, UnitSerializer


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions in the caller's view: `?level=`, `?parent=` (id or code), `?within=` (subtree)."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter

    def get_queryset(self):
        return regions_visible_to(self.request.user).order_by("code")


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Units in the caller's view: `?region=` (id or code), `?within=`, `?kind=`."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    def get_queryset(self):
        return units_visible_to(self.request.user).order_by("region__code", "kind", "name")


class TokenView(ObtainAuthToken):
    """`POST {username, password}` → `{token}`; send it as `Authorization: Token <token>`.

    Failed attempts count towards the same lockout as the sign-in page.
    """

    def get_serializer_context(self):
        # Axes marks a lockout on the request it is given; hand it Django's request (not
        # DRF's wrapper) so that AxesMiddleware sees the mark and answers 429.
        return {**super().get_serializer_context(), "request": self.request._request}
