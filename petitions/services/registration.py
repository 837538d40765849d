"""Registering a case (登记): the receipt's codes, the checks of what was typed, repeats, files."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import NotPermitted
from petitions.deadlines import deadline_add, deadline_days
from petitions.idnumbers import id_number_digest, id_number_digests, normalize_id_number
from petitions.models import (
    AccusedPerson,
    Assignment,
    Attachment,
    Category,
    Channel,
    DeadlineKind,
    Petition,
    PetitionEvent,
    Recusal,
    Status,
)
from petitions.notifications import send_receipt_codes
from petitions.recusal import competent_commission, recused_units, unit_recused
from petitions.services._common import _acting_unit, _event, _locked, _require, _save
from petitions.tracking import (
    QUERY_CODE_LENGTH,
    new_tracking_number,
    query_code_hash,
)
from stations import codes
from stations.models import Region, Unit, User
from stations.selectors import intake_unit_above, intake_unit_in, intake_units_of

Verb = PetitionEvent.Verb

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
    # The case was registered before under the same client reference: this is that case, and
    # nothing was written (its query code went out with the first answer).
    replayed: bool = False


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


# A desk's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


def _checked_received_at(received_at: datetime | None, late_reason: str, now: datetime) -> tuple[datetime, str]:
    """When the grievance reached the desk, checked: not in the future, and older than the
    window only with a reason."""
    late_reason = (late_reason or "").strip()
    if received_at is None:
        return now, late_reason
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        received_at = timezone.make_aware(received_at)
    if received_at > now + CLOCK_SKEW:
        raise ValidationError({"received_at": _("The time it was received cannot be in the future.")})
    if received_at > now:
        return now, late_reason
    window = settings.SUQIU_RECEIVED_WINDOW_DAYS
    if received_at < now - timedelta(days=window) and not late_reason:
        raise ValidationError(
            {
                "late_reason": _("It was received more than %(days)d days ago: say why it is registered only now.")
                % {"days": window}
            }
        )
    if len(late_reason) > 1000:
        raise ValidationError({"late_reason": _("The reason can be at most 1000 characters.")})
    return received_at, late_reason


CLIENT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def _checked_client_ref(client_ref: str, intake_unit: Unit | None) -> str:
    client_ref = (client_ref or "").strip()
    if not client_ref:
        return ""
    if not CLIENT_REF.match(client_ref):
        raise ValidationError(
            {"client_ref": _("A client reference is 1 to 64 letters, digits, dots, colons, hyphens or underscores.")}
        )
    if intake_unit is None:
        raise ValidationError({"client_ref": _("Only a desk's registration carries a client reference.")})
    return client_ref


def _registered_as(intake_unit: Unit, client_ref: str) -> Petition | None:
    """The case this desk registered under this client reference, if any."""
    cases = Petition.objects.select_related("category", "region", "intake_unit", "holder_unit", "registered_by")
    return cases.filter(intake_unit=intake_unit, client_ref=client_ref).first()


def _commission_above_county(intake_unit: Unit | None, accused: Sequence[AccusedPerson]) -> Unit | None:
    """The commission of a city or province whose desk took a report in, if it need not stand aside."""
    if intake_unit is None or intake_unit.region.level not in (Region.Level.PROVINCE, Region.Level.CITY):
        return None
    commission = Unit.objects.filter(region=intake_unit.region, kind=Unit.Kind.COMMISSION, is_active=True).first()
    return None if commission is None or unit_recused(commission, accused) else commission


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
    client_ref: str = "",
    received_at: datetime | None = None,
    late_reason: str = "",
    codes_by_sms: bool = False,
) -> Registration:
    """Log a grievance (登记). Staff register at their intake unit; `actor=None` is a
    resident's own online submission. The case goes to the intake centre that decides
    acceptance: a village desk's case to its township centre.

    A confidential report against officials (涉纪涉腐) goes straight to the competent
    commission instead (`recusal.competent_commission`): the level above the accused's unit,
    around any commission the report names (回避). `accused` lists the officials named, as
    dicts of name, post and unit.

    `received_at`: when the grievance reached a desk (a paper ledger, an offline desk, a
    hotline's record), now by default; never in the future, and older than
    `SUQIU_RECEIVED_WINDOW_DAYS` only with a `late_reason`. The acceptance deadline counts from
    it; the registration time (`created_at`) is kept apart.

    `codes_by_sms`: text the tracking number and query code to the complainant's phone once
    the registration commits (an offline desk's case, registered after the resident left).

    `client_ref`: the registering client's own id for the case. The same reference from the
    same desk again returns the case registered the first time (`replayed`), also when both
    arrive at once (a unique constraint decides); nothing is written twice."""
    if actor is not None:
        desks = intake_units_of(actor)
        if intake_unit is None and len(desks) == 1:
            intake_unit = desks[0]
        if intake_unit is None or intake_unit.pk not in {desk.pk for desk in desks}:
            raise NotPermitted(_("Only the staff of an intake centre or station can register cases."))
    client_ref = _checked_client_ref(client_ref, intake_unit)
    if client_ref and (earlier := _registered_as(intake_unit, client_ref)) is not None:
        return Registration(petition=earlier, query_code="", replayed=True)
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
    now = timezone.now()
    received_at, late_reason = _checked_received_at(received_at, late_reason, now)
    accused_people = _accused_people(accused, region)
    if category.confidential:
        # Taken in above the county (12388, a letter to the city): the commission of that
        # level holds it and hands it down (交办, services/referrals.py), unless it must stand aside.
        holder = _commission_above_county(intake_unit, accused_people) or competent_commission(region, accused_people)
        if holder is None:
            raise ValidationError({"category": _("No commission can take this report yet.")})
    elif intake_unit is not None and intake_unit.region.level != Region.Level.VILLAGE:
        holder = intake_unit
    else:
        township = region.parent
        holder = intake_unit_in(township) or intake_unit_above(township) or intake_unit
    if holder is None:
        raise ValidationError({"region": _("No intake centre serves this village yet.")})

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
        client_ref=client_ref,
        created_at=now,
        received_at=received_at,
        late_reason=late_reason,
        acceptance_due_at=deadline_add(
            received_at, deadline_days(category, DeadlineKind.ACCEPTANCE), category.day_type
        ),
    )
    petition.current_due_at = petition.acceptance_due_at
    original = _find_repeat(petition)
    if original is not None:
        petition.repeat_of = original
    elif intake_unit is not None and intake_unit.region.level in ("province", "city", "county"):
        # Filed above the township with nothing filed below first: 越级.
        petition.level_skipping = channel != Channel.REFERRAL
    for _attempt in range(5):
        petition.tracking_number = new_tracking_number()
        petition.query_code_hash = query_code_hash(petition.tracking_number, query_code)
        try:
            with transaction.atomic():
                petition.save(force_insert=True)
            break
        except IntegrityError:
            if client_ref and (earlier := _registered_as(intake_unit, client_ref)) is not None:
                # The same reference arrived twice at once: the other one was first.
                return Registration(petition=earlier, query_code="", replayed=True)
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
        data={
            "channel": channel,
            "acceptance_due_at": petition.acceptance_due_at.isoformat(),
            **({"received_at": received_at.isoformat()} if received_at != now else {}),
        },
        created_at=now,
    )
    if original is not None:
        Petition.objects.filter(pk=original.pk).update(repeat_count=F("repeat_count") + 1)
        _event(petition, Verb.REPEAT, None, data={"repeat_of": original.tracking_number}, created_at=now)
    if codes_by_sms and petition.complainant_phone:
        phone, number = petition.complainant_phone, petition.tracking_number
        transaction.on_commit(lambda: send_receipt_codes(phone=phone, tracking_number=number, query_code=query_code))
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
