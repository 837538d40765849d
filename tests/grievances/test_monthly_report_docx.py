"""The monthly report (月报) as a Word document: what the county office files is the page's
report — title, period, region, figures, tables with header rows — in Chinese fonts, for the
same people (404 outside their view), in a fixed number of queries.

March 2025 in 甲县, seven cases received (and one in April, one in 乙县, both left out):

| # | village | level | channel | category | status | replied | satisfaction |
|---|---|---|---|---|---|---|---|
| 1 | 东一村 | village | visit | infrastructure | closed | on time | satisfied |
| 2 | 东一村 | village | phone | infrastructure | closed | on time | no_response |
| 3 | 东二村 | township | letter | land | replied | on time | — |
| 4 | 西一村 | township | visit | social_security | in_progress | — | — |
| 5 | 西一村 | township | online | land | rejected | — | — |
| 6 | 东一村 | county | visit | infrastructure | closed | late | basically_satisfied |
| 7 | 东二村 | township | letter | other | registered | — | — |

Received 7; closed 3 (3/7 = 42.9%); answered 4, on time 3 (75.0%); 东镇 5, 西镇 2.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.utils import timezone, translation
from django.utils.translation import gettext
from docx import Document
from docx.oxml.ns import qn

from petitions.models import Petition

pytestmark = pytest.mark.django_db

COUNTY = "990121000000"
NOW = datetime(2025, 4, 10, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))
URL = "/staff/dashboard/monthly/docx/"

CASES = [
    ("东一村", "village", "visit", "infrastructure", "closed", 5, "satisfied"),
    ("东一村", "village", "phone", "infrastructure", "closed", 5, "no_response"),
    ("东二村", "township", "letter", "land", "replied", 5, ""),
    ("西一村", "township", "visit", "social_security", "in_progress", None, ""),
    ("西一村", "township", "online", "land", "rejected", None, ""),
    ("东一村", "county", "visit", "infrastructure", "closed", 70, "basically_satisfied"),
    ("东二村", "township", "letter", "other", "registered", None, ""),
]


def make_case(world, categories, i, village, level, channel, category, status, replied_after, satisfaction, day):
    received = datetime(2025, 3, day, 9, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))
    region = world.region(village)
    return Petition(
        tracking_number=f"M03-{i:04d}",
        query_code_hash="0" * 64,
        channel=channel,
        category=categories[category],
        region=region,
        region_code=region.code,
        level=level,
        intake_unit=world.units["east1_desk"] if region.code < "990122" else world.units["north1_desk"],
        holder_unit=world.units["east_centre"],
        status=status,
        title=f"诉求{i}",
        content="见纸质台账。",
        complainant_name="字红梅",
        complainant_phone="13800138000",
        created_at=received,
        received_at=received,
        acceptance_due_at=received + timedelta(days=15),
        due_at=received + timedelta(days=60),
        replied_at=received + timedelta(days=replied_after) if replied_after is not None else None,
        satisfaction=satisfaction,
    )


@pytest.fixture
def march(world, categories):
    rows = [make_case(world, categories, i, *case, day=2 + i) for i, case in enumerate(CASES, 1)]
    april = make_case(world, categories, 8, *CASES[0], day=31)
    april.received_at = april.created_at = april.received_at + timedelta(days=1)  # 1 April
    foreign = make_case(world, categories, 9, "北一村", "village", "visit", "land", "closed", 5, "satisfied", day=3)
    Petition.objects.bulk_create([*rows, april, foreign])


def zh(msgid: str) -> str:
    """A label new in this change, in Chinese once the translators have it (English until then)."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def download(client, user, **params):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(URL, {"month": "2025-03", "region": COUNTY, **params})


def table_by_heading(doc) -> dict[str, list[list[str]]]:
    """Each table's cells, under the heading that precedes it ("" for the figures)."""
    body = doc.element.body
    tables, heading = {}, ""
    table_iter = iter(doc.tables)
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            style = child.find(qn("w:pPr"))
            style = style.find(qn("w:pStyle")) if style is not None else None
            if style is not None and style.get(qn("w:val")) == "Heading1":
                heading = "".join(t.text for t in child.iter(qn("w:t")))
        elif child.tag == qn("w:tbl"):
            table = next(table_iter)
            tables[heading] = [[cell.text for cell in row.cells] for row in table.rows]
    return tables


def test_the_monthly_report_downloads_as_a_word_document(client, world, march, django_assert_num_queries):
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    # 10 for the report, 8 for the month's unit ranking (the supervisor watches the county).
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(18):
        response = client.get(URL, {"month": "2025-03", "region": COUNTY})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    name = quote("甲县群众诉求月报2025-03.docx")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"monthly-report-{COUNTY}-2025-03.docx\"; filename*=UTF-8''{name}"
    )

    doc = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "甲县 群众诉求月报 2025-03"
    assert doc.paragraphs[0].style.name == "Title"
    assert "2025-03-01 至 2025-03-31 收到的诉求。" in paragraphs
    assert f"区划：甲县（{COUNTY}）" in paragraphs

    tables = table_by_heading(doc)
    figures = dict(tables[""][1:])
    assert tables[""][0] == [zh("Figure"), zh("Value")]
    assert figures["收到的诉求件数"] == "7"
    assert figures["已办结"] == "3 (42.9%)"
    assert figures[zh("On-time reply rate")] == "3/4 (75.0%)"
    assert figures["重复件数"] == "0"
    assert tables["按层级"] == [["层级", "件数"], ["县", "1"], ["乡镇", "4"], ["村（社区）", "2"]]
    assert tables["按类别"][:4] == [["诉求类别", "件数"], ["基础设施", "3"], ["土地问题", "2"], ["社会保障", "1"]]
    assert tables["按状态"] == [
        ["状态", "件数"],
        ["已登记", "1"],
        ["不予受理", "1"],
        ["办理中", "1"],
        ["已答复", "1"],
        ["已办结", "3"],
    ]
    satisfaction = dict(tables["按满意度"][1:])
    assert satisfaction["满意"] == "1" and satisfaction["基本满意"] == "1" and satisfaction["未评价"] == "4"
    assert tables["按渠道"][0] == ["来源渠道", "件数"] and ["来访", "3"] in tables["按渠道"]
    assert tables["按来源"][1] == ["本级收件", "7"]
    assert tables["按区划"] == [
        ["区划", "收到的诉求件数", "延迟登记", "晚登记天数中位数"],
        ["东镇", "5", "0", "0.0"],
        ["西镇", "2", "0", "0.0"],
    ]
    # The month's unit ranking, as the page shows it.
    ranking = tables[zh("Unit assessment")]
    assert ranking[0][:3] == [zh("Rank"), zh("Unit"), zh("Cases received")]
    # 东镇's centre holds the month's seven cases: none decided by its acceptance deadline in
    # this fixture (0/7), 3 of 4 answered on time, 2 of 2 rated satisfied; the composite weighs
    # the rates that have a count: (0 × 20 + 75 × 25 + 100 × 30) ÷ (20 + 25 + 30) = 65.0.
    east = next(row for row in ranking if row[1].startswith("东镇群众诉求中心"))
    expected = ["1/2", "东镇群众诉求中心（乡镇 · 乡镇群众诉求中心）", "7", "0.0% (0/7)", "—"]
    assert east == [*expected, "75.0% (3/4)", "100.0% (2/2)", "0", "65.0"]
    # Every table's first row is a header row (repeated on each page), in bold.
    for table in doc.tables:
        first = table.rows[0]
        assert first._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(run.bold for cell in first.cells for run in cell.paragraphs[0].runs)

    # The page shows the same figures and the link to the document (one query more: the
    # staff's bell in the page's header).
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(19):
        page = client.get("/staff/dashboard/monthly/", {"month": "2025-03", "region": COUNTY}).content.decode()
    assert f'href="{URL}?month=2025-03&amp;region={COUNTY}"' in page
    assert '<tr id="report-closed"><th>已办结</th><td class="num">3 (42.9%)</td></tr>' in page


def test_the_document_sets_the_chinese_fonts_on_its_styles(client, world, march):
    doc = Document(io.BytesIO(download(client, world.users["supervisor"]).content))

    def fonts(style_name):
        rfonts = doc.styles[style_name].element.rPr.find(qn("w:rFonts"))
        return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:eastAsiaTheme"))

    assert fonts("Normal") == ("仿宋", None)
    assert fonts("Title") == ("黑体", None)
    assert fonts("Heading 1") == ("黑体", None)
    # No run overrides them: every run inherits its style's fonts.
    assert not [r for p in doc.paragraphs for r in p.runs if r._r.rPr is not None and r._r.rPr.rFonts is not None]
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4


def test_the_document_is_for_the_same_people_as_the_page(client, world, march):
    # The township leader sees 东镇's five cases, not the county's.
    leader = download(client, world.users["leader"], region=world.region("东镇").code)
    assert leader.status_code == 200
    figures = dict(table_by_heading(Document(io.BytesIO(leader.content)))[""][1:])
    assert figures["收到的诉求件数"] == "5"
    assert download(client, world.users["leader"]).status_code == 404
    assert download(client, world.users["foreign_supervisor"]).status_code == 404
    assert download(client, world.users["nobody"]).status_code == 404
    assert download(client, world.users["supervisor"], region="990199000000").status_code == 404
    assert download(client, world.users["supervisor"], month="2025-13").status_code == 404
    # The village clerk counts their desk's cases, in their village by default.
    clerk = download(client, world.users["clerk"], region="")
    assert clerk.status_code == 200
    doc = Document(io.BytesIO(clerk.content))
    assert doc.paragraphs[0].text == "东一村 群众诉求月报 2025-03"
    assert dict(table_by_heading(doc)[""][1:])["收到的诉求件数"] == "3"  # cases 1, 2 and 6
    # A superuser's "everything" has no region to name: the title and the file name say the month.
    everything = download(client, world.users["root"], region="")
    assert everything["Content-Disposition"].startswith('attachment; filename="monthly-report-2025-03.docx"; ')
    doc = Document(io.BytesIO(everything.content))
    assert doc.paragraphs[0].text == "群众诉求月报 2025-03"
    assert dict(table_by_heading(doc)[""][1:])["收到的诉求件数"] == "8"  # 甲县's 7 and 乙县's one
    client.logout()
    assert client.get(URL, {"month": "2025-03"}).status_code == 302  # to the sign-in page
