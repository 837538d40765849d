"""Forms of the staff pages: they parse what was typed; the services decide what it means.

Field names match the keys of the services' ValidationErrors, so an error raised by a
service lands next to the field it is about.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from petitions.models import AccusedPerson, Category, Channel, Disposition, Referral, Satisfaction
from petitions.selectors.desk import common_phrases, intake_prefixes
from petitions.services import MAX_ATTACHMENTS
from stations.models import Region, Unit


def add_service_errors(form: forms.Form, error: ValidationError, rename: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: next to its field when the form has it."""
    rename = rename or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        field = rename.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def unit_labels(units: Iterable[Unit]) -> dict[int, str]:
    """A name for each unit that tells it from every other on the list: a unit below the
    county is named with its township first ("东镇 / 高溪村群众诉求站"; the 22 villages a county
    has twice have their township to tell them apart, and a select's type-ahead finds a
    township's units by its name); the few still alike get their division code."""
    labels: dict[int, str] = {}
    for unit in units:
        region = unit.region
        township = region.parent if region.level == Region.Level.VILLAGE and region.parent else region
        if township.level in (Region.Level.TOWNSHIP,) and not unit.name.startswith(township.name):
            labels[unit.pk] = f"{township.name} / {unit.name}"
        else:
            labels[unit.pk] = unit.name
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    by_pk = {unit.pk: unit for unit in units}
    return {pk: f"{label} ({by_pk[pk].region.code})" if seen[label] > 1 else label for pk, label in labels.items()}


def _grouped_units(units: Iterable[Unit]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Units as <optgroup>s in the order given: the units suggested for the case first (those
    a selector marks `suggested` = 0), then one group per township (its villages' stations
    with it) and one per region above."""
    units = list(units)
    labels = unit_labels(units)
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        region = unit.region
        if getattr(unit, "suggested", 1) == 0:
            group = str(_("Suggested for this case"))
        elif region.level == Region.Level.VILLAGE and region.parent:
            group = region.parent.name
        else:
            group = region.name
        groups.setdefault(group, []).append((unit.pk, labels[unit.pk]))
    return list(groups.items())


class UnitChoiceField(forms.TypedChoiceField):
    """A select of units grouped by region; cleans to the Unit."""

    def __init__(self, *, units: Iterable[Unit] = (), **kwargs):
        self.units = {unit.pk: unit for unit in units}
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("widget", forms.Select(attrs={"data-filter": _("Type to find a unit")}))
        super().__init__(choices=[("", "---------"), *_grouped_units(self.units.values())], **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        return self.units.get(pk) if pk not in ("", None) else None


class UnitMultipleChoiceField(forms.TypedMultipleChoiceField):
    def __init__(self, *, units: Iterable[Unit] = (), **kwargs):
        self.units = {unit.pk: unit for unit in units}
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 6, "data-filter": _("Type to find a unit")}))
        super().__init__(choices=_grouped_units(self.units.values()), **kwargs)

    def clean(self, value):
        return [self.units[pk] for pk in super().clean(value)]


# --- Walk-in intake ------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


# The help under every attachments field, translated with its number filled in when a page
# renders it: `gettext_lazy(...) % {...}` would translate it once, when the module loads, in
# whatever language was active then.
ATTACHMENTS_HELP = lazy(lambda: gettext("Up to %(n)d files: JPEG, PNG, WebP or PDF.") % {"n": MAX_ATTACHMENTS}, str)()


class MultipleFileField(forms.FileField):
    """Several photos or scans in one input; the service checks what each file really is."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def intake_villages(units: Iterable[Unit]) -> list[Region]:
    """The villages an intake unit registers for: a village desk serves its township's
    villages (its own preselected), a township or county centre the villages under it."""
    villages = Region.objects.none()
    for prefix in intake_prefixes(units):
        villages |= Region.objects.within(prefix).filter(level=Region.Level.VILLAGE)
    return list(villages.select_related("parent").order_by("code"))


class IntakeForm(forms.Form):
    """A walk-in complaint at the desk (来访登记). The order of the fields is the tab order."""

    complainant_name = forms.CharField(label=_("complainant's name"), max_length=60, required=False)
    complainant_phone = forms.CharField(label=_("complainant's phone"), max_length=20, required=False)
    complainant_id_number = forms.CharField(label=_("complainant's ID number"), max_length=18, required=False)
    anonymous = forms.BooleanField(label=_("anonymous"), required=False)
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.filter(is_active=True))
    title = forms.CharField(label=_("title"), max_length=120)
    content = forms.CharField(label=_("content"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    accused = forms.CharField(
        label=_("accused persons"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Reports against officials: one per line, the name, then a comma and the post."),
    )
    region = forms.TypedChoiceField(label=_("village"), coerce=int)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.VISIT)
    intake_unit = forms.TypedChoiceField(label=_("intake unit"), coerce=int)
    attachments = MultipleFileField(
        label=_("Photos or scanned letters"),
        required=False,
        help_text=ATTACHMENTS_HELP,
    )
    settle = forms.BooleanField(label=_("Settled on the spot"), required=False)
    settle_text = forms.CharField(
        label=_("How it was settled"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    received_at = forms.DateTimeField(
        label=_("received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("When the grievance reached the desk, if not now (a paper ledger, a visit logged later)."),
    )
    late_reason = forms.CharField(
        label=_("why registered late"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Drawn afresh for each blank form: the same form sent twice (a double click, a resend
    # after a dropped connection) registers one case.
    client_ref = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, desks: list[Unit], villages: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_ref"].initial = f"form-{uuid.uuid4().hex}"
        window = {"days": settings.SUQIU_RECEIVED_WINDOW_DAYS}
        self.fields["late_reason"].help_text = _("Needed when it was received more than %(days)d days ago.") % window
        self.desks = {desk.pk: desk for desk in desks}
        self.villages = {village.pk: village for village in villages}
        self.fields["intake_unit"].choices = [(desk.pk, desk.name) for desk in desks]
        self.fields["intake_unit"].initial = desks[0].pk if desks else None
        if len(desks) <= 1:
            self.fields["intake_unit"].widget = forms.HiddenInput()
        groups: dict[str, list[tuple[int, str]]] = {}
        for village in villages:
            groups.setdefault(village.parent.name if village.parent else "", []).append((village.pk, village.name))
        self.fields["region"].choices = [("", "---------"), *groups.items()]
        own = [desk.region_id for desk in desks if desk.region.level == Region.Level.VILLAGE]
        if own:
            self.fields["region"].initial = own[0]
        self.fields["complainant_name"].widget.attrs.update(autofocus=True, autocomplete="off")
        self.fields["complainant_phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        self.fields["complainant_id_number"].widget.attrs.update(autocomplete="off")
        # A phone number the desks have seen offers the person's name and open cases
        # (`petitions.desk.returning`); without JavaScript the clerk types as before.
        self.fields["complainant_phone"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("petitions:returning"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#returning",
                "hx-swap": "innerHTML",
                "aria-controls": "returning",
            }
        )
        self.fields["category"].widget.attrs["data-phrase-category"] = ""
        # The categories' common phrases (常用语), shown with the category chosen.
        self.phrases = common_phrases()

    def focus_first_error(self) -> None:
        """After a refusal the cursor goes to the first field to correct, not back to the top."""
        for name, field in self.fields.items():
            if name in self.errors and not field.widget.is_hidden:
                self.fields["complainant_name"].widget.attrs.pop("autofocus", None)
                field.widget.attrs["autofocus"] = True
                return

    def clean_accused(self) -> list[dict]:
        people = []
        for line in (self.cleaned_data.get("accused") or "").splitlines():
            name, _sep, post = line.replace("，", ",").partition(",")
            if name.strip():
                people.append({"name": name.strip(), "post": post.strip(), "unit": None})
        return people

    def clean_region(self) -> Region:
        return self.villages[self.cleaned_data["region"]]

    def clean_intake_unit(self) -> Unit:
        return self.desks[self.cleaned_data["intake_unit"]]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("settle") and not (cleaned.get("settle_text") or "").strip():
            self.add_error("settle_text", _("Say how the matter was settled."))
        return cleaned


# --- Actions on the case page --------------------------------------------------------------


class ActionForm(forms.Form):
    """Every action carries the version of the case the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    # A form with a row per person the report names: the page passes the case's `accused=`.
    needs_accused = False

    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        super().__init__(*args, **kwargs)


class NoteOptionalForm(ActionForm):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(ActionForm):
    reason = forms.CharField(label=_("reason not accepted"), widget=forms.Textarea(attrs={"rows": 2}))
    guidance = forms.CharField(label=_("where to go instead"), widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(ActionForm):
    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        super().__init__(*args, **kwargs)
        units = list(units)
        self.fields["unit"] = UnitChoiceField(label=_("lead unit"), units=units)
        self.fields["co_units"] = UnitMultipleChoiceField(label=_("co-handling units"), units=units, required=False)
        self.fields["note"] = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TransferForm(ActionForm):
    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(label=_("unit"), units=units)
        self.fields["note"] = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class HandDownForm(ActionForm):
    """Hand the case down (交办): to which unit below, what to do, when the result is due."""

    report_due = forms.DateField(
        label=_("report due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A working day; 15 working days from today when left empty."),
    )
    instructions = forms.CharField(
        label=_("instructions"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(label=_("to unit"), units=units)
        self.order_fields(["version", "unit", "report_due", "instructions"])


class ReferUpForm(ActionForm):
    """Refer the case up (上报): to which unit above, and why."""

    reason = forms.CharField(label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(label=_("to unit"), units=units)
        self.order_fields(["version", "unit", "reason"])


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(ActionForm):
    text = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(label=_("shown to the resident"), required=False)


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("days"), min_value=1, max_value=365)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TextForm(ActionForm):
    text = forms.CharField(label=_("reply"), widget=forms.Textarea(attrs={"rows": 4}))


class SettleForm(ActionForm):
    text = forms.CharField(label=_("How it was settled"), widget=forms.Textarea(attrs={"rows": 3}))


class RateForm(ActionForm):
    satisfaction = forms.ChoiceField(
        label=_("satisfaction"),
        choices=[(value, label) for value, label in Satisfaction.choices if value != Satisfaction.NO_RESPONSE],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("rating comment"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisposeForm(ActionForm):
    """The commission's disposition of a report (处置方式): each person the report names with
    their own outcome and sanction (a row each, left empty for someone not disposed of now),
    or the case as a whole (kind, people sanctioned, sanction)."""

    needs_accused = True

    kind = forms.ChoiceField(
        label=_("disposition"),
        choices=Disposition.Kind.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "The case's disposition; with each person's outcome above, the weightiest of theirs if left empty."
        ),
    )
    sanctioned_count = forms.IntegerField(
        label=_("people sanctioned"), min_value=0, max_value=999, initial=0, required=False
    )
    sanction_kind = forms.ChoiceField(
        label=_("sanction"), choices=[("", "—"), *Disposition.Sanction.choices], required=False
    )
    note = forms.CharField(label=_("note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units: Iterable[Unit] = (), accused: Iterable[AccusedPerson] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # (the person's id, their outcome field, their sanction field), in the order listed.
        self.rows: list[tuple[int, str, str]] = []
        for n, person in enumerate(accused, 1):
            # Names stay "confidential" until a recorded reveal: the row says who by number and post.
            who = _("Person %(n)d") % {"n": n} + (f" · {person.post}" if person.post else "")
            outcome, sanction = f"person-{person.pk}-outcome", f"person-{person.pk}-sanction"
            self.fields[outcome] = forms.ChoiceField(
                label=_("%(person)s: disposition") % {"person": who},
                choices=[("", "—"), *Disposition.Kind.choices],
                required=False,
            )
            self.fields[sanction] = forms.ChoiceField(
                label=_("%(person)s: sanction") % {"person": who},
                choices=[("", "—"), *Disposition.Sanction.choices],
                required=False,
            )
            self.rows.append((person.pk, outcome, sanction))
        people = [name for _pk, *names in self.rows for name in names]
        self.order_fields(["version", *people, "kind", "sanctioned_count", "sanction_kind", "note"])

    def clean_sanctioned_count(self) -> int:
        return self.cleaned_data.get("sanctioned_count") or 0

    def clean(self):
        cleaned = super().clean()
        people = []
        for pk, outcome_field, sanction_field in self.rows:
            outcome, sanction = cleaned.get(outcome_field) or "", cleaned.get(sanction_field) or ""
            if sanction and not outcome:
                self.add_error(outcome_field, _("Choose this person's disposition, or clear their sanction."))
            elif sanction and outcome not in Disposition.MAY_SANCTION:
                # The service refuses it too; here the error lands on the person's own row.
                self.add_error(
                    sanction_field, _("A sanction follows a case opened for review or a transfer to the judiciary.")
                )
            elif outcome:
                people.append({"accused": pk, "outcome": outcome, "sanction": sanction})
        cleaned["people"] = people
        return cleaned


# --- Referrals (交办单) -------------------------------------------------------------------------


class ReferralForm(forms.Form):
    """Every decision on a referral carries the version of the referral the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class ReferralReportForm(ReferralForm):
    """The unit below reports the result (报结)."""

    text = forms.CharField(label=_("report"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ReferralAcceptForm(ReferralForm):
    """The unit above accepts the report as done (认定办结)."""

    note = forms.CharField(label=_("note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralReturnForm(ReferralForm):
    """The unit above returns the report for re-handling (退回重办), with the reason and a new due date."""

    reason = forms.CharField(label=_("reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    report_due = forms.DateField(
        label=_("report due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A working day; 15 working days from today when left empty."),
    )


class ReferralFilterForm(forms.Form):
    """The referral list's filters: sent or received, the status, overdue only."""

    direction = forms.ChoiceField(
        choices=[("", ""), ("received", "received"), ("sent", "sent")], required=False, widget=forms.HiddenInput
    )
    status = forms.ChoiceField(label=_("status"), choices=[("", _("Any")), *Referral.Status.choices], required=False)
    overdue = forms.BooleanField(label=_("overdue only"), required=False)


# --- Supervision notices (督办单) ---------------------------------------------------------------


class NoticeIssueForm(ActionForm):
    """A supervisor's notice from the case page: to which unit, by when, what must be done."""

    days = forms.IntegerField(label=_("answer due in (working days)"), min_value=1, max_value=30, required=False)
    due_on = forms.DateField(
        label=_("or answer due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A date, when given, replaces the number of days."),
    )
    text = forms.CharField(label=_("what must be done"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, units: Iterable[Unit] = (), **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoiceField(label=_("to unit"), units=units)
        self.order_fields(["version", "unit", "days", "due_on", "text"])
        self.fields["days"].initial = settings.SUQIU_NOTICE_DAYS


class NoticeAnswerForm(forms.Form):
    """The unit's written explanation (书面说明)."""

    answer = forms.CharField(label=_("explanation"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
