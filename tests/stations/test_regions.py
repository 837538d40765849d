from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from stations.models import Region

pytestmark = pytest.mark.django_db


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_a_township_subtree_holds_its_villages_not_its_neighbours(world):
    east = world.region("东镇")
    assert names(east.subtree()) == {"东镇", "东一村", "东二村"}
    assert names(world.region("西镇").subtree()) == {"西镇", "西一村"}


def test_a_county_subtree_stops_at_the_county_border(world):
    assert names(world.region("甲县").subtree().filter(level="village")) == {"东一村", "东二村", "西一村"}
    assert names(world.region("乙县").subtree().filter(level="village")) == {"北一村"}


def test_the_subtree_is_one_query_on_the_code_index(world, django_assert_num_queries):
    east = world.region("东镇")
    with django_assert_num_queries(1) as captured:
        list(east.subtree())
    sql = captured.captured_queries[0]["sql"]
    assert "JOIN" not in sql.upper()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        plan = east.subtree().explain()
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
        assert "Index" in plan, plan


def test_county_code_is_the_tenant_of_everything_below_it(world):
    assert world.region("东一村").county_code == "990121000000"
    assert world.region("示范市").county_code is None


def write_csv(tmp_path, text: str):
    path = tmp_path / "codes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_command_loads_a_list_with_a_header(tmp_path, world):
    path = write_csv(
        tmp_path,
        "code,name,level\n990121102000,南镇,township\n990121102200,南一村,village\n990121102201,南二村,\n",
    )
    out = StringIO()
    call_command("import_division_codes", str(path), stdout=out)
    south = Region.objects.get(code="990121102000")
    assert south.level == "township" and south.parent == world.region("甲县")
    assert names(south.children.all()) == {"南一村", "南二村"}
    assert "3" in out.getvalue()


def test_import_renames_and_is_idempotent(tmp_path, world):
    path = write_csv(tmp_path, "990121100000,东门镇\n990121100200,东一村\n")
    call_command("import_division_codes", str(path), stdout=StringIO())
    call_command("import_division_codes", str(path), stdout=StringIO())
    assert Region.objects.get(code="990121100000").name == "东门镇"
    assert Region.objects.filter(code="990121100200").count() == 1


def test_import_with_a_bad_row_imports_nothing_and_names_the_line(tmp_path, world):
    before = Region.objects.count()
    path = write_csv(
        tmp_path,
        "990121102000,南镇\n99012110220,短码村\n990121103200,无乡之村\n990121102200,南一村,township\n",
    )
    with pytest.raises(CommandError) as error:
        call_command("import_division_codes", str(path), stdout=StringIO())
    message = str(error.value)
    assert "第 2 行" in message  # the short code
    assert "第 3 行" in message  # a village whose township is nowhere
    assert "第 4 行" in message  # level contradicts the code
    assert Region.objects.count() == before
