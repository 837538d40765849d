"""The verbs of a case (办理环节), declared once: for each, the states it is possible in, who may
take it, the service that does it, the form of the case page and the input of the API, and its
words (the button, the phrase of an error, the API's summary, the message once done).

Who reads it:

- `selectors.allowed_actions(user, case)`: the verbs this person may take now (`allowed`),
  from the case's facts (`CaseState`) and the person's standing on the case (a set of `Who`,
  `selectors.standing`);
- the services' `_require`: a verb refused says whether it is the state or the person
  (`possible`), in the words of `phrase`;
- the case page (`views.ACTIONS`): a panel per verb allowed, in this table's order, with
  `form` (a class of `petitions.forms`), the service called with `inputs` from the form;
- the API (`api.PetitionViewSet`): one `POST /api/v1/petitions/{id}/{verb}/` per verb, its
  input `serializer` (a class of `petitions.serializers`), its schema from `summary`/`help`.

A new verb is a row here, its service, its form and its serializer; tests/petitions/
test_workflow.py walks the table (every verb has all four, and the page and the API offer
exactly what `allowed_actions` says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from petitions.models import Status


class Who(StrEnum):
    """A person's standing on one case (worked out by `selectors.standing`)."""

    HOLDER = "holder"  # a handler or leader of the unit holding it (or a superuser)
    DESK = "desk"  # staff of the desk that took it in (not of a report against officials), or the holder
    SUPERVISOR = "supervisor"  # a supervisor or leader of a region that covers it
    CO_HANDLER = "co_handler"  # a handler or leader of a co-handling unit whose part is not answered yet
    DECIDER = "decider"  # decides extensions: a supervisor over the case, or a superuser
    COMMISSION = "commission"  # the holder, when the holder is a commission (纪委)


class Guard(StrEnum):
    """A condition on the case beyond its state (read from `CaseState`)."""

    EXTENSION_OPEN = "extension_open"  # no extension granted or waiting yet (one per case)
    EXTENSION_PENDING = "extension_pending"  # a request waits for a decision
    NOT_HANDED_ON = "not_handed_on"  # never handed down or referred up (the desk may still settle it)


@dataclass(frozen=True)
class CaseState:
    """What the table reads of a case (`selectors.case_state`)."""

    status: str
    extended_days: int
    extension_pending: bool
    handed_on: bool = False  # handed down or referred up (five-level linkage)

    def holds(self, guard: Guard) -> bool:
        if guard == Guard.EXTENSION_OPEN:
            return self.extended_days == 0 and not self.extension_pending
        if guard == Guard.NOT_HANDED_ON:
            return not self.handed_on
        return self.extension_pending


ANY_STATE = frozenset(Status)
OPEN_TO_NOTES = ANY_STATE - {Status.CLOSED}
HANDLING = frozenset({Status.ACCEPTED, Status.IN_PROGRESS})
HELD = HANDLING | {Status.REGISTERED}  # with a unit that has not replied yet
ANSWERABLE = HANDLING | {Status.UNDER_REVIEW}


@dataclass(frozen=True)
class Verb:
    name: str  # the API's path, the page's form prefix and the name `allowed_actions` gives
    states: frozenset[str]
    who: frozenset[Who]
    service: str  # a function of `petitions.services`
    inputs: tuple[str, ...]  # the form's fields the page passes to the service
    form: str  # a class of `petitions.forms`
    serializer: str  # a class of `petitions.serializers`
    label: Promise  # the button and panel on the case page
    phrase: Promise  # "you cannot … it now"
    done: Promise  # the message once done
    summary: Promise  # the API's summary
    help: Promise  # the API's description
    guards: frozenset[Guard] = field(default_factory=frozenset)
    refused: Promise | None = None  # the refusal when the person may not (else the general one)
    primary: bool = False  # the page's main button
    needs_units: bool = False  # the page offers the units the case may be routed to
    # Which units (a function of `petitions.selectors` or `petitions.selectors.referrals`)
    units: str = "units_for_routing"
    api: bool = True  # has its own API path (a co-handling unit replies through `reply`)

    @property
    def attr(self) -> str:
        """The API view's method name."""
        return "return_case" if self.name == "return" else self.name.replace("-", "_")


def _verb(name, states, who, service, inputs, form, serializer, *, guards=(), **words) -> Verb:
    return Verb(
        name, frozenset(states), frozenset(who), service, tuple(inputs), form, serializer, guards=frozenset(guards),
        **words,
    )  # fmt: skip


H, D, S, C, X, K = Who.HOLDER, Who.DESK, Who.SUPERVISOR, Who.CO_HANDLER, Who.DECIDER, Who.COMMISSION

# In the order the case page shows them.
VERBS: dict[str, Verb] = {
    verb.name: verb
    for verb in (
        _verb(
            "accept", {Status.REGISTERED}, {H}, "petition_accept", ["note"], "NoteOptionalForm", "AcceptInput",
            label=_("Accept"), phrase=pgettext_lazy("case action", "accept"), done=_("The case is accepted."),
            summary=_("Accept"), help=_("The handling deadline starts now."), primary=True,
        ),
        _verb(
            "reject", {Status.REGISTERED}, {H}, "petition_reject", ["reason", "guidance"], "RejectForm", "RejectInput",
            label=_("Do not accept"), phrase=pgettext_lazy("case action", "decline"),
            done=_("The case is not accepted; the resident is told where to go instead."),
            summary=_("Decline"), help=_("With the reason and where the resident should go instead."),
        ),
        _verb(
            "settle", {Status.REGISTERED}, {D}, "petition_settle", ["text"], "SettleForm", "SettleInput",
            guards=[Guard.NOT_HANDED_ON],
            label=_("Settle on the spot"), phrase=pgettext_lazy("case action", "settle on the spot"),
            done=_("The case is settled and closed."),
            summary=pgettext_lazy("API summary", "Settle on the spot"), help=_("A small matter, registered and closed in one step."),
        ),
        _verb(
            "assign", HANDLING, {H}, "petition_assign", ["unit", "co_units", "note"], "AssignForm", "AssignInput",
            label=_("Assign"), phrase=pgettext_lazy("case action", "assign"), done=_("The case is assigned."),
            summary=_("Assign"), help=_("To the lead unit, with optional co-handling units."),
            needs_units=True, primary=True,
        ),
        _verb(
            "transfer", HANDLING, {H}, "petition_transfer", ["unit", "note"], "TransferForm", "TransferInput",
            label=_("Transfer"), phrase=pgettext_lazy("case action", "transfer"), done=_("The case is transferred."),
            summary=_("Transfer"), help=_("To another competent unit."), needs_units=True,
        ),
        _verb(
            "hand-down", HELD, {H}, "petition_hand_down", ["unit", "report_due", "instructions"], "HandDownForm",
            "HandDownInput",
            label=_("Hand down"), phrase=pgettext_lazy("case action", "hand down"),
            done=_("The case is handed down; the unit below reports the result by the due date."),
            summary=pgettext_lazy("API summary", "Hand down"),
            help=_(
                "To a unit below yours, with instructions and the day the result is due (a working day; "
                "15 working days when not given). A referral records it."
            ),
            needs_units=True, units="units_below",
        ),
        _verb(
            "refer-up", HELD, {H}, "petition_refer_up", ["unit", "reason"], "ReferUpForm", "ReferUpInput",
            label=_("Refer up"), phrase=pgettext_lazy("case action", "refer up"),
            done=_("The case is referred up."),
            summary=pgettext_lazy("API summary", "Refer up"), help=_("Beyond this level's remit: to a unit above, with the reason."),
            needs_units=True, units="units_above",
        ),
        _verb(
            "reply", ANSWERABLE, {H}, "petition_reply", ["text"], "TextForm", "ReplyInput",
            label=_("Reply"), phrase=pgettext_lazy("case action", "reply"), done=_("The reply is recorded."),
            summary=_("Reply"),
            help=_("The lead unit's reply answers the resident; a co-handling unit's reply is its part of the work."),
            primary=True,
        ),
        _verb(
            "co-reply", {Status.IN_PROGRESS}, {C}, "petition_reply", ["text"], "TextForm", "ReplyInput",
            label=_("Reply as co-handling unit"), phrase=pgettext_lazy("case action", "reply"),
            done=_("Your unit's reply is recorded."),
            summary=_("Reply"),
            help=_("The lead unit's reply answers the resident; a co-handling unit's reply is its part of the work."),
            primary=True, api=False,
        ),
        _verb(
            "rate", {Status.REPLIED}, {H, D, S}, "petition_rate", ["satisfaction", "comment"], "RateForm", "RateInput",
            label=_("Record the rating"), phrase=pgettext_lazy("case action", "rate"), done=_("The rating is recorded."),
            summary=_("Record the resident's rating"),
            help=_("A rating given by phone or at the desk. Satisfied or basically satisfied closes the case."),
            primary=True,
        ),
        _verb(
            "close", {Status.REPLIED}, {H, D, S}, "petition_close", ["note"], "NoteOptionalForm", "CloseInput",
            label=_("Close"), phrase=pgettext_lazy("case action", "close"), done=_("The case is closed."),
            summary=_("Close"), help=_("A replied case, keeping whatever rating it has."),
        ),
        _verb(
            "return", {Status.IN_PROGRESS}, {H}, "petition_return", ["reason"], "ReasonForm", "ReturnInput",
            label=_("Return"), phrase=pgettext_lazy("case action", "return"),
            done=_("The case is returned to the unit that sent it."),
            summary=_("Return"), help=_("Not for this unit: back to the unit that sent it."),
        ),
        _verb(
            "request-extension", HANDLING, {H}, "petition_request_extension", ["days", "reason"], "ExtensionForm",
            "RequestExtensionInput", guards=[Guard.EXTENSION_OPEN],
            label=_("Ask for more time"), phrase=pgettext_lazy("case action", "request an extension"),
            done=_("The extension request is sent."),
            summary=_("Ask for more time"), help=_("Once per case; a supervisor decides."),
        ),
        _verb(
            "approve-extension", ANY_STATE, {X}, "petition_approve_extension", ["note"], "NoteOptionalForm",
            "DecisionInput", guards=[Guard.EXTENSION_PENDING],
            label=_("Approve the extension"), phrase=pgettext_lazy("case action", "approve the extension"),
            done=_("The extension is approved: the deadline moved."),
            summary=_("Approve the extension"), help=_("The deadline moves by the days asked for."), primary=True,
        ),
        _verb(
            "refuse-extension", ANY_STATE, {X}, "petition_refuse_extension", ["note"], "NoteOptionalForm",
            "DecisionInput", guards=[Guard.EXTENSION_PENDING],
            label=_("Refuse the extension"), phrase=pgettext_lazy("case action", "refuse the extension"),
            done=_("The extension is refused."),
            summary=_("Refuse the extension"), help=_("The deadline stays."),
        ),
        _verb(
            "dispose", ANSWERABLE, {K}, "petition_dispose",
            ["kind", "sanctioned_count", "sanction_kind", "note", "people"], "DisposeForm", "DisposeInput",
            label=_("Record the disposition"), phrase=_("record a disposition for"),
            done=_("The disposition is recorded."),
            summary=pgettext_lazy("API summary", "Record the disposition"), help=_("The commission holding the case only."),
            refused=_("Only the commission holding the case may record its disposition."), primary=True,
        ),
        _verb(
            "note", OPEN_TO_NOTES, {D, S, C}, "petition_note", ["text", "public"], "NoteForm", "NoteInput",
            label=_("Add a note"), phrase=pgettext_lazy("case action", "add a note"), done=_("The note is added."),
            summary=_("Note progress"), help=_("Internal unless public is true."),
        ),
    )
}  # fmt: skip


def possible(state: CaseState) -> set[str]:
    """The verbs someone entitled to all of them could take in this state (to tell a refusal
    for the state from one for the person)."""
    return {
        verb.name
        for verb in VERBS.values()
        if state.status in verb.states and all(state.holds(guard) for guard in verb.guards)
    }


def allowed(state: CaseState, standing: set[Who]) -> set[str]:
    """The verbs a person of this standing may take on a case in this state."""
    return {name for name in possible(state) if VERBS[name].who & standing}
