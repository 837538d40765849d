"""The 12-digit statistical division code (统计用区划代码) as a prefix path.

province 2 + city 2 + county 2 + township 3 + village 3 digits. A region's significant
prefix is the part that is not padding; its whole subtree is every code with that prefix,
which is one range on an indexed column: `code BETWEEN prefix000… AND prefix999…`. A range
(rather than LIKE 'prefix%') uses the plain B-tree index under any collation.
"""

from __future__ import annotations

import re

CODE_LENGTH = 12
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVELS = tuple(PREFIX_LENGTH)  # from the top down
_CODE_RE = re.compile(r"^\d{12}$")


def is_code(value: str) -> bool:
    return bool(_CODE_RE.match(value or ""))


def level_of(code: str) -> str:
    """The level a well-formed code stands for, read from where its padding starts."""
    for level in LEVELS:
        if code[PREFIX_LENGTH[level] :].strip("0") == "":
            return level
    raise AssertionError("unreachable: a village prefix is the whole code")


def prefix_of(code: str, level: str | None = None) -> str:
    return code[: PREFIX_LENGTH[level or level_of(code)]]


def pad(prefix: str) -> str:
    return prefix.ljust(CODE_LENGTH, "0")


def code_range(prefix: str) -> tuple[str, str]:
    """The first and last code in the subtree of `prefix` (both inclusive)."""
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def ancestor_codes(code: str) -> list[str]:
    """The codes of every region above `code`, from the province down."""
    level = level_of(code)
    above = LEVELS[: LEVELS.index(level)]
    return [pad(code[: PREFIX_LENGTH[lv]]) for lv in above]


def chain_within_county(code: str) -> list[str]:
    """`code` and the regions above it up to its county (or `code` alone above the county):
    whose supervisors hear of a case's deadlines. A city or province hears of the cases it
    handed down through their referrals, not of every deadline of its counties."""
    top = min(LEVELS.index(level_of(code)), LEVELS.index("county"))
    return [c for c in [*ancestor_codes(code), code] if LEVELS.index(level_of(c)) >= top]


def parent_code(code: str) -> str | None:
    ancestors = ancestor_codes(code)
    return ancestors[-1] if ancestors else None
