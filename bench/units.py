"""The unit assessment's rollup (`UnitMonthlyStat`) of the generated province, for W7: every
complete month rolled once, as the nightly job would have rolled them, when the table is empty
(a province generated before the table existed, or just generated); a no-op otherwise.

Runs inside Django (called by the runner, like `bench.fixtures`)."""

from __future__ import annotations

import time
from datetime import timedelta


def fill() -> int:
    from django.db.models import Min
    from django.utils import timezone

    from grievances.stats.models import UnitStatMonth
    from grievances.stats.unit_rollup import rollup_unit_month
    from petitions.models import Petition

    if UnitStatMonth.objects.exists():
        return 0
    first = Petition.objects.aggregate(first=Min("received_at"))["first"]
    if first is None:
        return 0
    month = timezone.localtime(first).date().replace(day=1)
    this_month = timezone.localdate().replace(day=1)
    started, months = time.monotonic(), 0
    while month < this_month:
        rollup_unit_month(month)
        months += 1
        month = (month + timedelta(days=32)).replace(day=1)
    print(f"[bench] unit rollup: {months} months in {time.monotonic() - started:.0f} s", flush=True)
    return months
