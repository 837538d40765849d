"""Forms of the resident pages: they parse what was typed; the services decide what it means.

Field names match the keys of the services' ValidationErrors, so a refusal from
`petition_register` lands next to the field it is about.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from petitions.forms import ATTACHMENTS_HELP, MultipleFileField
from petitions.models import Category, Satisfaction
from stations.models import Region


class SubmitForm(forms.Form):
    """A resident's online submission (网上诉求). Township then village: the village list
    follows the township (htmx swaps it in; without JavaScript a button reloads the form)."""

    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.filter(is_active=True), empty_label=_("— choose —")
    )
    township = forms.TypedChoiceField(label=_("township"), coerce=int)
    # Any village is accepted here: the service says clearly when it is not in this county.
    region = forms.ModelChoiceField(
        label=_("village"), queryset=Region.objects.filter(level=Region.Level.VILLAGE), empty_label=_("— choose —")
    )
    title = forms.CharField(label=_("title"), max_length=120)
    content = forms.CharField(label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=ATTACHMENTS_HELP,
    )
    anonymous = forms.BooleanField(label=_("Submit anonymously"), required=False)
    complainant_name = forms.CharField(label=_("Your name"), max_length=60, required=False)
    complainant_phone = forms.CharField(
        label=_("Mobile phone for updates"),
        max_length=20,
        required=False,
        help_text=_("Optional. We send a private link to follow the case; the number is never published."),
    )

    def __init__(self, *args, townships: list[Region], villages: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].choices = [("", _("— choose —")), *((t.pk, t.name) for t in townships)]
        self.fields["region"].widget.choices = [("", _("— choose —")), *((v.pk, v.name) for v in villages)]
        self.fields["complainant_phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
        self.fields["complainant_name"].widget.attrs.update(autocomplete="name")


class ProofForm(forms.Form):
    """What proves a case: the receipt's tracking number and query code, or the private link."""

    tracking_number = forms.CharField(label=_("tracking number"), max_length=20, required=False)
    query_code = forms.CharField(label=_("query code"), max_length=12, required=False)
    token = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)


class LookupForm(forms.Form):
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    query_code = forms.CharField(
        label=_("query code"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the reply?"),
        choices=[(value, label) for value, label in Satisfaction.choices if value != Satisfaction.NO_RESPONSE],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Why should the reply be reviewed?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
