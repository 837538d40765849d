"""What `config.bulk.insert_rows` buys over `bulk_create`, measured on the benchmark's province:
the notification rows of one sweep chunk (500 cases × ~5.4 rows), written both ways inside a
transaction that is rolled back, five times; prints the medians.

    DATABASE_URL=postgres://…/suqiu_bench DEBUG=false SECRET_KEY=… FIELD_ENCRYPTION_KEY=… \\
        python -m bench.bulk_writes

(`bench.env.django_env()` gives the environment the benchmark itself uses.)"""

from __future__ import annotations

import statistics
import time

import django


def main(rows: int = 2700, runs: int = 5) -> None:
    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from config.bulk import insert_rows
    from petitions.models import Notification, Petition
    from stations.models import User

    ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True)[:rows])
    users = list(User.objects.order_by("pk").values_list("pk", flat=True)[:3])
    now = timezone.now()
    columns = ("user_id", "kind", "petition_id", "dedupe_key", "channel", "title", "body", "url", "created_at")

    def made(tag: str) -> list[tuple]:
        return [
            (users[i % len(users)], "escalated", pk, f"bench:{tag}:{pk}", "in_app", "逾期升级：20260101-000001",
             "村道 · 东镇群众诉求中心 · 已受理", f"/staff/cases/{pk}/", now)
            for i, pk in enumerate(ids)
        ]  # fmt: skip

    by_django, by_unnest = [], []
    for run in range(runs):
        with transaction.atomic():
            started = time.perf_counter()
            Notification.objects.bulk_create(
                [Notification(**dict(zip(columns, row, strict=True))) for row in made(f"django{run}")],
                ignore_conflicts=True,
            )
            by_django.append(time.perf_counter() - started)
            started = time.perf_counter()
            insert_rows(Notification, columns, made(f"unnest{run}"), ignore_conflicts=True)
            by_unnest.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    print(
        f"{len(ids)} notification rows, median of {runs}: bulk_create {statistics.median(by_django) * 1000:.0f} ms, "
        f"insert_rows {statistics.median(by_unnest) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
