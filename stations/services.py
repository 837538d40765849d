"""Every write to the hierarchy: the division-code import, units and staff roles."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from config import refcache
from stations import codes
from stations.models import Membership, MembershipEvent, Region, Unit, User

log = logging.getLogger("suqiu.security")


@dataclass(frozen=True)
class RegionRow:
    """One line of a division-code list: where it came from, the code and the name."""

    line: int
    code: str
    name: str
    level: str = ""


@dataclass(frozen=True)
class ImportResult:
    created: int
    renamed: int
    unchanged: int


def _check_rows(rows: list[RegionRow], known: dict[str, tuple[int, str]]) -> list[str]:
    """Every problem in the list, each naming its line; an empty list when all is well."""
    errors: list[str] = []
    seen: dict[str, int] = {}
    in_file = {row.code for row in rows}
    for row in rows:
        where = _("line %(line)d") % {"line": row.line}
        if not codes.is_code(row.code) or row.code.startswith("00"):
            errors.append(
                _("%(where)s: %(code)r is not a 12-digit division code.") % {"where": where, "code": row.code}
            )
            continue
        if not row.name or len(row.name) > 100:
            errors.append(_("%(where)s: the name must be 1 to 100 characters.") % {"where": where})
        if row.code in seen:
            errors.append(
                _("%(where)s: code %(code)s is already on line %(other)d.")
                % {"where": where, "code": row.code, "other": seen[row.code]}
            )
        seen.setdefault(row.code, row.line)
        level = codes.level_of(row.code)
        if row.level and row.level != level:
            errors.append(
                _("%(where)s: code %(code)s is a %(level)s code, not %(given)s.")
                % {"where": where, "code": row.code, "level": Region.Level(level).label, "given": row.level}
            )
        parent = codes.parent_code(row.code)
        if parent and parent not in in_file and parent not in known:
            errors.append(
                _("%(where)s: the parent region %(parent)s of %(code)s is neither in the list nor in the database.")
                % {"where": where, "parent": parent, "code": row.code}
            )
    return errors


@transaction.atomic
def regions_import(*, rows: Iterable[RegionRow]) -> ImportResult:
    """Add or rename regions from a division-code list: all of it, or nothing.

    The level and the parent of each region follow from its code. Regions already in the
    database keep their id; a changed name is updated. Parents are created before children,
    level by level, in bulk, so a province's 30,000 villages load in seconds.
    """
    rows = list(rows)
    known = {code: (pk, name) for pk, code, name in Region.objects.values_list("pk", "code", "name")}
    errors = _check_rows(rows, known)
    if errors:
        raise ValidationError(errors)

    ids = {code: pk for code, (pk, _name) in known.items()}
    created = renamed = unchanged = 0
    renames: list[Region] = []
    for level in codes.LEVELS:
        new: list[Region] = []
        for row in rows:
            if codes.level_of(row.code) != level:
                continue
            if row.code in known:
                pk, name = known[row.code]
                if name != row.name:
                    renames.append(Region(pk=pk, name=row.name))
                else:
                    unchanged += 1
                continue
            parent = codes.parent_code(row.code)
            new.append(Region(code=row.code, name=row.name, level=level, parent_id=ids[parent] if parent else None))
        for region in Region.objects.bulk_create(new, batch_size=2000):
            ids[region.code] = region.pk
        if new and any(region.pk is None for region in new):  # backends without RETURNING
            ids.update(Region.objects.filter(code__in=[r.code for r in new]).values_list("code", "pk"))
        created += len(new)
    Region.objects.bulk_update(renames, ["name"], batch_size=2000)
    # Bulk writes send no signals: this process drops its copies of regions and units itself.
    refcache.invalidate_all()
    renamed = len(renames)
    return ImportResult(created=created, renamed=renamed, unchanged=unchanged)


def unit_ensure(*, region: Region, name: str, kind: str, phone: str = "", address: str = "") -> Unit:
    """The unit of this name in this region, created if it does not exist yet."""
    unit = Unit.objects.filter(region=region, name=name).first()
    if unit is None:
        unit = Unit(region=region, name=name, kind=kind, phone=phone, address=address)
        unit.full_clean()
        unit.save()
    return unit


def _membership_event(*, actor: User | None, user: User, unit: Unit, role: str, verb: str) -> MembershipEvent:
    event = MembershipEvent.objects.create(actor=actor, user=user, unit=unit, role=role, verb=verb)
    # A commission role may reveal who reported whom: every change is in the security log too.
    log.info(
        "role %s user=%s unit=%s role=%s by=%s",
        verb,
        user.get_username(),
        unit.pk,
        role,
        actor.get_username() if actor is not None else "-",
    )
    return event


@transaction.atomic
def membership_grant(*, user: User, unit: Unit, role: str, actor: User | None = None) -> Membership:
    """Give `user` the `role` in `unit` (nothing changes if they already hold it); `actor` is
    who gave it (None for a command or the demo)."""
    # One grant per person at a time: two at once would both find no role and both record it.
    User.objects.select_for_update().filter(pk=user.pk).first()
    membership = Membership.objects.filter(user=user, unit=unit, role=role).first()
    if membership is None:
        membership = Membership(user=user, unit=unit, role=role)
        membership.full_clean()
        membership.save()
        _membership_event(actor=actor, user=user, unit=unit, role=role, verb=MembershipEvent.Verb.GRANTED)
    return membership


@transaction.atomic
def membership_revoke(*, user: User, unit: Unit, role: str, actor: User | None = None) -> bool:
    """Take the `role` in `unit` away from `user`; True if they held it. `actor` as for a grant."""
    deleted, _detail = Membership.objects.filter(user=user, unit=unit, role=role).delete()
    if deleted:
        _membership_event(actor=actor, user=user, unit=unit, role=role, verb=MembershipEvent.Verb.REVOKED)
    return bool(deleted)
