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
from datetime import date, timedelta

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
from petitions.deadlines import deadline_add
from petitions.models import (
    Assignment,
    Attachment,
    Category,
    Channel,
    ExtensionRequest,
    Holiday,
    Petition,
    PetitionEvent,
    Satisfaction,
    Status,
)
from petitions.selectors import allowed_actions
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
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ALLOWED_ATTACHMENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
MAX_ATTACHMENTS = 5


def id_number_is_valid(value: str) -> bool:
    """An 18-character resident ID number (GB 11643) with a correct check character."""
    value = value.upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


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
    petition = (
        Petition.objects.select_for_update(of=("self",))
        .select_related("category", "region", "holder_unit", "intake_unit")
        .get(pk=petition_id)
    )
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
    petition.full_clean(exclude=["category", "region", "holder_unit", "intake_unit", "registered_by", "repeat_of"])
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


def _find_repeat(petition: Petition) -> Petition | None:
    """An earlier case by the same person (phone or ID number) about the same village and
    category, still open or closed within a year, through any channel at any level."""
    same_person = Q()
    if petition.complainant_phone:
        same_person |= Q(complainant_phone=petition.complainant_phone)
    if petition.complainant_id_number:
        same_person |= Q(complainant_id_number=petition.complainant_id_number)
    if not same_person:
        return None
    year_ago = timezone.now() - timedelta(days=365)
    earlier = (
        Petition.objects.filter(same_person, region_id=petition.region_id, category_id=petition.category_id)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=year_ago))
        .exclude(status=Status.REJECTED)
        .order_by("-created_at", "-id")
        .first()
    )
    if earlier is None:
        return None
    return earlier.repeat_of or earlier


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
) -> Registration:
    """Log a grievance (登记). Staff register at their intake unit; `actor=None` is a
    resident's own online submission. The case goes to the intake centre that decides
    acceptance: a village desk's case to its township centre."""
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
    if intake_unit is not None and intake_unit.region.level != Region.Level.VILLAGE:
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
        complainant_id_number=complainant_id_number.strip().upper(),
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

    Assignment.objects.create(petition=petition, unit=holder, role=Assignment.Role.LEAD, created_at=now)
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
    for upload, content_type, extension in cleaned["attachments"]:
        _attach(petition, upload, content_type, extension, actor)
    return Registration(petition=petition, query_code=query_code)


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
