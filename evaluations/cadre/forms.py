"""Forms of the cadre assessment pages. They only read what was typed: the weights, the
scores and their sums are the services' to check (one rule, one message)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# The parts a new sheet offers, to be renamed or reweighted (30 % is the appraisal's).
SUGGESTED_PARTS = [
    (_("Responsibility system for clean government carried out"), 40),
    (_("Day-to-day supervision and inspection"), 20),
    (_("Complaints and reports handled"), 10),
]
BLANK_ROWS = 3


class VersionForm(forms.Form):
    """The version of the sheet the page showed: a change made since refuses the form."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LayoutForm(VersionForm):
    """The appraisal's weight and the parts, as rows of `part_name` and `part_weight` (a row
    with both empty is skipped; emptying a part's name removes it)."""

    appraisal_weight = forms.CharField(label=_("Weight of the residents' appraisal (%)"), max_length=12)

    def rows(self) -> list[tuple[str, str]]:
        names = self.data.getlist("part_name") if hasattr(self.data, "getlist") else []
        weights = self.data.getlist("part_weight") if hasattr(self.data, "getlist") else []
        rows = []
        for n in range(max(len(names), len(weights))):
            name = names[n].strip() if n < len(names) else ""
            weight = weights[n].strip() if n < len(weights) else ""
            if name or weight:
                rows.append((name[:200], weight[:12]))
        return rows


class CreateForm(forms.Form):
    """A new sheet: the unit (among `units`, read once), the appraisal's weight, the parts' rows."""

    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    appraisal_weight = forms.CharField(label=_("Weight of the residents' appraisal (%)"), max_length=12, initial="30")

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        self.fields["unit"].choices = [(unit.pk, f"{unit.region.name} · {unit.name}") for unit in units]

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]

    rows = LayoutForm.rows


class ScoreForm(VersionForm):
    score = forms.CharField(label=_("score"), max_length=12)
