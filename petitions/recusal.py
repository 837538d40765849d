"""Recusal (回避): which units must stand aside from a report against officials.

A report names people (被反映人) as a desk typed them: a name, a post, sometimes a unit. A unit
stands aside when one of them works in it, is one of its staff, or leads a unit of its region.
The accused is the person with the most reason to spell around this, so every comparison is
made on a *key*: the text folded the way Chinese can be typed differently for the same person
(`text_key`). Which units stood aside is written down at registration (`Recusal` rows) so
that every list, count and notification can leave the case out for them in SQL.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence

from django.db.models import Q

from stations import codes
from stations.models import Membership, Unit

Role = Membership.Role

# Posts that lead a unit of a region (a township's Party secretary, its mayor, a centre's head):
# "东镇党委书记" names a leader of 东镇 even without a name.
LEADER_TITLES = ("书记", "镇长", "乡长", "县长", "区长", "市长", "省长", "主任", "主席", "局长", "部长")
# How a commission's name is shortened in speech and in posts: 甲县纪委监委 → 甲县纪委, 甲县监委.
_COMMISSION_SUFFIXES = ("纪委监委", "纪检监察委员会", "纪律检查委员会", "纪检监察室", "纪检组", "纪委", "监委")
_DOTS = frozenset("·・•.‧∙⋅")


@functools.cache
def _to_simplified():
    # OpenCC (BYVoid's converter, the one Chinese projects use): loaded on first use only, so a
    # web worker that never compares a report's names does not hold its dictionaries.
    import opencc

    return opencc.OpenCC("t2s")


def text_key(text: str) -> str:
    """Text as recusal compares it: Unicode NFKC (full-width letters and spaces become plain),
    without format and control characters (zero-width spaces, joiners, direction marks), white
    space or middle dots, traditional characters folded to simplified (洛黨鎮紀委 → 洛党镇纪委),
    case-folded."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(
        ch for ch in text if ch not in _DOTS and not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Co")
    )
    if not kept:
        return ""
    if not kept.isascii():
        kept = _to_simplified().convert(kept)
    return kept.casefold()


# The name of the older API: a name is compared as any other text.
person_name_key = text_key


def accused_key(person) -> tuple:
    """What recusal reads of one accused person (for caches keyed on the accused)."""
    return (person.unit_id or 0, text_key(person.name), text_key(person.post))


def unit_name_keys(unit: Unit) -> set[str]:
    """The unit's name as a report may write it: whole, and a commission by its short names."""
    name = text_key(unit.name)
    keys = {name} if name else set()
    for suffix in _COMMISSION_SUFFIXES:
        if unit.kind == Unit.Kind.COMMISSION and name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            keys |= {base + "纪委", base + "监委"}
            break
    return keys


def _names_unit(texts: Iterable[str], unit: Unit) -> bool:
    keys = unit_name_keys(unit)
    return any(key and key in text for text in texts for key in keys)


def _names_leader_of(texts: Iterable[str], region) -> bool:
    """A post that leads a unit of `region`: its name with a leader's title after it."""
    place = text_key(region.name)
    if len(place) < 2:
        return False
    for text in texts:
        at = text.find(place)
        if at >= 0 and any(title in text[at + len(place) :] for title in LEADER_TITLES):
            return True
    return False


def unit_recused(unit: Unit, accused, *, memberships=None) -> bool:
    """Whether a unit must stand aside (回避) from a report naming `accused`: one of them works
    in it (their unit, or a post or name that names it), is one of its staff (by full name or
    user name), or leads a unit of its region (a leader of that region by name, or a post like
    "东镇党委书记"). Every text is compared by `text_key`, so spaces, zero-width characters,
    full-width letters and traditional characters do not spell around it."""
    accused = list(accused)
    if not accused:
        return False
    if any(person.unit_id == unit.pk for person in accused):
        return True
    names = {text_key(person.name) for person in accused} - {""}
    texts = [text_key(person.name) + text_key(person.post) for person in accused]
    if _names_unit(texts, unit) or _names_leader_of(texts, unit.region):
        return True
    if not names:
        return False
    staff = (
        (memberships if memberships is not None else Membership.objects)
        .filter(unit__is_active=True)
        .filter(Q(unit=unit) | Q(unit__region_id=unit.region_id, role=Role.LEADER))
    )
    # A unit's staff and its region's leaders are a few dozen people: compare them all.
    return any(
        text_key(full_name) in names or text_key(username) in names
        for full_name, username in staff.values_list("user__full_name", "user__username")
    )


def units_named(accused: Sequence, county_code: str) -> list[Unit]:
    """The active units of the county that the accused's posts or names name (an official
    written as "洛党镇财政所所长" works there even when the desk gave no unit)."""
    texts = [text_key(person.name) + text_key(person.post) for person in accused if person.unit_id is None]
    if not any(texts):
        return []
    units = Unit.objects.filter(region__code__startswith=county_code, is_active=True).select_related("region")
    return [unit for unit in units if _names_unit(texts, unit)]


def commissions_above(region) -> list[Unit]:
    """The active commissions strictly above `region`, the nearest first."""
    ancestors = codes.ancestor_codes(region.code)
    units = Unit.objects.filter(region__code__in=ancestors, kind=Unit.Kind.COMMISSION, is_active=True).select_related(
        "region"
    )
    return sorted(units, key=lambda unit: unit.region.code, reverse=True)


def commission_above(region, accused=(), *, above: list[Unit] | None = None) -> Unit | None:
    """The nearest active commission strictly above `region` that need not stand aside
    (`above`: `commissions_above(region)`, when the caller has it)."""
    for unit in commissions_above(region) if above is None else above:
        if not unit_recused(unit, accused):
            return unit
    return None


def competent_commission(village, accused=()) -> Unit | None:
    """Where a report against officials goes (管辖): the commission of the level above the
    accused's unit (a village official → the township commission; a township official → the
    county's), never the accused's own unit, and one level further up for every commission
    that must stand aside. An accused whose unit is not given but whose post names one is taken
    for an official of that unit; with neither, for an official of the case's village."""
    accused = list(accused)
    regions = [person.unit.region for person in accused if person.unit_id is not None]
    regions += [unit.region for unit in units_named(accused, village.code[:6])]
    regions = regions or [village]
    # The highest level any accused calls for: the shortest code among their regions.
    highest = min(regions, key=lambda region: len(region.prefix))
    return commission_above(highest, accused)


def recused_units(village, accused, *, intake_unit: Unit | None = None, units=None, memberships=None) -> list[Unit]:
    """Every unit that must stand aside from this report and would otherwise see it: the
    commissions whose region covers the village (they see the reports of their subtree) and
    the desk that logged it. `units` and `memberships` are the managers to read (a migration
    passes its historical ones)."""
    accused = list(accused)
    if not accused:
        return []
    candidates = list(
        (units if units is not None else Unit.objects)
        .filter(
            region__code__in=[*codes.ancestor_codes(village.code), village.code],
            kind=Unit.Kind.COMMISSION,
            is_active=True,
        )
        .select_related("region")
    )
    if intake_unit is not None:
        candidates.append(intake_unit)
    return [unit for unit in candidates if unit_recused(unit, accused, memberships=memberships)]
