"""W4: the overdue sweep as its own process (what a Celery worker runs each beat), over the
database named by DATABASE_URL. Prints one JSON line: cases escalated and the sweep's time."""

from __future__ import annotations

import json
import time

import django


def main() -> None:
    django.setup()
    from petitions.tasks import escalate_overdue

    started = time.monotonic()
    escalated = escalate_overdue()
    print("BENCH " + json.dumps({"escalated": escalated, "sweep_seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
