"""Integrations in the Django admin: issuing a key shows it once; revoking is for good."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from integrations.models import Integration, KeyScope, Submission

# The library registers its own plain key model; Suqiu's keys are integrations.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class IntegrationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"), choices=KeyScope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Integration
        fields = ["name", "region", "scopes", "rate", "channel", "expiry_date", "revoked"]


@admin.register(Integration)
class IntegrationAdmin(APIKeyModelAdmin):
    form = IntegrationForm
    list_display = ("name", "prefix", "region", "scopes", "rate", "channel", "last_used_at", "revoked", "created")
    list_filter = ("revoked", "channel", "created")
    search_fields = ("name", "prefix", "region__name", "region__code")
    list_select_related = ("region",)
    autocomplete_fields = ()

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "last_used_at", "created")

    def save_model(self, request, obj, form, change=False):
        if change:
            obj.save()
            return
        key = Integration.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            _("The API key of %(name)s is %(key)s — store it now: it is not shown again.")
            % {"name": obj.name, "key": key},
        )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("petition", "integration", "created_at")
    list_select_related = ("petition", "integration")
    search_fields = ("petition__tracking_number", "integration__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
