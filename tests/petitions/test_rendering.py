"""The case list's speed helpers (petitions/rendering.py) break in two obvious ways: a column
that lets a case's text through unescaped, and a choice cache that shows yesterday's choices.
These tests catch both, on the page itself and on the builder."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy

from petitions import rendering
from petitions.models import Category, Petition
from petitions.rendering import CASE_ROWS, Column, HtmlRows, case_rows
from stations.models import Region, Unit

pytestmark = pytest.mark.django_db

EVIL = "<script>alert(\"x\")</script> & 'q'"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;"


def as_user(client, user):
    client.force_login(user)
    return client


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


# --- On the page ------------------------------------------------------------------------------


def test_a_cases_title_category_village_and_unit_show_escaped_in_the_case_list(client, world, register):
    petition = register(title=f"标题 {EVIL}").petition
    Category.objects.filter(pk=petition.category_id).update(name_zh=f"类别 {EVIL}")
    Region.objects.filter(pk=petition.region_id).update(name=f"村 {EVIL}")
    Unit.objects.filter(pk=petition.holder_unit_id).update(name=f"单位 {EVIL}")
    Petition.objects.filter(pk=petition.pk).update(current_due_at=timezone.now() - timedelta(days=1))
    as_user(client, world.users["clerk"])

    html = client.get("/staff/cases/").content.decode()

    assert "<script>alert" not in html and '"x"' not in html
    row = re.search(rf'<tr class="is-overdue" data-case="{petition.pk}">(.*?)</tr>', html).group(1)
    shown = cells(row)
    assert len(shown) == len(CASE_ROWS.columns)
    assert f"标题 {ESCAPED}" in shown[1] and shown[2:4] == [f"类别 {ESCAPED}", f"村 {ESCAPED}"]
    assert shown[6] == f"单位 {ESCAPED}"
    # The filter's category choice (from the choice cache) is escaped too.
    assert f">类别 {ESCAPED}</option>" in html
    # One header per column, in the columns' order.
    headers = re.search(r"<thead><tr>(.*?)</tr></thead>", html).group(1)
    assert re.findall(r"<th>(.*?)</th>", headers) == [str(header) for header in CASE_ROWS.headers]


def test_the_filter_shows_a_new_or_renamed_category_and_the_choice_made_at_once(client, world, register):
    register()
    as_user(client, world.users["clerk"])
    assert "供水" not in client.get("/staff/cases/").content.decode()

    water = Category.objects.create(code="water", name_zh="供水", name_en="Water", competent_unit_kind="station")
    assert '<option value="water">供水</option>' in client.get("/staff/cases/").content.decode()

    Category.objects.filter(pk=water.pk).update(name_zh="农村供水")
    html = client.get("/staff/cases/").content.decode()
    assert '<option value="water">农村供水</option>' in html and ">供水<" not in html

    chosen = client.get("/staff/cases/", {"category": "water", "status": "registered"}).content.decode()
    assert '<option value="water" selected>农村供水</option>' in chosen
    assert re.search(r'<input type="checkbox" name="status" value="registered"[^>]* checked>', chosen)
    again = client.get("/staff/cases/").content.decode()
    assert '<option value="water">农村供水</option>' in again
    assert not re.search(r'name="status" value="registered"[^>]* checked', again)


@pytest.mark.parametrize(
    ("plain", "cached"),
    [
        (forms.SelectMultiple, rendering.CachedSelectMultiple),
        (forms.CheckboxSelectMultiple, rendering.CachedCheckboxSelectMultiple),
        (forms.NullBooleanSelect, rendering.CachedNullBooleanSelect),
    ],
)
def test_a_cached_choice_widget_renders_what_djangos_renders(plain, cached):
    boolean = plain is forms.NullBooleanSelect
    choices = None if boolean else [("a", "甲 & <b>"), ("b", "乙")]
    for value in (None, "true", False) if boolean else (None, ["a"], ["b", "a"]):
        for _attempt in range(2):  # the second from the cache
            expected, widget = plain(attrs={"class": "x"}), cached(attrs={"class": "x"})
            if choices:
                expected.choices = widget.choices = choices
            assert widget.render("f", value, attrs={"id": "id_f"}) == expected.render("f", value, attrs={"id": "id_f"})


# --- The row builder --------------------------------------------------------------------------


def evil(model: type[models.Model], **fields) -> models.Model:
    """An unsaved `model` with `EVIL` in every text field (those with choices included)."""
    values = {
        field.attname: EVIL
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField)) and not field.is_relation
    }
    return model(**{**values, **fields})


def evil_case(**fields) -> Petition:
    """A case whose every text, and its category's, village's and holding unit's, is `EVIL`,
    so that whatever text a column reads, it reads markup."""
    created = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    shell = fields.pop("shell", False)
    case = evil(Petition, **{"pk": 7, "created_at": created, "current_due_at": created + timedelta(days=15), **fields})
    case.category = evil(Category, pk=3)
    case.region = evil(Region, pk=4)
    case.holder_unit = evil(Unit, pk=5)
    case.shell = shell  # as petition_list_for_user annotates a report seen only by its desk
    return case


LATE = {"status": "registered", "current_due_at": datetime(2020, 1, 1, tzinfo=UTC)}


@pytest.mark.parametrize(
    "fields",
    [{}, LATE, {"current_due_at": None}, {"shell": True}],
    ids=["unknown status", "late", "no deadline", "shell"],
)
def test_every_column_escapes_what_a_case_holds(fields):
    (row,) = case_rows([evil_case(**fields)])

    assert "<script>" not in row and '"x"' not in row
    shown = cells(row)
    assert len(shown) == len(CASE_ROWS.columns)  # every column wrote its cell, no hole left over
    for text in shown:
        # Our own markup only: the links, the badges.
        assert (
            re.sub(
                r'<(a href="/staff/cases/7/"|span class="badge [^"<>]*"( data-overdue="1")?)>|</a>|</span>', "", text
            ).count("<")
            == 0
        )


def test_no_column_gives_markup_of_its_own_but_the_overdue_badge():
    """A column whose value is `mark_safe(...)` or `format_html(...)` passes it as HTML: only the
    red badge may, and it holds no data. A new column built that way fails here."""
    page = rendering._CasePage()
    late = evil_case(**LATE)
    for case in (late, evil_case(), evil_case(shell=True)):
        values = list(CASE_ROWS._row_values(case, page))
        for column in CASE_ROWS.columns:
            given = column.values(case, page)
            values.extend(given if isinstance(given, tuple) else [given])
        assert [value for value in values if isinstance(value, SafeData)] == ([page.overdue] if case is late else [])


def test_the_builder_escapes_every_value_but_safe_html():
    class Markup:
        def __str__(self):
            return "<i>obj</i>"

    rows = HtmlRows(
        "<tr>",
        lambda item, page: (),
        [
            Column("plain", "<td>{}</td>", lambda item, page: item),
            Column("lazy", "<td>{}</td>", lambda item, page: gettext_lazy("<b>lazy</b>")),
            Column("object", "<td>{}</td>", lambda item, page: Markup()),
            Column("number", "<td>{}</td>", lambda item, page: 5),
            Column("two", '<td title="{}">{}</td>', lambda item, page: (item, format_html("<em>{}</em>", item))),
            Column("safe", "<td>{}</td>", lambda item, page: mark_safe("<hr>")),
        ],
    )
    (row,) = rows.render(["<u>&</u>"], None)
    assert row == (
        "<tr><td>&lt;u&gt;&amp;&lt;/u&gt;</td><td>&lt;b&gt;lazy&lt;/b&gt;</td><td>&lt;i&gt;obj&lt;/i&gt;</td>"
        '<td>5</td><td title="&lt;u&gt;&amp;&lt;/u&gt;"><em>&lt;u&gt;&amp;&lt;/u&gt;</em></td><td><hr></td></tr>'
    )
    assert isinstance(row, SafeData) and rows.headers == ("plain", "lazy", "object", "number", "two", "safe")


def test_the_builder_refuses_a_column_with_the_wrong_number_of_values_or_named_holes():
    too_many = HtmlRows("<tr>", lambda item, page: (), [Column("a", "<td>{}</td><td>{}</td>", lambda i, p: (1, 2, 3))])
    with pytest.raises(ValueError, match="3 values for the 2 holes"):
        too_many.render([1], None)
    with pytest.raises(ValueError, match="only empty"):
        HtmlRows("<tr>", lambda item, page: (), [Column("a", "<td>{title}</td>", lambda i, p: 1)])
