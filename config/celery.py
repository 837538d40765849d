"""The Celery app: settings come from Django's (CELERY_* names), tasks from each app's tasks.py."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("suqiu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class BeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, kept in its file (CELERY_BEAT_SCHEDULE_FILENAME, under var/): it
    makes the file's folder first, which the settings no longer create at import outside a
    local run (they write nothing in production)."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
