"""Staff pages for cases: walk-in intake and its receipt, my queue, the case list, the case
page and its actions, referrals (交办单) and their lists, supervision notices, notifications.
Each view parses, scopes, calls one service and renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from config.errors import Refused
from config.qr import qr_svg
from petitions import forms as case_forms
from petitions import services, workflow
from petitions.filters import PetitionFilter, list_rows
from petitions.forms import (
    ActionForm,
    IntakeForm,
    NoticeAnswerForm,
    NoticeIssueForm,
    ReferralAcceptForm,
    ReferralFilterForm,
    ReferralForm,
    ReferralReportForm,
    ReferralReturnForm,
    add_service_errors,
    intake_villages,
)
from petitions.masking import mask_id_number, mask_phone
from petitions.models import ExtensionRequest, PersonOutcome, Petition, Referral
from petitions.rendering import (
    CASE_ROWS,
    CachedCheckboxSelectMultiple,
    CachedNullBooleanSelect,
    CachedSelectMultiple,
    case_rows,
    use_cached_widget,
)
from petitions.selectors import (
    NOTES_ANSWERING,
    NOTES_SHOWN_TO_RESIDENT,
    allowed_actions,
    attachments_for_user,
    can_issue_notice,
    confidential_identities,
    confidential_shell,
    events_for_user,
    notice_get_for_user,
    notice_member_roles,
    notices_unanswered_overdue_for,
    notices_visible_to,
    notifications_for,
    personal_data_visible,
    petition_get_for_user,
    petition_just_registered,
    petition_list_for_user,
    petitions_visible_to,
    queue_for_user,
    units_for_routing,
)
from petitions.selectors.referrals import (
    referral_allowed,
    referral_get_for_user,
    referral_list_for_user,
    referrals_visible_to,
    units_above,
    units_below,
)
from stations.selectors import intake_units_of

QUEUE_LIMIT = 100
PAGE_SIZE = 50
MAX_PAGE = 100  # beyond 5,000 rows, narrow the filters: offsets that deep are slow and useless
RECEIPT_CODES = "petitions.receipt_codes"  # session key: {case id: query code}, popped when shown


# --- Walk-in intake and the receipt ----------------------------------------------------------


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    desks = intake_units_of(request.user)
    if not desks:
        raise PermissionDenied
    form = IntakeForm(request.POST or None, request.FILES or None, desks=desks, villages=intake_villages(desks))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # 小事不出村: registered and settled together, or not at all.
            with transaction.atomic():
                registration = services.petition_register(
                    actor=request.user,
                    intake_unit=data["intake_unit"],
                    channel=data["channel"],
                    category=data["category"],
                    region=data["region"],
                    title=data["title"],
                    content=data["content"],
                    anonymous=data["anonymous"],
                    complainant_name=data["complainant_name"],
                    complainant_phone=data["complainant_phone"],
                    complainant_id_number=data["complainant_id_number"],
                    attachments=data["attachments"],
                    accused=data["accused"],
                    client_ref=data["client_ref"],
                    received_at=data["received_at"],
                    late_reason=data["late_reason"],
                )
                if data["settle"] and not registration.replayed:
                    services.petition_settle(
                        petition_id=registration.petition.pk, actor=request.user, text=data["settle_text"]
                    )
        except ValidationError as error:
            add_service_errors(form, error, rename={"text": "settle_text"})
        except Refused as refusal:
            form.add_error(None, refusal.message)
        else:
            # Only the hash is stored: the code goes to the receipt once, through the session.
            # The same form sent again (`replayed`) shows the receipt of the case it registered.
            if not registration.replayed:
                codes = request.session.get(RECEIPT_CODES, {})
                codes[str(registration.petition.pk)] = registration.query_code
                request.session[RECEIPT_CODES] = codes
            return redirect(reverse("petitions:receipt", args=[registration.petition.pk]) + "?print=1")
    if form.errors:
        form.focus_first_error()
    return render(request, "petitions/intake.html", {"form": form})


@never_cache
@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    codes = request.session.get(RECEIPT_CODES, {})
    if str(pk) in codes:
        # Printed once, right after registering, even when the desk must stand aside from it.
        petition = petition_just_registered(request.user, pk)
        query_code = codes.pop(str(pk))
        request.session[RECEIPT_CODES] = codes
    else:
        petition = petition_get_for_user(request.user, pk)
        query_code = None
    may_open = query_code is None or petitions_visible_to(request.user).filter(pk=pk).exists()
    # The lookup page with the tracking number filled in, under the site's own address (the
    # request's host when SITE_URL is unset). Never the query code: a URL ends up in logs.
    site = settings.SUQIU_SITE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    track_url = f"{site}{reverse('grievances:track')}?{urlencode({'n': petition.tracking_number})}"
    return render(
        request,
        "petitions/receipt.html",
        {
            "petition": petition,
            "query_code": query_code,
            "track_url": track_url,
            "qr": qr_svg(track_url, scale=3),
            "may_open": may_open,
            # Reprinted later by a desk that sees the report only as a shell: no title or account.
            "show_title": query_code is not None or not confidential_shell(request.user, petition),
            # "Register and print the receipt": the print dialog opens on the first showing.
            "autoprint": query_code is not None and request.GET.get("print") == "1",
            # The account, for the resident to check; never on a report against officials (it
            # names them, and a receipt leaves the desk).
            "show_account": not petition.category.confidential and not confidential_shell(request.user, petition),
        },
    )


# --- Lists -------------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    cases = list(queue_for_user(request.user)[: QUEUE_LIMIT + 1])
    return render(
        request,
        "petitions/queue.html",
        {"cases": cases[:QUEUE_LIMIT], "truncated": len(cases) > QUEUE_LIMIT, "limit": QUEUE_LIMIT},
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    filterset = PetitionFilter(request.GET, queryset=list_rows(petition_list_for_user(request.user)))
    fields = filterset.form.fields
    for name in ("status", "channel"):
        use_cached_widget(fields[name], CachedCheckboxSelectMultiple)
    use_cached_widget(fields["category"], CachedSelectMultiple)
    for name in ("overdue", "open"):
        use_cached_widget(
            fields[name],
            CachedNullBooleanSelect,
            choices=[("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))],
        )
    for name in ("created_after", "created_before"):
        fields[name].widget.input_type = "date"
    try:
        page = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        page = 1
    offset = (page - 1) * PAGE_SIZE
    # One row more than a page says whether there is a next page, without counting them all.
    rows = list(filterset.qs[offset : offset + PAGE_SIZE + 1])
    context = {
        "filter": filterset,
        "cases": case_rows(rows[:PAGE_SIZE]),
        "headers": CASE_ROWS.headers,
        "page": page,
        "has_previous": page > 1,
        "has_next": len(rows) > PAGE_SIZE and page < MAX_PAGE,
        "at_limit": len(rows) > PAGE_SIZE and page == MAX_PAGE,
    }
    template = "petitions/_case_results.html" if request.htmx else "petitions/case_list.html"
    return render(request, template, context)


# --- The case page and its actions ---------------------------------------------------------


@dataclass(frozen=True)
class Action:
    label: Promise
    form: type[ActionForm]
    call: Callable[..., Any]  # (petition_id, actor, expected_version, cleaned data) -> result
    done: Promise
    needs_units: bool = False
    units: str = "units_for_routing"  # the selector of the units offered (`workflow.Verb.units`)
    primary: bool = False
    include_holder: bool = False  # the units offered include the holding unit, chosen by default


def _service(function, *names: str) -> Callable[..., Any]:
    def call(*, petition_id: int, actor, version: int, data: dict) -> Any:
        return function(
            petition_id=petition_id, actor=actor, expected_version=version, **{name: data[name] for name in names}
        )

    return call


def _page_action(verb: workflow.Verb) -> Action:
    return Action(
        verb.label,
        getattr(case_forms, verb.form),
        _service(getattr(services, verb.service), *verb.inputs),
        verb.done,
        needs_units=verb.needs_units,
        units=verb.units,
        primary=verb.primary,
    )


# In the order they appear on the case page: the case's verbs (`workflow.VERBS`), then issuing
# a supervision notice (a notice's verb, not a step of the case: `can_issue_notice`).
ACTIONS: dict[str, Action] = {name: _page_action(verb) for name, verb in workflow.VERBS.items()}
ACTIONS["supervise"] = Action(
    _("Issue a supervision notice"),
    NoticeIssueForm,
    _service(services.notice_issue, "unit", "days", "due_on", "text"),
    _("The supervision notice is issued."),
    needs_units=True,
    include_holder=True,
)


def _action_form(verb: str, petition: Petition, units: list, data=None) -> ActionForm:
    initial = {"version": petition.version}
    if ACTIONS[verb].include_holder:
        initial["unit"] = petition.holder_unit_id
    else:
        units = [unit for unit in units if unit.pk != petition.holder_unit_id]
    form = ACTIONS[verb].form
    extra = {"accused": list(petition.accused.all())} if form.needs_accused else {}
    return form(data, initial=initial, units=units, auto_id=f"{verb}-%s", prefix=None, **extra)


_UNIT_CHOICES = {"units_for_routing": units_for_routing, "units_below": units_below, "units_above": units_above}


def _units(action: Action, petition: Petition, offered: dict[str, list]) -> list:
    """The units the action's form offers (none when it names no unit)."""
    if not action.needs_units:
        return []
    if action.units not in offered:
        offered[action.units] = list(_UNIT_CHOICES[action.units](petition))
    return offered[action.units]


def _allowed(user, petition: Petition) -> set[str]:
    """The case's workflow verbs, plus issuing a supervision notice (not a step of the case)."""
    allowed = allowed_actions(user, petition)
    if can_issue_notice(user, petition):
        allowed.add("supervise")
    return allowed


def _latest_outcomes(petition: Petition, accused: list[dict]) -> list[dict]:
    """Each person the report names with their latest outcome (`PersonOutcome`), labelled as
    the viewer may see them (`confidential_identities`: by number and post, never by name)."""
    latest = {
        outcome.accused_id: outcome
        for outcome in PersonOutcome.objects.filter(disposition__petition=petition)
        .select_related("disposition")
        .order_by("disposition__created_at", "disposition_id")
    }
    # `accused` is in the accused's own order (by id), as `confidential_identities` lists them.
    people = zip(petition.accused.values_list("pk", flat=True), accused, strict=False)
    return [
        {"n": n, "who": _("Person %(n)d") % {"n": n}, "post": shown["post"], "outcome": latest.get(pk)}
        for n, (pk, shown) in enumerate(people, 1)
    ]


def _case_page(
    request: HttpRequest,
    petition: Petition,
    bound: tuple[str, ActionForm] | None = None,
    *,
    revealed: bool = False,
    reveal_error: str = "",
    referral_bound: tuple[int, str, ReferralForm] | None = None,
) -> HttpResponse:
    user = request.user
    allowed = _allowed(user, petition)
    offered: dict[str, list] = {}  # the units each selector offers, read once per page
    panels = []
    for verb, action in ACTIONS.items():
        if verb not in allowed:
            continue
        units = _units(action, petition, offered)
        form = bound[1] if bound and bound[0] == verb else _action_form(verb, petition, units)
        panels.append({"verb": verb, "action": action, "form": form, "open": bound is not None and bound[0] == verb})
    pending = None
    if allowed & {"approve-extension", "refuse-extension"}:
        pending = petition.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()
    show_personal = personal_data_visible(user, petition)
    complainant = {
        "name": petition.complainant_name,
        "phone": petition.complainant_phone if show_personal else mask_phone(petition.complainant_phone),
        "id_number": petition.complainant_id_number
        if show_personal
        else mask_id_number(petition.complainant_id_number),
        "masked": not show_personal,
    }
    confidential = petition.category.confidential
    if confidential:
        # A report against officials: "confidential" for all, until an authorised reveal.
        complainant = confidential_identities(user, petition, revealed=revealed)
        complainant["confidential"] = True
        complainant["reveal_error"] = reveal_error
    # The desk that logged a report sees a shell: registered, handed on, its status.
    shell = confidential_shell(user, petition)
    events = list(events_for_user(user, petition))
    dispositions = list(petition.dispositions.select_related("unit")) if confidential and not shell else []
    return render(
        request,
        "petitions/case_detail.html",
        {
            "petition": petition,
            "shell": shell,
            # A report never points to another case (links written before that rule included).
            "repeat_of": petition.repeat_of if petition.repeat_of_id and not confidential else None,
            "complainant": complainant,
            "events": events,
            # Which public steps the resident reads with their note (the others by name only).
            "notes_shown": NOTES_ANSWERING if confidential else NOTES_SHOWN_TO_RESIDENT,
            "attachments": list(attachments_for_user(user, petition)),
            "parts": [] if shell else list(petition.assignments.select_related("unit")),
            "panels": panels,
            "pending_extension": pending,
            "notices": [] if shell else list(notices_visible_to(user).filter(petition=petition)),
            "dispositions": dispositions,
            "outcomes": _latest_outcomes(petition, complainant["accused"]) if dispositions else [],
            "referrals": [] if shell else _referral_box(user, petition, events, referral_bound),
        },
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, petition_get_for_user(request.user, pk))


@never_cache
@login_required
@require_POST
def case_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a confidential report's identities, for this answer only, and record why."""
    petition = petition_get_for_user(request.user, pk)
    try:
        services.petition_reveal(petition_id=petition.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        return _case_page(request, petition, reveal_error=" ".join(error.messages))
    except Refused as refusal:
        return _case_page(request, petition, reveal_error=str(refusal.message))
    return _case_page(request, petition, revealed=True)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    action = ACTIONS.get(verb)
    if action is None:
        raise Http404
    petition = petition_get_for_user(request.user, pk)
    form = _action_form(verb, petition, _units(action, petition, {}), data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action.call(petition_id=petition.pk, actor=request.user, version=data["version"], data=data)
        except ValidationError as error:
            add_service_errors(form, error)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect("petitions:case", pk=petition.pk)
        else:
            messages.success(request, action.done)
            return redirect(reverse("petitions:case", kwargs={"pk": petition.pk}) + "#timeline")
    return _case_page(request, petition, bound=(verb, form))


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    petition = petition_get_for_user(request.user, pk)
    attachment = get_object_or_404(attachments_for_user(request.user, petition), pk=attachment_pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


# --- Referrals (交办单): the case page's box, its decisions, the lists -------------------------


@dataclass(frozen=True)
class ReferralAction:
    label: Promise
    form: type[ReferralForm]
    service: Callable[..., Any]  # the same function as the API's `POST /api/v1/referrals/{id}/{verb}/`
    inputs: tuple[str, ...]  # the form's fields the page passes to the service
    done: Promise


# In the order the referral box shows them.
REFERRAL_ACTIONS: dict[str, ReferralAction] = {
    "report": ReferralAction(
        _("Report the result"),
        ReferralReportForm,
        services.referral_report,
        ("text",),
        _("The result is reported to the unit that handed the case down."),
    ),
    "accept": ReferralAction(
        _("Accept as done"),
        ReferralAcceptForm,
        services.referral_accept,
        ("note",),
        _("The report is accepted: the referral is done."),
    ),
    "return": ReferralAction(
        _("Return for re-handling"),
        ReferralReturnForm,
        services.referral_return,
        ("reason", "report_due"),
        _("The report is returned: the unit below handles the case again."),
    ),
}


def _referral_form(verb: str, referral: Referral, data=None) -> ReferralForm:
    return REFERRAL_ACTIONS[verb].form(
        data, initial={"version": referral.version}, auto_id=f"referral-{referral.pk}-{verb}-%s"
    )


def _referral_box(user, petition: Petition, events: list, bound: tuple[int, str, ReferralForm] | None) -> list[dict]:
    """The case's referrals the user sees, top level first, each with its steps (the events of
    the user's timeline that name it) and the forms the user may use on it now."""
    box = []
    for referral in referrals_visible_to(user).filter(petition=petition).order_by("created_at", "id"):
        allowed = referral_allowed(user, referral)[0]
        forms = []
        for verb, action in REFERRAL_ACTIONS.items():
            if verb not in allowed:
                continue
            mine = bound is not None and bound[:2] == (referral.pk, verb)
            forms.append(
                {
                    "verb": verb,
                    "action": action,
                    "form": bound[2] if mine else _referral_form(verb, referral),
                    "open": mine,
                }
            )
        steps = [event for event in events if (event.data or {}).get("referral") == referral.pk]
        box.append({"referral": referral, "steps": steps, "forms": forms})
    return box


def _referral_url(referral: Referral) -> str:
    return reverse("petitions:case", kwargs={"pk": referral.petition_id}) + f"#referral-{referral.pk}"


@login_required
@require_POST
def referral_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """Report on a referral, accept it or return it: the API's services, from the case page."""
    action = REFERRAL_ACTIONS.get(verb)
    if action is None:
        raise Http404
    referral = referral_get_for_user(request.user, pk)
    form = _referral_form(verb, referral, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            action.service(
                referral_id=referral.pk,
                actor=request.user,
                expected_version=data["version"],
                **{name: data[name] for name in action.inputs},
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect(_referral_url(referral))
        else:
            messages.success(request, action.done)
            return redirect(_referral_url(referral))
    petition = petition_get_for_user(request.user, referral.petition_id)
    return _case_page(request, petition, referral_bound=(referral.pk, verb, form))


REFERRAL_PAGE_SIZE = 50
REFERRAL_MAX_PAGE = 100


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    """The referrals the user's units received or sent (and those on cases they supervise):
    reports still owed first, the one due soonest (so the overdue) at the top."""
    form = ReferralFilterForm(request.GET)
    form.is_valid()  # a value that does not parse is left out, the rest still filters
    chosen = form.cleaned_data
    direction = chosen.get("direction") or ""
    referrals = (
        referral_list_for_user(
            request.user, direction=direction, status=chosen.get("status") or "", overdue=bool(chosen.get("overdue"))
        )
    ).select_related("petition__category")
    try:
        page = min(max(int(request.GET.get("page", 1)), 1), REFERRAL_MAX_PAGE)
    except ValueError:
        page = 1
    offset = (page - 1) * REFERRAL_PAGE_SIZE
    rows = list(referrals[offset : offset + REFERRAL_PAGE_SIZE + 1])
    return render(
        request,
        "petitions/referrals/list.html",
        {
            "form": form,
            "direction": direction,
            "referrals": rows[:REFERRAL_PAGE_SIZE],
            "page": page,
            "has_previous": page > 1,
            "has_next": len(rows) > REFERRAL_PAGE_SIZE and page < REFERRAL_MAX_PAGE,
        },
    )


# --- Supervision notices (督办单) and notifications (通知) --------------------------------------

NOTICE_LIMIT = 100
NOTIFICATION_LIMIT = 100
NOTICE_STAFF_ROLES = frozenset({"clerk", "handler", "leader", "supervisor"})


def _notice_rows(request: HttpRequest, notices, *, overdue_list: bool) -> HttpResponse:
    rows = list(notices[: NOTICE_LIMIT + 1])
    return render(
        request,
        "petitions/notices/list.html",
        {
            "notices": rows[:NOTICE_LIMIT],
            "truncated": len(rows) > NOTICE_LIMIT,
            "limit": NOTICE_LIMIT,
            "overdue_list": overdue_list,
        },
    )


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    return _notice_rows(request, notices_visible_to(request.user).order_by("-created_at", "-id"), overdue_list=False)


@login_required
def notice_overdue(request: HttpRequest) -> HttpResponse:
    """The commission's list (逾期未反馈): unanswered notices past their deadline."""
    return _notice_rows(request, notices_unanswered_overdue_for(request.user), overdue_list=True)


def _notice_page(request: HttpRequest, notice, form: NoticeAnswerForm | None = None) -> HttpResponse:
    can_answer = notice.answered_at is None and bool(notice_member_roles(request.user, notice) & NOTICE_STAFF_ROLES)
    if can_answer and form is None:
        form = NoticeAnswerForm(auto_id="answer-%s")
    return render(
        request,
        "petitions/notices/detail.html",
        {"notice": notice, "form": form if can_answer else None},
    )


@never_cache
@login_required
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = notice_get_for_user(request.user, notice_id)
    # The unit's staff opening it is the unit reading it (签收); supervisors looking are not.
    if notice.read_at is None and notice_member_roles(request.user, notice) & NOTICE_STAFF_ROLES:
        services.notice_open(notice_id=notice.pk, actor=request.user)
        notice = notice_get_for_user(request.user, notice_id)
    return _notice_page(request, notice)


@login_required
@require_POST
def notice_answer(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = notice_get_for_user(request.user, notice_id)
    form = NoticeAnswerForm(request.POST, auto_id="answer-%s")
    if form.is_valid():
        try:
            services.notice_answer(notice_id=notice.pk, actor=request.user, text=form.cleaned_data["answer"])
        except ValidationError as error:
            add_service_errors(form, error)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return redirect("petitions:notice", notice_id=notice.pk)
        else:
            messages.success(request, _("Your explanation is recorded."))
            return redirect("petitions:notice", notice_id=notice.pk)
    return _notice_page(request, notice, form)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = list(notifications_for(request.user)[: NOTIFICATION_LIMIT + 1])
    return render(
        request,
        "petitions/notifications.html",
        {
            "notifications": rows[:NOTIFICATION_LIMIT],
            "truncated": len(rows) > NOTIFICATION_LIMIT,
            "limit": NOTIFICATION_LIMIT,
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read; with `open`, go on to what it is about."""
    notification = get_object_or_404(notifications_for(request.user), pk=notification_id)
    services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
    target = notification.url
    if "open" in request.POST and target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("petitions:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.notification_mark_read(user=request.user)
    messages.success(request, _("All notifications are marked read."))
    return redirect("petitions:notifications")
