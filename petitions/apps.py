from __future__ import annotations

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import router
from django.db.models.signals import post_migrate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def sync_holidays_after_migrate(*, using: str, apps=global_apps, verbosity: int = 1, **kwargs) -> None:
    """Pre-fill this year's and next year's holiday calendar after every `migrate`.

    Safe offline (the library ships its data), idempotent, and it never touches a row an
    administrator entered, so a deploy that raises the library's pinned version brings the new
    year's arrangement in by itself. It uses the migrated state's model: when `petitions` is
    migrated back to zero there is none, and it does nothing. `flush` (and so every
    transactional test) sends the signal without a state: then the installed model is used.
    """
    from petitions.calendar import holidays_sync_into

    try:
        model = apps.get_model("petitions", "Holiday")
    except LookupError:
        return
    if not router.allow_migrate_model(using, model):
        return
    year = timezone.localdate().year
    result = holidays_sync_into(model, years=[year, year + 1], using=using)
    if verbosity >= 2:
        print(f"  Holiday calendar {year}-{year + 1}: {result.created} added, {result.updated} updated.")


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        post_migrate.connect(sync_holidays_after_migrate, sender=self, dispatch_uid="petitions.sync_holidays")
        # Register the Celery tasks in every process, as the worker's autodiscovery does: the
        # services queue them by name (`services.notify.queue_task`) and do not import them.
        import petitions.tasks  # noqa: F401
