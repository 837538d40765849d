"""The dashboard's pies show their labels whole (复查中, not 复…), in the narrowest card the
layout gives a chart (288px: a phone of 320px, or the three columns at 1024px) and at desktop
width (313px). ECharts draws each pie of the page's own chart data with the page's own options
(static/js/dashboard.js, `chartOption`) through its server-side SVG renderer in Node, the way
the browser lays the labels out; the test reads back what was drawn."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from petitions.models import Petition, Satisfaction, Status
from tests.clock import at

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (288, 313)
HEIGHT = 300  # .chart[data-kind=pie] in static/css/suqiu.css

DRAW = r"""
const echarts = require(process.argv[1] + "/static/vendor/echarts/echarts.custom.min.js");
const {chartOption} = require(process.argv[1] + "/static/js/dashboard.js");
const {key, data, width, height} = JSON.parse(require("fs").readFileSync(0, "utf8"));
const chart = echarts.init(null, null, {renderer: "svg", ssr: true, width: width, height: height});
const option = chartOption("pie", key, data);
option.animation = false;
chart.setOption(option);
const svg = chart.renderToSVGString();
// Each text's width as ECharts measured it to lay the labels out.
const widths = {};
for (const match of svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)) {
  widths[match[1]] = echarts.format.getTextRect(match[1], "12px sans-serif").width;
}
process.stdout.write(JSON.stringify({svg: svg, legend: option.legend.data, widths: widths}));
chart.dispose();
"""


def node() -> str | None:
    """Node, on the machine or the one Playwright ships for its driver."""
    import playwright

    bundled = Path(playwright.__file__).parent / "driver" / "node"
    return shutil.which("node") or (str(bundled) if bundled.exists() else None)


def draw(key: str, data: dict, width: int) -> dict:
    command = node()
    if command is None:
        pytest.skip("no Node to run ECharts")
    payload = json.dumps({"key": key, "data": data, "width": width, "height": HEIGHT})
    done = subprocess.run(
        [command, "-e", DRAW, str(ROOT)], input=payload, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


def slice_labels(drawn: dict) -> list[dict]:
    """The slices' labels (drawn with a white halo; the legend's are not): their lines, in
    order, the name they spell (a long one wraps: every line but the count's), and where
    their box lies."""
    labels: dict[str, dict] = {}
    for attrs, text in re.findall(r"<text ([^>]*stroke=[^>]*)>([^<]*)</text>", drawn["svg"]):
        x, y = (float(v) for v in re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", attrs).groups())
        anchor = re.search(r'text-anchor="(\w+)"', attrs).group(1)
        label = labels.setdefault(f"{x} {y}", {"x": x, "y": y, "anchor": anchor, "lines": []})
        label["lines"].append(unescape(text))
        label.setdefault("widths", []).append(drawn["widths"][text])
    for label in labels.values():
        label["name"] = " ".join(line.strip() for line in label["lines"][:-1])
        wide = max(label["widths"])
        label["left"] = label["x"] - (wide if label["anchor"] == "end" else 0)
        label["right"] = label["left"] + wide
    return list(labels.values())


@pytest.fixture
def every_status(world, register):
    """A case in every status and of every rating, so that each pie has all its slices."""
    with time_machine.travel(at(2025, 9, 14, 10, 0), tick=False):
        for status in Status.values:
            register()
            Petition.objects.filter(pk=Petition.objects.latest("pk").pk).update(status=status)
        for satisfaction in Satisfaction.values:
            register()
            Petition.objects.filter(pk=Petition.objects.latest("pk").pk).update(satisfaction=satisfaction)


def chart_data(client, world, language: str = "zh-hans") -> dict:
    client.force_login(world.users["supervisor"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with time_machine.travel(at(2025, 9, 14, 10, 0), tick=False):
        page = client.get("/staff/dashboard/").content.decode()
    return json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)[1])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_status_pie_shows_every_label_whole(client, world, every_status, width):
    data = chart_data(client, world)
    drawn = draw("status", data, width)
    labels = slice_labels(drawn)
    names = [row["name"] for row in data["status"]]
    assert "复查中" in names and "不予受理" in names
    assert sorted(label["name"] for label in labels) == sorted(names)
    for label in labels:
        assert not any("…" in line or "..." in line for line in label["lines"]), label
        assert label["left"] >= 0 and label["right"] <= width, label  # inside the card
    assert drawn["legend"] == names  # the legend names every slice too


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_other_pies_show_their_labels_whole(client, world, every_status, width, language):
    data = chart_data(client, world, language)
    for key in ("level", "satisfaction", "source"):
        shown = [row["name"] for row in data[key] if row["value"]]
        labels = slice_labels(draw(key, data, width))
        assert sorted(label["name"] for label in labels) == sorted(shown), key
        for label in labels:
            assert not any("…" in line for line in label["lines"]), (key, label)
            assert label["left"] >= 0 and label["right"] <= width, (key, label)
