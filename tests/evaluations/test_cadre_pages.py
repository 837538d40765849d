"""The cadre link's pages: the sheets of a year, a sheet, its forms (with and without htmx),
the Excel export; and who sees what (outside one's view is a 404)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluations.cadre import services
from evaluations.models import CadreSheet, CadreSheetEvent
from stations.models import Membership, Unit
from stations.services import membership_grant, unit_ensure
from tests.evaluations.test_cadre import PARTS, publish_finance_appraisal
from tests.factories import UserFactory


@pytest.fixture
def english(client):
    client.cookies["suqiu_language"] = "en"
    return client


@pytest.fixture
def sheet(world) -> CadreSheet:
    return services.cadre_sheet_create(
        actor=world.users["supervisor"], unit=world.units["east_finance"], year=2024, parts=PARTS
    )


def _post_layout(client, sheet, weight, rows, version=None, **headers):
    data = {
        "version": version or sheet.version,
        "appraisal_weight": weight,
        "part_name": [name for name, _w in rows],
        "part_weight": [str(w) for _n, w in rows],
    }
    return client.post(reverse("evaluations:cadre_layout", args=[sheet.pk]), data, headers=headers)


def _score(client, sheet, name, score, version, **headers):
    part = sheet.parts.get(name=name)
    url = reverse("evaluations:cadre_score", args=[sheet.pk, part.pk])
    return client.post(url, {"score": score, "version": version}, headers=headers)


def test_the_commission_opens_scores_and_finalises_a_sheet_from_the_pages(world, english):
    publish_finance_appraisal(world)
    english.force_login(world.users["supervisor"])
    page = english.get(reverse("evaluations:cadre_list", args=[2024]))
    assert page.status_code == 200 and "东镇财政所" in page.content.decode()  # offered in the new-sheet form

    response = english.post(
        reverse("evaluations:cadre_list", args=[2024]),
        {
            "unit": world.units["east_finance"].pk,
            "appraisal_weight": "30",
            "part_name": ["党风廉政责任制落实", "日常监督检查", ""],
            "part_weight": ["40", "30", ""],
        },
    )
    sheet = CadreSheet.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("evaluations:cadre_sheet", args=[sheet.pk])
    assert _score(english, sheet, "党风廉政责任制落实", "90", 1).status_code == 302
    assert _score(english, sheet, "日常监督检查", "85", 2).status_code == 302

    body = english.get(reverse("evaluations:cadre_sheet", args=[sheet.pk])).content.decode()
    assert "77.78" in body and "23.334" in body and "84.83" in body  # 23.334 + 36 + 25.5 = 84.834
    assert "2024 民主评议基层站所" in body

    response = english.post(reverse("evaluations:cadre_finalise", args=[sheet.pk]), {"version": 3})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.state == CadreSheet.State.FINAL and sheet.total == Decimal("84.83")
    listing = english.get(reverse("evaluations:cadre_list", args=[2024])).content.decode()
    assert "84.83" in listing
    assert list(sheet.events.values_list("verb", flat=True)) == ["created", "scored", "scored", "finalised"]


def test_bad_weights_show_the_form_again_with_the_error_and_save_nothing(world, english, sheet):
    english.force_login(world.users["supervisor"])
    response = _post_layout(
        english, sheet, "30", [("党风廉政责任制落实", 40), ("日常监督检查", 20), ("信访举报办理", 5)]
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "The weights add up to 95 %, not 100 %" in body
    assert 'value="信访举报办理"' in body  # what was typed is kept
    sheet.refresh_from_db()
    assert sheet.version == 1 and sheet.parts.count() == 2 and sheet.events.count() == 1


def test_with_htmx_the_sheet_is_swapped_in_place(world, english, sheet):
    english.force_login(world.users["supervisor"])
    response = _score(english, sheet, "党风廉政责任制落实", "90", 1, **{"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section id="sheet" data-version="2"')
    assert "<html" not in body and "Score saved." in body
    # A refusal is swapped in too (htmx swaps only a 2xx), and changes nothing.
    response = _score(english, sheet, "日常监督检查", "120", 2, **{"HX-Request": "true"})
    assert response.status_code == 200 and "A score is between 0 and 100." in response.content.decode()
    assert sheet.parts.get(name="日常监督检查").score is None


def test_a_form_from_an_older_page_is_refused(world, english, sheet):
    """Two commission members opened the sheet at version 1; the second's save is refused."""
    english.force_login(world.users["supervisor"])
    assert _score(english, sheet, "党风廉政责任制落实", "90", 1).status_code == 302
    english.force_login(world.users["leader"])
    response = _score(english, sheet, "党风廉政责任制落实", "60", 1)
    assert response.status_code == 400
    assert "Someone else changed this sheet a moment ago" in response.content.decode()
    assert sheet.parts.get(name="党风廉政责任制落实").score == Decimal(90)


def test_no_published_appraisal_says_so_and_the_total_is_incomplete(world, english, sheet):
    english.force_login(world.users["supervisor"])
    body = english.get(reverse("evaluations:cadre_sheet", args=[sheet.pk])).content.decode()
    assert "No published appraisal of 2024 covers this unit." in body
    assert "incomplete" in body
    assert "disabled" in body.split('action="' + reverse("evaluations:cadre_finalise", args=[sheet.pk]))[1][:400]


@pytest.mark.parametrize("outsider", ["foreign_supervisor", "other_clerk", "clerk", "observer", "nobody"])
def test_outside_the_view_a_sheet_is_a_404(world, client, sheet, outsider):
    client.force_login(world.users[outsider])
    part = sheet.parts.first()
    assert client.get(reverse("evaluations:cadre_sheet", args=[sheet.pk])).status_code == 404
    assert client.post(reverse("evaluations:cadre_finalise", args=[sheet.pk]), {"version": 1}).status_code == 404
    url = reverse("evaluations:cadre_score", args=[sheet.pk, part.pk])
    assert client.post(url, {"score": "100", "version": 1}).status_code == 404
    listing = client.get(reverse("evaluations:cadre_list", args=[2024])).content.decode()
    assert "东镇财政所" not in listing
    xlsx = client.get(reverse("evaluations:cadre_xlsx", args=[2024]))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2  # the title and the header, no sheet
    assert not CadreSheetEvent.objects.filter(verb="scored").exists()


def test_a_units_own_staff_read_their_sheet_once_final_and_never_change_it(world, client, sheet):
    staff = UserFactory(username="finance_clerk")
    membership_grant(user=staff, unit=world.units["east_finance"], role=Membership.Role.HANDLER)
    client.force_login(staff)
    url = reverse("evaluations:cadre_sheet", args=[sheet.pk])
    assert client.get(url).status_code == 404  # the draft is the commission's
    publish_finance_appraisal(world)
    for name, score in (("党风廉政责任制落实", 90), ("日常监督检查", 85)):
        part = sheet.parts.get(name=name)
        services.cadre_sheet_score(sheet_id=sheet.pk, part_id=part.pk, actor=world.users["supervisor"], score=score)
    services.cadre_sheet_finalise(sheet_id=sheet.pk, actor=world.users["supervisor"])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "84.83" in body
    assert 'name="score"' not in body and "/layout/" not in body and 'name="part_name"' not in body
    # Who on the commission scored what, and the drafts' scores, stay the commission's.
    assert 'id="events"' not in body and "supervisor" not in body
    assert client.post(reverse("evaluations:cadre_finalise", args=[sheet.pk]), {"version": 4}).status_code == 400


def test_the_list_pins_its_queries(world, client, django_assert_num_queries):
    """However many sheets, the list costs the same queries (sheets, parts, appraisals, units…)."""
    publish_finance_appraisal(world)
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    url = reverse("evaluations:cadre_list", args=[2024])
    services.cadre_sheet_create(actor=supervisor, unit=world.units["east_finance"], year=2024, parts=PARTS)
    client.get(url)  # warm the per-process caches
    # Session, user, second factor, roles; sheets, their parts, the published appraisals, the
    # units still to assess; the bell's unread count.
    with django_assert_num_queries(9) as one:
        client.get(url)
    for n in range(4):
        unit = unit_ensure(region=world.region("东镇"), name=f"东镇站所{n}", kind=Unit.Kind.STATION)
        services.cadre_sheet_create(actor=supervisor, unit=unit, year=2024, parts=PARTS)
    with django_assert_num_queries(len(one.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('class="num total"') == 5


def test_the_export_holds_each_sheet_and_part_with_cells_kept_as_text(world, english, sheet):
    publish_finance_appraisal(world)
    english.force_login(world.users["supervisor"])
    services.cadre_sheet_set_layout(
        sheet_id=sheet.pk,
        actor=world.users["supervisor"],
        appraisal_weight=30,
        parts=[('=HYPERLINK("http://x")', 70)],
    )
    response = english.get(reverse("evaluations:cadre_xlsx", args=[2024]))
    book = load_workbook(io.BytesIO(response.content))
    sheets, parts = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    assert sheets[2][:3] == ("东镇", "东镇财政所", "Draft")
    assert sheets[2][4:7] == (77.78, 30.0, "incomplete")
    assert parts[1][2:] == ("Residents' appraisal", 30.0, 77.78, 23.334)
    assert parts[2][2] == '\'=HYPERLINK("http://x")' and parts[2][4] is None


def test_the_sheet_page_pins_its_queries(world, client, sheet, django_assert_num_queries):
    """However many parts and events, the sheet page costs the same queries."""
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    url = reverse("evaluations:cadre_sheet", args=[sheet.pk])
    client.get(url)
    # Session, user, second factor, roles; the sheet, its parts, the published appraisal, its
    # events; the bell's unread count.
    with django_assert_num_queries(9) as before:
        client.get(url)
    services.cadre_sheet_set_layout(
        sheet_id=sheet.pk,
        actor=supervisor,
        appraisal_weight=30,
        parts=[(f"考核项目{n}", 10) for n in range(7)],
    )
    for part in sheet.parts.all():
        services.cadre_sheet_score(sheet_id=sheet.pk, part_id=part.pk, actor=supervisor, score=80)
    with django_assert_num_queries(len(before.captured_queries)):
        body = client.get(url).content.decode()
    events = body.split('id="events"')[1].split("</ul>")[0]
    assert body.count("data-part=") == 7 and events.count("<li>") == 9  # created, layout, 7 scores
