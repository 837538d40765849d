"""The hierarchy over the API: read-only, scoped to what the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import generics, serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from stations import otp, tokens
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
        attrs["two_factor"] = False
        if otp.two_factor_due(user):
            # Refusals (otp_required / otp_invalid / otp_throttled) in our error shape; a
            # wrong code counts on the device like one typed on the code page.
            otp.verify_code(user, attrs.get("otp_code"))
            attrs["two_factor"] = True
        return attrs


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(label=_("Token"), help_text=_("Send it as `Authorization: Token <token>`."))
    expiry = serializers.DateTimeField(label=_("Expires at"), help_text=_("The token is refused from then on."))


class TokenView(generics.GenericAPIView):
    """`POST {username, password[, otp_code]}` → `{token, expiry}`; send it as `Authorization: Token <token>`.

    Failed attempts count towards the same lockout as the sign-in page. Staff who sign in
    with a second factor (commission staff, administrators, anyone who turned it on) also
    send the current code from their authenticator app as `otp_code`. Each call issues a
    new token, valid for API_TOKEN_HOURS (stations.tokens).
    """

    serializer_class = TokenSerializer
    authentication_classes = []
    permission_classes = [AllowAny]

    def get_serializer_context(self):
        # Axes marks a lockout on the request it is given; hand it Django's request (not
        # DRF's wrapper) so that AxesMiddleware sees the mark and answers 429.
        return {**super().get_serializer_context(), "request": self.request._request}

    @extend_schema(responses={200: IssuedTokenSerializer}, auth=[], tags=["auth"])
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        issued = tokens.token_issue(user=data["user"], two_factor=data["two_factor"])
        return Response(IssuedTokenSerializer({"token": issued.token, "expiry": issued.row.expiry}).data)


_SIGNED_OUT = OpenApiResponse(description=_("Signed out: the token is refused from now on."))


class SignOutView(KnoxLogoutView):
    """`POST` with `Authorization: Token <token>`: this token stops working (204)."""

    authentication_classes = [tokens.TokenAuthentication]

    @extend_schema(request=None, responses={204: _SIGNED_OUT}, tags=["auth"])
    def post(self, request, format=None):
        return super().post(request, format)


class SignOutEverywhereView(KnoxLogoutAllView):
    """`POST` with `Authorization: Token <token>`: every token of this person stops working (204)."""

    authentication_classes = [tokens.TokenAuthentication]

    @extend_schema(request=None, responses={204: _SIGNED_OUT}, tags=["auth"])
    def post(self, request, format=None):
        return super().post(request, format)
