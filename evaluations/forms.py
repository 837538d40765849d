"""Forms of the appraisal pages: the resident's questionnaire and the commission's inputs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign, Question

SCALE = [
    (5, _("very satisfied")),
    (4, _("satisfied")),
    (3, _("fair")),
    (2, _("unsatisfied")),
    (1, _("very unsatisfied")),
]


class QuestionnaireForm(forms.Form):
    """One field per question (1–5), the phone and an optional comment."""

    phone = forms.CharField(
        label=_("mobile number"),
        max_length=20,
        help_text=_("Only to make sure each phone answers once per station; the number is not kept."),
    )
    comment = forms.CharField(label=_("comment (optional)"), required=False, max_length=1000, widget=forms.Textarea)

    def __init__(self, *args, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text, choices=SCALE, coerce=int, widget=forms.RadioSelect
            )

    def answers(self) -> dict[int, int]:
        return {q.pk: self.cleaned_data[f"q{q.pk}"] for q in self.questions}


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "year",
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
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"})
            for name in (
                "period_start",
                "period_end",
                "commitment_on",
                "self_inspection_on",
                "hearing_on",
                "rectification_on",
                "questionnaire_on",
            )
        }


class HearingForm(forms.Form):
    # The range is the service's to check: one rule, one message.
    score = forms.DecimalField(label=_("hearing score"), max_digits=6, decimal_places=2)


class VetoForm(forms.Form):
    reason = forms.CharField(label=_("veto reason"), widget=forms.Textarea, max_length=2000)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("question"), max_length=200)


class CommitmentForm(forms.Form):
    texts = forms.CharField(
        label=_("promises, one a line"), widget=forms.Textarea, help_text=_("e.g. 首问首办、一次性告知、限时办结")
    )


class RectificationForm(forms.Form):
    owner = forms.IntegerField(widget=forms.HiddenInput)
    description = forms.CharField(label=_("what to put right"), widget=forms.Textarea, max_length=2000)
    deadline = forms.DateField(label=_("deadline"), widget=forms.DateInput(attrs={"type": "date"}))
