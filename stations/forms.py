from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from config.errors import Refused
from stations.otp import verify_code


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with the field hints a village desk's browser needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TwoFactorCodeForm(forms.Form):
    """The 6-digit code from the person's authenticator app, checked against their device(s)."""

    otp_token = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
                "class": "code",
            }
        ),
    )

    def __init__(self, *args, user, devices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.devices = devices
        self.device = None

    def clean_otp_token(self) -> str:
        token = self.cleaned_data["otp_token"]
        try:
            self.device = verify_code(self.user, token, devices=self.devices)
        except Refused as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from None
        return token
