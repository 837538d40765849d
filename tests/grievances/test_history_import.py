"""The county's past (历史数据导入): `history_import`, its page and job, `manage.py import_history`.

All rows or none, each refused row named by row and column; imported cases carry their true
dates, one `imported` event each, notify nobody, and are neither escalated nor reminded for a
deadline that passed before the import. Seed 003's year replayed through the command comes out
exactly by month on the dashboard's API."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from grievances.ledger import history
from grievances.ledger.history import history_columns, history_import, history_read
from grievances.ledger.tasks import import_history
from petitions import tasks
from petitions.models import Assignment, Escalation, Notification, Petition, PetitionEvent
from tests.clock import at
from tests.grievances.test_stats import CATEGORY_COUNTS
from tests.petitions.conftest import load_notification_routes

pytestmark = pytest.mark.django_db

Verb = PetitionEvent.Verb
COUNTY = "990121000000"
NOW = at(2025, 9, 14, 10, 0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append([header for _field, header in history_columns()])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "history.xlsx"
    return buffer


def row(n: int = 0, **cells) -> list:
    """One case of 甲县's past: received in March 2025, closed and satisfied unless told."""
    values = {
        "received_on": f"2025-03-{1 + n % 28:02d}",
        "channel": "来访",
        "level": "村级",
        "category": "基础设施",
        "village": "990121100200",
        "unit": "",
        "status": "已办结",
        "replied_on": f"2025-04-{1 + n % 28:02d}",
        "satisfaction": "满意",
        "title": f"历史诉求{n}",
        "content": "",
        "complainant_name": f"村民{n}",
    }
    values.update(cells)
    return [values[name] for name, _header in history_columns()]


def run(world, rows: list[list], *, dry_run: bool = False, actor: str = "admin"):
    found, refusal = history_read(workbook(rows))
    assert refusal is None
    return history_import(
        actor=world.users[actor], county=world.region("甲县"), rows=found, dry_run=dry_run, batch="b1"
    )


# --- The service ----------------------------------------------------------------------------


def test_one_refused_row_among_200_imports_nothing_and_each_is_named(world, categories):
    rows = [row(n) for n in range(200)]
    rows[56] = row(56, category="不存在的类别")  # spreadsheet row 58 (the header is row 1)
    rows[120] = row(120, level="省级", replied_on="")
    with time_machine.travel(NOW, tick=False):
        result = run(world, rows)
    assert [(error.row, error.field) for error in result.errors] == [
        (58, "category"),
        (122, "level"),
        (122, "replied_on"),
    ]
    assert result.errors[0].column == dict(history_columns())["category"]  # the header, in the reader's language
    assert result.created == 0 and not result.ok
    assert Petition.objects.count() == 0 and PetitionEvent.objects.count() == 0


def test_every_kind_of_refusal_is_reported_by_row_and_column(world, categories):
    rows = [
        row(0, received_on="2025-09-15"),  # after today
        row(1, received_on="三月一日"),
        row(2, channel="飞鸽传书"),
        row(3, village="990122100200"),  # a village of another county
        row(4, village="不存在村"),
        row(5, unit="不存在的单位"),
        row(6, status="搁置"),
        row(7, replied_on="2025-02-01"),  # before it was received
        row(8, status="办理中", satisfaction=""),  # in progress with a reply date
        row(9, status="办理中", replied_on="", satisfaction="满意"),
        row(10, satisfaction="还行"),
        row(11, title=""),
        row(12, title='=HYPERLINK("http://x","看")'),
        row(13, content="+cmd"),
    ]
    with time_machine.travel(NOW, tick=False):
        result = run(world, rows)
    assert [(error.row, error.field) for error in result.errors] == [
        (2, "received_on"),
        (3, "received_on"),
        (4, "channel"),
        (5, "village"),
        (6, "village"),
        (7, "unit"),
        (8, "status"),
        (9, "replied_on"),
        (10, "replied_on"),
        (11, "satisfaction"),
        (12, "satisfaction"),
        (13, "title"),
        (14, "title"),
        (15, "content"),
    ]
    messages = {error.row: error.message for error in result.errors}
    assert messages[2] == "日期不能晚于今天。"  # the reader's language (zh-Hans by default)
    assert "公式" in messages[14]
    assert Petition.objects.count() == 0


def test_a_file_with_no_rows_or_not_a_workbook_is_refused(world, categories):
    assert [error.field for error in run(world, []).errors] == ["file"]
    found, refusal = history_read(io.BytesIO(b"not a workbook"))
    assert found == [] and refusal.field == "file"


def test_imported_cases_carry_their_dates_one_imported_event_and_notify_nobody(world, categories):
    load_notification_routes()
    rows = [
        row(0),
        row(1, level="乡镇", village="西一村", unit="东镇财政所", satisfaction="基本满意"),
        row(2, level="县级", channel="12388", status="办理中", replied_on="", satisfaction=""),
        row(3, category="涉纪涉腐", complainant_name=""),
    ]
    with time_machine.travel(NOW, tick=False):
        result = run(world, rows)
    assert result.ok and result.created == 4
    closed, township, open_case, report = Petition.objects.order_by("id")
    units = world.units

    assert timezone.localtime(closed.received_at) == at(2025, 3, 1)
    assert closed.created_at == closed.imported_at == NOW
    assert closed.late_reason == "历史数据导入"
    assert (closed.status, closed.level, closed.channel) == ("closed", "village", "visit")
    assert closed.intake_unit == units["east1_desk"] and closed.holder_unit == units["east_centre"]
    assert closed.accepted_at == closed.received_at
    assert closed.replied_at == closed.closed_at == at(2025, 4, 1)
    assert closed.satisfaction == "satisfied" and closed.rated_at == at(2025, 4, 1)
    assert closed.current_due_at is None and closed.due_at > closed.received_at
    assert closed.registered_by == world.users["admin"]
    assert closed.tracking_number.startswith("20250914-")

    assert township.level == "township" and township.intake_unit == units["west_centre"]
    assert township.holder_unit == units["east_finance"] and township.satisfaction == "basically_satisfied"
    assert open_case.status == "in_progress" and open_case.intake_unit == units["county_centre"]
    assert open_case.current_due_at == open_case.due_at and open_case.replied_at is None
    assert report.holder_unit == units["county_commission"] and report.anonymous

    lead = Assignment.objects.get(petition=open_case)
    assert (lead.unit, lead.role, lead.active) == (units["county_centre"], "lead", True)
    assert not Assignment.objects.get(petition=closed).active
    for case in (closed, township, open_case, report):
        (event,) = case.events.all()
        assert (event.verb, event.public, event.actor) == (Verb.IMPORTED, False, world.users["admin"])
        assert event.created_at == NOW and event.data["batch"] == "b1"
    assert closed.events.get().data["row"] == 2
    assert closed.events.get().data["received_at"] == at(2025, 3, 1).isoformat()
    assert Notification.objects.count() == 0


def test_a_check_writes_nothing_and_the_same_batch_is_never_written_twice(world, categories):
    with time_machine.travel(NOW, tick=False):
        checked = run(world, [row(n) for n in range(3)], dry_run=True)
        assert checked.ok and checked.created == 0 and Petition.objects.count() == 0
        assert run(world, [row(n) for n in range(3)]).created == 3
        assert run(world, [row(n) for n in range(3)]).created == 3  # batch b1 again: found, not written
    assert Petition.objects.count() == 3


def test_imported_cases_are_not_escalated_or_reminded_for_deadlines_before_the_import(world, categories):
    load_notification_routes()
    rows = [
        # Received in January: its handling deadline passed long before the import.
        row(0, received_on="2025-01-06", status="办理中", replied_on="", satisfaction=""),
        # Received the week before: its deadline comes after the import, and counts.
        row(1, received_on="2025-09-08", status="办理中", replied_on="", satisfaction=""),
    ]
    with time_machine.travel(NOW, tick=False):
        assert run(world, rows).ok
    old, recent = Petition.objects.order_by("id")
    assert old.current_due_at < old.imported_at < recent.current_due_at

    for moment in (NOW + timedelta(hours=1), recent.current_due_at - timedelta(days=1)):
        with time_machine.travel(moment, tick=False):
            tasks.escalate_overdue()
            tasks.remind_due_soon()
    assert not Escalation.objects.filter(petition=old).exists()
    assert list(old.events.values_list("verb", flat=True)) == [Verb.IMPORTED]
    assert not Notification.objects.filter(petition=old).exists()
    # The recent case is chased like any other: reminded before its deadline, escalated after.
    assert recent.events.filter(verb=Verb.REMINDED).exists()
    with time_machine.travel(recent.current_due_at + timedelta(hours=1), tick=False):
        assert tasks.overdue_cases(timezone.now()).filter(pk=recent.pk).exists()
        assert not tasks.overdue_cases(timezone.now()).filter(pk=old.pk).exists()
        tasks.escalate_overdue()
    assert Escalation.objects.filter(petition=recent).exists()
    assert not Escalation.objects.filter(petition=old).exists()


def test_thousands_of_rows_take_a_fixed_number_of_statements_per_chunk(
    world, categories, django_assert_max_num_queries
):
    rows = [row(n, village=["990121100200", "东二村", "西一村"][n % 3]) for n in range(1200)]
    found, _refusal = history_read(workbook(rows))
    seen = []
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(30):
        result = history_import(
            actor=world.users["admin"],
            county=world.region("甲县"),
            rows=found,
            progress=lambda phase, done, total: seen.append((phase, done, total)),
        )
    assert result.created == 1200 == Petition.objects.count() == PetitionEvent.objects.count()
    assert [entry for entry in seen if entry[0] == "writing"] == [
        ("writing", 500, 1200),
        ("writing", 1000, 1200),
        ("writing", 1200, 1200),
    ]


# --- The page, its job and the template ------------------------------------------------------


def job_token(response) -> str:
    assert response.status_code == 302
    return response["Location"].rstrip("/").rsplit("/", 1)[1]


def test_the_page_queues_a_job_and_follows_its_progress_to_the_report(
    client, world, categories, django_capture_on_commit_callbacks
):
    admin = world.users["admin"]
    client.force_login(admin)
    page = client.get("/staff/history/")
    assert page.status_code == 200 and 'id="history-upload"' in page.content.decode()

    rows = [row(n) for n in range(30)]
    with django_capture_on_commit_callbacks() as queued:
        token = job_token(client.post("/staff/history/", {"action": "import", "file": workbook(rows)}))
    assert len(queued) == 1  # the job, queued once the request's writes are in
    url = f"/staff/history/{token}/"
    waiting = client.get(url).content.decode()
    assert 'data-state="queued"' in waiting and f'hx-get="{url}"' in waiting and 'hx-trigger="every 1s"' in waiting
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment

    history.status_write(admin.pk, token, **{**history.status_read(admin.pk, token), "state": "running"})
    history.status_write(
        admin.pk,
        token,
        **{**history.status_read(admin.pk, token), "phase": "writing", "done": 500, "total": 2000},
    )
    assert 'value="500" max="2000"' in client.get(url, headers={"HX-Request": "true"}).content.decode()
    history.status_write(admin.pk, token, **{**history.status_read(admin.pk, token), "state": "queued"})

    with time_machine.travel(NOW, tick=False):
        import_history(admin.pk, token, "zh-hans")  # what the worker runs
        import_history(admin.pk, token, "zh-hans")  # delivered again: done already, nothing repeated
    assert Petition.objects.filter(imported_at__isnull=False).count() == 30
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-state="done"' in done and 'id="history-imported"' in done and "hx-trigger" not in done
    assert not history.upload_path(admin.pk, history.status_read(admin.pk, token)["upload"]).exists()

    # Nobody else opens the job, not even another administrator: it lies under the admin's id.
    client.force_login(world.users["root"])
    assert client.get(url).status_code == 404


def test_a_checked_file_is_imported_from_its_report_and_a_refused_one_lists_its_rows(
    client, world, categories, django_capture_on_commit_callbacks
):
    admin = world.users["admin"]
    client.force_login(admin)
    with django_capture_on_commit_callbacks():
        token = job_token(client.post("/staff/history/", {"action": "check", "file": workbook([row(0), row(1)])}))
    with time_machine.travel(NOW, tick=False):
        import_history(admin.pk, token, "zh-hans")
    report = client.get(f"/staff/history/{token}/").content.decode()
    assert 'id="history-checked"' in report and Petition.objects.count() == 0
    status = history.status_read(admin.pk, token)
    with django_capture_on_commit_callbacks():
        second = job_token(
            client.post("/staff/history/", {"action": "import", "county": COUNTY, "upload": status["upload"]})
        )
    with time_machine.travel(NOW, tick=False):
        import_history(admin.pk, second, "zh-hans")
    assert Petition.objects.count() == 2

    with django_capture_on_commit_callbacks():
        refused = job_token(
            client.post("/staff/history/", {"action": "import", "file": workbook([row(0), row(1, channel="飞鸽")])})
        )
    with time_machine.travel(NOW, tick=False):
        import_history(admin.pk, refused, "zh-hans")
    report = client.get(f"/staff/history/{refused}/").content.decode()
    assert 'id="history-errors"' in report and 'data-row="3" data-field="channel"' in report
    assert Petition.objects.count() == 2


def test_a_job_whose_worker_died_says_so_and_a_stranger_cannot_queue_into_it(client, world, categories):
    admin = world.users["admin"]
    client.force_login(admin)
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        history.status_write(
            admin.pk, "abc123", state="running", county=COUNTY, upload="x", file_name="", dry_run=False
        )
    with time_machine.travel(NOW, tick=False):
        page = client.get("/staff/history/abc123/").content.decode()
    assert 'data-state="failed"' in page
    assert client.get("/staff/history/..%2Fx/").status_code == 404
    response = client.post("/staff/history/", {"action": "import", "county": COUNTY, "upload": "../1/x"})
    assert response.status_code == 404


def test_only_county_administrators_may_import_and_the_template_imports_as_it_stands(client, world, categories):
    for name in ("clerk", "supervisor", "observer", "foreign_supervisor", "nobody"):
        client.force_login(world.users[name])
        assert client.get("/staff/history/").status_code == 404, name
        assert client.get("/staff/history/template/").status_code == 404, name
    client.force_login(world.users["admin"])
    response = client.get("/staff/history/template/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    assert [cell.value for cell in next(sheet.iter_rows(max_row=1))] == [h for _f, h in history_columns()]
    with time_machine.travel(NOW, tick=False):
        found, refusal = history_read(io.BytesIO(content))
        result = history_import(actor=world.users["admin"], county=world.region("甲县"), rows=found)
    assert refusal is None and result.errors == [] and result.created == 2
    # The superuser picks the county.
    client.force_login(world.users["root"])
    assert 'name="county"' in client.get("/staff/history/").content.decode()


# --- The command ----------------------------------------------------------------------------


def save(tmp_path, rows) -> str:
    path = tmp_path / "history.xlsx"
    path.write_bytes(workbook(rows).getvalue())
    return str(path)


def test_the_command_imports_all_rows_or_lists_the_refused_ones(world, categories, tmp_path):
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(CommandError, match="1"):
            call_command("import_history", save(tmp_path, [row(0), row(1, level="?")]), county=COUNTY, stdout=out)
        assert "3\t" in out.getvalue() and Petition.objects.count() == 0
        call_command("import_history", save(tmp_path, [row(0), row(1)]), county=COUNTY, check=True, stdout=out)
        assert Petition.objects.count() == 0
        call_command("import_history", save(tmp_path, [row(0), row(1)]), county=COUNTY, actor="admin", stdout=out)
    assert Petition.objects.count() == 2
    assert PetitionEvent.objects.filter(verb=Verb.IMPORTED, actor=world.users["admin"]).count() == 2
    with pytest.raises(CommandError):
        call_command("import_history", save(tmp_path, [row(0)]), county="990121100000")  # a township


# --- Seed 003's year, replayed ---------------------------------------------------------------


def seed_003_rows() -> list[list]:
    """Seed 003's 189 cases as the county's past: county 1 / township 85 / village 103, 187
    closed and 2 in progress, 20 basically satisfied, 3 unsatisfied, the rest satisfied, the
    categories of tests/grievances/test_stats.py, received from 6 January to 9 September."""
    villages = ["990121100200", "东二村", "西一村"]
    codes = [code for code, n in CATEGORY_COUNTS.items() for _ in range(n)]
    satisfaction = ["basically_satisfied" if i % 9 == 1 and i < 180 else "satisfied" for i in range(187)]
    basically = [i for i, value in enumerate(satisfaction) if value == "basically_satisfied"]
    for i in basically[20:]:
        satisfaction[i] = "satisfied"
    for i in [i for i, value in enumerate(satisfaction) if value == "satisfied"][-3:]:
        satisfaction[i] = "unsatisfied"
    rows = []
    for i in range(189):
        received = date(2025, 1, 6) + timedelta(days=i * 250 // 189)
        closed = i < 187
        rows.append(
            row(
                i,
                received_on=received.isoformat(),
                channel=["visit", "phone", "letter", "online", "box"][i % 5],
                level="county" if i == 0 else "township" if i <= 85 else "village",
                category=codes[i],
                village=villages[i % 3],
                status="closed" if closed else "in progress",
                replied_on=(received + timedelta(days=5)).isoformat() if closed else "",
                satisfaction=satisfaction[i] if closed else "",
            )
        )
    return rows


def test_seed_003_year_through_import_history_comes_out_exactly_by_month(api, world, categories, tmp_path):
    rows = seed_003_rows()
    with time_machine.travel(NOW, tick=False):
        call_command("import_history", save(tmp_path, rows), county=COUNTY, actor="admin", stdout=io.StringIO())
        api.force_authenticate(world.users["supervisor"])
        response = api.get("/api/v1/stats/summary/", {"region": COUNTY, "from": "2025-01-01", "to": "2025-09-13"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 189
    assert body["by_level"] == {"county": 1, "township": 85, "village": 103}
    assert body["by_status"]["closed"] == 187 and body["by_status"]["in_progress"] == 2
    assert body["by_satisfaction"] == {
        "satisfied": 164,
        "basically_satisfied": 20,
        "unsatisfied": 3,
        "no_response": 0,
        "unrated": 2,
    }
    assert body["by_category"] == CATEGORY_COUNTS
    assert sum(body["by_channel"].values()) == 189
    assert {child["name"]: child["total"] for child in body["by_child_region"]} == {"东镇": 126, "西镇": 63}
    months = Counter(date.fromisoformat(r[0]).strftime("%Y-%m") for r in rows)
    assert set(months) == {f"2025-{m:02d}" for m in range(1, 10)}  # spread over January to September
    assert body["by_month"] == dict(sorted(months.items()))
    assert Notification.objects.count() == 0
    assert PetitionEvent.objects.exclude(verb=Verb.IMPORTED).count() == 0
