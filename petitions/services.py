"""Every write to the petitions app.

## Cases
Every write to a case: one function per verb of the lifecycle (DESIGN.md §5, §8).

Each function takes keyword-only arguments and the acting user explicitly, locks the case
row, checks the state and the actor's right (the same rules `selectors.allowed_actions`
shows on the case page), makes the change, writes its `PetitionEvent` in the same
transaction and raises before writing anything when the action cannot happen. Passing
`expected_version` (the version the caller saw) turns a concurrent change into a clear
`StaleVersion` refusal instead of acting on a case that moved.

## The holiday calendar

Every write to the petitions app.

The holiday calendar (节假日安排) is pre-filled from `chinese-calendar` (PyPI
`chinese-calendar`, github.com/LKI/chinese-calendar, MIT, pinned in pyproject.toml). We chose
it over `holidays` (python-holidays) because:

- it holds exactly what the State Council's yearly notice (国务院办公厅关于…部分节假日安排的通知)
  says, nothing more: every day off of each break, weekends inside a break included (so the
  admin sees 国庆节 on each of 1–7 October), and every weekend day worked in lieu (调休上班),
  each named after its holiday;
- for a year whose notice it does not have yet it has no data and says so, where
  python-holidays' China calendar falls back to a rule (statutory days, weekend holidays
  observed on the next weekday) and returns guessed days off with no make-up working days:
  a deadline calendar must not be pre-filled with a guess;
- it ships its data as a Python module with no dependencies, so a sync never needs the network.

python-holidays does list the make-up working days (`China().weekend_workdays`) for the years
it has notices for; the two agree on 2025 and 2026. Neither had 2027 when this was written:
the admin enters it when the notice is published (each November or so), or the pinned
version is raised and `manage.py sync_holidays` (also run after every `migrate`) fills it in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar
import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from config.errors import InvalidState, NotPermitted, StaleVersion
from petitions.deadlines import CALENDAR, CHINA, deadline_add
from petitions.idnumbers import id_number_digest, id_number_digests, normalize_id_number
from petitions.models import (
    AccusedPerson,
    Assignment,
    Attachment,
    Category,
    Channel,
    DayType,
    DeadlineKind,
    DeadlineMiss,
    Disposition,
    Escalation,
    ExtensionRequest,
    Holiday,
    Notification,
    NotificationRoute,
    Petition,
    PetitionEvent,
    Recusal,
    Satisfaction,
    Status,
    SupervisionNotice,
)
from petitions.recusal import accused_key, commission_above, competent_commission, recused_units, unit_recused
from petitions.selectors import (
    ACTING_ROLES,
    allowed_actions,
    can_issue_notice,
    confidential_visible,
    notice_member_roles,
    notification_recipients,
    users_who_see,
)
from stations import codes
from stations.models import Region, Unit, User
from stations.selectors import intake_unit_above, intake_unit_in, intake_units_of, scope_for

Verb = PetitionEvent.Verb

# --- Codes on the receipt ------------------------------------------------------------------

_TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
QUERY_CODE_LENGTH = 8


def _new_tracking_number() -> str:
    """`20261123-K7M2QX`: the day it was registered and six random characters."""
    suffix = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))
    return f"{timezone.localdate():%Y%m%d}-{suffix}"


def normalize_tracking_number(value: str) -> str:
    """What a resident types, as we store it: upper case, the hyphen where it belongs."""
    compact = re.sub(r"[\s\-]", "", value or "").upper()
    return f"{compact[:8]}-{compact[8:]}" if len(compact) == 14 else compact


def _query_code_hash(tracking_number: str, code: str, secret: str | None = None) -> str:
    return salted_hmac("suqiu.query-code", f"{tracking_number}:{code}", secret=secret, algorithm="sha256").hexdigest()


def query_code_matches(petition: Petition, code: str) -> bool:
    """Whether `code` is the case's query code (also under a rotated-out SECRET_KEY)."""
    code = re.sub(r"\s", "", code or "")
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if constant_time_compare(_query_code_hash(petition.tracking_number, code, secret), petition.query_code_hash):
            return True
    return False


# --- Validation helpers --------------------------------------------------------------------

_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
ALLOWED_ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
MAX_ATTACHMENTS = 5


def id_number_is_valid(value: str) -> bool:
    """An 18-character resident ID number (GB 11643): python-stdnum's `cn.ric` checks the check
    character, that the birth date is a real day and that the region of birth is a division
    code that exists or existed. (The 15-digit numbers of before 1999 are not taken.)"""
    from stdnum.cn import ric  # loads its table of division codes on first use only

    value = value.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", value)) and ric.is_valid(value)


def id_numbers_rekey(*, batch_size: int = 500) -> int:
    """Re-encrypt every stored ID number and recompute its digest under the current (first)
    FIELD_ENCRYPTION_KEY, after a new key was put in front; then the old key can be removed.
    Safe to run again or interrupt: each batch is its own transaction. Returns the rows done."""
    done, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Petition.objects.select_for_update()
                .exclude(complainant_id_number="")
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .only("pk", "complainant_id_number")[:batch_size]
            )
            if not batch:
                return done
            for petition in batch:
                petition.complainant_id_digest = id_number_digest(petition.complainant_id_number)
            Petition.objects.bulk_update(batch, ["complainant_id_number", "complainant_id_digest"])
        done += len(batch)
        last_pk = batch[-1].pk


def check_attachment(upload: UploadedFile) -> tuple[str, str]:
    """(content type, extension) read from the file's bytes, or a ValidationError.

    The name and the type the browser sent are not trusted: a script renamed `photo.jpg`
    is refused.
    """
    limit = settings.SUQIU_MAX_ATTACHMENT_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large: at most %(mb)d MB.") % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_ATTACHMENT_TYPES:
        raise ValidationError(_("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF.") % {"name": upload.name})
    return kind.mime, f".{kind.extension}"


# --- Shared steps ----------------------------------------------------------------------------


def _event(petition: Petition, verb: str, actor: User | None, *, public: bool = False, **fields) -> PetitionEvent:
    return PetitionEvent.objects.create(
        petition=petition,
        verb=verb,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_unit=fields.pop("actor_unit", None),
        public=public,
        **fields,
    )


def _locked(petition_id: int, expected_version: int | None) -> Petition:
    """The case's row, locked for this transaction, as it is once the lock is ours.

    The row alone is locked, then read with its relations: PostgreSQL re-checks a locking
    query's joins against the row's new version after waiting, so a join on the unit a
    concurrent transfer just replaced would find no row at all."""
    try:
        Petition.objects.select_for_update().only("pk").get(pk=petition_id)
    except Petition.DoesNotExist:
        raise StaleVersion(_("Someone else changed this case a moment ago. Reload it and try again.")) from None
    petition = Petition.objects.select_related("category", "region", "holder_unit", "intake_unit").get(pk=petition_id)
    if expected_version is not None and petition.version != expected_version:
        raise StaleVersion(
            _("Someone else changed this case a moment ago. Reload it and try again."),
        )
    return petition


def _require(actor: User, petition: Petition, action: str) -> None:
    """Refuse unless `action` is allowed now; say whether it is the state or the person."""
    if action in allowed_actions(actor, petition):
        return
    if action in _actions_in_state(petition):
        raise NotPermitted(_("You may not take this action on this case."))
    raise InvalidState(
        _("The case is “%(status)s”: you cannot %(action)s it now.")
        % {"status": petition.get_status_display(), "action": _ACTION_NAMES.get(action, action)}
    )


def _actions_in_state(petition: Petition) -> set[str]:
    """What a fully entitled user could do in this state (to tell state from permission)."""
    by_status = {
        Status.REGISTERED: {"accept", "reject", "settle", "note"},
        Status.ACCEPTED: {"assign", "transfer", "request-extension", "reply", "note"},
        Status.IN_PROGRESS: {"assign", "transfer", "return", "request-extension", "reply", "co-reply", "note"},
        Status.UNDER_REVIEW: {"reply", "note"},
        Status.REPLIED: {"close", "rate", "note"},
    }
    actions = set(by_status.get(petition.status, set()))
    if petition.extended_days:
        actions.discard("request-extension")
    if petition.extension_requests.filter(state=ExtensionRequest.State.PENDING).exists():
        actions |= {"approve-extension", "refuse-extension"}
        actions.discard("request-extension")
    return actions


_ACTION_NAMES = {
    "accept": pgettext_lazy("case action", "accept"),
    "reject": pgettext_lazy("case action", "decline"),
    "assign": pgettext_lazy("case action", "assign"),
    "transfer": pgettext_lazy("case action", "transfer"),
    "return": pgettext_lazy("case action", "return"),
    "request-extension": pgettext_lazy("case action", "request an extension"),
    "approve-extension": pgettext_lazy("case action", "approve the extension"),
    "refuse-extension": pgettext_lazy("case action", "refuse the extension"),
    "reply": pgettext_lazy("case action", "reply"),
    "co-reply": pgettext_lazy("case action", "reply"),
    "close": pgettext_lazy("case action", "close"),
    "settle": pgettext_lazy("case action", "settle on the spot"),
    "rate": pgettext_lazy("case action", "rate"),
    "note": pgettext_lazy("case action", "add a note"),
}


def _save(petition: Petition, *fields: str) -> None:
    petition.version += 1
    # The fields' own rules; the unique tracking number never changes after registration and
    # the status and channel checks are database constraints: no query to re-check them.
    petition.full_clean(
        exclude=["category", "region", "holder_unit", "intake_unit", "registered_by", "repeat_of"],
        validate_unique=False,
        validate_constraints=False,
    )
    petition.save(update_fields=[*fields, "version"])


def _acting_unit(actor: User, *candidates: Unit | None) -> Unit | None:
    """The unit on whose behalf the actor acts: the first candidate they hold a role in."""
    scope = scope_for(actor)
    for unit in candidates:
        if unit is not None and scope.roles_in(unit.pk):
            return unit
    return None


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# --- Register -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A newly registered case and its query code (shown once, on the receipt)."""

    petition: Petition
    query_code: str
    # What was written with it (the API answers from them instead of reading them back).
    assignment: Assignment | None = None
    accused: tuple[AccusedPerson, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def _validate_registration(
    *,
    actor: User | None,
    intake_unit: Unit | None,
    channel: str,
    category: Category | None,
    region: Region | None,
    title: str,
    content: str,
    anonymous: bool,
    complainant_name: str,
    complainant_phone: str,
    complainant_id_number: str,
    attachments: Sequence[UploadedFile],
    public_county_code: str | None,
) -> dict:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if channel not in Channel.values:
        add("channel", _("Choose how the grievance reached you."))
    if category is None or not category.is_active:
        add("category", _("Choose a category."))
    if region is None or region.level != Region.Level.VILLAGE:
        add("region", _("Choose the village (community) where it happened."))
    elif (
        intake_unit is not None
        and region.county_code != intake_unit.region.county_code
        and (codes.LEVELS.index(intake_unit.region.level) >= codes.LEVELS.index("county"))
    ):
        add("region", _("The village must be in your county."))
    elif public_county_code and region.county_code != public_county_code:
        add("region", _("The village must be in this county."))
    title = (title or "").strip()
    content = (content or "").strip()
    if not title:
        add("title", _("Give the matter a short title."))
    elif len(title) > 120:
        add("title", _("The title can be at most 120 characters."))
    if not content:
        add("content", _("Describe the matter."))
    elif len(content) > 5000:
        add("content", _("The description can be at most 5000 characters."))
    if not anonymous and not (complainant_name or "").strip():
        add("complainant_name", _("Give the complainant's name, or mark the case anonymous."))
    if complainant_phone and not _PHONE_RE.match(complainant_phone.strip()):
        add("complainant_phone", _("Give a mobile number (11 digits) or a landline with its area code."))
    if complainant_id_number and not id_number_is_valid(complainant_id_number.strip()):
        add("complainant_id_number", _("This is not a valid 18-character ID number."))
    if len(attachments) > MAX_ATTACHMENTS:
        add("attachments", _("At most %(n)d files.") % {"n": MAX_ATTACHMENTS})
    checked = []
    for upload in attachments:
        try:
            checked.append((upload, *check_attachment(upload)))
        except ValidationError as error:
            for message in error.messages:
                add("attachments", message)
    if errors:
        raise ValidationError(errors)
    return {"title": title, "content": content, "attachments": checked}


def _accused_people(accused: Sequence[dict], region: Region) -> list[AccusedPerson]:
    """The officials a report names, each checked: a name, and a unit (when given) of the
    county the report is filed in — a unit of another county would send the report to a
    commission that cannot see it."""
    if len(accused) > AccusedPerson.MAX_PER_REPORT:
        message = _("A report can name at most %(n)d people: list the others in the description.")
        raise ValidationError({"accused": message % {"n": AccusedPerson.MAX_PER_REPORT}})
    people = []
    for i, person in enumerate(accused):
        name = (person.get("name") or "").strip()
        if not name:
            raise ValidationError({"accused": _("Give the name of accused person %(n)d.") % {"n": i + 1}})
        unit = person.get("unit")
        if unit is not None and (not unit.is_active or not unit.region.code.startswith(region.code[:6])):
            raise ValidationError(
                {"accused": _("The unit of accused person %(n)d is not a unit of this county.") % {"n": i + 1}}
            )
        people.append(AccusedPerson(name=name[:60], post=(person.get("post") or "").strip()[:80], unit=unit))
    return people


def _find_repeat(petition: Petition) -> Petition | None:
    """An earlier case by the same person (phone or ID number) about the same village and
    category, still open or closed within a year, through any channel at any level.

    A report against officials is never linked, either way: the link (and the count on the
    earlier case) would lead whoever sees one case to the other, and an official reported in
    the second case to the reporter of the first."""
    if petition.category.confidential:
        return None  # and an earlier case of the same category is not confidential either
    same_person = Q()
    if petition.complainant_phone:
        same_person |= Q(complainant_phone=petition.complainant_phone)
    if petition.complainant_id_number:
        # The number is encrypted; its digest (under any configured key) is what matches.
        same_person |= Q(complainant_id_digest__in=id_number_digests(petition.complainant_id_number))
    if not same_person:
        return None
    year_ago = timezone.now() - timedelta(days=365)
    earlier = (
        Petition.objects.filter(same_person, region_id=petition.region_id, category_id=petition.category_id)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=year_ago))
        .exclude(status=Status.REJECTED)
        .order_by("-created_at", "-id")
        .only("id", "tracking_number", "repeat_of_id")
        .first()
    )
    if earlier is None:
        return None
    if earlier.repeat_of_id is None:
        return earlier
    return Petition.objects.only("id", "tracking_number", "repeat_of_id").get(pk=earlier.repeat_of_id)


@transaction.atomic
def petition_register(
    *,
    actor: User | None,
    channel: str,
    category: Category | None,
    region: Region | None,
    title: str,
    content: str,
    anonymous: bool = False,
    complainant_name: str = "",
    complainant_phone: str = "",
    complainant_id_number: str = "",
    intake_unit: Unit | None = None,
    attachments: Sequence[UploadedFile] = (),
    public_county_code: str | None = None,
    accused: Sequence[dict] = (),
) -> Registration:
    """Log a grievance (登记). Staff register at their intake unit; `actor=None` is a
    resident's own online submission. The case goes to the intake centre that decides
    acceptance: a village desk's case to its township centre.

    A confidential report against officials (涉纪涉腐) goes straight to the competent
    commission instead (`recusal.competent_commission`): the level above the accused's unit,
    around any commission the report names (回避). `accused` lists the officials named, as
    dicts of name, post and unit."""
    if actor is not None:
        desks = intake_units_of(actor)
        if intake_unit is None and len(desks) == 1:
            intake_unit = desks[0]
        if intake_unit is None or intake_unit.pk not in {desk.pk for desk in desks}:
            raise NotPermitted(_("Only the staff of an intake centre or station can register cases."))
    cleaned = _validate_registration(
        actor=actor,
        intake_unit=intake_unit,
        channel=channel,
        category=category,
        region=region,
        title=title,
        content=content,
        anonymous=anonymous,
        complainant_name=complainant_name,
        complainant_phone=complainant_phone,
        complainant_id_number=complainant_id_number,
        attachments=attachments,
        public_county_code=public_county_code,
    )
    accused_people = _accused_people(accused, region)
    if category.confidential:
        holder = competent_commission(region, accused_people)
        if holder is None:
            raise ValidationError({"category": _("No commission can take this report yet.")})
    elif intake_unit is not None and intake_unit.region.level != Region.Level.VILLAGE:
        holder = intake_unit
    else:
        township = region.parent
        holder = intake_unit_in(township) or intake_unit_above(township) or intake_unit
    if holder is None:
        raise ValidationError({"region": _("No intake centre serves this village yet.")})

    now = timezone.now()
    query_code = "".join(secrets.choice("0123456789") for _ in range(QUERY_CODE_LENGTH))
    petition = Petition(
        channel=channel,
        category=category,
        region=region,
        region_code=region.code,
        level=(intake_unit or holder).region.level,
        intake_unit=intake_unit,
        holder_unit=holder,
        registered_by=actor,
        title=cleaned["title"],
        content=cleaned["content"],
        anonymous=anonymous,
        complainant_name="" if anonymous else complainant_name.strip(),
        complainant_phone=complainant_phone.strip(),
        complainant_id_number=normalize_id_number(complainant_id_number),
        complainant_id_digest=id_number_digest(complainant_id_number),
        created_at=now,
        acceptance_due_at=deadline_add(now, category.acceptance_days, category.day_type),
    )
    petition.current_due_at = petition.acceptance_due_at
    original = _find_repeat(petition)
    if original is not None:
        petition.repeat_of = original
    elif intake_unit is not None and intake_unit.region.level in ("province", "city", "county"):
        # Filed above the township with nothing filed below first: 越级.
        petition.level_skipping = channel != Channel.REFERRAL
    for _attempt in range(5):
        petition.tracking_number = _new_tracking_number()
        petition.query_code_hash = _query_code_hash(petition.tracking_number, query_code)
        try:
            with transaction.atomic():
                petition.save(force_insert=True)
            break
        except IntegrityError:
            if Petition.objects.filter(tracking_number=petition.tracking_number).exists():
                petition.pk = None
                continue
            raise
    else:  # pragma: no cover - 32**6 numbers a day
        raise RuntimeError("could not draw a free tracking number")

    lead = Assignment.objects.create(petition=petition, unit=holder, role=Assignment.Role.LEAD, created_at=now)
    for person in accused_people:
        person.petition = petition
        person.full_clean()
        person.save()
    if accused_people:
        Recusal.objects.bulk_create(
            Recusal(petition=petition, unit=unit, created_at=now)
            for unit in recused_units(region, accused_people, intake_unit=intake_unit)
        )
    _event(
        petition,
        Verb.REGISTERED,
        actor,
        public=True,
        actor_unit=intake_unit,
        to_unit=holder,
        data={"channel": channel, "acceptance_due_at": petition.acceptance_due_at.isoformat()},
        created_at=now,
    )
    if original is not None:
        Petition.objects.filter(pk=original.pk).update(repeat_count=F("repeat_count") + 1)
        _event(petition, Verb.REPEAT, None, data={"repeat_of": original.tracking_number}, created_at=now)
    attached = [
        _attach(petition, upload, content_type, extension, actor)
        for upload, content_type, extension in cleaned["attachments"]
    ]
    return Registration(
        petition=petition,
        query_code=query_code,
        assignment=lead,
        accused=tuple(accused_people),
        attachments=tuple(attached),
    )


def _attach(petition: Petition, upload: UploadedFile, content_type: str, extension: str, actor: User | None):
    attachment = Attachment(
        petition=petition,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        extension=extension,
        size=upload.size,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def petition_attach(
    *, petition_id: int, actor: User, upload: UploadedFile, expected_version: int | None = None
) -> Attachment:
    """Add a photo or a scanned letter to an open case."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "note")
    try:
        content_type, extension = check_attachment(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    attachment = _attach(petition, upload, content_type, extension, actor)
    _event(
        petition,
        Verb.ATTACHED,
        actor,
        actor_unit=_acting_unit(actor, petition.holder_unit, petition.intake_unit),
        data={"attachment": attachment.pk, "name": attachment.original_name},
    )
    _save(petition)
    return attachment


# --- Acceptance -----------------------------------------------------------------------------


@transaction.atomic
def petition_accept(*, petition_id: int, actor: User, note: str = "", expected_version: int | None = None) -> Petition:
    """Accept the case (受理): the handling deadline starts."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "accept")
    now = timezone.now()
    petition.status = Status.ACCEPTED
    petition.accepted_at = now
    petition.due_at = deadline_add(now, petition.category.handling_days, petition.category.day_type)
    petition.current_due_at = petition.due_at
    _save(petition, "status", "accepted_at", "due_at", "current_due_at")
    _event(
        petition,
        Verb.ACCEPTED,
        actor,
        public=True,
        actor_unit=petition.holder_unit,
        note=note.strip(),
        data={"due_at": petition.due_at.isoformat()},
    )
    return petition


@transaction.atomic
def petition_reject(
    *, petition_id: int, actor: User, reason: str, guidance: str, expected_version: int | None = None
) -> Petition:
    """Decline the case (不予受理) with the reason and where to go instead (一次性告知)."""
    reason = _require_text(reason, "reason", _("Say why the case is not accepted."))
    guidance = _require_text(guidance, "guidance", _("Tell the resident where to go instead."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "reject")
    now = timezone.now()
    petition.status = Status.REJECTED
    petition.rejection_reason, petition.rejection_guidance = reason, guidance
    petition.closed_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, active=True).update(active=False)
    _save(petition, "status", "rejection_reason", "rejection_guidance", "closed_at", "current_due_at")
    _event(
        petition,
        Verb.REJECTED,
        actor,
        public=True,
        actor_unit=petition.holder_unit,
        note=reason,
        data={"guidance": guidance},
    )
    return petition


# --- Routing --------------------------------------------------------------------------------


def _check_target(actor: User, petition: Petition, unit: Unit | None, field: str = "unit") -> Unit:
    if unit is None or not unit.is_active:
        raise ValidationError({field: _("Choose an active unit.")})
    if unit.pk == petition.holder_unit_id:
        raise ValidationError({field: _("The case is already with this unit.")})
    # A case stays in its county, or goes up to the city or province that supervises it.
    county = petition.region_code[:6]
    unit_code = unit.region.code
    if not (unit_code.startswith(county) or unit_code in codes.ancestor_codes(petition.region_code)):
        raise ValidationError({field: _("This unit is outside the case's county.")})
    # Recusal (回避): a report never goes to a unit it names, or whose leadership it names.
    if petition.category.confidential and unit_recused(unit, petition.accused.all()):
        raise ValidationError({field: _("This unit must stand aside: the report names its staff or leadership.")})
    return unit


def _move_lead(petition: Petition, unit: Unit, now, due_at) -> None:
    Assignment.objects.filter(petition=petition, role=Assignment.Role.LEAD, active=True).update(active=False)
    Assignment.objects.filter(petition=petition, unit=unit, active=True).update(active=False)
    Assignment.objects.create(petition=petition, unit=unit, role=Assignment.Role.LEAD, due_at=due_at, created_at=now)
    petition.holder_unit = unit


@transaction.atomic
def petition_assign(
    *,
    petition_id: int,
    actor: User,
    unit: Unit,
    co_units: Sequence[Unit] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Petition:
    """Hand the case to the unit that must handle it (交办), with co-handling units (协办)."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "assign")
    unit = _check_target(actor, petition, unit)
    co_units = [_check_target(actor, petition, co, "co_units") for co in co_units]
    if unit.pk in {co.pk for co in co_units}:
        raise ValidationError({"co_units": _("The lead unit cannot also be a co-handling unit.")})
    now = timezone.now()
    previous = petition.holder_unit
    _move_lead(petition, unit, now, petition.due_at)
    for co in co_units:
        Assignment.objects.filter(petition=petition, unit=co, active=True).update(active=False)
        Assignment.objects.create(
            petition=petition, unit=co, role=Assignment.Role.CO, due_at=petition.due_at, created_at=now
        )
    petition.status = Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(
        petition,
        Verb.ASSIGNED,
        actor,
        public=True,
        actor_unit=previous,
        from_unit=previous,
        to_unit=unit,
        note=note.strip(),
        data={"co_units": [co.pk for co in co_units]},
    )
    return petition


@transaction.atomic
def petition_transfer(
    *, petition_id: int, actor: User, unit: Unit, note: str = "", expected_version: int | None = None
) -> Petition:
    """Pass the case to another competent unit (转办). An intake centre that receives it
    decides where it goes next; any other unit handles it."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "transfer")
    unit = _check_target(actor, petition, unit)
    previous = petition.holder_unit
    now = timezone.now()
    _move_lead(petition, unit, now, petition.due_at)
    petition.status = Status.ACCEPTED if unit.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(
        petition,
        Verb.TRANSFERRED,
        actor,
        public=True,
        actor_unit=previous,
        from_unit=previous,
        to_unit=unit,
        note=note.strip(),
    )
    return petition


@transaction.atomic
def petition_return(*, petition_id: int, actor: User, reason: str, expected_version: int | None = None) -> Petition:
    """Send the case back (退回): this unit is not competent for it. It goes back to the
    unit that sent it here, which routes it again."""
    reason = _require_text(reason, "reason", _("Say why the case is not for this unit."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "return")
    sent = (
        petition.events.filter(verb__in=[Verb.ASSIGNED, Verb.TRANSFERRED], to_unit=petition.holder_unit)
        .select_related("from_unit")
        .order_by("-created_at", "-id")
        .first()
    )
    if sent is None or sent.from_unit is None:
        raise InvalidState(_("Nobody sent this case here, so there is nobody to return it to."))
    back_to = sent.from_unit
    previous = petition.holder_unit
    now = timezone.now()
    Assignment.objects.filter(petition=petition, role=Assignment.Role.CO, active=True).update(active=False)
    _move_lead(petition, back_to, now, petition.due_at)
    petition.status = Status.ACCEPTED if back_to.kind == Unit.Kind.INTAKE else Status.IN_PROGRESS
    _save(petition, "holder_unit", "status")
    _event(petition, Verb.RETURNED, actor, actor_unit=previous, from_unit=previous, to_unit=back_to, note=reason)
    return petition


@transaction.atomic
def petition_note(
    *, petition_id: int, actor: User, text: str, public: bool = False, expected_version: int | None = None
) -> PetitionEvent:
    """Record progress or a remark on the timeline (办理情况); internal unless `public`."""
    text = _require_text(text, "text", _("Write the note."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "note")
    event = _event(
        petition,
        Verb.NOTE,
        actor,
        public=public,
        note=text,
        actor_unit=_acting_unit(actor, petition.holder_unit, petition.intake_unit),
    )
    _save(petition)
    return event


# --- Extensions -----------------------------------------------------------------------------


@transaction.atomic
def petition_request_extension(
    *, petition_id: int, actor: User, days: int, reason: str, expected_version: int | None = None
) -> ExtensionRequest:
    """Ask for more time (延期申请): once per case, at most the category's maximum."""
    reason = _require_text(reason, "reason", _("Say why more time is needed."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "request-extension")
    longest = petition.category.extension_max_days
    if not isinstance(days, int) or days < 1 or days > longest:
        raise ValidationError({"days": _("An extension is 1 to %(n)d days.") % {"n": longest}})
    request = ExtensionRequest.objects.create(
        petition=petition, unit=petition.holder_unit, days=days, reason=reason, requested_by=actor
    )
    _event(
        petition,
        Verb.EXTENSION_REQUESTED,
        actor,
        actor_unit=petition.holder_unit,
        note=reason,
        data={"days": days, "request": request.pk},
    )
    _save(petition)
    return request


def _decide_extension(petition_id: int, actor: User, approve: bool, note: str, expected_version: int | None):
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "approve-extension" if approve else "refuse-extension")
    request = petition.extension_requests.select_for_update().get(state=ExtensionRequest.State.PENDING)
    if request.requested_by_id == actor.pk:
        raise NotPermitted(_("Someone other than the requester must decide on an extension."))
    now = timezone.now()
    request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REFUSED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    data = {"days": request.days, "request": request.pk}
    if approve:
        old_due = petition.due_at
        petition.due_at = deadline_add(old_due, request.days, petition.category.day_type)
        petition.extended_days = request.days
        petition.current_due_at = petition.due_at
        Assignment.objects.filter(petition=petition, active=True, due_at=old_due).update(due_at=petition.due_at)
        _save(petition, "due_at", "extended_days", "current_due_at")
        data |= {"from": old_due.isoformat(), "to": petition.due_at.isoformat()}
        _event(petition, Verb.EXTENSION_APPROVED, actor, public=True, note=note.strip(), data=data)
    else:
        _save(petition)
        _event(petition, Verb.EXTENSION_REFUSED, actor, note=note.strip(), data=data)
    return petition


@transaction.atomic
def petition_approve_extension(
    *, petition_id: int, actor: User, note: str = "", expected_version: int | None = None
) -> Petition:
    """Approve the pending extension: the deadline moves by its days (working days where the
    category counts them) and the event says from when to when."""
    return _decide_extension(petition_id, actor, True, note, expected_version)


@transaction.atomic
def petition_refuse_extension(
    *, petition_id: int, actor: User, note: str = "", expected_version: int | None = None
) -> Petition:
    """Refuse the pending extension: the deadline stays."""
    return _decide_extension(petition_id, actor, False, note, expected_version)


# --- Reply, close, settle -------------------------------------------------------------------


@transaction.atomic
def petition_reply(*, petition_id: int, actor: User, text: str, expected_version: int | None = None) -> Petition:
    """Answer the resident (答复). A co-handling unit's reply is recorded on its part; the
    lead unit's reply moves the case to `replied` and opens the rating window."""
    text = _require_text(text, "text", _("Write the reply."))
    petition = _locked(petition_id, expected_version)
    now = timezone.now()
    actions = allowed_actions(actor, petition)
    if "reply" not in actions and "co-reply" in actions:
        units = [u for u, roles in scope_for(actor).unit_roles.items() if roles & {"handler", "leader"}]
        part = (
            Assignment.objects.select_for_update()
            .filter(petition=petition, unit_id__in=units, role=Assignment.Role.CO, active=True, replied_at=None)
            .select_related("unit")
            .first()
        )
        part.reply_text, part.replied_at = text, now
        part.save(update_fields=["reply_text", "replied_at"])
        _event(petition, Verb.CO_REPLIED, actor, actor_unit=part.unit, note=text)
        _save(petition)
        return petition
    _require(actor, petition, "reply")
    petition.status = Status.REPLIED
    petition.reply_text = text
    petition.replied_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, unit=petition.holder_unit, active=True).update(
        reply_text=text, replied_at=now
    )
    _save(petition, "status", "reply_text", "replied_at", "current_due_at")
    _event(petition, Verb.REPLIED, actor, public=True, actor_unit=petition.holder_unit, note=text)
    return petition


def _close(petition: Petition, actor: User | None, now, note: str = "") -> None:
    petition.status = Status.CLOSED
    petition.closed_at = now
    petition.current_due_at = None
    Assignment.objects.filter(petition=petition, active=True).update(active=False)
    _save(petition, "status", "closed_at", "current_due_at", "satisfaction", "rated_at", "rating_comment")
    _event(petition, Verb.CLOSED, actor, public=True, note=note, data={"satisfaction": petition.satisfaction})


@transaction.atomic
def petition_close(*, petition_id: int, actor: User, note: str = "", expected_version: int | None = None) -> Petition:
    """Close a replied case (办结), keeping whatever rating it has."""
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "close")
    _close(petition, actor, timezone.now(), note.strip())
    return petition


@transaction.atomic
def petition_settle(*, petition_id: int, actor: User, text: str, expected_version: int | None = None) -> Petition:
    """Settle a small matter on the spot (小事不出村): registered and closed in one step."""
    text = _require_text(text, "text", _("Say how the matter was settled."))
    petition = _locked(petition_id, expected_version)
    _require(actor, petition, "settle")
    now = timezone.now()
    petition.settled_on_the_spot = True
    petition.reply_text = text
    petition.replied_at = now
    petition.save(update_fields=["settled_on_the_spot", "reply_text", "replied_at"])
    _event(
        petition,
        Verb.SETTLED,
        actor,
        public=True,
        note=text,
        actor_unit=_acting_unit(actor, petition.intake_unit, petition.holder_unit),
    )
    _close(petition, actor, now)
    return petition


# --- The resident's part ----------------------------------------------------------------------


@transaction.atomic
def petition_rate(
    *,
    petition_id: int,
    actor: User | None,
    satisfaction: str,
    comment: str = "",
    expected_version: int | None = None,
) -> Petition:
    """Record the resident's rating of the reply (满意度评价). `actor=None` is the resident
    (who proved the query code); staff may record a rating given by phone. Satisfied or
    basically satisfied closes the case; unsatisfied leaves the review window open."""
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED):
        raise ValidationError({"satisfaction": _("Choose satisfied, basically satisfied or unsatisfied.")})
    petition = _locked(petition_id, expected_version)
    if actor is not None:
        _require(actor, petition, "rate")
    elif petition.status != Status.REPLIED:
        raise InvalidState(_("Only a replied case can be rated."))
    if petition.satisfaction:
        raise InvalidState(_("This reply has already been rated."))
    now = timezone.now()
    petition.satisfaction = satisfaction
    petition.rating_comment = (comment or "").strip()[:1000]
    petition.rated_at = now
    _event(petition, Verb.RATED, actor, public=True, note=petition.rating_comment, data={"satisfaction": satisfaction})
    if satisfaction == Satisfaction.UNSATISFIED:
        _save(petition, "satisfaction", "rating_comment", "rated_at")
    else:
        _close(petition, None, now)
    return petition


@transaction.atomic
def petition_request_review(
    *, petition_id: int, actor: User | None, reason: str, expected_version: int | None = None
) -> Petition:
    """The resident asks the next level up to review an unsatisfactory reply (复查), within
    the category's window after the reply."""
    reason = _require_text(reason, "reason", _("Say what is wrong with the reply."))
    petition = _locked(petition_id, expected_version)
    if petition.status != Status.REPLIED or petition.satisfaction != Satisfaction.UNSATISFIED:
        raise InvalidState(_("A review can be asked for only after rating a reply unsatisfied."))
    window_end = deadline_add(petition.replied_at, petition.category.review_request_days, petition.category.day_type)
    now = timezone.now()
    if now > window_end:
        raise InvalidState(_("The time to ask for a review has passed."))
    reviewer = intake_unit_above(petition.holder_unit.region) or intake_unit_above(petition.region)
    if reviewer is None:
        raise InvalidState(_("There is no level above to review this case."))
    previous = petition.holder_unit
    _move_lead(petition, reviewer, now, None)
    petition.status = Status.UNDER_REVIEW
    petition.review_requested_at = now
    petition.review_reason = reason
    petition.review_count += 1
    petition.satisfaction = ""
    petition.rated_at = None
    petition.current_due_at = deadline_add(now, petition.category.review_days, petition.category.day_type)
    _save(
        petition,
        "holder_unit",
        "status",
        "review_requested_at",
        "review_reason",
        "review_count",
        "satisfaction",
        "rated_at",
        "current_due_at",
    )
    _event(
        petition,
        Verb.REVIEW_REQUESTED,
        actor,
        public=True,
        from_unit=previous,
        to_unit=reviewer,
        note=reason,
        data={"review_due_at": petition.current_due_at.isoformat()},
    )
    return petition


# --- The holiday calendar ------------------------------------------------------------------
# The library's own short names, completed to the names the State Council notice uses.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
_CHINESE_NAMES = {
    holiday.value: _FULL_NAMES.get(holiday.chinese, holiday.chinese) for holiday in chinese_calendar.Holiday
}


@dataclass(frozen=True)
class HolidaySyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept_admin: int = 0
    years_without_data: tuple[int, ...] = field(default_factory=tuple)


def _library_days(years: set[int]) -> dict[date, tuple[str, str]]:
    """The library's days for `years`, as {date: (kind, name)}."""
    days: dict[date, tuple[str, str]] = {}
    for source, kind in (
        (chinese_calendar.holidays, Holiday.Kind.HOLIDAY),
        (chinese_calendar.workdays, Holiday.Kind.WORKDAY),
    ):
        for day, english in source.items():
            if day.year in years:
                days[day] = (str(kind), _CHINESE_NAMES.get(english, english))
    return days


def holidays_sync_into(model: type[models.Model], *, years: Iterable[int], using: str = "default") -> HolidaySyncResult:
    """`holidays_sync` on a given Holiday model class: the real one, or a migration's historical one."""
    years = set(years)
    library = _library_days(years)
    covered = {day.year for day in library}
    LIBRARY, ADMIN = str(Holiday.Source.LIBRARY), str(Holiday.Source.ADMIN)
    with transaction.atomic(using=using):
        rows = model._default_manager.using(using)
        existing = {
            row.date: row
            for row in rows.select_for_update().filter(
                date__gte=date(min(years, default=1), 1, 1), date__lte=date(max(years, default=1), 12, 31)
            )
            if row.date.year in covered
        }
        new, changed = [], []
        unchanged = kept_admin = 0
        for day, (kind, name) in sorted(library.items()):
            row = existing.get(day)
            if row is None:
                row = model(date=day, kind=kind, name=name, source=LIBRARY)
                row.full_clean(validate_unique=False, validate_constraints=False)
                new.append(row)
            elif row.source == ADMIN:
                kept_admin += 1
            elif (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                row.full_clean(validate_unique=False, validate_constraints=False)
                changed.append(row)
            else:
                unchanged += 1
        # A library day the library no longer lists was withdrawn by a corrected notice.
        stale = [row.pk for day, row in existing.items() if row.source == LIBRARY and day not in library]
        # An admin row created meanwhile wins: a conflict on the date is skipped, not overwritten.
        rows.bulk_create(new, ignore_conflicts=True)
        rows.bulk_update(changed, ["kind", "name"])
        deleted = rows.filter(pk__in=stale).delete()[0] if stale else 0
    # Bulk writes send no signals: this process drops its copy of the calendar itself.
    CALENDAR.invalidate()
    return HolidaySyncResult(
        created=len(new),
        updated=len(changed),
        deleted=deleted,
        unchanged=unchanged,
        kept_admin=kept_admin,
        years_without_data=tuple(sorted(years - covered)),
    )


def holidays_sync(*, years: Iterable[int]) -> HolidaySyncResult:
    """Pre-fill the holiday calendar for `years` from the library; safe to run again and again.

    Days the library lists are added, and library rows it has since corrected are updated or
    removed. A row an administrator entered or changed (`source="admin"`) is never touched.
    Years the library has no data for are left alone and reported in `years_without_data`.
    """
    return holidays_sync_into(Holiday, years=years)


# --- Deadlines: reminders, escalation, closing unrated replies (the jobs) --------------------
# Each function is called by a Celery job with ids (petitions/tasks.py, docs/jobs.md) and is
# idempotent: it locks the row, re-checks that there is still something to do and returns None
# (or 0 / False) when a re-run or another worker got there first. System actions have actor None.

_ESCALATION_LEVELS = (Region.Level.TOWNSHIP, Region.Level.COUNTY)


def _deadline_kind(petition: Petition) -> str | None:
    """Which deadline `current_due_at` is, by the case's state."""
    return {
        Status.REGISTERED: DeadlineKind.ACCEPTANCE,
        Status.ACCEPTED: DeadlineKind.HANDLING,
        Status.IN_PROGRESS: DeadlineKind.HANDLING,
        Status.UNDER_REVIEW: DeadlineKind.REVIEW,
    }.get(petition.status)


def _record_miss(unit: Unit, petition: Petition, kind: str, due_at, now) -> bool:
    """Put a missed deadline on the unit's record, once (the constraint makes a re-run a no-op)."""
    _miss, created = DeadlineMiss.objects.get_or_create(
        unit=unit, petition=petition, kind=kind, due_at=due_at, defaults={"missed_at": now}
    )
    return created


def county_commission_of(petition: Petition) -> Unit | None:
    """The discipline commission of the case's county (where red supervision notices go)."""
    return (
        Unit.objects.filter(kind=Unit.Kind.COMMISSION, is_active=True, region__code=codes.pad(petition.region_code[:6]))
        .select_related("region")
        .order_by("pk")
        .first()
    )


def _escalation_target(unit: Unit) -> Unit | None:
    """The intake centre one level up (village → township → county), or None past the county."""
    if codes.LEVELS.index(unit.region.level) <= codes.LEVELS.index(Region.Level.COUNTY):
        return None
    target = intake_unit_above(unit.region)
    return target if target is not None and target.region.level in _ESCALATION_LEVELS else None


@transaction.atomic
def petition_escalate(*, petition_id: int, actor: User | None = None, now=None) -> Escalation | None:
    """Move an overdue case up one level (超期上提), or past the county raise a red supervision
    notice to the county commission (红色督办). The late unit's record keeps the miss and the
    supervisors of its region are told.

    The centre that receives the case gets the same number of days again, from now: a
    registered case stays `registered` (the centre decides acceptance); an accepted or
    in-progress case becomes `accepted` at the centre, which answers it or routes it again;
    a review stays `under_review`. A case is escalated to a level once (a database constraint):
    overdue again below a level it has already reached, it goes to the commission instead.
    Returns None when nothing is overdue (a re-run, or another worker was first).
    """
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    kind = _deadline_kind(petition)
    missed_due = petition.current_due_at
    if kind is None or missed_due is None or missed_due >= now:
        return None
    late = petition.holder_unit
    _record_miss(late, petition, kind, missed_due, now)
    if petition.category.confidential:
        # A report against officials goes up the commissions, around any it names.
        target = commission_above(late.region, petition.accused.all())
    else:
        target = _escalation_target(late)
    if target is not None and petition.escalations.filter(level=target.region.level).exists():
        target = None
    if target is None:
        return _escalate_to_commission(petition, late, kind, missed_due, now, actor)

    category = petition.category
    days = {
        DeadlineKind.ACCEPTANCE: category.acceptance_days,
        DeadlineKind.HANDLING: category.handling_days,
        DeadlineKind.REVIEW: category.review_days,
    }[kind]
    new_due = deadline_add(now, days, category.day_type)
    escalation = Escalation.objects.create(
        petition=petition,
        level=target.region.level,
        kind=kind,
        from_unit=late,
        to_unit=target,
        missed_due_at=missed_due,
        created_at=now,
    )
    _move_lead(petition, target, now, None if kind == DeadlineKind.ACCEPTANCE else new_due)
    if kind == DeadlineKind.ACCEPTANCE:
        petition.acceptance_due_at = new_due
    elif kind == DeadlineKind.HANDLING:
        petition.due_at = new_due
        petition.status = Status.ACCEPTED
    petition.current_due_at = new_due
    _save(petition, "holder_unit", "status", "acceptance_due_at", "due_at", "current_due_at")
    _event(
        petition,
        Verb.ESCALATED,
        actor,
        from_unit=late,
        to_unit=target,
        created_at=now,
        data={
            "level": escalation.level,
            "kind": kind,
            "missed_due_at": missed_due.isoformat(),
            "due_at": new_due.isoformat(),
        },
    )
    notify(
        NotificationRoute.Event.ESCALATED,
        petition=petition,
        unit=target,
        region_of=late,
        dedupe_key=f"escalation:{escalation.pk}",
        now=now,
    )
    return escalation


def _escalate_to_commission(petition: Petition, late: Unit, kind: str, missed_due, now, actor) -> Escalation | None:
    commission = county_commission_of(petition)
    if commission is None or petition.escalations.filter(level=Escalation.Level.COMMISSION).exists():
        return None
    escalation = Escalation.objects.create(
        petition=petition,
        level=Escalation.Level.COMMISSION,
        kind=kind,
        from_unit=late,
        to_unit=commission,
        missed_due_at=missed_due,
        created_at=now,
    )
    notice = SupervisionNotice.objects.create(
        petition=petition,
        unit=commission,
        severity=SupervisionNotice.Severity.RED,
        text=_red_notice_text(late, kind, missed_due),
        due_at=deadline_add(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING),
        created_at=now,
    )
    _save(petition)
    _event(
        petition,
        Verb.ESCALATED,
        actor,
        from_unit=late,
        to_unit=commission,
        created_at=now,
        data={
            "level": escalation.level,
            "kind": kind,
            "missed_due_at": missed_due.isoformat(),
            "notice": notice.pk,
            "severity": notice.severity,
        },
    )
    notify(
        NotificationRoute.Event.RED_NOTICE,
        petition=petition,
        unit=commission,
        dedupe_key=f"notice:{notice.pk}",
        url=_notice_url(notice),
    )
    return escalation


def _red_notice_text(late: Unit, kind: str, missed_due) -> str:
    return _("%(unit)s let the %(kind)s deadline of %(due)s pass and there is no level above it to take the case.") % {
        "unit": late.name,
        "kind": DeadlineKind(kind).label,
        "due": timezone.localtime(missed_due).strftime("%Y-%m-%d %H:%M"),
    }


class EscalationCache:
    """What one sweep works out once and reuses for every case (its `now` is one instant):
    escalation targets per late unit, commissions per region and accused, the county
    commission per county, deadlines per (days, day type), the routing table and the
    recipients of each audience. Built by the selectors the per-case path uses."""

    def __init__(self) -> None:
        self.targets: dict = {}
        self.commissions: dict = {}
        self.county_commissions: dict = {}
        self.deadlines: dict = {}
        self.routes: dict = {}
        self.recipients: dict = {}
        self.texts: dict = {}
        self._case_url: tuple[str, str] | None = None

    def case_url(self, pk: int) -> str:
        """`reverse("petitions:case", kwargs={"pk": pk})`, the pattern resolved once per sweep."""
        if self._case_url is None:
            from django.urls import reverse

            # A pk no case has, to split the path around it.
            head, _pk, tail = reverse("petitions:case", kwargs={"pk": 987654321}).rpartition("987654321")
            self._case_url = (head, tail)
        head, tail = self._case_url
        return f"{head}{pk}{tail}"

    def escalation_target(self, late: Unit) -> Unit | None:
        if late.pk not in self.targets:
            self.targets[late.pk] = _escalation_target(late)
        return self.targets[late.pk]

    def prime_targets(self, lates: Iterable[Unit]) -> None:
        """Work out `escalation_target` for many late units in one query: the intake centres
        above them all, the nearest one above each (as `intake_unit_above` picks it)."""
        lates = {late.pk: late for late in lates if late.pk not in self.targets}
        above = {
            late.pk: codes.ancestor_codes(late.region.code)
            for late in lates.values()
            if codes.LEVELS.index(late.region.level) > codes.LEVELS.index(Region.Level.COUNTY)
        }
        centres: dict[str, list[Unit]] = {}
        wanted = {code for ancestors in above.values() for code in ancestors}
        if wanted:
            units = Unit.objects.filter(region__code__in=wanted, kind=Unit.Kind.INTAKE, is_active=True)
            for unit in units.select_related("region"):
                centres.setdefault(unit.region.code, []).append(unit)
        for pk in lates:
            if pk not in above:
                self.targets[pk] = None
                continue
            candidates = [unit for code in above[pk] for unit in centres.get(code, [])]
            target = max(candidates, key=lambda unit: unit.region.code, default=None)
            self.targets[pk] = target if target is not None and target.region.level in _ESCALATION_LEVELS else None

    def commission_above(self, region: Region, accused: list) -> Unit | None:
        # Recusal reads only each accused's unit, name and post (`accused_key`).
        key = (region.pk, tuple(sorted(accused_key(person) for person in accused)))
        if key not in self.commissions:
            self.commissions[key] = commission_above(region, accused)
        return self.commissions[key]

    def county_commission(self, petition: Petition) -> Unit | None:
        county = petition.region_code[:6]
        if county not in self.county_commissions:
            self.county_commissions[county] = county_commission_of(petition)
        return self.county_commissions[county]

    def deadline(self, now, days: int, day_type: str):
        key = (now, days, day_type)
        if key not in self.deadlines:
            self.deadlines[key] = deadline_add(now, days, day_type)
        return self.deadlines[key]

    def routes_for(self, event: str) -> list[NotificationRoute]:
        if event not in self.routes:
            self.routes[event] = list(NotificationRoute.objects.filter(event=event, active=True))
        return self.routes[event]

    @staticmethod
    def _recipient_key(audience: str, petition: Petition, unit: Unit | None) -> tuple:
        """What `notification_recipients` reads of the case and unit for an audience."""
        if audience == NotificationRoute.Audience.HOLDER_UNIT_STAFF:
            return (audience, unit.pk if unit is not None else None)
        if audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION:
            return (audience, unit.region.code if unit is not None else petition.region_code)
        if audience == NotificationRoute.Audience.INTAKE_DESK:
            return (audience, petition.intake_unit_id)
        if audience == NotificationRoute.Audience.COMMISSION:
            return (audience, petition.region_code[:6])
        return (audience,)

    def recipients_for(self, route: NotificationRoute, petition: Petition, unit: Unit | None) -> list[int]:
        """The ids of `notification_recipients(route.audience, …)`, in the same (id) order."""
        key = self._recipient_key(route.audience, petition, unit)
        if key not in self.recipients:
            users = notification_recipients(route.audience, petition=petition, unit=unit)
            self.recipients[key] = [user.pk for user in users]
        return self.recipients[key]

    def prime_recipients(self, units: Iterable[Unit], regions_of: Iterable[Unit]) -> None:
        """`recipients_for` of many units at once, one query per audience: the staff of each of
        `units` (holder_unit_staff) and the supervisors over each of `regions_of`
        (supervisors_of_region), with the filters of `notification_recipients`."""
        from stations.models import Membership

        role = Membership.Role
        staff = NotificationRoute.Audience.HOLDER_UNIT_STAFF
        units = {unit.pk for unit in units} - {key[1] for key in self.recipients if key[0] == staff}
        if units:
            found: dict[int, set[int]] = {pk: set() for pk in units}
            memberships = Membership.objects.filter(
                unit_id__in=units,
                role__in=[role.CLERK, role.HANDLER, role.LEADER, role.SUPERVISOR],
                user__is_active=True,
            )
            for unit_id, user_id in memberships.values_list("unit_id", "user_id"):
                found[unit_id].add(user_id)
            for pk, users in found.items():
                self.recipients[(staff, pk)] = sorted(users)
        supervisors = NotificationRoute.Audience.SUPERVISORS_OF_REGION
        region_codes = {unit.region.code for unit in regions_of}
        region_codes -= {key[1] for key in self.recipients if key[0] == supervisors}
        if region_codes:
            over = {code: [*codes.ancestor_codes(code), code] for code in region_codes}
            by_code: dict[str, set[int]] = {}
            memberships = Membership.objects.filter(
                role=role.SUPERVISOR,
                unit__is_active=True,
                unit__region__code__in={code for chain in over.values() for code in chain},
                user__is_active=True,
            )
            for code, user_id in memberships.values_list("unit__region__code", "user_id"):
                by_code.setdefault(code, set()).add(user_id)
            for code, chain in over.items():
                self.recipients[(supervisors, code)] = sorted(set().union(*(by_code.get(c, set()) for c in chain)))


def _notification_rows(
    cache: EscalationCache,
    event: str,
    *,
    petition: Petition,
    unit: Unit,
    dedupe_key: str,
    now,
    url: str,
    region_of: Unit | None = None,
) -> list[tuple]:
    """The rows `notify` makes for one case (staff=True), from the sweep's cache, as tuples of
    `_NOTIFICATION_COLUMNS`; the caller holds `translation.override(settings.LANGUAGE_CODE)`."""
    texts = cache.texts  # the translated title and status labels, once per sweep (one language)
    if event not in texts:
        texts[event] = str(_NOTIFICATION_TITLES[event])
    if petition.status not in texts:
        texts[petition.status] = str(petition.get_status_display())
    title = texts[event] % {"number": petition.tracking_number}
    body = " · ".join(part for part in (petition.category.name, unit.name, texts[petition.status]) if part)
    rows = []
    for route in cache.routes_for(event):
        if route.audience == NotificationRoute.Audience.RESIDENT:
            if route.channel != NotificationRoute.Channel.SMS or not petition.complainant_phone:
                continue
            recipients = [None]
        else:
            about = region_of if route.audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION else None
            recipients = users_who_see(petition, cache.recipients_for(route, petition, about or unit))
        rows += [
            (
                user,
                event,
                petition.pk,
                dedupe_key,
                route.channel,
                title,
                body,
                url,
                now,
            )
            for user in recipients
        ]
    return rows


_NOTIFICATION_COLUMNS = (
    "user_id",
    "kind",
    "petition_id",
    "dedupe_key",
    "channel",
    "title",
    "body",
    "url",
    "created_at",
)
_EVENT_COLUMNS = (
    "petition_id", "verb", "actor_id", "actor_unit_id", "from_unit_id", "to_unit_id", "note", "public", "data",
    "created_at",
)  # fmt: skip
_MISS_COLUMNS = ("unit_id", "petition_id", "kind", "due_at", "missed_at")


def _insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple],
    *,
    ignore_conflicts=False,
    returning: Sequence[str] = (),
) -> list[tuple]:
    """`bulk_create` of plain tuples (columns `names`, by attname), without a model instance per
    row: on PostgreSQL one `INSERT … SELECT * FROM unnest(arrays)` [`ON CONFLICT DO NOTHING`]
    [`RETURNING` the columns `returning`, whose values it returns, one tuple per row]."""
    from django.db import connection

    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], ignore_conflicts=ignore_conflicts
        )
        return [tuple(getattr(obj, name) for name in returning) for obj in made] if returning else []
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    # Plain values go to the driver as they are (aware datetimes, ids, text); JSON is prepared.
    prepare = [
        (lambda value, field=field: field.get_db_prep_save(value, connection))
        if isinstance(field, models.JSONField)
        else (lambda value: value if value is None or type(value) in (int, bool, str) else str(value))
        if isinstance(field, (models.CharField, models.TextField))
        else (lambda value: value)
        for field in fields
    ]
    values = [[prep(row[i]) for row in rows] for i, prep in enumerate(prepare)]
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    back = (
        f" RETURNING {', '.join(quote(model._meta.get_field(name).column) for name in returning)}" if returning else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){conflict}{back}",
            values,
        )
        return [tuple(row) for row in cursor.fetchall()] if returning else []


_ESCALATED_FIELDS = ("holder_unit", "status", "acceptance_due_at", "due_at", "current_due_at", "version")


def _update_escalated_cases(petitions: list[Petition]) -> None:
    """One UPDATE of the escalated cases' moving fields (what `_save` writes for each). On
    PostgreSQL an `UPDATE … FROM unnest(arrays)`: `bulk_update`'s CASE per row and field costs
    more Python than the rest of the chunk together."""
    from django.db import connection

    if connection.vendor != "postgresql":
        Petition.objects.bulk_update(petitions, list(_ESCALATED_FIELDS))
        return
    fields = [Petition._meta.get_field(name) for name in _ESCALATED_FIELDS]
    columns = [(field.column, field.db_type(connection)) for field in fields]
    assignments = ", ".join(f"{connection.ops.quote_name(column)} = v.{column}" for column, _type in columns)
    arrays = ", ".join(f"%s::{db_type.split('(')[0]}[]" for _column, db_type in [("id", "bigint"), *columns])
    names = ", ".join(["id", *(column for column, _type in columns)])
    table = connection.ops.quote_name(Petition._meta.db_table)
    values = [[petition.pk for petition in petitions]]
    values += [[field.get_db_prep_save(getattr(p, field.attname), connection) for p in petitions] for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) WHERE {table}.id = v.id",
            values,
        )


# What the batch reads of a case (not its text, the complainant or the encrypted ID number).
_BATCH_READS = (
    "status", "current_due_at", "acceptance_due_at", "due_at", "version", "tracking_number", "region_code",
    "complainant_phone", "intake_unit_id", "category", "holder_unit",
)  # fmt: skip


@transaction.atomic
def petitions_escalate_batch(*, petition_ids: Iterable[int], now=None, cache: EscalationCache | None = None) -> int:
    """`petition_escalate` for many cases at once (the overdue sweep): the same rows, events
    and notifications as the per-case service, written with one bulk statement each.

    Claims the rows with `FOR UPDATE SKIP LOCKED` (a row another worker holds is left to it),
    re-checks each case, then writes the misses, the escalations (checked under the lock
    against the ones the case already has: the once-per-level constraint stays the
    guarantee), the red notices, the lead moves, one UPDATE of the cases, the events and the
    notifications, and queues one sending task for the chunk. Returns how many were escalated.
    """
    from django.utils import translation

    from petitions import tasks

    now = now or timezone.now()
    cache = cache if cache is not None else EscalationCache()
    petitions = list(
        Petition.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("category", "holder_unit__region")
        .only(*_BATCH_READS)
        .filter(pk__in=list(petition_ids))
        .order_by("pk")
    )
    due = []
    for petition in petitions:
        kind = _deadline_kind(petition)
        if kind is not None and petition.current_due_at is not None and petition.current_due_at < now:
            due.append((petition, kind, petition.current_due_at))
    if not due:
        return 0
    ids = [petition.pk for petition, _kind, _missed in due]
    reached: dict[int, set[str]] = {}
    for petition_id, level in Escalation.objects.filter(petition_id__in=ids).values_list("petition_id", "level"):
        reached.setdefault(petition_id, set()).add(level)
    accused: dict[int, list[AccusedPerson]] = {}
    confidential = [petition.pk for petition, _kind, _missed in due if petition.category.confidential]
    if confidential:
        for person in AccusedPerson.objects.filter(petition_id__in=confidential).order_by("pk"):
            accused.setdefault(person.petition_id, []).append(person)

    _insert_rows(
        DeadlineMiss,
        _MISS_COLUMNS,
        [(petition.holder_unit_id, petition.pk, kind, missed, now) for petition, kind, missed in due],
        ignore_conflicts=True,
    )

    cache.prime_targets(petition.holder_unit for petition, _kind, _missed in due if not petition.category.confidential)
    up, red = [], []  # (petition, kind, missed, late, target or commission, level)
    for petition, kind, missed in due:
        late = petition.holder_unit
        if petition.category.confidential:
            target = cache.commission_above(late.region, accused.get(petition.pk, []))
        else:
            target = cache.escalation_target(late)
        levels = reached.get(petition.pk, set())
        if target is not None and target.region.level in levels:
            target = None
        if target is not None:
            level, bucket = target.region.level, up
        else:
            target = cache.county_commission(petition)
            if target is None or Escalation.Level.COMMISSION in levels:
                continue
            level, bucket = Escalation.Level.COMMISSION, red
        bucket.append((petition, kind, missed, late, target, level))
    if not up and not red:
        return 0
    # One escalation per case in the chunk: their ids come back keyed by case.
    escalation_ids = dict(
        _insert_rows(
            Escalation,
            ("petition_id", "level", "kind", "from_unit_id", "to_unit_id", "missed_due_at", "created_at"),
            [(p.pk, level, kind, late.pk, target.pk, missed, now) for p, kind, missed, late, target, level in up + red],
            returning=("petition_id", "id"),
        )
    )

    notices = SupervisionNotice.objects.bulk_create(
        [
            SupervisionNotice(
                petition=petition,
                unit=commission,
                severity=SupervisionNotice.Severity.RED,
                text=_red_notice_text(late, kind, missed),
                due_at=cache.deadline(now, settings.SUQIU_NOTICE_DAYS, DayType.WORKING),
                created_at=now,
            )
            for petition, kind, missed, late, commission, _level in red
        ]
    )

    # The lead moves to the centre above (as `_move_lead`): the active lead and any active
    # part of the centre end, and the centre becomes the lead.
    new_due = {}
    if up:
        targets = {petition.pk: target.pk for petition, _kind, _missed, _late, target, _esc in up}
        ending = [
            pk
            for pk, petition_id, unit_id, role in Assignment.objects.filter(
                petition_id__in=list(targets), active=True
            ).values_list("pk", "petition_id", "unit_id", "role")
            if role == Assignment.Role.LEAD or unit_id == targets[petition_id]
        ]
        if ending:
            Assignment.objects.filter(pk__in=ending).update(active=False)
        leads = []
        for petition, kind, _missed, _late, target, _level in up:
            category = petition.category
            days = {
                DeadlineKind.ACCEPTANCE: category.acceptance_days,
                DeadlineKind.HANDLING: category.handling_days,
                DeadlineKind.REVIEW: category.review_days,
            }[kind]
            due_at = new_due[petition.pk] = cache.deadline(now, days, category.day_type)
            leads.append(
                (
                    petition.pk,
                    target.pk,
                    Assignment.Role.LEAD,
                    True,
                    None if kind == DeadlineKind.ACCEPTANCE else due_at,
                    "",
                    now,
                )
            )
            petition.holder_unit = target
            if kind == DeadlineKind.ACCEPTANCE:
                petition.acceptance_due_at = due_at
            elif kind == DeadlineKind.HANDLING:
                petition.due_at = due_at
                petition.status = Status.ACCEPTED
            petition.current_due_at = due_at
        _insert_rows(
            Assignment, ("petition_id", "unit_id", "role", "active", "due_at", "reply_text", "created_at"), leads
        )
    for row in up + red:
        row[0].version += 1
    _update_escalated_cases([row[0] for row in up + red])

    cache.prime_recipients(
        [row[4] for row in up + red], [row[3] for row in up] + [row[4] for row in red]
    )  # the centres' staff, the supervisors over the late units (and the commissions)
    events, rows = [], []
    sent_now = timezone.now()  # `notify` stamps red-notice notifications when made
    with translation.override(settings.LANGUAGE_CODE):
        for petition, kind, missed, late, target, level in up:
            data = {
                "level": level,
                "kind": kind,
                "missed_due_at": missed.isoformat(),
                "due_at": new_due[petition.pk].isoformat(),
            }
            events.append((petition.pk, Verb.ESCALATED, None, None, late.pk, target.pk, "", False, data, now))
            rows += _notification_rows(
                cache,
                NotificationRoute.Event.ESCALATED,
                petition=petition,
                unit=target,
                region_of=late,
                dedupe_key=f"escalation:{escalation_ids[petition.pk]}",
                now=now,
                url=cache.case_url(petition.pk),
            )
        for (petition, kind, missed, late, commission, level), notice in zip(red, notices, strict=True):
            data = {
                "level": level,
                "kind": kind,
                "missed_due_at": missed.isoformat(),
                "notice": notice.pk,
                "severity": notice.severity,
            }
            events.append((petition.pk, Verb.ESCALATED, None, None, late.pk, commission.pk, "", False, data, now))
            rows += _notification_rows(
                cache,
                NotificationRoute.Event.RED_NOTICE,
                petition=petition,
                unit=commission,
                dedupe_key=f"notice:{notice.pk}",
                now=sent_now,
                url=_notice_url(notice),
            )
    _insert_rows(PetitionEvent, _EVENT_COLUMNS, events)
    if rows:
        # The unique constraints make a second run insert nothing.
        _insert_rows(Notification, _NOTIFICATION_COLUMNS, rows, ignore_conflicts=True)
        if any(row[4] != NotificationRoute.Channel.IN_APP for row in rows):
            unsent = list(
                Notification.objects.filter(
                    petition_id__in={row[2] for row in rows},
                    dedupe_key__in={row[3] for row in rows},
                    sent_at=None,
                )
                .exclude(channel=NotificationRoute.Channel.IN_APP)
                .values_list("pk", flat=True)
            )
            if unsent:
                tasks.send_notifications.delay_on_commit(unsent)
    return len(up) + len(red)


def remind_cutoff(now, stage: int):
    """The end of the `stage`-th working day after today: deadlines up to it get the stage's reminder."""
    return deadline_add(now, stage, DayType.WORKING)


@transaction.atomic
def petition_remind(*, petition_id: int, stage: int, now=None) -> PetitionEvent | None:
    """Remind the holding unit that the deadline is near (催办): `stage` working days or fewer
    are left (0: it is due today). Once per deadline and stage; the case's version does not
    change (nothing on the case row does), so nobody's open form goes stale."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    kind, due = _deadline_kind(petition), petition.current_due_at
    if kind is None or due is None or due < now or due > remind_cutoff(now, stage):
        return None
    key = due.isoformat()
    if petition.events.filter(verb=Verb.REMINDED, data__due_at=key, data__stage=stage).exists():
        return None
    event = _event(
        petition,
        Verb.REMINDED,
        None,
        to_unit=petition.holder_unit,
        created_at=now,
        data={"kind": kind, "due_at": key, "stage": stage},
    )
    notify(
        NotificationRoute.Event.REMINDED,
        petition=petition,
        unit=petition.holder_unit,
        dedupe_key=f"{key}:{stage}",
        now=now,
    )
    return event


@transaction.atomic
def petition_close_unrated(*, petition_id: int, now=None) -> Petition | None:
    """Close a replied case whose window to react has passed (the category's days to ask for a
    review, counted from the reply): unrated as `no_response`; rated unsatisfied but never
    taken to review, keeping that rating."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    if petition.status != Status.REPLIED or petition.replied_at is None:
        return None
    category = petition.category
    if now <= deadline_add(petition.replied_at, category.review_request_days, category.day_type):
        return None
    if not petition.satisfaction:
        petition.satisfaction = Satisfaction.NO_RESPONSE
    _close(petition, None, now, _("The time to rate the reply or ask for a review has passed."))
    notify(
        NotificationRoute.Event.CLOSED_NO_RESPONSE,
        petition=petition,
        unit=petition.intake_unit or petition.holder_unit,
        dedupe_key="closed",
        now=now,
    )
    return petition


@transaction.atomic
def petition_chase_co_units(*, petition_id: int, now=None) -> int:
    """Chase the co-handling units (协办) whose part is overdue and unanswered: each miss goes
    on the unit's record once, with a reminder on the timeline and a notification."""
    petition = _locked(petition_id, None)
    now = now or timezone.now()
    if petition.status not in (Status.ACCEPTED, Status.IN_PROGRESS):
        return 0
    parts = Assignment.objects.filter(
        petition=petition, role=Assignment.Role.CO, active=True, replied_at=None, due_at__lt=now
    ).select_related("unit")
    chased = 0
    for part in parts:
        if not _record_miss(part.unit, petition, DeadlineKind.CO_HANDLING, part.due_at, now):
            continue
        key = part.due_at.isoformat()
        _event(
            petition,
            Verb.REMINDED,
            None,
            to_unit=part.unit,
            created_at=now,
            data={"kind": DeadlineKind.CO_HANDLING, "due_at": key, "co_unit": part.unit_id},
        )
        notify(
            NotificationRoute.Event.CO_OVERDUE,
            petition=petition,
            unit=part.unit,
            dedupe_key=f"{part.unit_id}:{key}",
            now=now,
        )
        chased += 1
    return chased


@transaction.atomic
def extension_chase(*, request_id: int, now=None) -> bool:
    """Tell the supervisors of the region that an extension request has waited on them for
    SUQIU_EXTENSION_CHASE_DAYS working days; once per request."""
    now = now or timezone.now()
    request = ExtensionRequest.objects.select_related("unit__region").filter(pk=request_id).first()
    if request is None:
        return False
    petition = _locked(request.petition_id, None)
    request.refresh_from_db(fields=["state"])
    if request.state != ExtensionRequest.State.PENDING:
        return False
    if now <= deadline_add(request.requested_at, settings.SUQIU_EXTENSION_CHASE_DAYS, DayType.WORKING):
        return False
    if petition.events.filter(verb=Verb.REMINDED, data__extension_request=request.pk).exists():
        return False
    _event(
        petition,
        Verb.REMINDED,
        None,
        to_unit=request.unit,
        created_at=now,
        data={"kind": "extension", "extension_request": request.pk},
    )
    notify(
        NotificationRoute.Event.EXTENSION_WAITING,
        petition=petition,
        unit=request.unit,
        dedupe_key=f"extension:{request.pk}",
        now=now,
        staff=False,
    )
    return True


# --- Supervision notices (督办单) ---------------------------------------------------------------


def _notice_url(notice: SupervisionNotice) -> str:
    from django.urls import reverse

    return reverse("petitions:notice", kwargs={"notice_id": notice.pk})


def _locked_notice(notice_id: int) -> SupervisionNotice:
    return (
        SupervisionNotice.objects.select_for_update(of=("self",))
        .select_related("petition", "unit__region")
        .get(pk=notice_id)
    )


@transaction.atomic
def notice_issue(
    *,
    petition_id: int,
    actor: User,
    text: str,
    unit: Unit | None = None,
    days: int | None = None,
    due_on: date | None = None,
    expected_version: int | None = None,
) -> SupervisionNotice:
    """A supervisor issues a supervision notice (督办单) to a unit about a case (by default the
    unit holding it): the unit must answer in writing within `days` working days, or by the
    end of `due_on` (China time) when a date is given instead."""
    text = _require_text(text, "text", _("Say what the unit must do."))
    petition = _locked(petition_id, expected_version)
    if not can_issue_notice(actor, petition):
        raise NotPermitted(_("Only a supervisor of the case's region can issue a supervision notice."))
    unit = unit or petition.holder_unit
    if not unit.is_active or not unit.region.code.startswith(petition.region_code[:6]):
        raise ValidationError({"unit": _("Choose an active unit of the case's county.")})
    now = timezone.now()
    if due_on is not None:
        due_at = datetime.combine(due_on, time.max, tzinfo=CHINA)
        # The same bounds as a count of days: after today, within 30 working days.
        if due_on <= now.astimezone(CHINA).date() or due_at > deadline_add(now, 30, DayType.WORKING):
            raise ValidationError({"due_on": _("The answer is due in 1 to 30 working days.")})
    else:
        days = settings.SUQIU_NOTICE_DAYS if days is None else days
        if not isinstance(days, int) or not 1 <= days <= 30:
            raise ValidationError({"days": _("The answer is due in 1 to 30 working days.")})
        due_at = deadline_add(now, days, DayType.WORKING)
    scope = scope_for(actor)
    issuing = next(
        (
            Unit.objects.get(pk=unit_id)
            for unit_id, roles in scope.unit_roles.items()
            if roles & {"supervisor", "leader"}
        ),
        None,
    )
    notice = SupervisionNotice(
        petition=petition,
        unit=unit,
        text=text,
        issued_by=actor,
        issuing_unit=issuing,
        created_at=now,
        due_at=due_at,
    )
    notice.full_clean()
    notice.save()
    _event(
        petition,
        Verb.SUPERVISED,
        actor,
        actor_unit=issuing,
        to_unit=unit,
        note=text,
        data={"notice": notice.pk, "due_at": notice.due_at.isoformat()},
    )
    _save(petition)
    notify(
        NotificationRoute.Event.NOTICE_ISSUED,
        petition=petition,
        unit=unit,
        dedupe_key=f"notice:{notice.pk}",
        url=_notice_url(notice),
    )
    return notice


@transaction.atomic
def notice_open(*, notice_id: int, actor: User) -> SupervisionNotice:
    """Record when the unit first opened the notice (签收): the first of its staff to open it.
    Opening it again, or anyone else opening it, records nothing."""
    notice = _locked_notice(notice_id)
    if notice.read_at is None and notice_member_roles(actor, notice):
        notice.read_at, notice.read_by = timezone.now(), actor
        notice.save(update_fields=["read_at", "read_by"])
        _event(notice.petition, Verb.NOTICE_READ, actor, actor_unit=notice.unit, data={"notice": notice.pk})
    return notice


@transaction.atomic
def notice_answer(*, notice_id: int, actor: User, text: str) -> SupervisionNotice:
    """The unit answers the notice with a written explanation (书面说明), once. A late answer
    is taken; the miss stays on the unit's record."""
    text = _require_text(text, "answer", _("Write the explanation."))
    notice = _locked_notice(notice_id)
    if not notice_member_roles(actor, notice) & {"clerk", "handler", "leader", "supervisor"}:
        raise NotPermitted(_("Only the staff of the unit the notice is addressed to can answer it."))
    if notice.answered_at is not None:
        raise InvalidState(_("This notice has already been answered."))
    now = timezone.now()
    if notice.read_at is None:
        notice.read_at, notice.read_by = now, actor
    notice.answer, notice.answered_at, notice.answered_by = text, now, actor
    notice.full_clean()
    notice.save(update_fields=["read_at", "read_by", "answer", "answered_at", "answered_by"])
    _event(notice.petition, Verb.NOTICE_ANSWERED, actor, actor_unit=notice.unit, note=text, data={"notice": notice.pk})
    notify(
        NotificationRoute.Event.NOTICE_ANSWERED,
        petition=notice.petition,
        unit=notice.unit,
        dedupe_key=f"notice:{notice.pk}",
        staff=False,
        url=_notice_url(notice),
    )
    return notice


@transaction.atomic
def notice_mark_unanswered(*, notice_id: int, now=None) -> bool:
    """A notice whose deadline passed unanswered goes on the unit's record and to the
    commission's list, once (claimed with a conditional update)."""
    now = now or timezone.now()
    claimed = SupervisionNotice.objects.filter(pk=notice_id, answered_at=None, missed_at=None, due_at__lt=now).update(
        missed_at=now
    )
    if not claimed:
        return False
    notice = SupervisionNotice.objects.select_related("petition", "unit").get(pk=notice_id)
    _record_miss(notice.unit, notice.petition, DeadlineKind.NOTICE, notice.due_at, now)
    notify(
        NotificationRoute.Event.NOTICE_MISSED,
        petition=notice.petition,
        unit=notice.unit,
        dedupe_key=f"notice:{notice.pk}",
        now=now,
        url=_notice_url(notice),
    )
    return True


# --- Notifications (通知) ------------------------------------------------------------------------

_NOTIFICATION_TITLES = {
    NotificationRoute.Event.REMINDED: pgettext_lazy("notification", "Deadline near: %(number)s"),
    NotificationRoute.Event.ESCALATED: pgettext_lazy("notification", "Overdue, escalated: %(number)s"),
    NotificationRoute.Event.RED_NOTICE: pgettext_lazy("notification", "Red supervision notice: %(number)s"),
    NotificationRoute.Event.NOTICE_ISSUED: pgettext_lazy("notification", "Supervision notice: %(number)s"),
    NotificationRoute.Event.NOTICE_ANSWERED: pgettext_lazy("notification", "Supervision notice answered: %(number)s"),
    NotificationRoute.Event.NOTICE_MISSED: pgettext_lazy("notification", "Supervision notice unanswered: %(number)s"),
    NotificationRoute.Event.CO_OVERDUE: pgettext_lazy("notification", "Co-handling part overdue: %(number)s"),
    NotificationRoute.Event.EXTENSION_WAITING: pgettext_lazy("notification", "Extension request waiting: %(number)s"),
    NotificationRoute.Event.CLOSED_NO_RESPONSE: pgettext_lazy("notification", "Closed without a rating: %(number)s"),
}


def notify(
    event: str,
    *,
    petition: Petition,
    unit: Unit | None,
    dedupe_key: str,
    now=None,
    staff: bool = True,
    region_of: Unit | None = None,
    url: str | None = None,
) -> int:
    """Make the notifications the routing table asks for, once per recipient, event and channel
    (a re-run makes none), and queue the SMS and e-mail ones to be sent after the commit.

    `unit` is the unit concerned (the holder, the addressee, the late unit); `staff=False`
    leaves out its own staff (used when only the region's supervisors should hear); the
    supervisors are those of `region_of` (the late unit) when given, else of `unit`. Titles and
    bodies carry the tracking number and unit names only: never the complainant's data. The
    link is the case page unless `url` says otherwise (a notice's page).
    """
    from django.urls import reverse
    from django.utils import translation

    from petitions import tasks

    now = now or timezone.now()
    rows: list[Notification] = []
    routes = NotificationRoute.objects.filter(event=event, active=True)
    with translation.override(settings.LANGUAGE_CODE):
        title = str(_NOTIFICATION_TITLES[event]) % {"number": petition.tracking_number}
        body = " · ".join(
            part
            for part in (
                petition.category.name,
                unit.name if unit is not None else "",
                str(petition.get_status_display()),
            )
            if part
        )
    url = url or reverse("petitions:case", kwargs={"pk": petition.pk})
    for route in routes:
        if route.audience == NotificationRoute.Audience.HOLDER_UNIT_STAFF and not staff:
            continue
        if route.audience == NotificationRoute.Audience.RESIDENT:
            if route.channel != NotificationRoute.Channel.SMS or not petition.complainant_phone:
                continue
            recipients = [None]
        else:
            about = region_of if route.audience == NotificationRoute.Audience.SUPERVISORS_OF_REGION else None
            recipients = notification_recipients(route.audience, petition=petition, unit=about or unit)
            if petition.category.confidential:
                seeing = set(users_who_see(petition, [user.pk for user in recipients]))
                recipients = [user for user in recipients if user.pk in seeing]
        rows += [
            Notification(
                user=user,
                kind=event,
                petition=petition,
                dedupe_key=dedupe_key,
                channel=route.channel,
                title=title,
                body=body,
                url=url,
                created_at=now,
            )
            for user in recipients
        ]
    if not rows:
        return 0
    # The unique constraints make a second run insert nothing.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(row.channel != NotificationRoute.Channel.IN_APP for row in rows):
        unsent = Notification.objects.filter(
            kind=event, petition=petition, dedupe_key=dedupe_key, sent_at=None
        ).exclude(channel=NotificationRoute.Channel.IN_APP)
        for pk in unsent.values_list("pk", flat=True):
            tasks.send_notification.delay_on_commit(pk)  # sending twice is refused by the row lock
    return len(rows)


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's in-app notifications read (all of them when no ids are given)."""
    unread = Notification.objects.filter(user=user, channel=NotificationRoute.Channel.IN_APP, read_at=None)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_deliver(*, notification_id: int) -> bool:
    """Send one SMS or e-mail notification through the configured backend, once: the row is
    locked and marked sent in the same transaction. A backend error propagates (the task
    retries with backoff) and the row stays unsent."""
    from petitions.notifications import deliver

    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("user", "petition")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.sent_at is not None or notification.channel == "in_app":
        return False
    if not deliver(notification):
        return False
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return True


# --- Reports against officials (涉纪涉腐) ------------------------------------------------------


@transaction.atomic
def petition_reveal(*, petition_id: int, actor: User, reason: str) -> PetitionEvent:
    """Reveal a confidential report's identities (查看举报人身份) to one authorised person, for
    one request. Every reveal is on the record: who, when and why (an internal event).
    The case row is not changed, so it is not locked."""
    try:
        petition = Petition.objects.select_related("category").get(pk=petition_id)
    except Petition.DoesNotExist:
        raise NotPermitted(_("You may not take this action on this case.")) from None
    if not petition.category.confidential or not confidential_visible(actor, petition):
        raise NotPermitted(_("Only the competent commission may see who made this report."))
    reason = _require_text(reason, "reason", _("Say why you need to see who made the report."))
    return _event(
        petition,
        Verb.REVEALED,
        actor,
        actor_unit=_acting_unit(actor, petition.holder_unit),
        note=reason,
        data={"fields": ["complainant_name", "complainant_phone", "complainant_id_number", "accused"]},
    )


@transaction.atomic
def petition_dispose(
    *,
    petition_id: int,
    actor: User,
    kind: str,
    sanctioned_count: int = 0,
    sanction_kind: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Disposition:
    """Record the commission's disposition of the report (处置方式): closed, talk or inquiry,
    preliminary verification or a case opened, with how many people were sanctioned and how.
    Only the staff of the commission holding the case, once it is accepted. The resident
    never sees it (an internal event): their lookup shows that it was handled."""
    petition = _locked(petition_id, expected_version)
    holder = petition.holder_unit
    scope = scope_for(actor)
    if holder.kind != Unit.Kind.COMMISSION or not (scope.everything or scope.roles_in(holder.pk) & ACTING_ROLES):
        raise NotPermitted(_("Only the commission holding the case may record its disposition."))
    if petition.status not in (Status.ACCEPTED, Status.IN_PROGRESS, Status.UNDER_REVIEW):
        raise InvalidState(
            _("The case is “%(status)s”: you cannot %(action)s it now.")
            % {"status": petition.get_status_display(), "action": _("record a disposition for")}
        )
    disposition = Disposition(
        petition=petition,
        unit=holder,
        kind=kind,
        sanctioned_count=sanctioned_count or 0,
        sanction_kind=sanction_kind or "",
        note=(note or "").strip(),
        decided_by=actor,
        created_at=timezone.now(),
    )
    disposition.full_clean()
    disposition.save()
    _save(petition)
    _event(
        petition,
        Verb.DISPOSED,
        actor,
        actor_unit=holder,
        note=disposition.note,
        data={"kind": kind, "sanctioned_count": disposition.sanctioned_count, "sanction_kind": sanction_kind},
        created_at=disposition.created_at,
    )
    return disposition
