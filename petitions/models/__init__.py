"""The case (诉求件) and what hangs on it, one module per noun: reference data (categories,
the holiday calendar), the case with its timeline and files, deadlines and supervision with
notifications, reports against officials. Everything is imported here: callers write
`from petitions.models import Petition`."""

from petitions.models.case import (
    OPEN_STATUSES,
    Assignment,
    Attachment,
    Channel,
    ExtensionRequest,
    Petition,
    PetitionEvent,
    Satisfaction,
    Source,
    Status,
    attachment_path,
)
from petitions.models.reference import Category, CommonPhrase, DayType, Holiday
from petitions.models.referrals import Referral
from petitions.models.reports import AccusedPerson, Disposition, PersonOutcome, Recusal
from petitions.models.supervision import (
    DeadlineKind,
    DeadlineMiss,
    Escalation,
    Notification,
    NotificationRoute,
    SupervisionNotice,
)

__all__ = [
    "OPEN_STATUSES",
    "AccusedPerson",
    "Assignment",
    "Attachment",
    "Category",
    "Channel",
    "CommonPhrase",
    "DayType",
    "DeadlineKind",
    "DeadlineMiss",
    "Disposition",
    "Escalation",
    "ExtensionRequest",
    "Holiday",
    "Notification",
    "NotificationRoute",
    "PersonOutcome",
    "Petition",
    "PetitionEvent",
    "Recusal",
    "Referral",
    "Satisfaction",
    "Source",
    "Status",
    "SupervisionNotice",
    "attachment_path",
]
