"""The staff case list (W2's page) measured in-process, with and without each of its speed
helpers (`petitions/rendering.py`): Django's test client, DEBUG off, one township's open cases
as the county commission's supervisor, the database `suqiu_case_list` (created and seeded on
the first run: the demo county, its demo cases and `--cases` more in one township).

    python -m bench.case_list                    # 5 runs of 200 requests per variant
    python -m bench.case_list --save page.html   # only write the page as served, to diff

The variants take turns request by request. Each figure is the median over the runs of each
run's median time a page: wall clock (Python and the database's round trips, the same in every
variant) and the CPU time of this process (Python only: steadier on a shared machine)."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from unittest import mock

from bench import env

DB = os.environ.get("BENCH_CASE_LIST_DB", "suqiu_case_list")

# The rows as the template engine built them before the row builder (7533c26^): the view
# worked out each row's facts, the template wrote every cell.
_TEMPLATE_ROWS = """{% load i18n %}{% for p in cases %}
      <tr class="{% if p.late %}is-overdue{% endif %}" data-case="{{ p.pk }}">
        <td class="nowrap"><a href="{{ p.url }}">{{ p.tracking_number }}</a></td>
        <td><a href="{{ p.url }}">{% if p.shell %}{{ confidential }}{% else %}{{ p.title }}{% endif %}</a></td>
        <td>{{ p.category.name }}</td>
        <td>{{ p.region.name }}</td>
        <td>{{ p.channel_label }}</td>
        <td><span class="badge status-{{ p.status }}">{{ p.status_label }}</span>{% if p.late %}
<span class="badge overdue" data-overdue="1">{% translate "Overdue" %}</span>{% endif %}</td>
        <td>{{ p.holder_unit.name }}</td>
        <td class="nowrap">{{ p.created_day }}</td>
        <td class="nowrap">{{ p.due_day }}</td>
      </tr>{% endfor %}"""


def configure() -> None:
    from bench.__main__ import psql

    os.environ.update(env.django_env(DB))
    os.environ.update(
        {
            "REDIS_URL": "",  # the per-process cache: nothing shared with a running benchmark
            "CELERY_BROKER_URL": "memory://",
            "ALLOWED_HOSTS": "testserver",
            "STATIC_MANIFEST": "false",
            "TWO_FACTOR_REQUIRED": "false",  # the supervisor's session without a device
        }
    )
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'"):
        psql(f"CREATE DATABASE {DB}")


def seed(cases: int) -> None:
    """The demo county and its demo cases, and `cases` more spread over the villages of its first
    township, every seventh one overdue (once: kept on re-runs)."""
    from django.core.management import call_command
    from django.utils import timezone

    from petitions.demo import load_demo_cases
    from petitions.models import Category, Channel, Petition
    from petitions.services import petition_register
    from stations.demo import COUNTY, load_demo_county
    from stations.models import Region, User

    call_command("migrate", verbosity=0)
    if Petition.objects.filter(title__startswith="测量").exists():
        return
    load_demo_county()
    load_demo_cases()
    township = Region.objects.filter(parent__code=COUNTY[0]).order_by("code").first()
    villages = list(township.children.order_by("code"))
    categories = list(Category.objects.filter(confidential=False).order_by("code"))
    channels = list(Channel.values)
    made = []
    for n in range(cases):
        village = villages[n % len(villages)]
        made.append(
            petition_register(
                actor=User.objects.get(username=f"clerk_{village.code}"),
                channel=channels[n % len(channels)],
                category=categories[n % len(categories)],
                region=village,
                title=f"测量 {n}：{village.name}村道塌方",
                content="三组到五组的村道雨后塌方约20米，车辆无法通行。",
                complainant_name="字某",
                complainant_phone=f"139880{n:05d}",
            ).petition.pk
        )
    Petition.objects.filter(pk__in=made[::7]).update(current_due_at=timezone.now() - timedelta(days=1))


def queue_path() -> str:
    from stations.demo import COUNTY
    from stations.models import Region

    township = Region.objects.filter(parent__code=COUNTY[0]).order_by("code").first()
    return f"/staff/cases/?region={township.code}&open=true"


def signed_in(username: str):
    from django.test import Client

    from stations.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@contextmanager
def without_choice_cache():
    """The filter form's choice widgets rendered by Django on every request."""
    from petitions import rendering

    def render(self, name, value, attrs=None, renderer=None):
        return super(rendering.CachedChoicesMixin, self).render(name, value, attrs, renderer)

    with mock.patch.object(rendering.CachedChoicesMixin, "render", render):
        yield


@contextmanager
def without_row_builder():
    """The rows written by the template engine, as before the row builder."""
    from django.template import engines
    from django.urls import reverse
    from django.utils import timezone

    from petitions import views
    from petitions.masking import CONFIDENTIAL
    from petitions.models import OPEN_STATUSES, Petition

    template = engines["django"].from_string(_TEMPLATE_ROWS)

    def case_rows(cases):
        status = {value: str(label) for value, label in Petition._meta.get_field("status").flatchoices}
        channel = {value: str(label) for value, label in Petition._meta.get_field("channel").flatchoices}
        now = timezone.now()
        link = reverse("petitions:case", args=[987654321987])
        for p in cases:
            p.url = link.replace("987654321987", str(p.pk))
            p.status_label = status.get(p.status, p.status)
            p.channel_label = channel.get(p.channel, p.channel)
            p.late = p.status in OPEN_STATUSES and p.current_due_at is not None and p.current_due_at < now
            p.created_day = timezone.localdate(p.created_at).isoformat()
            p.due_day = timezone.localdate(p.current_due_at).isoformat() if p.current_due_at else "—"
        return [template.render({"cases": cases, "confidential": CONFIDENTIAL})]

    with mock.patch.object(views, "case_rows", case_rows):
        yield


VARIANTS = {
    "with both helpers (as committed)": (),
    "choices rendered by Django each time": (without_choice_cache,),
    "rows by the template engine": (without_row_builder,),
    "neither": (without_choice_cache, without_row_builder),
}


def one_run(client, path: str, requests: int) -> dict[str, tuple[float, float]]:
    """Each variant's median (wall ms, CPU ms of this process) over `requests` requests, the
    variants taking turns request by request, so the machine's drift falls on all of them."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for _n in range(requests):
        for name, patches in VARIANTS.items():
            with ExitStack() as stack:
                for patch in patches:
                    stack.enter_context(patch())
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
            assert response.status_code == 200, response.status_code
    return {
        name: (statistics.median(w for w, _c in pairs) * 1000, statistics.median(c for _w, c in pairs) * 1000)
        for name, pairs in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60, help="cases added to the township on the first run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per run and variant")
    parser.add_argument("--save", help="write the page (as committed) to this file and stop")
    args = parser.parse_args()

    configure()
    import django

    django.setup()
    seed(args.cases)
    path = queue_path()
    client = signed_in("supervisor")
    if args.save:
        with open(args.save, "wb") as out:
            out.write(client.get(path).content)
        return
    one_run(client, path, 10)  # warm-up: the choice cache, the templates, the connection
    runs = [one_run(client, path, args.requests) for _run in range(args.runs)]
    rows = client.get(path).content.count(b"data-case=")
    print(f"{path}: {rows} rows; median of {args.runs} runs of {args.requests} requests (ms a page)")
    print(f"  {'':38} {'wall':>6} {'CPU':>6}   CPU of each run")
    for name in VARIANTS:
        wall = statistics.median(run[name][0] for run in runs)
        cpu = statistics.median(run[name][1] for run in runs)
        each = ", ".join(f"{run[name][1]:.1f}" for run in runs)
        print(f"  {name:38} {wall:6.1f} {cpu:6.1f}   {each}")


if __name__ == "__main__":
    main()
