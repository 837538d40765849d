"""Every write to the petitions app, one module per noun; this package re-exports them.

- `registration`: register, attach, the receipt's codes, ID numbers, repeats
- `handling`: accept, reject, assign, transfer, return, note, reply, close, settle
- `extensions`: request, approve or refuse an extension; chasing a request
- `resident`: rate, review, closing a reply left unrated
- `escalation`: escalating what is overdue, one case and the sweep's batch
- `reminders`: reminders before a deadline, chasing late co-handling units
- `notices`: supervision notices
- `notify`: notifications and their delivery
- `confidential`: reveals and dispositions of reports against officials (one outcome per person)
- `referrals`: five-level linkage: hand down, refer up, report, accept, return; chasing a late report
- `_common`: the steps every verb shares (event, row lock, permission, save)

The holiday calendar's sync lives in `petitions.calendar` (re-exported here).

## Cases
Every write to a case: one function per verb of the lifecycle (DESIGN.md §5, §8).

Each function takes keyword-only arguments and the acting user explicitly, locks the case
row, checks the state and the actor's right (the same rules `selectors.allowed_actions`
shows on the case page), makes the change, writes its `PetitionEvent` in the same
transaction and raises before writing anything when the action cannot happen. Passing
`expected_version` (the version the caller saw) turns a concurrent change into a clear
`StaleVersion` refusal instead of acting on a case that moved.
"""

from __future__ import annotations

from petitions.calendar import HolidaySyncResult, holidays_sync, holidays_sync_into
from petitions.services.confidential import petition_dispose, petition_reveal
from petitions.services.escalation import (
    EscalationPlan,
    petition_escalate,
    petitions_escalate_batch,
    plan_escalation,
)
from petitions.services.extensions import (
    extension_chase,
    petition_approve_extension,
    petition_refuse_extension,
    petition_request_extension,
)
from petitions.services.handling import (
    petition_accept,
    petition_assign,
    petition_close,
    petition_note,
    petition_reject,
    petition_reply,
    petition_return,
    petition_settle,
    petition_transfer,
)
from petitions.services.notices import _notice_url, notice_answer, notice_issue, notice_mark_unanswered, notice_open
from petitions.services.notify import notification_deliver, notification_mark_read, notify
from petitions.services.referrals import (
    petition_hand_down,
    petition_refer_up,
    referral_accept,
    referral_chase,
    referral_remind,
    referral_report,
    referral_return,
    report_due_at,
)
from petitions.services.registration import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_ATTACHMENTS,
    Registration,
    check_attachment,
    id_number_is_valid,
    id_numbers_rekey,
    petition_attach,
    petition_register,
)
from petitions.services.reminders import petition_chase_co_units, petition_remind, remind_cutoff
from petitions.services.resident import petition_close_unrated, petition_rate, petition_request_review
from petitions.services.sweep_cache import EscalationCache, county_commission_of
from petitions.tracking import QUERY_CODE_LENGTH, normalize_tracking_number, query_code_hash, query_code_matches

__all__ = [
    "ALLOWED_ATTACHMENT_TYPES",
    "MAX_ATTACHMENTS",
    "QUERY_CODE_LENGTH",
    "EscalationCache",
    "EscalationPlan",
    "HolidaySyncResult",
    "Registration",
    "_notice_url",
    "check_attachment",
    "county_commission_of",
    "extension_chase",
    "holidays_sync",
    "holidays_sync_into",
    "id_number_is_valid",
    "id_numbers_rekey",
    "normalize_tracking_number",
    "notice_answer",
    "notice_issue",
    "notice_mark_unanswered",
    "notice_open",
    "notification_deliver",
    "notification_mark_read",
    "notify",
    "petition_accept",
    "petition_approve_extension",
    "petition_assign",
    "petition_attach",
    "petition_chase_co_units",
    "petition_close",
    "petition_close_unrated",
    "petition_dispose",
    "petition_escalate",
    "petition_hand_down",
    "petition_note",
    "petition_rate",
    "petition_refer_up",
    "petition_refuse_extension",
    "petition_register",
    "petition_reject",
    "petition_remind",
    "petition_reply",
    "petition_request_extension",
    "petition_request_review",
    "petition_return",
    "petition_reveal",
    "petition_settle",
    "petition_transfer",
    "petitions_escalate_batch",
    "plan_escalation",
    "query_code_hash",
    "query_code_matches",
    "referral_accept",
    "referral_chase",
    "referral_remind",
    "referral_report",
    "referral_return",
    "remind_cutoff",
    "report_due_at",
]
