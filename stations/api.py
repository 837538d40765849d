"""The hierarchy over the API: read-only, scoped to what the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from stations import otp
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


class TokenSerializer(AuthTokenSerializer):
    """Username and password, plus `otp_code` for staff who sign in with a second factor."""

    otp_code = serializers.CharField(
        label=_("Two-factor code"),
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("The 6-digit code from the authenticator app; required of commission staff and administrators."),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if otp.two_factor_due(user):
            # Refusals (otp_required / otp_invalid / otp_throttled) in our error shape; a
            # wrong code counts on the device like one typed on the code page.
            otp.verify_code(user, attrs.get("otp_code"))
        return attrs


class TokenView(ObtainAuthToken):
    """`POST {username, password[, otp_code]}` → `{token}`; send it as `Authorization: Token <token>`.

    Failed attempts count towards the same lockout as the sign-in page. Staff who sign in
    with a second factor (commission staff, administrators, anyone who turned it on) also
    send the current code from their authenticator app as `otp_code`.
    """

    serializer_class = TokenSerializer

    def get_serializer_context(self):
        # Axes marks a lockout on the request it is given; hand it Django's request (not
        # DRF's wrapper) so that AxesMiddleware sees the mark and answers 429.
        return {**super().get_serializer_context(), "request": self.request._request}
