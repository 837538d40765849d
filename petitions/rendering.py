"""The case list's two speed tricks, each behind a named helper (STYLE.md 14): choice widgets
whose HTML each process keeps (`CachedChoicesMixin`), and rows written as HTML without the
template engine, every value escaped by the builder (`HtmlRows`, `case_rows`).

Measured on the staff case list with `python -m bench.case_list` (bench/case_list.py: the
page in-process through Django's test client, DEBUG off, a township's 50 open cases as the
county commission's supervisor; the variants take turns request by request; medians of 5 runs
of 200 requests; Intel Xeon, 2 cores shared with other work, load 4–5), CPU time a page:

    both helpers                    19.6 ms   (wall 37.4 ms)
    choices rendered by Django      23.5 ms   (wall 41.8 ms): the choice cache buys 3.9 ms
    rows by the template engine     22.5 ms   (wall 41.2 ms): the row builder buys 2.9 ms
    neither                         26.5 ms   (wall 51.6 ms)

(an earlier series, same machine: 17.6, 21.8, 20.4 and 24.8 ms: 4.2 and 2.8 ms bought).

In bench W2 HTML (`make bench BENCH_ARGS="--only w2 --skip-generate"`) the page with both is
p95 23.7 ms (run 20261130-0731-bd742e8, `bench/results/latest.md`); the rows alone took it from
17 to 14–15 ms of Python a page when they came in (7533c26)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape as html_escape
from string import Formatter
from typing import Any, Generic, TypeVar

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from petitions.masking import CONFIDENTIAL
from petitions.models import OPEN_STATUSES, Petition

# --- Choice widgets rendered once per process ---------------------------------------------

_RENDERED_CHOICES: dict[tuple, str] = {}
_RENDERED_CHOICES_MAX = 256


class CachedChoicesMixin:
    """A choice widget whose HTML each process keeps, keyed on everything the HTML depends on:
    the widget's class, the renderer, the field's name, the language, whether it is required,
    the value, the attributes and every choice. The choices are read on every render and are
    part of the key, so a new or renamed category shows at once; option groups are rendered as
    usual (no key for them). The last few hundred renderings are kept.

    What it buys: Django builds every option (its attributes, label and sub-templates) on each
    render, about 1 ms a field; on the case list's five choice fields, 3.9 ms of CPU a page
    (23.5 → 19.6 ms, `python -m bench.case_list`: the module's docstring)."""

    def render(self, name, value, attrs=None, renderer=None):
        # Read once (a model field's choices are a query); not list(): it would COUNT them first.
        self.choices = choices = [choice for choice in self.choices]  # noqa: C416
        if any(isinstance(label, (list, tuple)) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        key = (
            type(self),
            type(renderer),
            name,
            get_language(),
            self.is_required,
            repr(self.format_value(value)),
            tuple(sorted((k, type(v).__name__, str(v)) for k, v in {**self.attrs, **(attrs or {})}.items())),
            tuple((str(option), str(label)) for option, label in choices),
        )
        html = _RENDERED_CHOICES.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            if len(_RENDERED_CHOICES) >= _RENDERED_CHOICES_MAX:
                _RENDERED_CHOICES.clear()
            _RENDERED_CHOICES[key] = html
        return html


class CachedSelectMultiple(CachedChoicesMixin, forms.SelectMultiple):
    pass


class CachedCheckboxSelectMultiple(CachedChoicesMixin, forms.CheckboxSelectMultiple):
    pass


class CachedNullBooleanSelect(CachedChoicesMixin, forms.NullBooleanSelect):
    pass


def use_cached_widget(field: forms.Field, widget_class: type[CachedChoicesMixin], *, choices=None) -> None:
    """Give a form's field a widget of `widget_class` (one of the cached ones above) with the
    old widget's attributes and required flag, showing `choices` or else the field's own."""
    old = field.widget
    widget = widget_class(attrs=old.attrs)
    widget.choices = field.choices if choices is None else choices
    widget.is_required = old.is_required
    field.widget = widget


# --- Rows written without the template engine, every value escaped --------------------------

Item = TypeVar("Item")
Page = TypeVar("Page")


def _holes(markup: str) -> int:
    """How many `{}` the markup has; anything else between braces is refused."""
    fields = [field for _text, field, _spec, _conversion in Formatter().parse(markup) if field is not None]
    if any(field != "" for field in fields):
        raise ValueError(f"only empty {{}} holes in a row's markup: {markup!r}")
    return len(fields)


@dataclass(frozen=True)
class Column(Generic[Item, Page]):
    """One column of a hand-built table: its header, its cell's markup (our own literal HTML with
    a `{}` hole for each value, never data) and `values(item, page)`, the values for one row:
    one value, or a tuple of one per hole."""

    header: str | Promise
    markup: str
    values: Callable[[Item, Page], Any]


class HtmlRows(Generic[Item, Page]):
    """Table rows built with one `str.format` per row, in the way of `format_html`: every value a
    column gives is escaped unless it is already safe HTML (a `SafeString`, from `format_html`
    or `mark_safe`) or an integer (digits), so a new column is escaped unless it says its value
    is markup. A column returning the wrong number of values is refused.

    What it buys: the template engine spent about a third of the case list on its 50 rows × 10
    cells (7533c26: 17 → 14–15 ms of Python a page); now 2.9 ms of CPU a page (22.5 → 19.6 ms,
    `python -m bench.case_list`: the module's docstring)."""

    def __init__(self, row: str, row_values: Callable[[Item, Page], tuple], columns: Sequence[Column[Item, Page]]):
        self.columns = tuple(columns)
        self.headers = tuple(column.header for column in self.columns)
        self._row_holes = _holes(row)
        self._cells = tuple((column.values, _holes(column.markup)) for column in self.columns)
        self._holes = self._row_holes + sum(holes for _values, holes in self._cells)
        self._row_values = row_values
        self._format = (row + "".join(column.markup for column in self.columns) + "</tr>").format

    def render(self, items: Iterable[Item], page: Page) -> list[SafeString]:
        escaped: dict[str, str] = {}  # names, labels and days repeat down a page
        rows = []
        for item in items:
            values = list(self._row_values(item, page))
            for cell, holes in self._cells:
                if holes == 1:
                    values.append(cell(item, page))
                else:
                    values.extend(cell(item, page))
            if len(values) != self._holes:
                raise ValueError(f"{len(values)} values for the {self._holes} holes of a row")
            texts = []
            for value in values:  # inline: a function call per value was a fifth of the rows' time
                if type(value) is str:
                    text = escaped.get(value)
                    if text is None:
                        text = escaped[value] = html_escape(value)
                elif type(value) is int or isinstance(value, SafeData):
                    text = value  # digits, or HTML a column says is safe
                else:
                    text = html_escape(str(value))
                texts.append(text)
            rows.append(mark_safe(self._format(*texts)))  # every value escaped above
        return rows


# --- The case list's rows ---------------------------------------------------------------------

_PK_PLACEHOLDER = "987654321987"


class _CasePage:
    """What every row of one page of the case list shares, worked out once: now, the active time
    zone, the case link, the status and channel labels in the active language, the overdue badge."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        # One reverse() for the page: the case link with a placeholder key, filled in per row.
        self.link = reverse("petitions:case", args=[_PK_PLACEHOLDER])
        self.status_labels = {value: str(label) for value, label in Petition._meta.get_field("status").flatchoices}
        self.channel_labels = {value: str(label) for value, label in Petition._meta.get_field("channel").flatchoices}
        # Translators: red badge on a late case (已逾期)
        self.overdue = format_html('<span class="badge overdue" data-overdue="1">{}</span>', _("Overdue"))

    def url(self, p: Petition) -> str:
        return self.link.replace(_PK_PLACEHOLDER, str(p.pk))

    def late(self, p: Petition) -> bool:
        """An open case past its deadline: the row is marked and carries the red badge."""
        return p.status in OPEN_STATUSES and p.current_due_at is not None and p.current_due_at < self.now

    def day(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).date().isoformat() if moment else "—"


# The case list's columns (templates/petitions/_case_results.html has the table around them).
CASE_ROWS: HtmlRows[Petition, _CasePage] = HtmlRows(
    '<tr class="{}" data-case="{}">',
    lambda p, page: ("is-overdue" if page.late(p) else "", p.pk),
    [
        Column(
            _("Tracking number"),
            '<td class="nowrap"><a href="{}">{}</a></td>',
            lambda p, page: (page.url(p), p.tracking_number),
        ),
        # A shell (a report seen only by the desk that logged it) shows no title.
        Column(
            _("Title"),
            '<td><a href="{}">{}</a></td>',
            lambda p, page: (page.url(p), CONFIDENTIAL if getattr(p, "shell", False) else p.title),
        ),
        Column(_("Category"), "<td>{}</td>", lambda p, page: p.category.name),
        Column(_("Village"), "<td>{}</td>", lambda p, page: p.region.name),
        Column(_("Channel"), "<td>{}</td>", lambda p, page: page.channel_labels.get(p.channel) or p.channel),
        Column(
            _("Status"),
            '<td><span class="badge status-{}">{}</span>{}</td>',
            lambda p, page: (
                p.status,
                page.status_labels.get(p.status) or p.status,
                page.overdue if page.late(p) else "",
            ),
        ),
        Column(pgettext_lazy("now", "Holding unit"), "<td>{}</td>", lambda p, page: p.holder_unit.name),
        Column(_("Registered at"), '<td class="nowrap">{}</td>', lambda p, page: page.day(p.created_at)),
        Column(_("Deadline"), '<td class="nowrap">{}</td>', lambda p, page: page.day(p.current_due_at)),
    ],
)


def case_rows(cases: Iterable[Petition]) -> list[SafeString]:
    """The rows of one page of the case list (`CASE_ROWS`), in the active language and time zone."""
    return CASE_ROWS.render(cases, _CasePage())
