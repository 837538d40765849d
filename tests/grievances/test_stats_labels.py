"""The statistics say what they count (issue 19): a county official reading the dashboard or
the monthly report must not take one figure for another.

Five cases received in March 2025 at 东一村 (docs/statistics.md, definitions):

| # | status | replied | satisfaction |
|---|---|---|---|
| 1 | closed | on time | satisfied |
| 2 | closed | on time | no_response (the resident did not rate in time) |
| 3 | replied (not closed) | on time | — (not rated yet) |
| 4 | rejected (不予受理) | — | — |
| 5 | registered (awaiting acceptance) | — | — |

Received 5 (accepted or not); closed 2; answered 3, on time 3: an on-time *reply* rate of
3/3, which is not a closure rate (two of the three are closed).
"""

from __future__ import annotations

import json
import re

import pytest
import time_machine
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from grievances.ledger.history import _satisfaction_words
from tests.clock import at
from tests.grievances.test_monthly_report_docx import make_case

pytestmark = pytest.mark.django_db

COUNTY = "990121000000"
NOW = at(2025, 4, 10, 10, 0)
CASES = [
    ("closed", 5, "satisfied"),
    ("closed", 5, "no_response"),
    ("replied", 5, ""),
    ("rejected", None, ""),
    ("registered", None, ""),
]
PERIOD = {"region": COUNTY, "from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def march(world, categories):
    from petitions.models import Petition

    Petition.objects.bulk_create(
        make_case(world, categories, i, "东一村", "village", "visit", "infrastructure", status, replied, rating, day=i)
        for i, (status, replied, rating) in enumerate(CASES, 1)
    )


def pages(client, world, language: str) -> dict[str, str]:
    client.force_login(world.users["supervisor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with time_machine.travel(NOW, tick=False):
        return {
            "dashboard": client.get("/staff/dashboard/", PERIOD).content.decode(),
            "monthly": client.get("/staff/dashboard/monthly/", {"month": "2025-03", "region": COUNTY}).content.decode(),
        }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_closed_without_a_rating_and_not_rated_yet_are_two_rows(client, world, march, language):
    """6a: `no_response` (closed because the resident did not rate in time) and the cases not
    rated yet both read 未评价 before; they are two rows with two names, in both languages."""
    with translation.override(language):
        late, unrated = gettext("Not rated in time"), gettext("Not rated")
    assert late != unrated
    shown = pages(client, world, language)
    dashboard = json.loads(re.search(r'id="chart-data" type="application/json">(.*?)</script>', shown["dashboard"])[1])
    names = {row["name"]: row["value"] for row in dashboard["satisfaction"]}
    assert len(names) == len(dashboard["satisfaction"]) == 5  # four ratings and "not rated": no two alike
    assert names[late] == 1 and names[unrated] == 3
    sections = re.findall(
        r"<section><h2>([^<]*)</h2><table class=\"table\"[^>]*>(.*?)</table></section>", shown["monthly"]
    )
    with translation.override(language):
        heading = gettext("By satisfaction")
    rows = dict(re.findall(r'<tr><td>([^<]*)</td><td class="num">(\d+)</td></tr>', dict(sections)[heading]))
    assert len(rows) == 5
    assert rows[late] == "1" and rows[unrated] == "3"


def test_a_ledger_saying_not_rated_still_imports_as_closed_without_a_rating():
    """The county's past ledgers keep their words for a reply nobody rated."""
    words = _satisfaction_words()
    assert words["未评价"] == words["no response"] == words["逾期未评价"] == words["not rated in time"] == "no_response"


def test_the_received_figure_counts_every_case_and_says_so(client, world, march):
    """6b: the total counts every case received, accepted or not (the rejected one and the one
    awaiting acceptance included): it reads 收到的诉求件数, never 受理 (accepted)."""
    shown = pages(client, world, "zh-hans")
    assert 'id="stat-total">5<' in shown["dashboard"]
    assert "<p>收到的诉求件数</p>" in shown["dashboard"]
    assert '<tr id="report-total"><th>收到的诉求件数</th><td class="num">5</td></tr>' in shown["monthly"]
    for html in shown.values():
        assert "受理诉求" not in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_on_time_figure_is_called_a_reply_rate(client, world, march, language):
    """6c: answered on time ÷ answered counts the replied case that is not closed: it is the
    on-time reply rate (按期答复率), not a closure rate (按期办结率)."""
    with translation.override(language):
        label = gettext("On-time reply rate")
    shown = pages(client, world, language)
    assert f"<p>{label} (3/3)</p>" in shown["dashboard"]
    assert f'<tr id="report-on-time"><th>{label}</th><td class="num">3/3 (100.0%)</td></tr>' in shown["monthly"]
    assert '<tr id="report-closed"><th>' in shown["monthly"] and "2 (40.0%)</td>" in shown["monthly"]
    # No figure of replies reads as a closure rate ("按期办结率 5/5"); the unit assessment's own
    # resolution rate (按期办结率: closed by the deadline) is another figure, in its own table.
    for html in shown.values():
        assert not re.search(r"按期办结率[^<]{0,3}\(?\d+/\d+", html)
        assert not re.search(r"<th>按期办结率</th><td", html)


def test_the_ledgers_words_do_not_depend_on_the_language_of_the_session():
    """A ledger saying "not rated in time" (or 逾期未评价) imports the same in a Chinese session
    as in an English one: the words were the labels of whatever language was active."""
    with translation.override("zh-hans"):
        chinese = _satisfaction_words()
    with translation.override("en"):
        english = _satisfaction_words()
    assert chinese == english
    assert chinese["not rated in time"] == chinese["逾期未评价"] == "no_response"
